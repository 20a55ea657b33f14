"""The connection log (traffic data under the e-meeting decree): every interval with its address and
browser, for the secretariat."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from meetcore.attendance.models import Attendance
from meetcore.auth.permissions import require_staff
from meetcore.directory.models import Province, Role
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import Page
from meetcore.seats.models import Seat

log = logging.getLogger(__name__)


# --- the connection log (traffic data) -------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionEntry:
    interval: Attendance
    province: Province | None
    role: Role
    seat_name: str | None

    @property
    def duration(self) -> timedelta | None:
        if self.interval.left_at is None:
            return None
        return self.interval.left_at - self.interval.joined_at


def _log_query(meeting: Meeting):
    return (
        sa.select(Attendance, Province, Role, Seat.name)
        .join(Seat, Attendance.seat_id == Seat.id)
        .join(Role, Seat.role_id == Role.id)
        .outerjoin(Province, Seat.province_id == Province.id)
        .where(Attendance.meeting_id == meeting.id)
    )


def connection_log(meeting: Meeting, *, by, page: int = 1, per_page: int = 50) -> Page:
    """The meeting's attendance intervals, newest first, with address and user agent."""
    require_staff(by)
    total = (
        db.session.scalar(sa.select(sa.func.count(Attendance.id)).where(Attendance.meeting_id == meeting.id))
        or 0
    )
    rows = db.session.execute(
        _log_query(meeting)
        .order_by(Attendance.joined_at.desc(), Attendance.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=[ConnectionEntry(*row) for row in rows], total=total, page=page, per_page=per_page)


def all_connections(meeting: Meeting, *, by) -> Iterator[ConnectionEntry]:
    """Every interval of the meeting, oldest first, read in batches (for the CSV export)."""
    require_staff(by)
    result = db.session.execute(
        _log_query(meeting).order_by(Attendance.joined_at, Attendance.id).execution_options(yield_per=500)
    )
    for row in result:
        yield ConnectionEntry(*row)
