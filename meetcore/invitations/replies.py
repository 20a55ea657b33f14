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

A reply speaks only for its sender (docs/mail.md, "Whom a reply speaks for"): exactly one answering
ATTENDEE, and that attendee is the message's From (or Sender); with MEETCORE_MAIL_TRUST_AUTH_RESULTS the
receiving server's Authentication-Results must also vouch for that address's domain. A SEQUENCE never sent to
that attendee is refused, a reply older (DTSTAMP) than the answer recorded does not overwrite it, the same
message twice is applied once, and a delegation to an address outside the roster waits for the secretariat.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar

from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.invitations.models import CalendarReply, Invitation, MeetingCalendar
from meetcore.invitations.reply_reasons import Reason, joined
from meetcore.mail.models import OutboxMessage
from meetcore.meetings.models import Meeting
from meetcore.operations.metrics import reply_read
from meetcore.plaintext import without_control_characters

log = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics")
MAX_CALENDAR_BYTES = 1024 * 1024
ANSWER_OF_PARTSTAT = {"ACCEPTED": "accept", "DECLINED": "decline", "DELEGATED": "substitute"}
# Where calendar clients put the note the invitee typed: the COMMENT property (Outlook, Outlook on the web,
# Thunderbird, Exchange), an ATTENDEE parameter (Google Calendar), Apple's calendar server properties.
COMMENT_PROPERTIES = ("COMMENT", "X-CALENDARSERVER-PRIVATE-COMMENT", "X-CALENDARSERVER-ATTENDEE-COMMENT")
COMMENT_PARAMETERS = ("X-RESPONSE-COMMENT",)
# Outcomes after which the same message again is a duplicate.
TAKEN = ("applied", "delegation_request", "delegation_approved")


class MalformedReply(ValueError):
    """The message carries no calendar we can read."""

    def __init__(self, reason: Reason):
        super().__init__(reason.english())
        self.reason = reason


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
    dtstamp: datetime | None = None
    answering: int = 1  # answering ATTENDEE lines in this VEVENT


@dataclass
class ParsedMessage:
    message_id: str | None
    sender: str | None  # the From address
    items: list[ReplyItem]
    sender_header: str | None = None  # the Sender address, when the message has one
    digest: str | None = None
    authentication: list[str] = field(default_factory=list)  # Authentication-Results, top first


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
        raise MalformedReply(Reason("no_vcalendar"))
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as error:  # icalendar raises ValueError and friends on broken content lines
        raise MalformedReply(Reason("unreadable_calendar", {"error": str(error)[:300]})) from None
    items: list[ReplyItem] = []
    for calendar in calendars:
        method = str(calendar.get("METHOD") or mime_method or "").strip().upper()
        events = [c for c in calendar.walk() if c.name == "VEVENT"]
        if not events:
            raise MalformedReply(Reason("no_vevent"))
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
            comments = []
            for name in COMMENT_PROPERTIES:
                found = event.get(name)
                comments += found if isinstance(found, list) else [found] if found is not None else []
            comment = _joined(comments)
            uid = str(event.get("UID")).strip() if event.get("UID") is not None else None
            dtstamp = _utc(event.get("DTSTAMP"))
            by_address = {_address(a): a for a in attendees}
            answering = [
                a for a in attendees
                # the delegate's own line (no answer of its own) is read with the delegator's
                if not ((_param(a, "PARTSTAT") or "NEEDS-ACTION").upper() == "NEEDS-ACTION"
                        and _param(a, "DELEGATED-FROM"))
            ]  # fmt: skip
            for attendee in answering:
                partstat = (_param(attendee, "PARTSTAT") or "").upper() or None
                delegated_to = _address_from_param(_param(attendee, "DELEGATED-TO"))
                delegate = by_address.get(delegated_to) if delegated_to else None
                own = _joined([_param(attendee, name) for name in COMMENT_PARAMETERS])
                items.append(
                    ReplyItem(
                        method=method,
                        uid=uid,
                        attendee=_address(attendee),
                        attendee_name=_param(attendee, "CN"),
                        partstat=partstat,
                        sequence=sequence,
                        comment=_joined([own, comment]),
                        delegated_to=delegated_to,
                        delegate_name=_param(delegate, "CN") if delegate is not None else None,
                        dtstamp=dtstamp,
                        answering=len(answering),
                    )
                )
            if not answering:
                items.append(ReplyItem(method, uid, None, None, None, sequence, comment, dtstamp=dtstamp,
                                       answering=0))  # fmt: skip
    return items


def _joined(values) -> str | None:
    """Notes typed in a calendar client, read as sent: control characters are left out, not refused; the
    same note in two places (Outlook's COMMENT and its Apple copy) counts once."""
    seen: list[str] = []
    for value in values:
        if value is None:
            continue
        text = without_control_characters(str(value)).strip()
        if text.startswith('"') and text.endswith('"') and len(text) > 1:
            text = text[1:-1].strip()
        text = text.replace("\\n", " ").replace("\\,", ",").replace("\\;", ";")
        if text and text not in seen:
            seen.append(text)
    return " ".join(seen) or None


def _utc(value) -> datetime | None:
    moment = getattr(value, "dt", None)
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return None


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
    sender = _header_address(message, "From")
    message_id = (str(message.get("Message-ID") or "").strip().strip("<>") or None) if message else None
    parts = calendar_parts(message)
    if not parts:
        raise MalformedReply(Reason("no_calendar_part"))
    items: list[ReplyItem] = []
    seen: set[tuple] = set()
    errors = []
    for data, mime_method in parts:
        try:
            parsed = parse_calendar(data, mime_method)
        except MalformedReply as error:
            errors.append(error.reason)
            continue
        for item in parsed:
            key = (item.uid, item.attendee, item.partstat, item.sequence, item.comment)
            if key not in seen:
                seen.add(key)
                items.append(item)
    if not items:
        raise MalformedReply(joined(errors) or Reason("no_answer"))
    digest = hashlib.sha256(b"\0".join(data for data, _method in parts)).hexdigest()
    return ParsedMessage(
        message_id=message_id[:250] if message_id else None,
        sender=sender,
        items=items,
        sender_header=_header_address(message, "Sender"),
        digest=digest,
        authentication=[str(v) for v in message.get_all("Authentication-Results") or []],
    )


def _header_address(message, name: str) -> str | None:
    """The one address of a From or Sender header; None when it has none, or several (RFC 5322 allows
    several authors in From: a reply from such a message cannot say whose it is)."""
    values = message.get_all(name) or []
    addresses = [a for _n, a in email.utils.getaddresses([str(v) for v in values]) if a]
    if len(addresses) != 1:
        return None
    return addresses[0].strip().lower()[:254] or None


# --- whom a reply speaks for ----------------------------------------------------------------------------


def max_reply_bytes() -> int:
    return int(current_app.config["MEETCORE_MAIL_REPLY_MAX_KB"]) * 1024


def trusted_servers() -> list[str]:
    value = current_app.config.get("MEETCORE_MAIL_TRUST_AUTH_RESULTS") or ""
    return [name.strip().lower() for name in str(value).split(",") if name.strip()]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _aligned(domain: str, authenticated: str) -> bool:
    """The authenticated domain is the address's domain or a parent of it (relaxed alignment)."""
    authenticated = authenticated.lower().strip().strip(".")
    return bool(authenticated) and (domain == authenticated or domain.endswith("." + authenticated))


def authentication_vouches(results: list[str], address: str, servers: list[str]) -> Reason | None:
    """None when the first Authentication-Results header (RFC 8601) added by one of ``servers`` vouches for
    the address's domain (dmarc=pass, or dkim=pass / spf=pass for that domain); otherwise why not.

    Only the topmost header of a trusted server counts: headers are prepended on the way, so ones further
    down were written before our server saw the message (anyone can write them)."""
    domain = _domain(address)
    for header in results:
        text = " ".join(header.split())
        authserv = text.split(";", 1)[0].strip().split()[0].lower() if text.strip() else ""
        if authserv not in servers:
            continue
        checks = [part.strip() for part in text.split(";")[1:]]
        for check in checks:
            method = re.match(r"(?i)(dmarc|dkim|spf)\s*=\s*(\w+)", check)
            if method is None or method.group(2).lower() != "pass":
                continue
            kind = method.group(1).lower()
            if kind == "dmarc":
                found = re.search(r"(?i)header\.from\s*=\s*([^\s;]+)", check)
                if found is None or _aligned(domain, found.group(1)):
                    return None
            elif kind == "dkim":
                found = re.search(r"(?i)header\.(?:d|i)\s*=\s*@?([^\s;]+)", check)
                if found is not None and _aligned(domain, _domain("x@" + found.group(1))):
                    return None
            else:
                found = re.search(r"(?i)smtp\.(?:mailfrom|from)\s*=\s*([^\s;]+)", check)
                if found is not None and _aligned(domain, _domain(found.group(1).strip("<>"))):
                    return None
        return Reason("not_authenticated", {"server": authserv, "domain": domain})
    return Reason("no_trusted_results", {"servers": ", ".join(servers)})


def _refusal(parsed: ParsedMessage) -> Reason | None:
    """Why this message may not speak for the attendee it names, or None."""
    attendees = {item.attendee for item in parsed.items if item.attendee}
    if any(item.answering > 1 for item in parsed.items) or len(attendees) > 1:
        return Reason("many_attendees", {"count": len(attendees), "names": ", ".join(sorted(attendees))})
    if not attendees:
        return None  # nothing to speak for: told as malformed below
    attendee = attendees.pop()
    if parsed.sender is None and parsed.sender_header is None:
        return Reason("no_sender")
    if attendee not in (parsed.sender, parsed.sender_header):
        sender = parsed.sender or parsed.sender_header
        return Reason("not_the_sender", {"attendee": attendee, "sender": sender})
    servers = trusted_servers()
    if servers:
        return authentication_vouches(parsed.authentication, attendee, servers)
    return None


# --- applying them ---------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    replies: list[CalendarReply]

    @property
    def applied(self) -> int:
        return sum(1 for reply in self.replies if reply.outcome == "applied")


def _log(outcome: str, reason: Reason, **fields) -> CalendarReply:
    detail = reason.english()
    reply = CalendarReply(
        outcome=outcome, detail=detail[:2000], received_at=utcnow(), **reason.stored(), **fields
    )
    db.session.add(reply)
    reply_read(outcome)
    level = logging.INFO if outcome == "applied" else logging.WARNING
    log.log(
        level,
        "calendar reply %s: %s (uid=%s attendee=%s partstat=%s message-id=%s)",
        outcome, detail, fields.get("uid"), fields.get("attendee"), fields.get("partstat"),
        fields.get("message_id"),
    )  # fmt: skip
    return reply


def _headers_only(raw: bytes) -> dict:
    """Message-ID and From of a message we do not read further."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    message = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)
    return {
        "message_id": (str(message.get("Message-ID") or "").strip().strip("<>")[:250] or None),
        "sender": _header_address(message, "From"),
    }


def ingest_reply(raw: bytes) -> IngestResult:
    """Apply every answer of one e-mail to the seats it names, and log each one. Flushes: its caller (the
    reply listener's step, `meetcore mail ingest`) commits."""
    limit = max_reply_bytes()
    if len(raw) > limit:
        size = {"size": len(raw) // 1024, "limit": limit // 1024}
        reply = _log("refused", Reason("too_large", size), **_headers_only(raw))
        db.session.flush()
        return IngestResult([reply])
    try:
        parsed = parse_message(raw)
    except MalformedReply as error:
        reply = _log("malformed", error.reason, **_headers_only(raw))
        db.session.flush()
        return IngestResult([reply])
    refusal = _refusal(parsed)
    replies = []
    for item in parsed.items:
        if refusal is not None:
            replies.append(_refuse(item, parsed, refusal))
        else:
            replies.append(_apply_item(item, parsed))
        db.session.flush()
    db.session.flush()
    return IngestResult(replies)


def _fields(item: ReplyItem, parsed: ParsedMessage) -> dict:
    return {
        "message_id": parsed.message_id,
        "sender": (parsed.sender or parsed.sender_header or "")[:254] or None,
        "uid": (item.uid or "")[:255] or None,
        "attendee": (item.attendee or "")[:254] or None,
        "partstat": (item.partstat or "")[:20] or None,
        "sequence": item.sequence,
        "digest": parsed.digest,
        "dtstamp": item.dtstamp,
        "comment": (item.comment or "")[:2000] or None,
        "delegated_to": (item.delegated_to or "")[:254] or None,
        "delegate_name": (item.delegate_name or "")[:200] or None,
    }


def _meeting_of_uid(uid: str | None) -> int | None:
    if not uid:
        return None
    return db.session.scalar(sa.select(MeetingCalendar.meeting_id).where(MeetingCalendar.uid == uid))


def _refuse(item: ReplyItem, parsed: ParsedMessage, reason: Reason) -> CalendarReply:
    """Nothing changes; the reply is listed on its meeting's page (when its UID is one of ours) as refused."""
    return _log("refused", reason, meeting_id=_meeting_of_uid(item.uid), **_fields(item, parsed))


def _issued_sequences(meeting_id: int, address: str) -> set[int | None]:
    """The SEQUENCEs of the calendar messages that went to this address (sent, or in transfer)."""
    from meetcore.mail.services import CALENDAR_KINDS

    return set(
        db.session.scalars(
            sa.select(OutboxMessage.sequence).where(
                OutboxMessage.meeting_id == meeting_id,
                OutboxMessage.recipient == address,
                OutboxMessage.kind.in_(CALENDAR_KINDS),
                OutboxMessage.status.in_(("sent", "sending")),
            )
        )
    )


def _duplicate(item: ReplyItem, parsed: ParsedMessage) -> CalendarReply | None:
    same = []
    if parsed.message_id:
        same.append(CalendarReply.message_id == parsed.message_id)
    if parsed.digest:
        same.append(CalendarReply.digest == parsed.digest)
    if not same:
        return None
    return db.session.scalars(
        sa.select(CalendarReply)
        .where(
            sa.or_(*same),
            CalendarReply.uid == item.uid,
            CalendarReply.attendee == item.attendee,
            CalendarReply.outcome.in_(TAKEN),
        )
        .limit(1)
    ).first()


def _on_roster(meeting_id: int, address: str) -> bool:
    from meetcore.seats.models import Seat

    return (
        db.session.scalar(
            sa.select(Seat.id)
            .where(
                Seat.meeting_id == meeting_id,
                sa.or_(sa.func.lower(Seat.email) == address, sa.func.lower(Seat.substitute_email) == address),
            )
            .limit(1)
        )
        is not None
    )


def _apply_item(item: ReplyItem, parsed: ParsedMessage) -> CalendarReply:
    from meetcore.invitations.answers import _apply_answer
    from meetcore.invitations.util import SENDABLE_STATUSES, rsvp_for_invitation

    fields = _fields(item, parsed)
    if item.method != "REPLY":
        return _log("unsupported", Reason("not_a_reply", {"method": item.method or "(none)"}), **fields)
    if not item.uid:
        return _log("malformed", Reason("no_uid"), **fields)
    calendar = db.session.scalar(sa.select(MeetingCalendar).where(MeetingCalendar.uid == item.uid))
    if calendar is None:
        return _log("unknown_uid", Reason("unknown_uid"), **fields)
    fields["meeting_id"] = calendar.meeting_id
    meeting = db.session.get(Meeting, calendar.meeting_id)
    if meeting.status not in SENDABLE_STATUSES:
        return _log("stale", Reason("replies_closed", {"status": meeting.status}), **fields)
    if not item.attendee:
        return _log("malformed", Reason("no_attendee"), **fields)
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.meeting_id == calendar.meeting_id, Invitation.email == item.attendee)
        .order_by(Invitation.id)
    ).all()
    active = [i for i in invitations if i.status == "active"]
    if not active:
        return _log("not_invited", Reason("invitation_withdrawn" if invitations else "not_invited"), **fields)
    fields["invitation_id"] = active[0].id
    duplicate = _duplicate(item, parsed)
    if duplicate is not None:
        return _log("duplicate", Reason("duplicate", {"reply_id": duplicate.id}), **fields)
    sequence = item.sequence if item.sequence is not None else 0  # RFC 5545 3.8.7.4: absent means 0
    issued = _issued_sequences(calendar.meeting_id, item.attendee)
    if sequence not in issued and not (None in issued and sequence <= max(i.sequence for i in active)):
        # (rows written before SEQUENCEs were kept in the outbox: any SEQUENCE up to the last one sent)
        never_sent = Reason("sequence_never_sent", {"sequence": sequence, "attendee": item.attendee})
        return _log("refused", never_sent, **fields)
    last_sent = max(i.sequence for i in active)
    if sequence < last_sent:
        older = Reason("older_sequence", {"sequence": sequence, "last_sent": last_sent})
        return _log("stale", older, **fields)
    received = utcnow()
    stamp = min(item.dtstamp, received) if item.dtstamp is not None else received
    recorded = max((i.answered_at for i in active if i.answered_at is not None), default=None)
    if recorded is not None and stamp < recorded:
        times = {"written_at": stamp.isoformat(), "recorded_at": recorded.isoformat()}
        return _log("stale", Reason("older_than_recorded", times), **fields)
    answer = ANSWER_OF_PARTSTAT.get(item.partstat or "")
    if item.partstat == "TENTATIVE":
        for invitation in active:
            invitation.partstat = "TENTATIVE"
            invitation.replied_at = received
            invitation.answered_at = stamp
            invitation.comment = item.comment
        return _log("applied", Reason("tentative_noted"), **fields)
    if answer is None:
        return _log("unsupported", Reason("not_an_answer", {"partstat": item.partstat or "(none)"}), **fields)
    if answer == "substitute" and not item.delegated_to:
        return _log("unsupported", Reason("delegate_unnamed"), **fields)
    if answer == "substitute" and item.delegated_to == item.attendee:
        return _log("unsupported", Reason("delegate_self"), **fields)
    if answer == "substitute" and not _on_roster(calendar.meeting_id, item.delegated_to):
        request = Reason("delegation_request", {"delegate": item.delegated_to})
        return _log("delegation_request", request, **fields)
    detail = []
    applied = None
    for invitation in active:
        rsvp = rsvp_for_invitation(invitation)
        if answer not in rsvp.answers:
            detail.append(Reason("answer_not_possible", {"invitation_id": invitation.id, "answer": answer}))
            continue
        invitation.comment = item.comment
        _apply_answer(
            rsvp,
            answer,
            via="calendar",
            reason=item.comment if answer == "decline" else None,
            substitute_name=(item.delegate_name or item.delegated_to) if answer == "substitute" else None,
            substitute_email=item.delegated_to if answer == "substitute" else None,
            answered_at=stamp,
        )
        applied = invitation.id
        detail.append(Reason("answered", {"invitation_id": invitation.id, "answer": answer}))
    if applied is None:
        return _log("stale", joined(detail) or Reason("replies_closed", {"status": meeting.status}), **fields)
    fields["invitation_id"] = applied
    return _log("applied", joined(detail), **fields)
