"""Why a calendar reply had the outcome it had, as a code with its values: the reply log shows it in the
reader's language, the server log and the CLI in English (the ``detail`` column keeps that English line for
replies logged before the codes, and for grep)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from meetcore.i18n.dates import be_datetime
from meetcore.meetings.labels import status_label
from meetcore.seats.labels import rsvp_label

MESSAGES = {
    "too_large": _l("The message (%(size)s KiB) is larger than MEETCORE_MAIL_REPLY_MAX_KB (%(limit)s KiB)."),
    "no_calendar_part": _l("The message has no calendar part."),
    "no_vcalendar": _l("The calendar part holds no VCALENDAR."),
    "unreadable_calendar": _l("The calendar cannot be read: %(error)s"),
    "no_vevent": _l("The calendar holds no VEVENT."),
    "no_answer": _l("The calendar holds no answer."),
    "many_attendees": _l("A reply answers for exactly one attendee; this one names %(count)s: %(names)s."),
    "no_sender": _l("The message has no single From address."),
    "not_the_sender": _l("The reply answers for %(attendee)s but was sent by %(sender)s."),
    "not_authenticated": _l(
        "%(server)s did not authenticate %(domain)s (no dmarc, dkim or spf pass for it)."
    ),
    "no_trusted_results": _l("No Authentication-Results header of a trusted server (%(servers)s)."),
    "not_a_reply": _l("METHOD %(method)s is not a reply."),
    "no_uid": _l("The event has no UID."),
    "unknown_uid": _l("No meeting has this UID."),
    "replies_closed": _l("Replies are closed: the meeting is “%(status)s”."),
    "no_attendee": _l("The reply names no attendee address."),
    "invitation_withdrawn": _l("The invitation to this address was withdrawn."),
    "not_invited": _l("This address was not invited."),
    "duplicate": _l("The same message was read before (reply %(reply_id)s)."),
    "sequence_never_sent": _l("SEQUENCE %(sequence)s was never sent to %(attendee)s."),
    "older_sequence": _l("It answers SEQUENCE %(sequence)s; the invitee has since been sent %(last_sent)s."),
    "older_than_recorded": _l("Written %(written_at)s, before the answer recorded (%(recorded_at)s)."),
    "tentative_noted": _l("Tentative: noted on the invitation, the seat's reply is unchanged."),
    "not_an_answer": _l("PARTSTAT %(partstat)s is not an answer."),
    "delegate_unnamed": _l("Delegated without naming the delegate."),
    "delegate_self": _l("Delegated to the same address."),
    "delegation_request": _l(
        "Hands the seat to %(delegate)s, who is not on the roster: the secretariat decides."
    ),
    "answered": _l("Invitation %(invitation_id)s: %(answer)s."),
    "answer_not_possible": _l("Invitation %(invitation_id)s: “%(answer)s” is not possible now."),
}
# The rsvp state an answer leads to, whose label names the answer.
ANSWER_RSVP = {"accept": "accepted", "decline": "declined", "substitute": "substitute"}


@dataclass(frozen=True)
class Reason:
    """One reason, or several for one reply (an address invited to two seats gets one line per seat)."""

    code: str
    args: dict = field(default_factory=dict)
    more: tuple[Reason, ...] = ()

    def stored(self) -> dict:
        """The reply row's reason columns."""
        parts = [self, *self.more]
        return {"reason": self.code, "reason_args": [{"code": p.code, **p.args} for p in parts]}

    def english(self) -> str:
        with force_locale("en"):
            return " ".join(_text(p.code, p.args) for p in (self, *self.more))


def joined(reasons: list[Reason]) -> Reason | None:
    return Reason(reasons[0].code, reasons[0].args, tuple(reasons[1:])) if reasons else None


def _shown(key: str, value):
    """A value as the reader reads it: times in the Buddhist Era and Bangkok time, statuses translated."""
    if key.endswith("_at") and isinstance(value, str):
        return be_datetime(datetime.fromisoformat(value))
    if key == "status":
        return status_label(value)
    if key == "answer":
        return rsvp_label(ANSWER_RSVP.get(value, value))
    return value


def _text(code: str, args: dict) -> str:
    message = MESSAGES.get(code)
    if message is None:
        return code
    return str(message) % {key: _shown(key, value) for key, value in args.items()}


def reason_text(reply) -> str | None:
    """The reply's reason in the current language; replies logged before the codes keep their line."""
    if reply.reason_args:
        return " ".join(_text(part["code"], part) for part in reply.reason_args)
    return reply.detail
