"""Delivering the outbox over SMTP: one connection per batch, back-off on 4xx, failure on 5xx, and at most
the one message in transfer sent twice when a sender dies in the middle of a batch.

The life of a row (docs/mail.md tells the why):

1. **claim** — one UPDATE marks up to MEETCORE_MAIL_BATCH_SIZE due rows ``claimed`` with this run's random
   token (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so parallel senders take disjoint batches). Committed.
   The claim is a **lease**: ``claimed_at`` is when it was last renewed, and a thread of the live sender
   renews it every third of MEETCORE_MAIL_CLAIM_TIMEOUT, however long one SMTP transaction takes.
2. **in flight** — just before its SMTP transaction a row becomes ``sending`` (guarded by the token: a row
   another sender took over is skipped). Committed together with the outcome of the row before it, so a
   batch costs one commit per message. A calendar message that is no longer the newest for its meeting
   (UID) and recipient — a higher SEQUENCE was written for them since, e.g. while a dead sender held it —
   becomes ``superseded`` instead, in the same statement's transaction: never an older calendar state after
   a newer one. One whose older message to the same recipient is still in transfer (another sender's)
   waits for it. Its ``Date`` header is set now, when it is handed over, not when it was queued.
3. **outcome** — right after the server's answer to DATA: ``sent``; 4xx: back to ``pending`` with
   ``next_attempt_at`` doubled per attempt; 5xx (or too many 4xx): ``failed``.

A sender asked to stop (``stop`` set: SIGTERM or Ctrl-C to ``meetcore mail send``) finishes the message in
transfer and puts the rest of its batch back, due at once. A sender that dies leaves its rows ``claimed``
(never started: safe to retry) and at most one row ``sending`` (its transfer may or may not have completed);
its lease runs out MEETCORE_MAIL_CLAIM_TIMEOUT after its last renewal, and the next round puts claimed rows
back to pending and treats the one in doubt as MEETCORE_MAIL_IN_DOUBT says: ``resend`` (at least once; the
same Message-ID makes a duplicate recognisable) or ``hold`` (at most once; it is shown as failed for the
secretariat to decide).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime

import sqlalchemy as sa
from flask import Flask, current_app

from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.mail.models import CALENDAR_KINDS, OutboxMessage
from meetcore.mail.services import IN_FLIGHT, SUPERSEDED_NOTE

log = logging.getLogger(__name__)

IN_DOUBT_NOTE = "in doubt: the sender stopped during this message's transfer"
IN_DOUBT_LOST_NOTE = "in doubt: the connection was lost during this message's transfer"
MAX_RECONNECTS = 3
# A calendar message whose older one to the same recipient is in another sender's transfer is put back for
# this long: a live transfer ends within seconds, a dead sender's row is taken over when its lease runs out.
WAIT_FOR_OLDER = timedelta(seconds=5)
# The looping sender never starts rounds closer together than this, whatever falls due.
SHORTEST_PAUSE = 1.0


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0  # 4xx or connection trouble: tried again later
    failed: int = 0  # 5xx, or 4xx too many times
    batches: int = 0
    connections: int = 0
    reclaimed: int = 0  # rows of a dead sender put back
    superseded: int = 0  # calendar messages no longer the newest when their turn came: not sent
    waiting: int = 0  # calendar messages put back while an older one to the same recipient is in transfer
    put_back: int = 0  # claimed but not tried because the sender was asked to stop: due again at once
    skipped: str | None = None  # why nothing was tried (no SMTP host configured)
    seconds: float = 0.0
    failures: list[tuple[str, int | None, str]] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.deferred + self.failed


@dataclass
class _Outcome:
    row_id: int
    status: str  # sent, deferred, failed, released
    code: int | None = None
    error: str | None = None


class StopRequest:
    """A stop that a signal handler may set (``meetcore mail send``'s SIGTERM and Ctrl-C): a plain attribute.
    Not a threading.Event, whose set() takes a lock that the interrupted main thread may be holding in
    wait(): the handler would wait for itself forever. wait() sleeps in short slices instead."""

    SLICE = 0.1

    def __init__(self) -> None:
        self._requested = False

    def set(self) -> None:
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._requested and (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(remaining, self.SLICE))
        return self._requested


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


def _backoff(config, attempts: int) -> timedelta:
    base = int(config["MEETCORE_MAIL_RETRY_SECONDS"])
    ceiling = int(config["MEETCORE_MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


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


def lease_seconds(config) -> float:
    return float(config["MEETCORE_MAIL_CLAIM_TIMEOUT"])


def reclaim_stale(now: datetime) -> int:
    """Rows of a dead sender, whose lease was last renewed more than MEETCORE_MAIL_CLAIM_TIMEOUT ago: put
    back, or held. A live sender's rows never qualify, however long its transfer takes (it renews them)."""
    config = current_app.config
    cutoff = now - timedelta(seconds=lease_seconds(config))
    table = OutboxMessage
    released = db.session.execute(
        sa.update(table)
        .where(table.status == "claimed", table.claimed_at < cutoff)
        .values(status="pending", claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    doubtful = db.session.execute(
        sa.select(table.id, table.recipient, table.message_id, table.meeting_id, table.kind, table.sequence)
        .where(table.status == "sending", table.claimed_at < cutoff)
    ).all()
    hold = holds_doubt(config)
    for row in doubtful:
        log.warning(
            "outbox message %s to %s (Message-ID <%s>) was in transfer when its sender stopped; %s",
            row.id, row.recipient, row.message_id, "held as failed" if hold else "sending it again",
        )  # fmt: skip
    if doubtful:
        values = {"claim_token": None, "claimed_at": None, "last_error": IN_DOUBT_NOTE, "last_code": None}
        values.update({"status": "failed"} if hold else {"status": "pending", "next_attempt_at": now})
        db.session.execute(
            sa.update(table)
            .where(table.id.in_([row.id for row in doubtful]), table.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        _wake_waiting(doubtful, now)
    db.session.commit()
    if released:
        log.warning("put %s outbox messages claimed by a stopped sender back in the queue", released)
    return released + len(doubtful)


def _wake_waiting(doubtful: list, now: datetime) -> None:
    """Newer calendar messages put back to wait for these transfers (now known to have been a dead sender's)
    are due at once: the transfer they waited for is over, one way or the other."""
    table = OutboxMessage
    for row in doubtful:
        if row.kind not in CALENDAR_KINDS or row.meeting_id is None:
            continue
        db.session.execute(
            sa.update(table)
            .where(
                table.meeting_id == row.meeting_id,
                table.recipient == row.recipient,
                table.kind.in_(CALENDAR_KINDS),
                table.status == "pending",
                table.sequence > sa.func.coalesce(row.sequence, -1),
                table.next_attempt_at > now,
                table.next_attempt_at <= now + WAIT_FOR_OLDER,
            )
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )


@functools.lru_cache(maxsize=1)
def _renewal():
    """Renew a batch's lease: ``claimed_at`` of its rows still claimed or in transfer. Rows the sender itself
    is writing at that moment are skipped (PostgreSQL: SKIP LOCKED), not waited for: that write renews or
    ends them anyway, and waiting could deadlock with it."""
    table = OutboxMessage.__table__
    held = (
        sa.select(table.c.id)
        .where(table.c.claim_token == sa.bindparam("token"), table.c.status.in_(IN_FLIGHT))
        .with_for_update(skip_locked=True)
    )
    return sa.update(table).where(table.c.id.in_(held)).values(claimed_at=sa.bindparam("now"))


class Lease:
    """Keeps this sender's claim on a batch alive while it lives: a thread renews it every third of
    MEETCORE_MAIL_CLAIM_TIMEOUT, on a database connection of its own, so that a slow SMTP transaction is
    never taken for a dead sender (whose batch would then be sent twice). A killed sender's thread dies
    with it, so its lease runs out and another sender takes the batch over."""

    def __init__(self, engine: sa.Engine, token: str, seconds: float) -> None:
        self.engine = engine
        self.token = token
        self.period = max(seconds / 3, 0.05)
        self._ended = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_until_ended, daemon=True, name="meetcore-mail-lease"
        )

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._ended.set()
        self._thread.join(timeout=10)

    def _renew_until_ended(self) -> None:
        while not self._ended.wait(self.period):
            try:
                self.renew()
            except Exception:  # the lease lasts three periods: the next renewal may still make it
                log.exception("could not renew the lease of outbox batch %s", self.token)

    def renew(self) -> int:
        with self.engine.begin() as connection:
            return connection.execute(_renewal(), {"token": self.token, "now": utcnow()}).rowcount


def _put_back(token: str) -> int:
    """The batch's rows not yet tried go back to pending (in the caller's transaction), still due: a sender
    that was asked to stop leaves them for the next one at once."""
    return db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.claim_token == token, OutboxMessage.status == "claimed")
        .values(status="pending", claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def _claim(now: datetime, size: int) -> tuple[str, list]:
    token = secrets.token_hex(16)
    table = OutboxMessage
    due = (
        sa.select(table.id)
        .where(table.status == "pending", table.next_attempt_at <= now)
        .order_by(table.next_attempt_at, table.id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock the batch first (rows other senders hold are skipped), then mark it. Not one UPDATE with the
        # SELECT as its subquery: PostgreSQL may re-run such a subquery and so claim more than the LIMIT.
        due = list(db.session.scalars(due.with_for_update(skip_locked=True)))
    db.session.execute(
        sa.update(table)
        .where(table.id.in_(due), table.status == "pending")
        .values(status="claimed", claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = db.session.execute(
        sa.select(table.id, table.sender, table.recipient, table.body, table.attempts, table.message_id,
                  table.kind)
        .where(table.claim_token == token, table.status == "claimed")
        .order_by(table.id)
    ).all()
    db.session.commit()
    return token, list(rows)


def _record(outcome: _Outcome, token: str, attempts: int, now: datetime, report: DeliveryReport) -> None:
    """Write one row's outcome (in the caller's transaction), guarded by the claim token."""
    config = current_app.config
    if outcome.status == "sent":
        values = {"status": "sent", "sent_at": now, "attempts": attempts + 1, "last_code": outcome.code,
                  "last_error": None}  # fmt: skip
        report.sent += 1
    elif outcome.status == "released":  # never tried: connection trouble before its turn
        values = {"status": "pending", "next_attempt_at": now + _backoff(config, 1)}
        if outcome.error:
            values["last_error"] = outcome.error
        report.deferred += 1
    else:
        tries = attempts + 1
        values = {"attempts": tries, "last_code": outcome.code, "last_error": outcome.error}
        if outcome.status == "deferred" and tries < int(config["MEETCORE_MAIL_MAX_ATTEMPTS"]):
            values.update(status="pending", next_attempt_at=now + _backoff(config, tries))
            report.deferred += 1
        else:
            values.update(status="failed")
            report.failed += 1
            report.failures.append((str(outcome.row_id), outcome.code, outcome.error or ""))
    values.update(claim_token=None, claimed_at=None)
    statement = _row_update(frozenset(values), in_flight_only=False)
    db.session.execute(
        statement, {"row_id": outcome.row_id, "token": token, **{f"new_{k}": v for k, v in values.items()}}
    )


@functools.lru_cache(maxsize=32)
def _row_update(columns: frozenset[str], *, in_flight_only: bool):
    """UPDATE of one row guarded by its claim token, built once per set of columns (a batch runs thousands:
    Core on the table, bound parameters, no statement construction per row)."""
    table = OutboxMessage.__table__
    condition = (table.c.id == sa.bindparam("row_id")) & (table.c.claim_token == sa.bindparam("token"))
    if in_flight_only:
        condition &= table.c.status == "claimed"
    return (
        sa.update(table)
        .where(condition)
        .values({name: sa.bindparam(f"new_{name}") for name in sorted(columns)})
    )


@functools.lru_cache(maxsize=1)
def _calendar_statements():
    """(start, supersede, wait) for a calendar message: it goes in flight only while no calendar message with
    a higher SEQUENCE exists for the same meeting (UID) and recipient (otherwise it is superseded), and while
    no older one to them is in transfer (another sender's, which could reach the server after this one;
    it is then put back for WAIT_FOR_OLDER)."""
    table = OutboxMessage.__table__
    newer = table.alias("newer")
    older = table.alias("older")
    mine = (
        (table.c.id == sa.bindparam("row_id"))
        & (table.c.claim_token == sa.bindparam("token"))
        & (table.c.status == "claimed")
    )
    newer_exists = (
        sa.select(newer.c.id)
        .where(
            newer.c.meeting_id == table.c.meeting_id,
            newer.c.recipient == table.c.recipient,
            newer.c.kind.in_(CALENDAR_KINDS),
            newer.c.sequence > sa.func.coalesce(table.c.sequence, -1),
        )
        .exists()
    )
    older_in_transfer = (
        sa.select(older.c.id)
        .where(
            older.c.meeting_id == table.c.meeting_id,
            older.c.recipient == table.c.recipient,
            older.c.kind.in_(CALENDAR_KINDS),
            older.c.status == "sending",
            older.c.sequence < table.c.sequence,
        )
        .exists()
    )
    start = (
        sa.update(table)
        .where(mine, ~newer_exists, ~older_in_transfer)
        .values(status="sending", claimed_at=sa.bindparam("new_claimed_at"))
    )
    supersede = (
        sa.update(table)
        .where(mine, newer_exists)
        .values(status="superseded", claim_token=None, claimed_at=None, last_error=SUPERSEDED_NOTE)
    )
    wait = (
        sa.update(table)
        .where(mine, older_in_transfer)
        .values(status="pending", claim_token=None, claimed_at=None,
                next_attempt_at=sa.bindparam("new_next_attempt_at"))
    )  # fmt: skip
    return start, supersede, wait


def _start(row, token: str, now: datetime, report: DeliveryReport | None = None) -> bool:
    """Mark the row in flight; False when another sender has taken it over meanwhile, or when it is a
    calendar message that a newer one for the same (UID, recipient) has made obsolete (now superseded), or
    that must wait for an older one still in another sender's transfer (put back)."""
    values = {"row_id": row.id, "token": token, "new_status": "sending", "new_claimed_at": now}
    if getattr(row, "kind", None) not in CALENDAR_KINDS:
        statement = _row_update(frozenset(("status", "claimed_at")), in_flight_only=True)
        return db.session.execute(statement, values).rowcount == 1
    start, supersede, wait = _calendar_statements()
    if db.session.execute(start, values).rowcount == 1:
        return True
    if db.session.execute(supersede, {"row_id": row.id, "token": token}).rowcount == 1:
        log.info("outbox message %s to %s: %s", row.id, row.recipient, SUPERSEDED_NOTE)
        if report is not None:
            report.superseded += 1
        return False
    later = {"row_id": row.id, "token": token, "new_next_attempt_at": now + WAIT_FOR_OLDER}
    if db.session.execute(wait, later).rowcount == 1:
        log.info("outbox message %s to %s waits: an older one to them is in transfer", row.id, row.recipient)
        if report is not None:
            report.waiting += 1
    return False


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


def _fast_commit() -> None:
    """PostgreSQL: this transaction's commit need not wait for its WAL flush (``synchronous_commit`` off,
    for this transaction only). Commits stay ordered and are visible at once, so a sender that dies loses
    nothing; only a crash of the database server itself could undo the last fraction of a second of
    "sent" marks, which the stale-claim rule then treats as in doubt. One commit per message stays cheap."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


def _stop_early(token: str, previous: tuple[_Outcome, int] | None, now: datetime, report: DeliveryReport):
    """Asked to stop between two messages: the one just transferred is recorded, the rest of the batch goes
    back to the queue, due at once (nothing was tried, so nothing is in doubt)."""
    if previous is not None:
        _record(previous[0], token, previous[1], now, report)
    put_back = _put_back(token)
    db.session.commit()
    report.put_back += put_back
    log.info("asked to stop: %s claimed outbox messages put back in the queue", put_back)


def _deliver_batch(
    token: str,
    rows: list,
    now_fn: Callable[[], datetime],
    report: DeliveryReport,
    stop: threading.Event | StopRequest | None = None,
) -> None:
    connection = SmtpConnection(current_app.config)
    smtp: smtplib.SMTP | None = None
    previous: tuple[_Outcome, int] | None = None
    reconnects = 0
    try:
        for index, row in enumerate(rows):
            if stop is not None and stop.is_set():
                _stop_early(token, previous, now_fn(), report)
                return
            if smtp is None:
                try:
                    smtp = connection.open()
                    report.connections += 1
                except (OSError, smtplib.SMTPException) as error:
                    reason = f"cannot reach the SMTP server: {type(error).__name__}: {error}"[:1000]
                    log.warning("%s; %s messages stay in the outbox", reason, len(rows) - index)
                    if previous is not None:
                        _record(previous[0], token, previous[1], now_fn(), report)
                        previous = None
                    for waiting in rows[index:]:
                        _record(_Outcome(waiting.id, "released", None, reason), token, waiting.attempts,
                                now_fn(), report)  # fmt: skip
                    db.session.commit()
                    return
            now = now_fn()
            _fast_commit()
            if previous is not None:
                _record(previous[0], token, previous[1], now, report)
                previous = None
            started = _start(row, token, now, report)
            db.session.commit()
            if not started:
                continue
            outcome, usable = _send_one(smtp, row, now)
            previous = (outcome, row.attempts)
            if outcome.status != "sent":
                log.info("outbox message %s to %s: %s %s", row.id, row.recipient, outcome.code, outcome.error)
            if not usable:
                _close(smtp)
                smtp = None
                reconnects += 1
                if reconnects > MAX_RECONNECTS:
                    _record(previous[0], token, previous[1], now_fn(), report)
                    previous = None
                    for waiting in rows[index + 1 :]:
                        _record(_Outcome(waiting.id, "released", None, "connection kept failing"), token,
                                waiting.attempts, now_fn(), report)  # fmt: skip
                    db.session.commit()
                    return
        if previous is not None:
            _record(previous[0], token, previous[1], now_fn(), report)
            db.session.commit()
    finally:
        _close(smtp)


def deliver_outbox(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    stop: threading.Event | StopRequest | None = None,
) -> DeliveryReport:
    """Send every message that is due, batch after batch, each batch over one SMTP connection, under a
    lease this sender renews while it runs.

    ``now`` pins the clock (tests use it to step through back-off); by default the real time is used.
    ``stop``, once set, ends the run after the message in transfer; the rest of its batch is put back.
    Without MEETCORE_SMTP_HOST nothing is sent: the mail stays in the outbox.
    """
    config = current_app.config
    report = DeliveryReport()
    started = time.perf_counter()
    if not config.get("MEETCORE_SMTP_HOST"):
        report.skipped = "MEETCORE_SMTP_HOST is not set"
        return report
    now_fn: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    size = batch_size or int(config["MEETCORE_MAIL_BATCH_SIZE"])
    report.reclaimed = reclaim_stale(now_fn())
    while (max_batches is None or report.batches < max_batches) and not (stop and stop.is_set()):
        token, rows = _claim(now_fn(), size)
        if not rows:
            break
        report.batches += 1
        with Lease(db.engine, token, lease_seconds(config)):
            _deliver_batch(token, rows, now_fn, report, stop)
        if len(rows) < size:
            break
    report.seconds = time.perf_counter() - started
    if report.attempted:
        log.info(
            "outbox: %s sent, %s deferred, %s failed in %s batches (%.2f s)",
            report.sent, report.deferred, report.failed, report.batches, report.seconds,
        )  # fmt: skip
    return report


# --- running it periodically ------------------------------------------------------------------------------


def run_once(app: Flask, *, stop: threading.Event | StopRequest | None = None) -> DeliveryReport:
    """One mail worker round: due reminders (meetings, actions) into the outbox, then the outbox out."""
    from meetcore.actions.reminders import enqueue_action_reminders
    from meetcore.invitations.reminders import enqueue_reminders

    with app.app_context():
        try:
            enqueue_reminders()
            enqueue_action_reminders()
            return deliver_outbox(stop=stop)
        finally:
            db.session.remove()


def pause_before_next_round(app: Flask, interval: float) -> float:
    """The interval, or less when something falls due sooner: another sender's lease running out (its
    batch is then taken over at once, not a whole interval later) or a message put back to wait; never
    less than SHORTEST_PAUSE."""
    table = OutboxMessage
    with app.app_context():
        try:
            renewed = db.session.scalar(
                sa.select(sa.func.min(table.claimed_at)).where(table.status.in_(IN_FLIGHT))
            )
            due = db.session.scalar(
                sa.select(sa.func.min(table.next_attempt_at)).where(table.status == "pending")
            )
        finally:
            db.session.remove()
    moments = [moment for moment in (due,) if moment is not None]
    if renewed is not None:
        moments.append(renewed + timedelta(seconds=lease_seconds(app.config)))
    if not moments:
        return interval
    soonest = (min(moments) - utcnow()).total_seconds()
    return max(SHORTEST_PAUSE, min(interval, soonest))


def run_forever(
    app: Flask, *, interval: float | None = None, stop: threading.Event | StopRequest | None = None
) -> None:
    """The mail worker's loop (``meetcore mail send --loop``; the demo runs it in a thread). Setting
    ``stop`` ends it after the message in transfer, with the rest of its batch put back."""
    stop = stop or threading.Event()
    interval = interval if interval is not None else float(app.config["MEETCORE_MAIL_SEND_INTERVAL"])
    while not stop.is_set():
        pause = interval
        try:
            if not run_once(app, stop=stop).skipped:  # without an SMTP server nothing falls due
                pause = pause_before_next_round(app, interval)
        except Exception:  # keep the worker alive; the next round retries
            log.exception("mail worker round failed")
        stop.wait(pause)


def start_background_sender(app: Flask, *, interval: float | None = None) -> threading.Event:
    """Run the mail worker in a daemon thread of this process (the demo); set the returned event to stop."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(app,), kwargs={"interval": interval, "stop": stop}, daemon=True,
        name="meetcore-mail",
    )  # fmt: skip
    thread.start()
    return stop
