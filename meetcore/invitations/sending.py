"""Invitations, the sending rounds: invite the roster, update and cancel the meeting in its invitees'
calendars, withdraw a seat's invitation and hand it over to a substitute. The only writers of invitation rows
(with invitations.answers, which records the replies).

Every round writes its outbox rows, its MeetingEvent and its own rows in the caller's transaction. The ones
other domains' services reach through meetcore.signals (``send_updates``, ``send_cancellations``,
``cancel_invitation_for_seat``, ``hand_over_to_substitute``) never commit: their caller does, so the change
and the mail about it are one transaction. ``send_invitations``, called by the console and the CLI, commits.

One calendar event per meeting: UID ``meeting-<id>@<host of MEETCORE_BASE_URL>``, SEQUENCE raised on every
significant change (time, place, title, cancellation, a seat withdrawn or handed over). One invitation per
seat at a time, addressed to the seat's current attendee: the substitute once the seat is handed to one who
has an e-mail address, the invitee otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore import signals
from meetcore.actors import SeatActor
from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.errors import Conflict
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.invitations import calendar as ical
from meetcore.invitations.messages import MeetingContext, meeting_context
from meetcore.invitations.models import Invitation
from meetcore.invitations.queueing import _agenda, _ensure_calendar, _queue, _queue_round, _raise_sequence
from meetcore.invitations.schemas import SendInvitationsInput
from meetcore.invitations.tokens import new_secret
from meetcore.invitations.util import (
    SENDABLE_STATUSES,
    Attendee,
    _active_invitations,
    _default_locale,
    _locales_for,
    _plan,
    current_attendee,
    meeting_calendar,
)
from meetcore.mail import services as outbox
from meetcore.meetings.models import Meeting
from meetcore.schemas import load_input
from meetcore.seats.models import Seat

# --- sending invitations ----------------------------------------------------------------------------------


def _check_sendable(meeting: Meeting) -> None:
    if meeting.status == "draft":
        raise Conflict(_l("Schedule the meeting (status: scheduled) before sending its invitations."))
    if meeting.status not in SENDABLE_STATUSES:
        raise Conflict(_l("Invitations cannot be sent for a meeting that has ended or was cancelled."))


def _initial_partstat(seat: Seat, attendee: Attendee) -> str:
    if attendee.kind == "substitute":
        return "NEEDS-ACTION"
    return ical.RSVP_PARTSTAT.get(seat.rsvp, "NEEDS-ACTION")


def _activate(
    seat: Seat, attendee: Attendee, previous: list[Invitation], locale: str, sequence: int
) -> Invitation:
    """The seat's invitation to ``attendee``: an earlier one to the same address revived, or a new one."""
    now = utcnow()
    invitation = next((i for i in reversed(previous) if i.email == attendee.email), None)
    if invitation is None:
        invitation = Invitation(
            meeting_id=seat.meeting_id,
            seat_id=seat.id,
            attendee=attendee.kind,
            email=attendee.email,
            secret=new_secret(),
            locale=locale,
            partstat=_initial_partstat(seat, attendee),
        )
        db.session.add(invitation)
    else:  # revived: it answers for the seat's reply as it stands now
        invitation.partstat = _initial_partstat(seat, attendee)
    invitation.attendee = attendee.kind
    invitation.name = attendee.name
    invitation.position = attendee.position
    invitation.status = "active"
    invitation.cancelled_at = None
    invitation.invited_at = now
    invitation.sequence = sequence
    return invitation


@dataclass
class SendResult:
    sent: int
    without_email: int
    already_invited: int
    sequence: int


def send_invitations(meeting: Meeting, data: dict | None = None, *, by) -> SendResult:
    """Invite every seat that has an e-mail address and no invitation yet: one message per seat."""
    require_editor(by)
    values = load_input(SendInvitationsInput(), data or {})
    _check_sendable(meeting)
    plan = _plan(meeting)
    expected = values.get("expected")
    if expected is not None and expected != plan.count:
        message = _l(
            "The roster changed meanwhile: %(n)s seats now wait for an invitation. Check and send again.",
            n=plan.count,
        )
        raise Conflict(message)
    if not plan.to_invite:
        raise Conflict(
            _l("There is no seat to invite: every seat with an e-mail address has its invitation.")
        )
    calendar = _ensure_calendar(meeting)
    attendees = {seat.id: current_attendee(seat) for seat in plan.to_invite}
    locales = _locales_for(sorted({a.email for a in attendees.values()}))
    previous: dict[int, list[Invitation]] = {}
    for invitation in db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.seat_id.in_([seat.id for seat in plan.to_invite]))
        .order_by(Invitation.id)
    ):
        previous.setdefault(invitation.seat_id, []).append(invitation)
    default_locale = _default_locale()
    pairs = []
    for seat in plan.to_invite:
        attendee = attendees[seat.id]
        locale = locales.get(attendee.email, default_locale)
        pairs.append((_activate(seat, attendee, previous.get(seat.id, []), locale, calendar.sequence), seat))
    db.session.flush()
    context = meeting_context(meeting, calendar, _agenda(meeting))
    _queue_round(context, pairs, kind="invitation", sequence=calendar.sequence, join=True)
    record_event(
        meeting,
        "invitations.sent",
        {"count": len(pairs), "sequence": calendar.sequence, "seat_ids": [seat.id for _, seat in pairs]},
        by=by,
    )
    db.session.flush()
    return SendResult(
        sent=len(pairs),
        without_email=len(plan.without_email),
        already_invited=plan.invited,
        sequence=calendar.sequence,
    )


# --- hooks of the meetings service (called inside its transaction; they never commit) ----------------------


def send_updates(meeting: Meeting, *, fields: list[str] | tuple[str, ...], by) -> int:
    """After a significant change (time, place, title): a REQUEST with a higher SEQUENCE to every active
    invitation. Returns how many messages were queued. The caller commits."""
    require_editor(by)
    calendar = meeting_calendar(meeting)
    if calendar is None:
        return 0
    rows = _active_invitations(meeting)
    if not rows:
        return 0
    sequence = _raise_sequence(calendar)
    outbox.supersede_waiting([invitation.id for invitation, _ in rows])
    context = meeting_context(meeting, calendar, _agenda(meeting))
    _queue_round(context, rows, kind="update", sequence=sequence, join=True, changes=tuple(fields))
    record_event(
        meeting,
        "invitations.updated",
        {"count": len(rows), "sequence": sequence, "fields": list(fields)},
        by=by,
    )
    return len(rows)


def send_cancellations(meeting: Meeting, *, by) -> int:
    """The meeting is cancelled: METHOD:CANCEL (STATUS:CANCELLED) to every invitee whose calendar has the
    meeting. Returns how many messages were queued. The caller commits."""
    require_editor(by)
    calendar = meeting_calendar(meeting)
    if calendar is None:
        return 0
    rows = _active_invitations(meeting)
    if not rows:
        return 0
    sequence = _raise_sequence(calendar)
    ids = [invitation.id for invitation, _ in rows]
    outbox.supersede_waiting(ids)
    reached = outbox.reached(ids)
    context = meeting_context(meeting, calendar, [])
    now = utcnow()
    for invitation, _seat in rows:
        invitation.status = "cancelled"
        invitation.cancelled_at = now
    told = [(invitation, seat) for invitation, seat in rows if invitation.id in reached]
    queued = len(
        _queue_round(context, told, kind="cancellation", sequence=sequence, reason=meeting.cancel_reason)
    )
    record_event(
        meeting,
        "invitations.cancelled",
        {"count": queued, "not_reached": len(rows) - queued, "sequence": sequence},
        by=by,
    )
    return queued


# --- hooks of the seats service (called inside its transaction; they never commit) -------------------------


def _shared_mailbox(invitation: Invitation) -> bool:
    """Another seat of the same meeting is still invited at this address (same UID: one calendar entry)."""
    return (
        db.session.scalar(
            sa.select(Invitation.id).where(
                Invitation.meeting_id == invitation.meeting_id,
                Invitation.email == invitation.email,
                Invitation.status == "active",
                Invitation.id != invitation.id,
            )
        )
        is not None
    )


def _withdraw(
    context: MeetingContext, invitation: Invitation, sequence: int, seat: Seat | None, *, by, **extra
) -> bool:
    """Cancel one invitation, and the join links it carried (withdrawn by ``by``); a CANCEL goes out only if
    its calendar got the meeting. True if one did."""
    from meetcore.seats.links import revoke_invitation_links

    invitation.status = "cancelled"
    invitation.cancelled_at = utcnow()
    db.session.flush()
    if seat is not None:
        revoke_invitation_links(seat, invitation.id, by=by)
    outbox.supersede_waiting([invitation.id])
    if invitation.id not in outbox.reached([invitation.id]) or _shared_mailbox(invitation):
        return False
    _queue(context, invitation, kind="withdrawal", sequence=sequence, seat=seat, **extra)
    return True


def _seat_invitations(seat: Seat) -> list[Invitation]:
    return list(
        db.session.scalars(sa.select(Invitation).where(Invitation.seat_id == seat.id).order_by(Invitation.id))
    )


def cancel_invitation_for_seat(seat: Seat, *, by) -> int:
    """The seat is leaving the roster: METHOD:CANCEL to its current attendee only (SEQUENCE raised).

    Call it before the seat row is deleted, in the same transaction; returns how many messages were queued.
    """
    require_editor(by)
    active = [i for i in _seat_invitations(seat) if i.status == "active"]
    if not active:
        return 0
    meeting = db.session.get(Meeting, seat.meeting_id)
    calendar = _ensure_calendar(meeting)
    sequence = _raise_sequence(calendar)
    context = meeting_context(meeting, calendar, [])
    queued = sum(_withdraw(context, invitation, sequence, seat, by=by) for invitation in active)
    record_event(
        meeting,
        "invitations.withdrawn",
        {"seat_id": seat.id, "invitation_ids": [i.id for i in active], "sent": queued, "sequence": sequence},
        by=by,
    )
    return queued


def hand_over_to_substitute(seat: Seat, *, by) -> int:
    """Bring the seat's invitation in line with its current attendee, after its invitee, substitute or reply
    changed: the substitute (once the seat is handed to one with an e-mail address) gets an invitation and
    the invitee a CANCEL; handing the seat back does the reverse; a corrected address is handled the same
    way. Nothing happens for a seat that was never invited. Returns how many messages were queued."""
    require_editor(by)
    return _sync_seat(seat, by=by)


def _sync_seat(seat: Seat, *, by) -> int:
    """``by``: the secretariat, or the seat itself (a SeatActor) answering its invitation."""
    meeting = db.session.get(Meeting, seat.meeting_id)
    if meeting.status not in SENDABLE_STATUSES:
        return 0
    invitations = _seat_invitations(seat)
    if not invitations:
        return 0
    target = current_attendee(seat)
    active = [i for i in invitations if i.status == "active"]
    keep = [i for i in active if target is not None and i.email == target.email]
    to_cancel = [i for i in active if i not in keep]
    for invitation in keep:  # same address: a corrected name, or a reply the secretariat recorded
        invitation.name, invitation.position = target.name, target.position
        if invitation.attendee == "invitee" and not (
            seat.rsvp == "pending" and invitation.partstat == "TENTATIVE"
        ):
            invitation.partstat = _initial_partstat(seat, target)
    if not to_cancel and (keep or target is None):
        return 0
    calendar = _ensure_calendar(meeting)
    sequence = _raise_sequence(calendar)
    invite = target is not None and not keep
    context = meeting_context(meeting, calendar, _agenda(meeting) if invite else [])
    handed_to = target.name if target is not None and target.kind == "substitute" else None
    queued = 0
    for invitation in to_cancel:
        name = handed_to if invitation.attendee == "invitee" else None
        queued += _withdraw(context, invitation, sequence, seat, by=by, substitute_name=name)
    invited = None
    if invite:
        locale = _locales_for([target.email]).get(target.email, _default_locale())
        invited = _activate(seat, target, invitations, locale, sequence)
        db.session.flush()
        _queue(context, invited, kind="invitation", sequence=sequence, seat=seat, join=True)
        queued += 1
    record_event(
        meeting,
        "invitations.handed_over" if handed_to else "invitations.reassigned",
        {
            "seat_id": seat.id,
            "cancelled": [i.id for i in to_cancel],
            "invited": invited.id if invited is not None else None,
            "attendee": target.kind if target is not None else None,
            "sequence": sequence,
        },
        by=by,
        seat=seat if isinstance(by, SeatActor) else None,
    )
    return queued


# --- reactions to other domains (meetcore.signals): in the same transaction --------------------------------


@signals.meeting_rescheduled.connect
def _update_calendars(meeting: Meeting, *, fields, by) -> None:
    send_updates(meeting, fields=fields, by=by)


@signals.meeting_cancelled.connect
def _cancel_in_calendars(meeting: Meeting, *, by) -> None:
    send_cancellations(meeting, by=by)


@signals.seat_removing.connect
def _cancel_for_removed_seat(seat: Seat, *, by) -> None:
    cancel_invitation_for_seat(seat, by=by)


@signals.seat_attendee_changed.connect
def _invite_current_attendee(seat: Seat, *, by) -> None:
    hand_over_to_substitute(seat, by=by)
