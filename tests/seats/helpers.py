"""Helpers shared by the seat roster tests."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.seats.models import Seat

SEVEN_ROLES = [
    "vice_governor", "public_health", "provincial_office", "local_admin", "labour", "red_cross",
    "social_development",
]  # fmt: skip


def seat_count(meeting) -> int:
    return db.session.scalar(sa.select(sa.func.count(Seat.id)).where(Seat.meeting_id == meeting.id))


def seat_at(meeting, province_code: str | None, role_code: str) -> Seat:
    from meetcore.directory.models import Province, Role

    query = (
        sa.select(Seat)
        .join(Role, Seat.role_id == Role.id)
        .where(Seat.meeting_id == meeting.id, Role.code == role_code)
    )
    if province_code is None:
        query = query.where(Seat.province_id.is_(None))
    else:
        query = query.join(Province, Seat.province_id == Province.id).where(Province.code == province_code)
    return db.session.scalars(query).one()


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        self.statements.clear()
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)
