"""Invitations, the reminders: queued by the mail worker's round (and ``meetcore invites remind``) before each
scheduled meeting, once each."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from meetcore.actors import SYSTEM_MAIL
from meetcore.database import utcnow
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.invitations.messages import meeting_context, reminder_offsets
from meetcore.invitations.models import MeetingCalendar
from meetcore.invitations.queueing import _queue_round
from meetcore.invitations.util import _active_invitations, meeting_calendar
from meetcore.mail.models import OutboxMessage
from meetcore.meetings.models import Meeting
from meetcore.transaction import unit_of_work

log = logging.getLogger(__name__)


def enqueue_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due (MEETCORE_REMINDERS before each scheduled meeting's start), once
    each: the outbox's unique dedupe key makes a second run, or a parallel worker, add nothing. When several
    are due at once (the worker was down), only the nearest one goes. Each meeting is a step of the worker,
committed on its own (issue 19). Returns how many were queued."""
    offsets = reminder_offsets()
    if not offsets:
        return 0
    now = now or utcnow()
    meetings = db.session.scalars(
        sa.select(Meeting)
        .join(MeetingCalendar, MeetingCalendar.meeting_id == Meeting.id)
        .options(joinedload(Meeting.series))
        .where(Meeting.status == "scheduled", Meeting.start_at > now, Meeting.start_at <= now + max(offsets))
        .order_by(Meeting.start_at)
    ).all()
    queued = 0
    for meeting in meetings:
        try:
            with unit_of_work():  # each meeting's reminders are one step of the worker: committed apart
                queued += _remind(meeting, offsets, now)
        except IntegrityError:  # another worker queued the same reminders meanwhile
            log.info("reminders of meeting %s were queued by another worker", meeting.id)
    return queued


def _remind(meeting: Meeting, offsets: list, now: datetime) -> int:
    """Queue the nearest due reminder of one meeting (flushed); how many messages that made."""
    due = [offset for offset in offsets if meeting.start_at - offset <= now]
    if not due:
        return 0
    offset = min(due)
    window_start = meeting.start_at - offset
    start_key = int(meeting.start_at.timestamp())
    rows = [
        (invitation, seat)
        for invitation, seat in _active_invitations(meeting)
        if invitation.partstat != "DECLINED"
        and (seat is None or seat.rsvp != "declined")
        and invitation.invited_at <= window_start  # invited inside the window: the invitation was enough
    ]
    keys = {
        invitation.id: f"reminder:{invitation.id}:{start_key}:{int(offset.total_seconds())}"
        for invitation, _ in rows
    }
    existing = set(
        db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values())))
    ) if keys else set()  # fmt: skip
    todo = [(invitation, seat) for invitation, seat in rows if keys[invitation.id] not in existing]
    if not todo:
        return 0
    calendar = meeting_calendar(meeting)
    context = meeting_context(meeting, calendar, [])
    _queue_round(
        context,
        todo,
        kind="reminder",
        sequence=calendar.sequence,
        join=True,
        reminder_offset=offset,
        dedupe_keys=keys,
    )
    record_event(
        meeting,
        "invitations.reminded",
        {"count": len(todo), "minutes_before": int(offset.total_seconds() // 60)},
        by=SYSTEM_MAIL,
    )
    db.session.flush()
    return len(todo)
