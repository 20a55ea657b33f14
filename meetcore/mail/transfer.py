"""One message's transfer over SMTP: the connection built from the MEETCORE_SMTP_* settings, the Date header
set at hand-over, and the outcome the server's answer (or its silence) means. Nothing here touches the
outbox table: meetcore.mail.claims records the outcome, meetcore.mail.sender runs the batch.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from flask import current_app

from meetcore.database import utcnow

IN_DOUBT_LOST_NOTE = "in doubt: the connection was lost during this message's transfer"


@dataclass
class _Outcome:
    row_id: int
    status: str  # sent, deferred, failed, released
    code: int | None = None
    error: str | None = None


class _NotesData:
    """smtplib's SMTP, noting when a message's DATA phase begins (sendmail() calls data()): a connection
    lost from then on may have left the whole message with the server, which queues it before answering."""

    data_begun = False

    def data(self, msg):
        self.data_begun = True
        return super().data(msg)


class _Smtp(_NotesData, smtplib.SMTP):
    pass


class _SmtpSsl(_NotesData, smtplib.SMTP_SSL):
    pass


class SmtpConnection:
    """One SMTP session built from the MEETCORE_SMTP_* settings."""

    def __init__(self, config) -> None:
        self.host = config["MEETCORE_SMTP_HOST"]
        self.port = int(config["MEETCORE_SMTP_PORT"])
        self.security = (config.get("MEETCORE_SMTP_SECURITY") or "none").lower()
        self.username = config.get("MEETCORE_SMTP_USERNAME")
        self.password = config.get("MEETCORE_SMTP_PASSWORD")
        self.timeout = float(config.get("MEETCORE_SMTP_TIMEOUT") or 30)

    def open(self) -> smtplib.SMTP:
        if self.security == "ssl":
            smtp: smtplib.SMTP = _SmtpSsl(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = _Smtp(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if self.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp


def _classify(code: int | None) -> str:
    if code is not None and 500 <= code < 600:
        return "failed"
    return "deferred"


def _text(message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message)[:1000]


def holds_doubt(config) -> bool:
    """MEETCORE_MAIL_IN_DOUBT: hold (at most once) a message whose transfer may or may not have completed,
    or resend it (at least once, the default)."""
    return (config.get("MEETCORE_MAIL_IN_DOUBT") or "resend").lower() == "hold"


_DATE_HEADER = re.compile(rb"(?im)^Date:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*")


def dated(body: bytes, now: datetime) -> bytes:
    """The message with its Date header set to ``now`` (the moment it is handed to SMTP)."""
    end = body.find(b"\r\n\r\n")
    head, rest = (body[:end], body[end:]) if end >= 0 else (body, b"")
    date = b"Date: " + format_datetime(now).encode("ascii")
    new_head, count = _DATE_HEADER.subn(lambda _match: date, head, count=1)
    return (new_head if count else date + b"\r\n" + head) + rest


def _lost(smtp: smtplib.SMTP, row, reason: str) -> _Outcome:
    """The connection failed without an answer. Before DATA the message certainly did not go: tried again
    like a 4xx. During DATA it may have: in doubt, as when a sender dies, so with ``hold`` it is failed
    (at most once) and with ``resend`` tried again (at least once; the same Message-ID)."""
    if getattr(smtp, "data_begun", False) and holds_doubt(current_app.config):
        return _Outcome(row.id, "failed", None, f"{IN_DOUBT_LOST_NOTE} ({reason})"[:1000])
    return _Outcome(row.id, "deferred", None, reason[:1000])


def _send_one(smtp: smtplib.SMTP, row, now: datetime | None = None) -> tuple[_Outcome, bool]:
    """(outcome, whether the connection is still usable)."""
    smtp.data_begun = False
    try:
        smtp.sendmail(row.sender, [row.recipient], dated(row.body, now or utcnow()))
    except smtplib.SMTPRecipientsRefused as error:
        code, text = error.recipients.get(row.recipient, (None, b"recipient refused"))
        return _Outcome(row.id, _classify(code), code, _text(text)), True
    except smtplib.SMTPServerDisconnected as error:
        return _lost(smtp, row, f"connection lost: {error}"), False
    except smtplib.SMTPResponseException as error:  # MAIL FROM or DATA refused, or 421 closing
        usable = error.smtp_code != 421
        return _Outcome(row.id, _classify(error.smtp_code), error.smtp_code, _text(error.smtp_error)), usable
    except (OSError, smtplib.SMTPException) as error:  # timeouts, resets
        return _lost(smtp, row, f"{type(error).__name__}: {error}"), False
    return _Outcome(row.id, "sent", 250), True


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
