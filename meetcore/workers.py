"""Background work on claimable rows, shared by the workers that build recordings
(meetcore/video/recording_worker.py) and make agenda documents PDF (meetcore/agenda/conversion_worker.py).

A row waits to be worked on; a worker claims it with one conditional UPDATE (still claimable, so two workers
never take the same row) committed before the work starts, and a claim left by a worker that died is
claimable again once its lease runs out. `drain` works through what waits, `run_rounds` does so every
interval until stopped (a failing round is logged, not fatal); `StopRequest` is the stop a worker command's
signals set.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from meetcore.extensions import db
from meetcore.transaction import unit_of_work

log = logging.getLogger(__name__)


class StopRequest:
    """A stop that a signal handler may set (a worker command's SIGTERM and Ctrl-C): a plain attribute.
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


def claim_first(model, claimable, claim_values: dict, narrowed=None) -> int | None:
    """Claim the first claimable row of `model` (committed at once) with `claim_values`; its id, or None
    when nothing waits. `claimable` is the WHERE clause that makes a row claimable, `narrowed` an optional
    extra condition (one meeting's, one document's)."""
    with unit_of_work():
        candidates = sa.select(model.id).where(claimable).order_by(model.id)
        if narrowed is not None:
            candidates = candidates.where(narrowed)
        for candidate in db.session.scalars(candidates).all():
            claimed = db.session.execute(
                sa.update(model).where(model.id == candidate, claimable).values(**claim_values)
            )
            if claimed.rowcount == 1:  # another worker may have claimed it between the two statements
                return candidate
    return None


def drain(app: Flask, claim: Callable[[str], int | None], work: Callable[[int, str], object],
          stop: threading.Event | None = None) -> int:  # fmt: skip
    """Claim and work on rows until none waits (or `stop` is set), under one token for this run; the
    number of rows worked on, whatever the outcome of each."""
    token = secrets.token_hex(8)
    count = 0
    with app.app_context():
        try:
            while not (stop and stop.is_set()):
                claimed = claim(token)
                if claimed is None:
                    break
                work(claimed, token)
                count += 1
        finally:
            db.session.remove()
    return count


def run_rounds(one_round: Callable[[], object], interval: float, name: str,
               stop: threading.Event | None = None) -> None:  # fmt: skip
    """`one_round()` every `interval` seconds until `stop` is set; a failing round is logged and the next
    one retries."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            one_round()
        except Exception:  # keep the worker alive; the next round retries
            log.exception("%s round failed", name)
        stop.wait(interval)
