"""Invitations, the outbox side shared by every round: the meeting's calendar identity (created once, its
SEQUENCE raised on every significant change) and composing and queueing the messages of one round.

Everything here writes in the caller's transaction and never commits: a round's rows, its mail and its
event are one transaction, ended by the operation (invitations.sending, invitations.reminders).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from meetcore.actors import SYSTEM_MAIL
from meetcore.database import utcnow
from meetcore.errors import DomainError
from meetcore.extensions import db
from meetcore.invitations import calendar as ical
from meetcore.invitations.messages import METHOD_OF_KIND, MeetingContext, compose, in_language
from meetcore.invitations.models import Invitation, MeetingCalendar
from meetcore.invitations.util import _locale_of, meeting_calendar
from meetcore.mail import services as outbox
from meetcore.mail.message import mail_host, public_url, sender_address
from meetcore.mail.models import OutboxMessage
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat

log = logging.getLogger(__name__)


# --- the meeting's calendar identity ----------------------------------------------------------------------


def _ensure_calendar(meeting: Meeting) -> MeetingCalendar:
    calendar = meeting_calendar(meeting)
    if calendar is None:
        calendar = MeetingCalendar(
            meeting_id=meeting.id, uid=ical.meeting_uid(meeting.id, mail_host()), sequence=0
        )
        db.session.add(calendar)
        db.session.flush()
    return calendar


def _raise_sequence(calendar: MeetingCalendar) -> int:
    """SEQUENCE + 1, atomically (the UPDATE takes the row's write lock until the transaction ends)."""
    sequence = db.session.execute(
        sa.update(MeetingCalendar)
        .where(MeetingCalendar.meeting_id == calendar.meeting_id)
        .values(sequence=MeetingCalendar.sequence + 1, updated_at=utcnow())
        .returning(MeetingCalendar.sequence)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    sa.orm.attributes.set_committed_value(calendar, "sequence", sequence)
    return sequence


# --- composing and queueing one message -------------------------------------------------------------------


def _seat_label(seat: Seat | None, locale: str) -> str | None:
    from meetcore.seats.services import seat_label

    if seat is None or seat.role is None:
        return None
    return seat_label(seat.province, seat.role, _locale_of(locale))


def _join_url(invitation: Invitation, seat: Seat | None) -> str | None:
    """A fresh personal join link for the seat, carried by the invitation, issued in the caller's
    transaction."""
    from meetcore.seats.links import issue_seat_link

    if seat is None:
        return None
    try:
        token = issue_seat_link(seat, invitation_id=invitation.id, by=SYSTEM_MAIL)
    except DomainError as error:  # e.g. the meeting is already over: the mail goes without a join link
        log.info("no join link for seat %s: %s", seat.id, error.message)
        return None
    return public_url("seats.join", token=token)


def _queue_round(
    context: MeetingContext,
    items: list[tuple[Invitation, Seat | None]],
    *,
    kind: str,
    sequence: int,
    join: bool = False,
    dedupe_keys: dict[int, str] | None = None,
    **extra,
) -> list[OutboxMessage]:
    """One message per (invitation, seat), queued in the caller's transaction. The join links are issued
    first (each flushes), then the messages are composed language by language (fragments shared by a
    language are rendered once, see messages.compose)."""
    join_urls = {invitation.id: _join_url(invitation, seat) for invitation, seat in items} if join else {}
    by_locale: dict[str, list[tuple[Invitation, Seat | None]]] = {}
    for invitation, seat in items:
        by_locale.setdefault(invitation.locale or "", []).append((invitation, seat))
    queued = []
    for locale, group in by_locale.items():
        with in_language(locale or None):
            for invitation, seat in group:
                subject, built = compose(
                    context,
                    invitation,
                    kind=kind,
                    sequence=sequence,
                    seat_label=_seat_label(seat, invitation.locale),
                    join_url=join_urls.get(invitation.id),
                    **extra,
                )
                if METHOD_OF_KIND[kind] is not None:
                    invitation.sequence = sequence
                queued.append(
                    outbox.enqueue(
                        built,
                        kind=kind,
                        recipient=invitation.email,
                        recipient_name=invitation.name,
                        subject=subject,
                        sender=sender_address(),
                        meeting_id=context.meeting.id,
                        invitation_id=invitation.id,
                        dedupe_key=(dedupe_keys or {}).get(invitation.id),
                        sequence=sequence if kind in outbox.CALENDAR_KINDS else None,
                    )
                )
    return queued


def _queue(
    context: MeetingContext,
    invitation: Invitation,
    *,
    kind: str,
    sequence: int,
    seat: Seat | None = None,
    join: bool = False,
    **extra,
) -> OutboxMessage:
    return _queue_round(context, [(invitation, seat)], kind=kind, sequence=sequence, join=join, **extra)[0]


def _agenda(meeting: Meeting) -> list[dict]:
    from meetcore.agenda.tree import agenda_state

    return agenda_state(meeting.id)
