"""Claiming outbox rows for one sender: the claim and its lease, the start of each row's transfer (a calendar
message superseded or made to wait), the outcome written back, and the rows of a dead sender taken over.
Steps 1 to 3 of a row's life in meetcore.mail.sender; docs/mail.md tells the why.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.mail.models import CALENDAR_KINDS, OutboxMessage
from meetcore.mail.services import IN_FLIGHT, SUPERSEDED_NOTE
from meetcore.mail.transfer import _Outcome, holds_doubt

log = logging.getLogger(__name__)

IN_DOUBT_NOTE = "in doubt: the sender stopped during this message's transfer"
# A calendar message whose older one to the same recipient is in another sender's transfer is put back for
# this long: a live transfer ends within seconds, a dead sender's row is taken over when its lease runs out.
WAIT_FOR_OLDER = timedelta(seconds=5)


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


def _backoff(config, attempts: int) -> timedelta:
    base = int(config["MEETCORE_MAIL_RETRY_SECONDS"])
    ceiling = int(config["MEETCORE_MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


def lease_seconds(config) -> float:
    return float(config["MEETCORE_MAIL_CLAIM_TIMEOUT"])


def reclaim_stale(now: datetime) -> int:
    """Rows of a dead sender, whose lease was last renewed more than MEETCORE_MAIL_CLAIM_TIMEOUT ago: put
    back, or held (in the caller's transaction: the sender commits it as a step of its own). A live sender's
    rows never qualify, however long its transfer takes (it renews them)."""
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
    rows = db.session.execute(
        sa.select(table.id, table.sender, table.recipient, table.body, table.attempts, table.message_id,
                  table.kind)
        .where(table.claim_token == token, table.status == "claimed")
        .order_by(table.id)
    ).all()
    return token, list(rows)  # the sender's step commits the claim before any transfer begins


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
