"""Composing one invitee's e-mail: subject, plain text and HTML from translated templates in the invitee's
language, and the iCalendar part. No database writes here; services put the result in the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from meetcore.database import utcnow
from meetcore.i18n.dates import be_date, be_date_long, local_time
from meetcore.invitations import calendar as ical
from meetcore.invitations.models import Invitation, MeetingCalendar
from meetcore.invitations.tokens import make_token
from meetcore.mail.message import Built, Calendar, build_message, public_url, sender_address
from meetcore.meetings.models import Meeting

# Kinds of invitation mail, and the iTIP method each carries (None: no calendar part).
METHOD_OF_KIND = {
    "invitation": "REQUEST",
    "update": "REQUEST",
    "cancellation": "CANCEL",
    "withdrawal": "CANCEL",
    "reminder": None,
}
RSVP_PURPOSE = "rsvp"


def parse_offsets(spec: str | None) -> list[timedelta]:
    """ "1d,30m" → [1 day, 30 minutes] (largest first); units d, h, m. Raises ValueError when malformed."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    offsets = []
    for piece in (spec or "").replace(" ", "").split(","):
        if not piece:
            continue
        number, unit = piece[:-1], piece[-1:].lower()
        if unit not in units or not number.isdigit() or int(number) <= 0:
            raise ValueError(f"not a reminder offset: {piece!r} (use e.g. 1d, 2h, 30m)")
        offsets.append(timedelta(**{units[unit]: int(number)}))
    return sorted(set(offsets), reverse=True)


def reminder_offsets() -> list[timedelta]:
    return parse_offsets(current_app.config.get("MEETCORE_REMINDERS"))


def rsvp_token(invitation: Invitation) -> str:
    return make_token(RSVP_PURPOSE, invitation.id, invitation.secret)


def rsvp_url(invitation: Invitation, answer: str | None = None) -> str:
    values = {"answer": answer} if answer else {}
    return public_url("invitations.rsvp", token=rsvp_token(invitation), **values)


@dataclass
class MeetingContext:
    """What every message of one sending round shares, computed once."""

    meeting: Meeting
    calendar: MeetingCalendar
    agenda: list[dict]
    organizer_email: str
    organizer_name: str
    timezone: str
    alarms: list[timedelta]
    dtstamp: datetime = field(default_factory=utcnow)
    cache: dict = field(default_factory=dict)  # fragments rendered once per language and kind


def meeting_context(
    meeting: Meeting, meeting_calendar: MeetingCalendar, agenda: list[dict]
) -> MeetingContext:
    config = current_app.config
    offsets = reminder_offsets()
    return MeetingContext(
        meeting=meeting,
        calendar=meeting_calendar,
        agenda=agenda,
        organizer_email=config["MEETCORE_MAIL_ORGANIZER"],
        organizer_name=meeting.series.organizer or "",
        timezone=config["BABEL_DEFAULT_TIMEZONE"],
        # The calendar's own alert: the last of the configured reminders (or 15 minutes).
        alarms=[offsets[-1] if offsets else timedelta(minutes=15)],
    )


@contextmanager
def in_language(locale: str | None) -> Iterator[None]:
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


def _render(name: str, **context) -> str:
    text = current_app.jinja_env.get_template(name).render(**context)
    if name.endswith(".txt"):  # plain text: no runs of blank lines left by template tags
        text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip() + "\n"
    return text


def _summary(meeting: Meeting) -> str:
    return _("%(title)s No. %(number)s", title=meeting.title, number=meeting.number_label)


def _subject(kind: str, meeting: Meeting) -> str:
    values = {"title": meeting.title, "number": meeting.number_label, "date": be_date(meeting.start_at)}
    if kind == "invitation":
        return _("Invitation: %(title)s No. %(number)s, %(date)s", **values)
    if kind == "update":
        return _("Updated: %(title)s No. %(number)s, %(date)s", **values)
    if kind == "cancellation":
        return _("Cancelled: %(title)s No. %(number)s, %(date)s", **values)
    if kind == "withdrawal":
        return _("Invitation withdrawn: %(title)s No. %(number)s, %(date)s", **values)
    return _(
        "Reminder: %(title)s No. %(number)s, %(date)s %(time)s", time=local_time(meeting.start_at), **values
    )


def _change_labels(fields: tuple[str, ...]) -> list[str]:
    labels = {"start_at": _("Time"), "end_at": _("Time"), "venue": _("Venue"), "title": _("Title")}
    shown: list[str] = []
    for name in fields:
        label = labels.get(name, name)
        if label not in shown:
            shown.append(label)
    return shown


def _organizer_name(context: MeetingContext) -> str:
    return context.organizer_name or _("Meeting secretariat")


def _fragments(context: MeetingContext, kind: str, changes: tuple[str, ...], reason, offset) -> dict:
    """What every recipient of this round reads the same in the current language, rendered once."""
    meeting = context.meeting
    key = ("fragments", str(get_locale()), kind, changes, reason, offset)
    if key not in context.cache:
        values = {
            "meeting": meeting,
            "agenda": context.agenda,
            "summary": _summary(meeting),
            "date_long": be_date_long(meeting.start_at),
            "start_time": local_time(meeting.start_at),
            "end_time": local_time(meeting.end_at),
            "organizer_name": _organizer_name(context),
            "organizer_email": context.organizer_email,
            "seat_label": None,
            "current_locale": str(get_locale()),
            # Documents are read through the recipient's own join link: its mail-merge slot.
            "join_slot": _slot("join"),
        }
        values.update(
            subject=_subject(kind, meeting),
            changes=_change_labels(changes),
            reason=reason,
            reminder_offset=offset,
            details_html=Markup(_render("mail/_details.html", **values)),
            details_text=_render("mail/_details.txt", **values).strip(),
            agenda_html=Markup(_render("invitations/email/_agenda.html", **values)) if context.agenda else "",
            agenda_text=_render("invitations/email/_agenda.txt", **values).rstrip() if context.agenda else "",
        )
        context.cache[key] = values
    return context.cache[key]


def _shared_calendar(context: MeetingContext, method: str, sequence: int, summary: str) -> ical.SharedMessage:
    key = ("ical", str(get_locale()), method, sequence)
    if key not in context.cache:
        meeting = context.meeting
        event = ical.EventData(
            uid=context.calendar.uid,
            sequence=sequence,
            start=meeting.start_at,
            end=meeting.end_at,
            summary=summary,
            dtstamp=context.dtstamp,
            organizer=ical.Party(context.organizer_email, _organizer_name(context)),
            timezone=context.timezone,
            alarms=context.alarms,
            alarm_text=summary,
            last_modified=meeting.updated_at,
        )
        context.cache[key] = ical.shared_message(method, event)
    return context.cache[key]


# Mail merge: each variant of a message (language, kind, attendee, which optional parts it has) is rendered
# once with these markers in place of the recipient's own values, which are then put in by str.replace
# (HTML-escaped in the HTML body). Private-use characters: they never occur in real text.
SLOT_OPEN, SLOT_CLOSE = "\ue000", "\ue001"
PERSONAL = ("name", "seat_label", "join", "rsvp", "accept", "decline", "substitute", "substitute_name")


def _slot(name: str) -> str:
    return f"{SLOT_OPEN}{name}{SLOT_CLOSE}"


def _variant(context: MeetingContext, fixed: dict, kind: str, personal: dict[str, str | None], flags: tuple):
    """(text, html, description) of one variant, rendered once per round."""
    key = ("variant", id(fixed), kind, flags)
    if key not in context.cache:
        attendee, partstat = flags[0], flags[1]
        present = {name for name, value in personal.items() if value}
        slots = {name: (_slot(name) if name in present else None) for name in PERSONAL}
        values = {
            **fixed,
            "kind": kind,
            "invitation": SimpleNamespace(name=slots["name"], email="", attendee=attendee, partstat=partstat),
            "seat_label": slots["seat_label"],
            "substitute_name": slots["substitute_name"],
            "links": {name: slots[name] for name in ("join", "rsvp", "accept", "decline", "substitute")},
        }
        method = METHOD_OF_KIND[kind]
        template = "request" if method == "REQUEST" else "cancel" if method == "CANCEL" else "reminder"
        text = _render(f"invitations/email/{template}.txt", **values)
        html = _render(f"invitations/email/{template}.html", **values)
        description = _render("invitations/email/description.txt", **values).strip() if method else None
        context.cache[key] = (text, html, description)
    return context.cache[key]


def _fill(body: str, personal: dict[str, str | None], *, html: bool) -> str:
    for name, value in personal.items():
        body = body.replace(_slot(name), (str(escape(value)) if html else value) if value else "")
    return body


def compose(
    context: MeetingContext,
    invitation: Invitation,
    *,
    kind: str,
    sequence: int,
    seat_label: str | None = None,
    join_url: str | None = None,
    changes: tuple[str, ...] = (),
    reason: str | None = None,
    substitute_name: str | None = None,
    reminder_offset: timedelta | None = None,
) -> tuple[str, Built]:
    """(subject, message) of one invitation mail, in the language of the current locale (in_language)."""
    meeting = context.meeting
    method = METHOD_OF_KIND[kind]
    fixed = _fragments(context, kind, tuple(changes), reason, reminder_offset)
    personal: dict[str, str | None] = dict.fromkeys(PERSONAL)
    personal.update(
        name=invitation.name or invitation.email,
        seat_label=seat_label,
        join=join_url,
        substitute_name=substitute_name,
    )
    if method != "CANCEL" and invitation.status == "active":
        reply = rsvp_url(invitation)
        personal.update(
            rsvp=reply,
            accept=f"{reply}?answer=accept",
            decline=f"{reply}?answer=decline",
            substitute=f"{reply}?answer=substitute",
        )
    for name, value in personal.items():
        if value:
            personal[name] = value.replace(SLOT_OPEN, "").replace(SLOT_CLOSE, "")
    flags = (invitation.attendee, invitation.partstat, *(bool(personal[name]) for name in PERSONAL))
    text, html, description = _variant(context, fixed, kind, personal, flags)
    calendar = None
    if method is not None:
        shared = _shared_calendar(context, method, sequence, fixed["summary"])
        event = ical.EventData(
            uid=context.calendar.uid,
            sequence=sequence,
            start=meeting.start_at,
            end=meeting.end_at,
            summary=fixed["summary"],
            dtstamp=context.dtstamp,
            organizer=ical.Party(context.organizer_email, fixed["organizer_name"]),
            location=meeting.venue or (join_url if meeting.video_conference else None),
            description=_fill(description, personal, html=False),
            url=join_url if method == "REQUEST" else None,
            attendees=[
                ical.Party(
                    invitation.email,
                    invitation.name,
                    partstat="NEEDS-ACTION" if method == "CANCEL" else invitation.partstat,
                )
            ],
        )
        calendar = Calendar(method, shared.personal(event))
    organizer = context.organizer_email
    built = build_message(
        to=invitation.email,
        to_name=invitation.name,
        subject=fixed["subject"],
        text=_fill(text, personal, html=False),
        html=_fill(html, personal, html=True),
        calendar=calendar,
        from_name=fixed["organizer_name"],
        reply_to=organizer if organizer != sender_address() else None,
    )
    return fixed["subject"], built
