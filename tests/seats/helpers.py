"""Helpers shared by the seat roster tests."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.seats.models import Seat


def seat_count(meeting) -> int:
    return db.session.scalar(sa.select(sa.func.count(Seat.id)).where(Seat.meeting_id == meeting.id))


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
