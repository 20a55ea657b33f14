"""Appending to a meeting's event log: the one place seq numbers are handed out."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.database import utcnow
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.live.broadcast import queue_for_broadcast
from meetcore.meetings.models import Meeting


def record_event(
    meeting: Meeting, kind: str, payload: dict | None = None, *, by=None, seat=None
) -> MeetingEvent:
    """Add the meeting's next numbered event to the current transaction.

    The UPDATE ... RETURNING takes the meeting row's write lock, so two transactions can never hand out
    the same seq (and the unique (meeting_id, seq) constraint would refuse it if they did).
    """
    seq = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(last_seq=Meeting.last_seq + 1)
        .returning(Meeting.last_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    meeting_state = sa.inspect(meeting)
    if not meeting_state.transient and not meeting_state.pending:
        sa.orm.attributes.set_committed_value(meeting, "last_seq", seq)
    event = MeetingEvent(
        meeting_id=meeting.id,
        seq=seq,
        kind=kind,
        payload=payload or {},
        actor_user_id=_user_id(by),
        actor_seat_id=getattr(seat, "id", None),
        created_at=utcnow(),
    )
    db.session.add(event)
    queue_for_broadcast(db.session, event)
    return event


def _user_id(by) -> int | None:
    """The acting account's id; a seat acting through its link is recorded as the seat instead."""
    from meetcore.auth.models import User

    return by.id if isinstance(by, User) else None


def events_since(meeting_id: int, after_seq: int, limit: int = 500) -> list[MeetingEvent]:
    return list(
        db.session.scalars(
            sa.select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > after_seq)
            .order_by(MeetingEvent.seq)
            .limit(limit)
        )
    )
