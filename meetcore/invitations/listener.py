"""``meetcore mail listen``: an LMTP (or SMTP) listener that takes the organizer mailbox's mail and reads the
calendar replies in it.

The organizer's mail server hands over a copy of what arrives for MEETCORE_MAIL_ORGANIZER, e.g. Postfix
``recipient_bcc_maps`` or a ``transport_maps`` entry ``lmtp:inet:127.0.0.1:8024``; see docs/mail.md.
Every message is answered 250 once it has been read (a reply we cannot use is logged, not bounced: the
invitee's calendar client could do nothing with a bounce).
"""

from __future__ import annotations

import asyncio
import logging
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from flask import Flask

log = logging.getLogger(__name__)


class ReplyHandler:
    """aiosmtpd handler: each message goes to meetcore.invitations.replies.ingest_reply in its own
    application context, in a worker thread so that the listener keeps answering."""

    def __init__(self, app: Flask, *, lmtp: bool) -> None:
        self.app = app
        self.lmtp = lmtp

    def _ingest(self, raw: bytes) -> None:
        from meetcore.extensions import db
        from meetcore.invitations.replies import ingest_reply
        from meetcore.transaction import unit_of_work

        with self.app.app_context():
            try:
                with unit_of_work():  # each message is a step of the listener
                    ingest_reply(raw)
            except Exception:  # (rolled back by the step)
                log.exception("could not read an incoming reply; it was accepted and dropped")
                raise
            finally:
                db.session.remove()

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._ingest, raw)
            status = "250 2.0.0 OK: reply read"
        except Exception:
            status = "451 4.3.0 could not store the message, try again later"
        if self.lmtp:  # LMTP answers DATA once per recipient
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status


class ReplyListener(Controller):
    """A threaded aiosmtpd server speaking LMTP (default) or SMTP."""

    def __init__(self, app: Flask, host: str, port: int, *, protocol: str = "lmtp") -> None:
        self.protocol = protocol.lower()
        if self.protocol not in ("lmtp", "smtp"):
            raise ValueError("protocol must be lmtp or smtp")
        super().__init__(
            ReplyHandler(app, lmtp=self.protocol == "lmtp"),
            hostname=host,
            port=port,
            # MEETCORE_MAIL_REPLY_MAX_KB: a larger message is refused with 552 before it is read.
            data_size_limit=int(app.config["MEETCORE_MAIL_REPLY_MAX_KB"]) * 1024,
            decode_data=False,
        )

    def factory(self):
        server_class = LMTP if self.protocol == "lmtp" else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # aiosmtpd's readiness check speaks SMTP; a plain connect-and-read-the-greeting serves both protocols.
        with socket.create_connection((self.hostname, self.port), timeout=self.ready_timeout) as conn:
            conn.recv(1024)


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected host:port, got {value!r}")
    return host.strip("[]"), int(port)
