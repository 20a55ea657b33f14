"""Helpers shared by the attendance tests."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db

SEVEN_ROLES = [
    "vice_governor", "public_health", "provincial_office", "local_admin", "labour", "red_cross",
    "social_development",
]  # fmt: skip


def seat_at(meeting, province_code: str | None, role_code: str):
    from meetcore.directory.models import Province, Role
    from meetcore.seats.models import Seat

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


def intervals(meeting=None, **where) -> list:
    from meetcore.seats.models import Attendance

    db.session.expire_all()
    query = sa.select(Attendance).order_by(Attendance.id)
    if meeting is not None:
        query = query.where(Attendance.meeting_id == meeting.id)
    for name, value in where.items():
        query = query.where(getattr(Attendance, name) == value)
    return list(db.session.scalars(query))


def present(meeting) -> dict[int, str]:
    from meetcore.attendance.board import present_seats

    db.session.expire_all()
    return present_seats(meeting)


def last_seq(meeting) -> int:
    from meetcore.meetings.models import Meeting

    return db.session.scalar(sa.select(Meeting.last_seq).where(Meeting.id == meeting.id))


def events_of(sio) -> list[dict]:
    return [packet["args"][0] for packet in sio.get_received() if packet["name"] == "event"]


def logged(meeting, kind: str) -> list:
    from meetcore.eventlog.models import MeetingEvent

    return list(db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == kind)
        .order_by(MeetingEvent.seq)
    ))  # fmt: skip
