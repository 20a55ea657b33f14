"""Building the bytes of one e-mail: headers, text and HTML bodies, and an iMIP calendar part (RFC 6047).

With a calendar the structure is the one calendar clients read best (Google Calendar sends the same):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; charset=UTF-8; method=REQUEST     ← the iTIP message
      application/ics; name="invite.ics"                 ← the same bytes, as an attachment

The MIME ``method`` parameter always equals the METHOD inside the calendar.
"""

from __future__ import annotations

import base64
import functools
import secrets
from dataclasses import dataclass
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from flask import current_app

from meetcore.database import utcnow

ATTACHMENT_NAME = "invite.ics"
CRLF = "\r\n"


@dataclass
class Calendar:
    method: str  # REQUEST, CANCEL, ...
    data: bytes  # the iCalendar object, UTF-8


@dataclass
class Built:
    message_id: str  # without the angle brackets
    data: bytes  # the whole message, CRLF line ends, ready for SMTP DATA


def mail_host() -> str:
    """The host part used in Message-IDs and calendar UIDs: the host of MEETCORE_BASE_URL."""
    return urlsplit(current_app.config["MEETCORE_BASE_URL"]).hostname or "meetcore.invalid"


def sender_address() -> str:
    config = current_app.config
    return config.get("MEETCORE_MAIL_FROM") or config["MEETCORE_MAIL_ORGANIZER"]


def new_message_id() -> str:
    return f"{secrets.token_hex(12)}.meetcore@{mail_host()}"


def public_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, built from MEETCORE_BASE_URL (works without a request)."""
    return _url_adapter(current_app.url_map, current_app.config["MEETCORE_BASE_URL"]).build(
        endpoint, values, force_external=True
    )


@functools.lru_cache(maxsize=8)
def _url_adapter(url_map, base_url: str):
    base = urlsplit(base_url)
    return url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")


# An encoded word may be 75 characters: "=?utf-8?b?" + base64 of at most 45 bytes (60 characters) + "?=".
ENCODED_WORD_BYTES = 45


def _header(value: str) -> str:
    """A header value: as is when ASCII, else RFC 2047 encoded words ("B" encoding, whole characters in
    each word so every word decodes on its own), one per folded line."""
    value = " ".join(value.split())  # no line breaks can reach a header
    if value.isascii():
        return value
    data, words, start = value.encode("utf-8"), [], 0
    while start < len(data):
        end = min(start + ENCODED_WORD_BYTES, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never cut a character
            end -= 1
        words.append(data[start:end])
        start = end
    encoded = (base64.b64encode(word).decode("ascii") for word in words)
    return f"{CRLF} ".join(f"=?utf-8?b?{word}?=" for word in encoded)


def _mailbox(email: str, name: str | None) -> str:
    name = " ".join((name or "").split())
    if name.isascii():
        return formataddr((name, email))
    return f"{_header(name)} <{email}>"


def _base64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def _part(content_type: str, data: bytes, extra: tuple[str, ...] = ()) -> list[str]:
    return [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64", *extra, "", _base64(data)]


def build_message(
    *,
    to: str,
    to_name: str | None,
    subject: str,
    text: str,
    html: str | None = None,
    calendar: Calendar | None = None,
    from_name: str | None = None,
    reply_to: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Built:
    """One message to one recipient. The Message-ID is fixed here and travels with the bytes.

    Assembled by hand rather than with email.message: the structure is fixed, and this is ten times
    faster (an invitation round to 542 seats builds in well under a second). Every body part is
    base64: Thai text and iCalendar lines survive any relay unchanged.
    """
    message_id = message_id or new_message_id()
    token = secrets.token_hex(12)
    # Two unrelated boundaries: neither may be a prefix of the other (RFC 2046 5.1.1).
    boundary, inner = f"=_mix_{token}", f"=_alt_{token}"
    lines = [
        f"From: {_mailbox(sender_address(), from_name)}",
        f"To: {_mailbox(to, to_name)}",
    ]
    if reply_to:
        lines.append(f"Reply-To: {reply_to}")
    lines += [
        f"Subject: {_header(subject)}",
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        # Ask Exchange not to answer with out-of-office notes and read receipts.
        "X-Auto-Response-Suppress: OOF, DR, RN, NRN",
    ]
    lines += [f"{name}: {_header(value)}" for name, value in (headers or {}).items()]
    text_part = _part("text/plain; charset=utf-8", text.encode("utf-8"))
    if html is None and calendar is None:
        lines += text_part
        return Built(message_id=message_id, data=CRLF.join(lines).encode("ascii"))
    alternatives = [text_part]
    if html is not None:
        alternatives.append(_part("text/html; charset=utf-8", html.encode("utf-8")))
    if calendar is not None:
        alternatives.append(_part(f"text/calendar; charset=UTF-8; method={calendar.method}", calendar.data))
    alternative_lines = [f'Content-Type: multipart/alternative; boundary="{inner}"', ""]
    for part in alternatives:
        alternative_lines += [f"--{inner}", *part]
    alternative_lines += [f"--{inner}--", ""]
    if calendar is None:
        lines += alternative_lines
        return Built(message_id=message_id, data=CRLF.join(lines).encode("ascii"))
    attachment = _part(
        f'application/ics; name="{ATTACHMENT_NAME}"',
        calendar.data,
        (f'Content-Disposition: attachment; filename="{ATTACHMENT_NAME}"',),
    )
    lines += [f'Content-Type: multipart/mixed; boundary="{boundary}"', "", f"--{boundary}"]
    lines += alternative_lines
    lines += [f"--{boundary}", *attachment, f"--{boundary}--", ""]
    return Built(message_id=message_id, data=CRLF.join(lines).encode("ascii"))
