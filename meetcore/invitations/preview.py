"""What the next invitation will look like, before anything is sent (issue 15, 4e): the message of the
first seat waiting for its invitation, composed by the same code that sends it (messages.compose), from
unsaved rows, so that looking issues no link, creates no calendar and queues nothing. Its links are
shown as placeholders: each recipient's own are made when the round is sent."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass

from flask_babel import gettext as _

from meetcore.auth.permissions import require_editor
from meetcore.invitations import calendar as ical
from meetcore.invitations.messages import compose, in_language, meeting_context, rsvp_url
from meetcore.invitations.models import Invitation, MeetingCalendar
from meetcore.invitations.queueing import _agenda, _seat_label
from meetcore.invitations.sending import _initial_partstat
from meetcore.invitations.util import _default_locale, _locales_for, _plan, current_attendee, meeting_calendar
from meetcore.mail.message import mail_host
from meetcore.meetings.models import Meeting

# The calendar properties shown in the preview's summary of the attached .ics, in this order.
ICS_SHOWN = ("METHOD", "SUMMARY", "DTSTART", "DTEND", "LOCATION", "ORGANIZER", "ATTENDEE", "SEQUENCE")


@dataclass
class InvitationPreview:
    recipient: str
    recipient_name: str | None
    seat_label: str | None
    locale: str
    subject: str
    text: str
    ics: str
    ics_summary: list[tuple[str, str]]


def _unfolded(ics: str) -> list[str]:
    """RFC 5545 content lines with their folding undone."""
    return ics.replace("\r\n ", "").replace("\n ", "").splitlines()


def ics_summary(ics: str) -> list[tuple[str, str]]:
    """(property, value) of the properties worth checking before a round goes out, first of each kind of
    the event (the alarm's own lines are left out)."""
    found: dict[str, str] = {}
    in_alarm = False
    for line in _unfolded(ics):
        in_alarm = (in_alarm or line == "BEGIN:VALARM") and line != "END:VALARM"
        name, _sep, value = line.partition(":")
        key = name.split(";", 1)[0].upper()
        if not in_alarm and key in ICS_SHOWN and key not in found:
            found[key] = value
    return [(key, found[key]) for key in ICS_SHOWN if key in found]


def _parts(data: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    calendar = next((part for part in message.walk() if part.get_content_type() == "text/calendar"), None)
    return (text.get_content() if text else ""), (calendar.get_content() if calendar else "")


def preview_invitation(meeting: Meeting, *, by) -> InvitationPreview | None:
    """The invitation of the first seat waiting for one, as its recipient would read it; None when no
    seat waits."""
    require_editor(by)
    plan = _plan(meeting)
    if not plan.to_invite:
        return None
    seat = plan.to_invite[0]
    attendee = current_attendee(seat)
    locale = _locales_for([attendee.email]).get(attendee.email, _default_locale())
    calendar = meeting_calendar(meeting) or MeetingCalendar(
        meeting_id=meeting.id, uid=ical.meeting_uid(meeting.id, mail_host()), sequence=0
    )
    # Never added to the session: only its fields are read (id 0 makes a token no page accepts).
    invitation = Invitation(
        id=0, meeting_id=meeting.id, seat_id=seat.id, attendee=attendee.kind, email=attendee.email,
        name=attendee.name, position=attendee.position, locale=locale, status="active", secret="preview",
        partstat=_initial_partstat(seat, attendee), sequence=calendar.sequence,
    )  # fmt: skip
    with in_language(locale):
        join_link, reply_link = _("[the recipient's own join link]"), _("[the recipient's own reply link]")
        context = meeting_context(meeting, calendar, _agenda(meeting))
        label = _seat_label(seat, locale)
        subject, built = compose(context, invitation, kind="invitation", sequence=calendar.sequence,
                                 seat_label=label, join_url=join_link)  # fmt: skip
        token_url = rsvp_url(invitation)
    text, ics = _parts(built.data)
    text, ics = text.replace(token_url, reply_link), ics.replace(token_url, reply_link)
    return InvitationPreview(recipient=attendee.email, recipient_name=attendee.name, seat_label=label,
                             locale=locale, subject=subject, text=text, ics=ics,
                             ics_summary=ics_summary(ics))  # fmt: skip
