"""Invitations, the answers: a reply from the personal RSVP page (no sign-in: the token is the authority) or
from a calendar client (invitations.replies), applied to the invitation and its seat, and the secretariat's
approval of a calendar reply that hands a seat to someone outside the roster.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from meetcore.actors import SeatActor
from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput, NotFound
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.invitations.models import CalendarReply, Invitation
from meetcore.invitations.schemas import RsvpInput
from meetcore.invitations.sending import _sync_seat
from meetcore.invitations.util import SENDABLE_STATUSES, Rsvp, _locale_of, rsvp_for_token
from meetcore.meetings.models import Meeting
from meetcore.schemas import load_input
from meetcore.seats.models import Seat

# --- RSVP through the personal reply page and calendar replies ----------------------------------------------


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
    db.session.flush()
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
    seat_acting = SeatActor(seat_id=seat.id, meeting_id=meeting.id)  # whoever holds the invitation answers
    invitation.replied_at = utcnow()
    invitation.answered_at = answered_at or invitation.replied_at
    payload = {"seat_id": seat.id, "invitation_id": invitation.id, "answer": answer, "via": via,
               "attendee": invitation.attendee}  # fmt: skip
    if reason:
        payload["reason"] = reason
    if invitation.attendee == "substitute":
        # The substitute answers for themselves; the seat stays handed over.
        invitation.partstat = "ACCEPTED" if answer == "accept" else "DECLINED"
        record_event(meeting, "invitations.rsvp", payload, by=seat_acting, seat=seat)
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
    record_event(meeting, "invitations.rsvp", payload, by=seat_acting, seat=seat)
    if answer == "substitute" or taken_back:
        db.session.flush()
        _sync_seat(seat, by=seat_acting)


# --- console: a request to hand a seat over ----------------------------------------------------------------


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
