"""Owed work finished by a background timer: one timer per key (a meeting, a minutes block) and process.

What is owed (a publication of the attendance board, of a block's minutes text) is recorded in the database
by the transaction that defers it; the timer only comes back when it is due. The list of running timers is
an optimization (one timer per key instead of one per change). Each entry is its timer's own token, put
there before the timer starts and taken away only by that timer, whatever way it ends: a listed key always
has a timer that will still look at the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from flask import current_app

from meetcore.extensions import socketio
from meetcore.transaction import unit_of_work

log = logging.getLogger(__name__)


class OwedTimers:
    """`look(*key)` does what is owed if it is due (in an app context) and returns the seconds until it
    is due, or None when nothing more is owed."""

    attempts = 8  # a busy database (SQLite's lock, a PostgreSQL restart) is retried this many times

    def __init__(self, look: Callable[..., float | None], what: str):
        self.look, self.what = look, what
        self._running: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by clear(): the timers started before it stop at their next look

    def __contains__(self, key: tuple) -> bool:
        return key in self._running

    def __iter__(self) -> Iterator[tuple]:
        return iter(list(self._running))

    def __len__(self) -> int:
        return len(self._running)

    def clear(self) -> None:
        """Forget every entry, and have the timers running now stop at their next look (tests: the tables
        are emptied and ids repeat, so an earlier test's timer must not act on, or stand in for, a later
        test's timer of the same key)."""
        with self._lock:
            self._running.clear()
            self._generation += 1

    def ensure(self, key: tuple, delay: float) -> None:
        """Start a timer for `key` unless one is running."""
        token = object()
        with self._lock:
            if key in self._running:
                return
            self._running[key] = token
            generation = self._generation
        try:
            socketio.start_background_task(
                self._run, current_app._get_current_object(), key, delay, (token, generation)
            )
        except BaseException:
            self._release(key, (token, generation))
            raise

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def _release(self, key: tuple, ticket: tuple[object, int]) -> None:
        with self._lock:
            if self._running.get(key) is ticket[0]:
                del self._running[key]

    def _run(self, app, key: tuple, delay: float, ticket: tuple[object, int]) -> None:
        try:
            self._until_nothing_owed(app, key, delay, ticket[1])
        finally:
            self._release(key, ticket)
        if not self._current(ticket[1]):
            return
        # A change deferred between the last look and the release found this timer still listed and left
        # the work to it: look once more, now that a new change would start a timer of its own.
        with app.app_context():
            try:
                with unit_of_work():  # each look is a worker step: it commits once or rolls back once
                    delay = self.look(*key)
            except Exception:  # the next change starts a timer again
                log.exception("%s %s failed", self.what, key)
                return
            # (A look that waited for a lock may end after clear(): it must not list a key for a later test.)
            if delay is not None and self._current(ticket[1]):
                self.ensure(key, delay)

    def _until_nothing_owed(self, app, key: tuple, delay: float | None, generation: int) -> None:
        failures = 0
        while delay is not None:
            socketio.sleep(max(delay, 0.0))
            if not self._current(generation):
                return
            try:
                with app.app_context(), unit_of_work():
                    delay = self.look(*key)
            except Exception:
                failures += 1
                log.exception("%s %s failed (attempt %s)", self.what, key, failures)
                if failures >= self.attempts:
                    return
                delay = min(2.0**failures * 0.1, 5.0)
