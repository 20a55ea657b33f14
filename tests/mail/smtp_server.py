"""A real SMTP server for tests (aiosmtpd on a free loopback port) that records what it receives and can be
told to answer 4xx/5xx to chosen recipients or to everyone for a while."""

from __future__ import annotations

import email
import email.policy
import inspect
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def recipient(self) -> str:
        return self.rcpt_tos[0]


class Recorder:
    """aiosmtpd handler. ``rcpt_answer(address)`` / ``data_answer(envelope)`` may return an SMTP reply
    (e.g. "451 4.3.0 try later") to refuse; None accepts. ``data_answer`` may also return
    an awaitable: the message is then taken at once and its 250 held back until the awaitable is done, while
    the server goes on serving other connections."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.connections = 0
        self.rcpt_commands = 0
        self.rcpt_answer: Callable[[str], str | None] | None = None
        self.data_answer: Callable[[object], str | None] | None = None
        # True for a message: it is taken, then the connection is dropped before the answer (as when the
        # network fails just after the message's last byte).
        self.drop_after_data: Callable[[object], bool] | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_commands += 1
        answer = self.rcpt_answer(address) if self.rcpt_answer else None
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = self.data_answer(envelope) if self.data_answer else None
        if inspect.isawaitable(answer):
            # Taken but answered late: kept at once, as a real server queues a message when its DATA ends,
            # so it counts as received even when the client is gone before the answer.
            self._keep(envelope)
            await answer
            return "250 2.0.0 Message accepted"
        if answer:
            return answer
        self._keep(envelope)
        if self.drop_after_data and self.drop_after_data(envelope):
            server.transport.abort()  # at once, the answer unsent
        return "250 2.0.0 Message accepted"

    def _keep(self, envelope) -> None:
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content
                )
            )

    # --- reading what arrived -------------------------------------------------------------------------

    def by_recipient(self) -> dict[str, list[Received]]:
        found: dict[str, list[Received]] = {}
        for item in self.received:
            for rcpt in item.rcpt_tos:
                found.setdefault(rcpt.lower(), []).append(item)
        return found

    def counts(self) -> Counter:
        return Counter(rcpt.lower() for item in self.received for rcpt in item.rcpt_tos)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.connections = 0
            self.rcpt_commands = 0


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
