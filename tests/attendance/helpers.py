"""Helpers shared by the attendance tests."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db


def intervals(meeting=None, **where) -> list:
    from meetcore.attendance.models import Attendance

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


def presence_publications(meeting) -> list:
    """The meeting's attendance.board events that changed someone's presence (adding the seats to the
    roster published the board too, with no seat changed)."""
    return [event for event in logged(meeting, "attendance.board") if event.payload["seats"]]


def logged(meeting, kind: str) -> list:
    from meetcore.eventlog.models import MeetingEvent

    return list(db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == kind)
        .order_by(MeetingEvent.seq)
    ))  # fmt: skip
