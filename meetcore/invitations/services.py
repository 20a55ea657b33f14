"""Invitations: the only writers of invitation rows, and the places where invitation mail enters the outbox.

Every function that changes something writes its outbox rows, its MeetingEvent and its own rows in the
caller's transaction. The ones called from other domains' services (``send_updates``, ``send_cancellations``,
``cancel_invitation_for_seat``, ``hand_over_to_substitute``) never commit: their caller does, so the change
and the mail about it are one transaction. The ones the console, the CLI and the RSVP page call commit.

One calendar event per meeting: UID ``meeting-<id>@<host of MEETCORE_BASE_URL>``, SEQUENCE raised on every
significant change (time, place, title, cancellation, a seat withdrawn or handed over). One invitation per
seat at a time, addressed to the seat's current attendee: the substitute once the seat is handed to one who
has an e-mail address, the invitee otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from meetcore import signals
from meetcore.auth.models import User
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.database import utcnow
from meetcore.errors import Conflict, DomainError, InvalidInput, NotFound
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.invitations import calendar as ical
from meetcore.invitations.messages import (
    METHOD_OF_KIND,
    RSVP_PURPOSE,
    MeetingContext,
    compose,
    in_language,
    meeting_context,
    reminder_offsets,
    rsvp_url,
)
from meetcore.invitations.models import CalendarFeed, CalendarReply, Invitation, MeetingCalendar
from meetcore.invitations.schemas import FeedInput, RsvpInput, SendInvitationsInput
from meetcore.invitations.tokens import make_token, new_secret, token_matches, token_row_id
from meetcore.mail import services as outbox
from meetcore.mail.message import mail_host, public_url, sender_address
from meetcore.mail.models import OutboxMessage
from meetcore.meetings.models import Meeting
from meetcore.schemas import load_input
from meetcore.seats.models import Seat

log = logging.getLogger(__name__)

# Invitations go out for meetings that are scheduled or running; a draft is not announced yet, and an
# ended, certified or cancelled meeting takes no new invitees.
SENDABLE_STATUSES = ("scheduled", "live")
FEED_PURPOSE = "feed"
FEED_PAST = timedelta(days=180)


# --- who a seat's invitation goes to ----------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    kind: str  # invitee or substitute
    email: str  # lower-case
    name: str | None
    position: str | None


def current_attendee(seat: Seat) -> Attendee | None:
    """The substitute once the seat is handed to one with an e-mail address, else the invitee (if any)."""
    if seat.rsvp == "substitute" and seat.substitute_email:
        return Attendee(
            "substitute",
            seat.substitute_email.strip().lower(),
            seat.substitute_name,
            seat.substitute_position,
        )
    if seat.email:
        return Attendee("invitee", seat.email.strip().lower(), seat.name, seat.position)
    return None


# --- the meeting's calendar identity ----------------------------------------------------------------------


def meeting_calendar(meeting: Meeting) -> MeetingCalendar | None:
    return db.session.get(MeetingCalendar, meeting.id)


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


def _locale_of(locale: str | None) -> str:
    return "en" if (locale or "").startswith("en") else "th"


def _seat_label(seat: Seat | None, locale: str) -> str | None:
    from meetcore.seats.services import seat_label

    if seat is None or seat.role is None:
        return None
    return seat_label(seat.province, seat.role, _locale_of(locale))


def _join_url(invitation: Invitation, seat: Seat | None) -> str | None:
    """A fresh personal join link for the seat, carried by the invitation, issued in the caller's
    transaction."""
    from meetcore.seats.services import issue_seat_link

    if seat is None:
        return None
    try:
        token = issue_seat_link(seat, commit=False, invitation_id=invitation.id)
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
    from meetcore.seats.services import agenda_outline

    return agenda_outline(meeting)


def _locales_for(emails: list[str]) -> dict[str, str]:
    """The language of the accounts that have these addresses, where one is set (the invitee's language)."""
    if not emails:
        return {}
    rows = db.session.execute(
        sa.select(sa.func.lower(User.email), User.locale).where(
            sa.func.lower(User.email).in_(emails), User.locale.is_not(None)
        )
    ).all()
    return {email: locale for email, locale in rows}


def _seats_query():
    return sa.select(Seat).options(joinedload(Seat.province), joinedload(Seat.role))


def _active_invitations(meeting: Meeting) -> list[tuple[Invitation, Seat | None]]:
    rows = db.session.execute(
        sa.select(Invitation, Seat)
        .outerjoin(Seat, Seat.id == Invitation.seat_id)
        .options(joinedload(Seat.province), joinedload(Seat.role))
        .where(Invitation.meeting_id == meeting.id, Invitation.status == "active")
        .order_by(Invitation.id)
    ).all()
    return [(invitation, seat) for invitation, seat in rows]


# --- sending invitations ----------------------------------------------------------------------------------


@dataclass
class InvitationPlan:
    """What "send invitations" would do now."""

    meeting: Meeting
    to_invite: list[Seat]
    invited: int  # seats that already have an active invitation
    without_email: list[Seat]
    total: int

    @property
    def count(self) -> int:
        return len(self.to_invite)


def plan_invitations(meeting: Meeting, *, by) -> InvitationPlan:
    require_staff(by)
    return _plan(meeting)


def _plan(meeting: Meeting) -> InvitationPlan:
    seats = (
        db.session.scalars(_seats_query().where(Seat.meeting_id == meeting.id).order_by(Seat.id))
        .unique()
        .all()
    )
    invited = set(
        db.session.scalars(
            sa.select(Invitation.seat_id).where(
                Invitation.meeting_id == meeting.id,
                Invitation.status == "active",
                Invitation.seat_id.is_not(None),
            )
        )
    )
    to_invite, without_email = [], []
    for seat in seats:
        if seat.id in invited:
            continue
        (to_invite if current_attendee(seat) else without_email).append(seat)
    return InvitationPlan(
        meeting=meeting,
        to_invite=to_invite,
        invited=len(invited),
        without_email=without_email,
        total=len(seats),
    )


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
    db.session.commit()
    return SendResult(
        sent=len(pairs),
        without_email=len(plan.without_email),
        already_invited=plan.invited,
        sequence=calendar.sequence,
    )


def _default_locale() -> str:
    from flask import current_app

    return current_app.config["BABEL_DEFAULT_LOCALE"]


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
    context: MeetingContext, invitation: Invitation, sequence: int, seat: Seat | None, **extra
) -> bool:
    """Cancel one invitation, and the join links it carried; a CANCEL goes out only if its calendar got the
    meeting. True if one did."""
    from meetcore.seats.services import revoke_invitation_links

    invitation.status = "cancelled"
    invitation.cancelled_at = utcnow()
    db.session.flush()
    if seat is not None:
        revoke_invitation_links(seat, invitation.id)
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
    if by is not None:
        require_editor(by)
    active = [i for i in _seat_invitations(seat) if i.status == "active"]
    if not active:
        return 0
    meeting = db.session.get(Meeting, seat.meeting_id)
    calendar = _ensure_calendar(meeting)
    sequence = _raise_sequence(calendar)
    context = meeting_context(meeting, calendar, [])
    queued = sum(_withdraw(context, invitation, sequence, seat) for invitation in active)
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
    if by is not None:
        require_editor(by)
    return _sync_seat(seat, by=by)


def _sync_seat(seat: Seat, *, by=None, actor_seat: Seat | None = None) -> int:
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
        queued += _withdraw(context, invitation, sequence, seat, substitute_name=name)
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
        seat=actor_seat,
    )
    return queued


# --- RSVP through the personal reply page (no sign-in: the token is the authority) -----------------------


class RsvpLinkUnknown(DomainError):
    code = "rsvp_link_unknown"
    status = 404
    default_message = _l(
        "This reply link is not valid. Open the whole address from your invitation e-mail, or ask the "
        "secretariat."
    )


@dataclass
class Rsvp:
    invitation: Invitation
    seat: Seat | None
    meeting: Meeting
    answers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def handed_over(self) -> bool:
        """The invitee sent a substitute, who now holds the invitation."""
        return (
            self.invitation.attendee == "invitee"
            and self.invitation.status == "cancelled"
            and self.seat is not None
            and self.seat.rsvp == "substitute"
        )


def _allowed_answers(invitation: Invitation, seat: Seat | None, meeting: Meeting) -> tuple[str, ...]:
    if seat is None or meeting.status not in SENDABLE_STATUSES:
        return ()
    if invitation.status == "active":
        return (
            ("accept", "decline", "substitute") if invitation.attendee == "invitee" else ("accept", "decline")
        )
    attendee = current_attendee(seat)
    if invitation.attendee == "invitee" and attendee is not None and attendee.kind == "substitute":
        return ("accept",)  # take the seat back from the substitute
    return ()


def rsvp_for_token(token: str | None) -> Rsvp:
    row_id = token_row_id(token)
    invitation = db.session.get(Invitation, row_id) if row_id is not None else None
    if invitation is None or not token_matches(token, RSVP_PURPOSE, invitation.id, invitation.secret):
        raise RsvpLinkUnknown()
    return rsvp_for_invitation(invitation)


def rsvp_for_invitation(invitation: Invitation) -> Rsvp:
    seat = (
        db.session.scalars(_seats_query().where(Seat.id == invitation.seat_id)).first()
        if invitation.seat_id is not None
        else None
    )
    meeting = db.session.scalars(
        sa.select(Meeting).options(joinedload(Meeting.series)).where(Meeting.id == invitation.meeting_id)
    ).one()
    return Rsvp(invitation, seat, meeting, _allowed_answers(invitation, seat, meeting))


def answer_rsvp(token: str | None, data: dict, *, locale: str | None = None) -> Rsvp:
    """Accept, decline (with a reason) or send a substitute, from the invitee's reply page."""
    rsvp = rsvp_for_token(token)
    values = load_input(RsvpInput(), data)
    if values["answer"] not in rsvp.answers:
        if not rsvp.answers:
            raise Conflict(_l("Replies to this invitation are closed."))
        raise Conflict(_l("This reply is not possible for this invitation."))
    if values["answer"] == "substitute":
        email = (values.get("substitute_email") or "").lower() or None
        if email is not None and email == rsvp.invitation.email:
            raise InvalidInput(
                _l("The substitute's e-mail address must not be your own."), field="substitute_email"
            )
        values["substitute_email"] = email
    if locale:
        rsvp.invitation.locale = _locale_of(locale)
    _apply_answer(rsvp, values["answer"], via="web", **{k: values.get(k) for k in (
        "reason", "substitute_name", "substitute_position", "substitute_email")})  # fmt: skip
    db.session.commit()
    return rsvp_for_token(token)


def _apply_answer(
    rsvp: Rsvp,
    answer: str,
    *,
    via: str,
    reason: str | None = None,
    substitute_name: str | None = None,
    substitute_position: str | None = None,
    substitute_email: str | None = None,
    answered_at: datetime | None = None,
) -> None:
    """One reply, from the web page or a calendar client, applied to the invitation and its seat.
    ``answered_at``: when it was given (a calendar reply's DTSTAMP); default now."""
    invitation, seat, meeting = rsvp.invitation, rsvp.seat, rsvp.meeting
    invitation.replied_at = utcnow()
    invitation.answered_at = answered_at or invitation.replied_at
    payload = {"seat_id": seat.id, "invitation_id": invitation.id, "answer": answer, "via": via,
               "attendee": invitation.attendee}  # fmt: skip
    if reason:
        payload["reason"] = reason
    if invitation.attendee == "substitute":
        # The substitute answers for themselves; the seat stays handed over.
        invitation.partstat = "ACCEPTED" if answer == "accept" else "DECLINED"
        record_event(meeting, "invitations.rsvp", payload, seat=seat)
        return
    taken_back = seat.rsvp == "substitute"
    if answer == "substitute":
        seat.rsvp = "substitute"
        seat.substitute_name = substitute_name
        seat.substitute_position = substitute_position
        seat.substitute_email = substitute_email
        seat.absence_reason = None
        invitation.partstat = "DELEGATED"
        payload["substitute_name"] = substitute_name
    else:
        seat.rsvp = "accepted" if answer == "accept" else "declined"
        seat.absence_reason = reason if answer == "decline" else None
        invitation.partstat = "ACCEPTED" if answer == "accept" else "DECLINED"
        if taken_back:
            seat.substitute_name = seat.substitute_position = seat.substitute_email = None
    record_event(meeting, "invitations.rsvp", payload, seat=seat)
    if answer == "substitute" or taken_back:
        db.session.flush()
        _sync_seat(seat, actor_seat=seat)


# --- console: the invitations of one meeting ----------------------------------------------------------------


def approve_delegation(meeting: Meeting, reply_id: int, *, by) -> CalendarReply:
    """The secretariat accepts a calendar reply that hands a seat to an address outside the roster: the seat
    goes to the delegate through the console's own hand-over (seats.services.update_seat: CANCEL to the
    invitee, REQUEST with a join link to the delegate), in one transaction with the reply's new outcome."""
    from meetcore.seats.services import update_seat

    require_editor(by)
    reply = db.session.get(CalendarReply, reply_id)
    if reply is None or reply.meeting_id != meeting.id or reply.outcome not in (
        "delegation_request", "delegation_approved"
    ):  # fmt: skip
        raise NotFound(_l("There is no such request to hand a seat over."))
    if reply.outcome == "delegation_approved":
        raise Conflict(_l("This request has already been approved."))
    invitation = db.session.get(Invitation, reply.invitation_id) if reply.invitation_id else None
    seat = db.session.get(Seat, invitation.seat_id) if invitation and invitation.seat_id else None
    held = invitation is not None and invitation.status == "active" and invitation.attendee == "invitee"
    if not held or seat is None:
        raise Conflict(_l("The seat is no longer held by the invitee who asked; nothing was changed."))
    if meeting.status not in SENDABLE_STATUSES:
        raise Conflict(_l("Replies to this invitation are closed."))
    reply.outcome = "delegation_approved"
    reply.resolved_at = utcnow()
    reply.resolved_by_id = by.id
    update_seat(
        seat,
        {"rsvp": "substitute", "substitute_name": reply.delegate_name or reply.delegated_to,
         "substitute_email": reply.delegated_to},
        by=by,
    )  # fmt: skip  (commits, the reply with it)
    return reply



@dataclass
class InvitationOverview:
    plan: InvitationPlan
    calendar: MeetingCalendar | None
    partstats: dict[str, int]
    rsvps: dict[str, int]
    replies: list[CalendarReply]


def invitation_overview(meeting: Meeting, *, by) -> InvitationOverview:
    require_staff(by)
    partstats = dict(
        db.session.execute(
            sa.select(Invitation.partstat, sa.func.count())
            .where(Invitation.meeting_id == meeting.id, Invitation.status == "active")
            .group_by(Invitation.partstat)
        ).all()
    )
    rsvps = dict(
        db.session.execute(
            sa.select(Seat.rsvp, sa.func.count()).where(Seat.meeting_id == meeting.id).group_by(Seat.rsvp)
        ).all()
    )
    replies = db.session.scalars(
        sa.select(CalendarReply)
        .where(CalendarReply.meeting_id == meeting.id)
        .order_by(CalendarReply.id.desc())
        .limit(50)
    ).all()
    return InvitationOverview(
        plan=_plan(meeting),
        calendar=meeting_calendar(meeting),
        partstats=partstats,
        rsvps=rsvps,
        replies=list(replies),
    )


# --- reminders ----------------------------------------------------------------------------------------------


def enqueue_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due (MEETCORE_REMINDERS before each scheduled meeting's start), once
    each: the outbox's unique dedupe key makes a second run, or a parallel worker, add nothing. When several
    are due at once (the worker was down), only the nearest one goes. Returns how many were queued."""
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
        due = [offset for offset in offsets if meeting.start_at - offset <= now]
        if not due:
            continue
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
            continue
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
        )
        try:
            db.session.commit()
        except IntegrityError:  # another worker queued the same reminders meanwhile
            db.session.rollback()
            log.info("reminders of meeting %s were queued by another worker", meeting.id)
            continue
        queued += len(todo)
    return queued


# --- calendar feeds ---------------------------------------------------------------------------------------


class FeedUnknown(DomainError):
    code = "feed_unknown"
    status = 404
    default_message = _l("This calendar address is not valid, or it has been withdrawn.")


def feed_url(feed: CalendarFeed) -> str:
    return public_url("invitations.feed", token=make_token(FEED_PURPOSE, feed.id, feed.secret))


def _feed_for(kind: str, *, email: str | None = None, agency_id: int | None = None) -> CalendarFeed:
    query = sa.select(CalendarFeed).where(CalendarFeed.kind == kind, CalendarFeed.revoked_at.is_(None))
    query = (
        query.where(CalendarFeed.email == email)
        if kind == "person"
        else query.where(CalendarFeed.agency_id == agency_id)
    )
    feed = db.session.scalars(query.order_by(CalendarFeed.id)).first()
    if feed is None:
        feed = CalendarFeed(kind=kind, email=email, agency_id=agency_id, secret=new_secret())
        db.session.add(feed)
        db.session.flush()
    return feed


def personal_feed_url(token: str | None) -> str:
    """The subscription address of every meeting the holder of this reply link is invited to."""
    rsvp = rsvp_for_token(token)
    feed = _feed_for("person", email=rsvp.invitation.email)
    db.session.commit()
    return feed_url(feed)


def issue_feed(data: dict, *, by) -> str:
    """The subscription address of a person (by e-mail) or of an agency (its seats in every meeting)."""
    from meetcore.directory.models import Agency

    require_editor(by)
    values = load_input(FeedInput(), data)
    if values.get("agency_id") is not None:
        if db.session.get(Agency, values["agency_id"]) is None:
            raise NotFound(_l("Agency %(id)s does not exist.", id=values["agency_id"]))
        feed = _feed_for("agency", agency_id=values["agency_id"])
    else:
        feed = _feed_for("person", email=values["email"].lower())
    db.session.commit()
    return feed_url(feed)


def revoke_feed(token: str, *, by) -> None:
    """Withdraw a subscription address (a new one can be issued afterwards)."""
    require_editor(by)
    feed = _resolve_feed(token)
    feed.revoked_at = utcnow()
    db.session.commit()


def _resolve_feed(token: str | None) -> CalendarFeed:
    row_id = token_row_id(token)
    feed = db.session.get(CalendarFeed, row_id) if row_id is not None else None
    if (
        feed is None
        or feed.revoked_at is not None
        or not token_matches(token, FEED_PURPOSE, feed.id, feed.secret)
    ):
        raise FeedUnknown()
    return feed


def _feed_event(meeting: Meeting, uid: str, sequence: int, url: str | None, config) -> ical.EventData:
    from flask_babel import gettext as _

    lines = [meeting.series.name]
    if meeting.chair_name:
        lines.append(f"{_('Chair')}: {meeting.chair_name}")
    if meeting.video_conference:
        lines.append(_("and by video conference"))
    if url:
        lines.append(url)
    return ical.EventData(
        uid=uid,
        sequence=sequence,
        start=meeting.start_at,
        end=meeting.end_at,
        summary=_("%(title)s No. %(number)s", title=meeting.title, number=meeting.number_label),
        dtstamp=utcnow(),
        organizer=ical.Party(config["MEETCORE_MAIL_ORGANIZER"], meeting.series.organizer or None),
        timezone=config["BABEL_DEFAULT_TIMEZONE"],
        status="CANCELLED" if meeting.status == "cancelled" else "CONFIRMED",
        location=meeting.venue,
        description="\n".join(lines),
        url=url,
        last_modified=meeting.updated_at,
    )


def feed_calendar(token: str | None) -> bytes:
    """The iCalendar subscription document a feed token opens."""
    from flask import current_app

    feed = _resolve_feed(token)
    config = current_app.config
    since = utcnow() - FEED_PAST
    events: list[ical.EventData] = []
    if feed.kind == "person":
        rows = db.session.execute(
            sa.select(Invitation, Meeting, MeetingCalendar)
            .join(Meeting, Meeting.id == Invitation.meeting_id)
            .join(MeetingCalendar, MeetingCalendar.meeting_id == Meeting.id)
            .options(joinedload(Meeting.series))
            .where(
                Invitation.email == feed.email,
                Meeting.end_at >= since,
                sa.or_(Invitation.status == "active", Meeting.status == "cancelled"),
            )
            .order_by(Meeting.start_at, Invitation.id)
        ).all()
        seen: set[int] = set()
        for invitation, meeting, calendar in rows:
            if meeting.id in seen:
                continue
            seen.add(meeting.id)
            url = rsvp_url(invitation) if invitation.status == "active" else None
            events.append(_feed_event(meeting, calendar.uid, calendar.sequence, url, config))
        name = feed.email
    else:
        agency = feed.agency
        seat_match = Seat.role_id == agency.role_id
        seat_match &= (
            Seat.province_id == agency.province_id if agency.province_id else Seat.province_id.is_(None)
        )
        rows = db.session.execute(
            sa.select(Meeting, MeetingCalendar)
            .outerjoin(MeetingCalendar, MeetingCalendar.meeting_id == Meeting.id)
            .options(joinedload(Meeting.series))
            .where(
                Meeting.id.in_(sa.select(Seat.meeting_id).where(seat_match)),
                Meeting.status != "draft",
                Meeting.end_at >= since,
            )
            .order_by(Meeting.start_at)
        ).all()
        host = mail_host()
        for meeting, calendar in rows:
            uid = calendar.uid if calendar is not None else ical.meeting_uid(meeting.id, host)
            sequence = calendar.sequence if calendar is not None else 0
            events.append(_feed_event(meeting, uid, sequence, None, config))
        name = agency.name_th
    return ical.feed(events, name=f"MeetCore: {name}", timezone=config["BABEL_DEFAULT_TIMEZONE"])


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
