"""The tests' moved clock, for every Python process of a test pass run with TESTS_CLOCK_SHIFT (no MEETCORE_
prefix: the servers the tests start get none of the test run's MEETCORE_ settings, but must move too).

`make test-sqlite CLOCK=+400d` (and the PostgreSQL pass of `make test`, always) puts this folder first on
PYTHONPATH, so that Python imports this module at start-up in pytest, its workers and every server,
sender or worker the tests start: their wall clock (time.time, datetime.now, date.today) runs that many
days away from the machine's, through time-machine. Monotonic clocks are left alone: they carry no date.
Chromium and Janus, which are not Python, get the same shift from libfaketime (the wrappers beside this
file). A test that wrote a calendar date into itself then fails in CI on the day it is written.

libfaketime alone cannot move Python 3.11 here: with the monotonic clock moved, every lock timeout waits
for the moved deadline (sem_clockwait is not intercepted), and with it left alone, time.sleep fails with
EINVAL (its absolute clock_nanosleep is mistranslated); both are libfaketime 0.9.10 bugs.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

SHIFT = os.environ.get("TESTS_CLOCK_SHIFT", "").strip()


def shift_of(text: str) -> timedelta:
    """ "+400d" or "-200d": whole days, signed (libfaketime's own spelling, so both read the same)."""
    found = re.fullmatch(r"([+-])(\d{1,5})d", text)
    if found is None:
        raise SystemExit(f"TESTS_CLOCK_SHIFT must be whole days like +400d or -200d, not {text!r}")
    days = int(found.group(2))
    return timedelta(days=days if found.group(1) == "+" else -days)


if SHIFT and __name__ == "sitecustomize":  # at start-up only, not when a test imports shift_of
    import time_machine

    time_machine.travel(shift_of(SHIFT), tick=True).start()
    # time-machine's clock starts ticking at its first reading, not at start(): read at once, or each
    # process's clock stays behind by whatever it did first (seconds, for a server importing on a loaded
    # machine), and one process's session cookie is then "signed in the future" for another, which
    # refuses it (a CI sign-in behind nginx came back to the login page that way).
    import time

    time.time()
