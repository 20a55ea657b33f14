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

This module runs the batches and the worker's loop; the claim, its lease and the written outcomes are
meetcore.mail.claims, one message's SMTP transfer is meetcore.mail.transfer.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from meetcore import transaction
from meetcore.actors import SYSTEM_MAIL, act_as_system
from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.mail.claims import (
    DeliveryReport,
    Lease,
    _claim,
    _put_back,
    _record,
    _start,
    lease_seconds,
    reclaim_stale,
)
from meetcore.mail.models import OutboxMessage
from meetcore.mail.services import IN_FLIGHT

# _send_one by name, not through its module: the tests replace sender._send_one to stand for a sender killed
# in the middle of a transfer.
from meetcore.mail.transfer import SmtpConnection, _close, _Outcome, _send_one
from meetcore.operations.metrics import mail_batch_done
from meetcore.workers import StopRequest

log = logging.getLogger(__name__)

MAX_RECONNECTS = 3
# The looping sender never starts rounds closer together than this, whatever falls due.
SHORTEST_PAUSE = 1.0


def _end_step() -> None:
    """One step of the mail worker ends (issue 19: the worker's step is its entry point): what it wrote is
    committed now, before the next exchange with the SMTP server. The steps: the stale leases given back;
    a batch's claim, committed before any transfer begins; each message's ``sending`` mark, committed with
    the previous message's outcome just before its transfer; the last outcome, or the rest of the batch
    put back."""
    transaction.commit()


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
    _end_step()
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
                    _end_step()
                    return
            now = now_fn()
            _fast_commit()
            if previous is not None:
                _record(previous[0], token, previous[1], now, report)
                previous = None
            started = _start(row, token, now, report)
            _end_step()
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
                    _end_step()
                    return
        if previous is not None:
            _record(previous[0], token, previous[1], now_fn(), report)
            _end_step()
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
    _end_step()
    while (max_batches is None or report.batches < max_batches) and not (stop and stop.is_set()):
        token, rows = _claim(now_fn(), size)
        _end_step()  # the claim is committed before the first transfer: the lease now holds the rows
        if not rows:
            break
        report.batches += 1
        with Lease(db.engine, token, lease_seconds(config)):
            _deliver_batch(token, rows, now_fn, report, stop)
        if len(rows) < size:
            break
    report.seconds = time.perf_counter() - started
    mail_batch_done(report)
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
        act_as_system(SYSTEM_MAIL)
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
