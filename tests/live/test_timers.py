"""meetcore.live.timers: one timer per key and process, and clear() retires the timers running then."""

from __future__ import annotations

import threading
import time

from meetcore.live.timers import OwedTimers


def _wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_one_timer_per_key_and_it_leaves_when_nothing_is_owed(app_ctx):
    looks = []
    owed = iter([0.01, None, None])
    timers = OwedTimers(lambda *key: looks.append(key) or next(owed), "test")
    timers.ensure((7,), 0.01)
    timers.ensure((7,), 0.01)  # listed: no second timer
    assert _wait_until(lambda: (7,) not in timers and len(looks) == 3)
    assert looks == [(7,), (7,), (7,)]  # due, then nothing owed, then the look after leaving


def test_a_timer_running_when_cleared_neither_looks_nor_lists_its_key_again(app_ctx):
    entered, release = threading.Event(), threading.Event()
    looks = []

    def look(*key):
        looks.append(key)
        entered.set()
        release.wait(5)
        return 0.01  # still owed: a current timer would carry on, and list the key again

    timers = OwedTimers(look, "test")
    timers.ensure((1,), 0)
    assert entered.wait(5)  # the timer is in the middle of a look (waiting for a lock, say)
    timers.clear()
    release.set()
    time.sleep(0.3)
    assert looks == [(1,)] and (1,) not in timers

    asleep = OwedTimers(lambda *key: looks.append(key), "test")
    asleep.ensure((2,), 0.2)
    asleep.clear()  # while it sleeps
    time.sleep(0.4)
    assert (2,) not in looks and (2,) not in asleep
