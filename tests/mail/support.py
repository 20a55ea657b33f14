"""Helpers for the sender's tests: messages in the outbox, a real `meetcore mail send` process on the test
database, and an SMTP server that holds one message's answer back (the moment a sender is stopped or killed
in the middle of a transfer)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa


def queue_notices(count: int, *, prefix: str = "person") -> list[int]:
    """``count`` plain e-mails (no calendar) to person0@example.org, person1@…, committed."""
    from meetcore.extensions import db
    from meetcore.mail.message import build_message, sender_address
    from meetcore.mail.services import enqueue

    ids = []
    for index in range(count):
        to = f"{prefix}{index}@example.org"
        built = build_message(to=to, to_name=f"ผู้รับ {index}", subject=f"ทดสอบ {index}", text="สวัสดี")
        message = enqueue(
            built, kind="notice", recipient=to, recipient_name=None, subject="ทดสอบ", sender=sender_address()
        )
        db.session.flush()
        ids.append(message.id)
    db.session.commit()
    return ids


def outbox_by_recipient() -> dict:
    """Recipient → its outbox row, read afresh (another process may have changed them)."""
    from meetcore.extensions import db
    from meetcore.mail.models import OutboxMessage

    db.session.expire_all()
    rows = {m.recipient: m for m in db.session.scalars(sa.select(OutboxMessage))}
    db.session.commit()  # end the read: SQLite's WAL snapshot would otherwise hide the sender's later writes
    return rows


def start_sender(app, *args: str, claim_timeout: int | None = None) -> subprocess.Popen:
    """`meetcore mail send ARGS` in its own process, on the test database, to the test SMTP server. What the
    test queued is committed first: the test was its entry point, and the sender reads another session."""
    from flask import has_app_context

    from meetcore.transaction import commit

    if has_app_context():  # the test's session (a new app context would be another session)
        commit()
    config = app.config
    env = dict(os.environ)
    env.update(
        MEETCORE_DATABASE_URL=str(config["SQLALCHEMY_DATABASE_URI"]),
        MEETCORE_SECRET_KEY=str(config["SECRET_KEY"]),
        MEETCORE_BASE_URL=str(config["MEETCORE_BASE_URL"]),
        MEETCORE_SMTP_HOST=str(config["MEETCORE_SMTP_HOST"]),
        MEETCORE_SMTP_PORT=str(config["MEETCORE_SMTP_PORT"]),
        MEETCORE_REMINDERS="",
    )
    if claim_timeout is not None:
        env["MEETCORE_MAIL_CLAIM_TIMEOUT"] = str(claim_timeout)
    return subprocess.Popen(
        [sys.executable, "-m", "meetcore", "mail", "send", *args], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


class HeldAnswer:
    """The SMTP server takes the ``nth`` message's DATA and keeps its answer back until release(): its
    sender sits in the middle of that transfer. Other connections are served meanwhile."""

    def __init__(self, smtp, nth: int) -> None:
        self.smtp = smtp
        self.nth = nth
        self.seen = 0
        self.held = threading.Event()
        self._release = threading.Event()

    def __enter__(self) -> HeldAnswer:
        self.smtp.data_answer = self._answer
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _answer(self, envelope):
        self.seen += 1
        if self.seen != self.nth:
            return None
        self.held.set()
        return self._wait()

    async def _wait(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._release.wait, 60)

    def release(self) -> None:
        self._release.set()
        self.smtp.data_answer = None


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds (a bound on waiting, not a
    measurement)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s in vain for {what}")
        time.sleep(0.05)
