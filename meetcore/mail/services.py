"""The outbox's writers: putting messages in (inside the caller's transaction), resending failed ones, and
reading a meeting's mail for the console. Delivery itself is meetcore.mail.sender."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore import transaction
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.database import utcnow
from meetcore.errors import Conflict, NotFound
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.mail.message import Built
from meetcore.mail.models import CALENDAR_KINDS, OutboxMessage
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import Page

# Statuses shown to the secretariat, in this order.
SHOWN_STATUSES = ("failed", "pending", "sending", "sent", "superseded")
IN_FLIGHT = ("claimed", "sending")


def enqueue(
    built: Built,
    *,
    kind: str,
    recipient: str,
    recipient_name: str | None,
    subject: str,
    sender: str,
    meeting_id: int | None = None,
    invitation_id: int | None = None,
    dedupe_key: str | None = None,
    sequence: int | None = None,
) -> OutboxMessage:
    """Add one message to the outbox in the caller's transaction (the caller commits). ``sequence``: the
    calendar SEQUENCE a calendar message carries."""
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        recipient_name=(recipient_name or "")[:200] or None,
        subject=subject[:500],
        sender=sender,
        message_id=built.message_id,
        body=built.data,
        meeting_id=meeting_id,
        invitation_id=invitation_id,
        dedupe_key=dedupe_key,
        sequence=sequence,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def supersede_waiting(invitation_ids: list[int]) -> int:
    """Calendar messages of these invitations that no sender has taken yet will not be sent: a newer
    message (with a higher SEQUENCE) carries everything they said. Returns how many."""
    if not invitation_ids:
        return 0
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id.in_(invitation_ids),
            OutboxMessage.status == "pending",
            OutboxMessage.kind.in_(CALENDAR_KINDS),
        )
        .values(status="superseded", last_error="superseded by a newer message")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def reached(invitation_ids: list[int]) -> set[int]:
    """The invitations of which at least one calendar message has been sent, or is being sent now."""
    if not invitation_ids:
        return set()
    rows = db.session.scalars(
        sa.select(OutboxMessage.invitation_id)
        .where(
            OutboxMessage.invitation_id.in_(invitation_ids),
            OutboxMessage.status.in_(("sent", *IN_FLIGHT)),
            OutboxMessage.kind.in_(CALENDAR_KINDS),
        )
        .distinct()
    )
    return set(rows)


# --- the console -----------------------------------------------------------------------------------------


@dataclass
class OutboxSummary:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __getitem__(self, status: str) -> int:
        return self.counts.get(status, 0)


def outbox_summary(meeting: Meeting, *, by) -> OutboxSummary:
    """How many of the meeting's messages are in each status ("pending" includes those being sent)."""
    require_staff(by)
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.meeting_id == meeting.id)
        .group_by(OutboxMessage.status)
    ).all()
    counts: Counter[str] = Counter()
    for status, count in rows:
        counts["sending" if status in IN_FLIGHT else status] += count
    return OutboxSummary(counts=dict(counts))


def list_outbox(
    meeting: Meeting, *, by, status: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """The meeting's messages, failed first, then waiting, then the rest; newest first within each."""
    require_staff(by)
    query = sa.select(OutboxMessage).where(OutboxMessage.meeting_id == meeting.id)
    if status == "sending":
        query = query.where(OutboxMessage.status.in_(IN_FLIGHT))
    elif status:
        query = query.where(OutboxMessage.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    order = sa.case(
        {"failed": 0, "pending": 1, "claimed": 2, "sending": 2, "sent": 3},
        value=OutboxMessage.status,
        else_=4,
    )
    rows = db.session.scalars(
        query.options(sa.orm.defer(OutboxMessage.body))
        .order_by(order, OutboxMessage.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def get_message(meeting: Meeting, message_id: int, *, by) -> OutboxMessage:
    require_staff(by)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.meeting_id != meeting.id:
        raise NotFound(_l("Message %(id)s is not in this meeting's outbox.", id=message_id))
    return message


SUPERSEDED_NOTE = "superseded: a newer calendar message for this recipient was written before it was sent"


def obsolete(message: OutboxMessage) -> bool:
    """A calendar message for whose meeting (UID) and recipient a higher SEQUENCE has been written since:
    sending it now would take the recipient's calendar back in time."""
    if message.kind not in CALENDAR_KINDS or message.meeting_id is None:
        return False
    newer = db.session.scalar(
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.meeting_id == message.meeting_id,
            OutboxMessage.recipient == message.recipient,
            OutboxMessage.kind.in_(CALENDAR_KINDS),
            OutboxMessage.sequence > sa.func.coalesce(message.sequence, -1),
        )
        .limit(1)
    )
    return newer is not None


def _requeue(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Back to pending, except calendar messages a newer one has made obsolete (superseded). Returns the
    requeued ones."""
    now = utcnow()
    requeued = []
    for message in messages:
        message.claim_token = None
        message.claimed_at = None
        if obsolete(message):
            message.status = "superseded"
            message.last_error = SUPERSEDED_NOTE
            continue
        requeued.append(message)
        message.status = "pending"
        message.attempts = 0
        message.next_attempt_at = now
    return requeued


def resend_message(meeting: Meeting, message_id: int, *, by) -> OutboxMessage:
    """Put a failed message back in the outbox, unchanged (same bytes, same Message-ID)."""
    require_editor(by)
    message = get_message(meeting, message_id, by=by)
    if message.status != "failed":
        raise Conflict(_l("Only a message that failed can be sent again."))
    if not _requeue([message]):
        transaction.keep_when_refused()  # what _requeue marked (superseded) stands with the refusal
        raise Conflict(
            _l("A newer calendar message to this recipient was written since; this one is not sent again.")
        )
    record_event(
        meeting, "mail.resend", {"message_ids": [message.id], "recipients": [message.recipient]}, by=by
    )
    db.session.flush()
    return message


def resend_failed(meeting: Meeting, *, by) -> int:
    """Put every failed message of the meeting back in the outbox; returns how many."""
    require_editor(by)
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.meeting_id == meeting.id, OutboxMessage.status == "failed"
        )
    ).all()
    if not messages:
        return 0
    requeued = _requeue(list(messages))
    record_event(
        meeting,
        "mail.resend",
        {"message_ids": [m.id for m in requeued], "count": len(requeued),
         "superseded": [m.id for m in messages if m not in requeued]},
        by=by,
    )  # fmt: skip
    db.session.flush()
    return len(requeued)
