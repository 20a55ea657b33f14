"""Reading iTIP REPLY messages (RFC 5546 3.2.3) that calendar clients send to the organizer's mailbox.

The mail reaches us through ``meetcore mail listen`` (LMTP or SMTP, meetcore.invitations.listener) or
``meetcore mail ingest`` (a file or a pipe). Calendar clients differ; this reader takes all of these:

- Outlook/Exchange: ``MAILTO:`` in capitals, ``X-MS-OLK-*`` / ``X-MICROSOFT-CDO-*`` properties, Windows
  time-zone names (``TZID:SE Asia Standard Time``), the reply only in a ``text/calendar`` alternative part,
  the note typed by the invitee in ``COMMENT``;
- Google Calendar: ``text/calendar; method=REPLY`` plus an ``application/ics`` attachment with the same
  bytes, ``X-NUM-GUESTS`` on the attendee;
- Apple Calendar: the attendee's address also in an ``EMAIL=`` parameter, ``X-APPLE-*`` properties,
  ``X-CALENDARSERVER-*`` parameters, the calendar as an ``.ics`` attachment (sometimes
  ``application/octet-stream``).

A reply that names an unknown UID, an attendee who was not invited, or that is not a readable calendar,
changes nothing: it is logged (warning) and kept in the invitation_replies table with the reason.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from icalendar import Calendar

from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.invitations.models import CalendarReply, Invitation, MeetingCalendar
from meetcore.meetings.models import Meeting
from meetcore.plaintext import without_control_characters

log = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics")
MAX_CALENDAR_BYTES = 1024 * 1024
ANSWER_OF_PARTSTAT = {"ACCEPTED": "accept", "DECLINED": "decline", "DELEGATED": "substitute"}


class MalformedReply(ValueError):
    """The message carries no calendar we can read."""


@dataclass
class ReplyItem:
    """One attendee's answer in one VEVENT of a REPLY."""

    method: str
    uid: str | None
    attendee: str | None  # lower-case address
    attendee_name: str | None
    partstat: str | None
    sequence: int | None
    comment: str | None
    delegated_to: str | None = None
    delegate_name: str | None = None


@dataclass
class ParsedMessage:
    message_id: str | None
    sender: str | None
    items: list[ReplyItem]


def _address(value) -> str | None:
    """ "mailto:a@b", "MAILTO:A@B", "urn:uuid:..." with EMAIL= parameter → "a@b"."""
    if value is None:
        return None
    params = getattr(value, "params", {}) or {}
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    elif params.get("EMAIL"):
        text = str(params["EMAIL"])
    text = text.strip().strip("<>").strip()
    return text.lower() if "@" in text else None


def _param(value, name: str) -> str | None:
    params = getattr(value, "params", {}) or {}
    found = params.get(name)
    return str(found) if found else None


def calendar_parts(message: email.message.Message) -> list[tuple[bytes, str | None]]:
    """(calendar bytes, MIME method) of every calendar part or .ics attachment, in message order."""
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if content_type not in CALENDAR_TYPES and not filename.endswith(".ics"):
            continue
        payload = part.get_payload(decode=True)
        if not payload:
            continue
        parts.append((payload[:MAX_CALENDAR_BYTES], part.get_param("method")))
    return parts


def _text(data: bytes) -> str:
    for encoding in ("utf-8", "cp874", "latin-1"):  # cp874: Thai Windows, still met in old Outlook setups
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def parse_calendar(data: bytes, mime_method: str | None = None) -> list[ReplyItem]:
    """The attendee answers in one calendar object. Raises MalformedReply when it is not one."""
    text = re.sub(r"\r+\n", "\r\n", _text(data).lstrip("\ufeff"))  # mailers that doubled the CR
    if "BEGIN:VCALENDAR" not in text.upper():
        raise MalformedReply("no VCALENDAR in the calendar part")
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as error:  # icalendar raises ValueError and friends on broken content lines
        raise MalformedReply(f"unreadable calendar: {error}") from None
    items: list[ReplyItem] = []
    for calendar in calendars:
        method = str(calendar.get("METHOD") or mime_method or "").strip().upper()
        events = [c for c in calendar.walk() if c.name == "VEVENT"]
        if not events:
            raise MalformedReply("no VEVENT in the calendar")
        for event in events:
            attendees = event.get("ATTENDEE")
            if attendees is None:
                attendees = []
            elif not isinstance(attendees, list):
                attendees = [attendees]
            sequence = event.get("SEQUENCE")
            try:
                sequence = int(str(sequence)) if sequence is not None else None
            except ValueError:
                sequence = None
            comments = event.get("COMMENT")
            if comments is not None and not isinstance(comments, list):
                comments = [comments]
            # Typed in a calendar client, read as sent: control characters are left out, not refused.
            comment = " ".join(
                without_control_characters(str(c)).strip() for c in comments or [] if str(c).strip()
            ) or None
            uid = str(event.get("UID")).strip() if event.get("UID") is not None else None
            by_address = {_address(a): a for a in attendees}
            for attendee in attendees:
                partstat = (_param(attendee, "PARTSTAT") or "").upper() or None
                delegated_to = _address_from_param(_param(attendee, "DELEGATED-TO"))
                if partstat is None and _param(attendee, "DELEGATED-FROM"):
                    continue  # the delegate's own line, read with the delegator's below
                delegate = by_address.get(delegated_to) if delegated_to else None
                items.append(
                    ReplyItem(
                        method=method,
                        uid=uid,
                        attendee=_address(attendee),
                        attendee_name=_param(attendee, "CN"),
                        partstat=partstat,
                        sequence=sequence,
                        comment=comment,
                        delegated_to=delegated_to,
                        delegate_name=_param(delegate, "CN") if delegate is not None else None,
                    )
                )
            if not attendees:
                items.append(ReplyItem(method, uid, None, None, None, sequence, comment))
    return items


def _address_from_param(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip('"')
    if value.lower().startswith("mailto:"):
        value = value[7:]
    return value.lower() if "@" in value else None


def parse_message(raw: bytes) -> ParsedMessage:
    """Every answer in one e-mail; the same answer in two parts (inline + attachment) counts once."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    sender = email.utils.parseaddr(str(message.get("From") or ""))[1].lower() or None
    message_id = (str(message.get("Message-ID") or "").strip().strip("<>") or None) if message else None
    parts = calendar_parts(message)
    if not parts:
        raise MalformedReply("the message has no calendar part")
    items: list[ReplyItem] = []
    seen: set[tuple] = set()
    errors = []
    for data, mime_method in parts:
        try:
            parsed = parse_calendar(data, mime_method)
        except MalformedReply as error:
            errors.append(str(error))
            continue
        for item in parsed:
            key = (item.uid, item.attendee, item.partstat, item.sequence, item.comment)
            if key not in seen:
                seen.add(key)
                items.append(item)
    if not items:
        raise MalformedReply("; ".join(errors) or "no answer in the calendar")
    return ParsedMessage(message_id=message_id[:250] if message_id else None, sender=sender, items=items)


# --- applying them ---------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    replies: list[CalendarReply]

    @property
    def applied(self) -> int:
        return sum(1 for reply in self.replies if reply.outcome == "applied")


def _log(outcome: str, detail: str, **fields) -> CalendarReply:
    reply = CalendarReply(outcome=outcome, detail=detail[:2000], received_at=utcnow(), **fields)
    db.session.add(reply)
    level = logging.INFO if outcome == "applied" else logging.WARNING
    log.log(
        level,
        "calendar reply %s: %s (uid=%s attendee=%s partstat=%s message-id=%s)",
        outcome, detail, fields.get("uid"), fields.get("attendee"), fields.get("partstat"),
        fields.get("message_id"),
    )  # fmt: skip
    return reply


def ingest_reply(raw: bytes) -> IngestResult:
    """Apply every answer of one e-mail to the seats it names, and log each one. Commits."""
    try:
        parsed = parse_message(raw)
    except MalformedReply as error:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        reply = _log(
            "malformed",
            str(error),
            message_id=(str(message.get("Message-ID") or "").strip().strip("<>")[:250] or None),
            sender=email.utils.parseaddr(str(message.get("From") or ""))[1].lower()[:254] or None,
        )
        db.session.commit()
        return IngestResult([reply])
    replies = []
    for item in parsed.items:
        replies.append(_apply_item(item, parsed))
        db.session.flush()
    db.session.commit()
    return IngestResult(replies)


def _apply_item(item: ReplyItem, parsed: ParsedMessage) -> CalendarReply:
    from meetcore.invitations.services import SENDABLE_STATUSES, _apply_answer, rsvp_for_invitation

    fields = {
        "message_id": parsed.message_id,
        "sender": (parsed.sender or "")[:254] or None,
        "uid": (item.uid or "")[:255] or None,
        "attendee": (item.attendee or "")[:254] or None,
        "partstat": (item.partstat or "")[:20] or None,
        "sequence": item.sequence,
    }
    if item.method != "REPLY":
        return _log("unsupported", f"METHOD {item.method or '(none)'} is not a reply", **fields)
    if not item.uid:
        return _log("malformed", "the event has no UID", **fields)
    calendar = db.session.scalar(sa.select(MeetingCalendar).where(MeetingCalendar.uid == item.uid))
    if calendar is None:
        return _log("unknown_uid", "no meeting has this UID", **fields)
    fields["meeting_id"] = calendar.meeting_id
    meeting = db.session.get(Meeting, calendar.meeting_id)
    if meeting.status not in SENDABLE_STATUSES:
        return _log("stale", f"the meeting is {meeting.status}; replies are closed", **fields)
    if not item.attendee:
        return _log("malformed", "the reply names no attendee address", **fields)
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.meeting_id == calendar.meeting_id, Invitation.email == item.attendee)
        .order_by(Invitation.id)
    ).all()
    active = [i for i in invitations if i.status == "active"]
    if not active:
        reason = (
            "the invitation to this address was withdrawn" if invitations else "this address was not invited"
        )
        return _log("not_invited", reason, **fields)
    answer = ANSWER_OF_PARTSTAT.get(item.partstat or "")
    if item.partstat == "TENTATIVE":
        for invitation in active:
            invitation.partstat = "TENTATIVE"
            invitation.replied_at = utcnow()
        fields["invitation_id"] = active[0].id
        return _log("applied", "tentative: noted on the invitation, the seat's reply is unchanged", **fields)
    if answer is None:
        return _log("unsupported", f"PARTSTAT {item.partstat or '(none)'} is not an answer", **fields)
    if answer == "substitute" and not item.delegated_to:
        return _log("unsupported", "delegated without naming the delegate", **fields)
    last_sent = max(i.sequence for i in active)
    if item.sequence is not None and item.sequence < last_sent:
        return _log(
            "stale",
            f"answers SEQUENCE {item.sequence}; the invitee has since been sent {last_sent}",
            **fields,
        )
    detail = []
    for invitation in active:
        rsvp = rsvp_for_invitation(invitation)
        if answer not in rsvp.answers:
            detail.append(f"invitation {invitation.id}: {answer} is not possible now")
            continue
        if answer == "substitute" and item.delegated_to == invitation.email:
            detail.append(f"invitation {invitation.id}: delegated to the same address")
            continue
        _apply_answer(
            rsvp,
            answer,
            via="calendar",
            reason=item.comment if answer == "decline" else None,
            substitute_name=(item.delegate_name or item.delegated_to) if answer == "substitute" else None,
            substitute_email=item.delegated_to if answer == "substitute" else None,
        )
        fields["invitation_id"] = invitation.id
        detail.append(f"invitation {invitation.id}: {answer}")
    if "invitation_id" not in fields:
        return _log("stale", "; ".join(detail) or f"meeting is {meeting.status}", **fields)
    if parsed.sender and parsed.sender != item.attendee:
        detail.append(f"sent from {parsed.sender}")
    return _log("applied", "; ".join(detail), **fields)
