"""A pass run with a moved clock (`make test-sqlite CLOCK=+400d`; the PostgreSQL pass of `make test`) really
runs there: in pytest, in the Python processes the tests start, and in the browser (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.timeshift.sitecustomize import shift_of

SHIFT = os.environ.get("TESTS_CLOCK_SHIFT")
TIMESHIFT = Path(__file__).parent / "timeshift"
moved_pass_only = pytest.mark.skipif(not SHIFT, reason="this pass runs on today's clock")


def test_the_shift_is_read_as_whole_signed_days():
    assert shift_of("+400d").days == 400 and shift_of("-200d").days == -200
    for wrong in ("400d", "+400", "+1y", "+4.5d", ""):
        with pytest.raises(SystemExit):
            shift_of(wrong)


@moved_pass_only
def test_python_here_and_in_child_processes_runs_on_the_moved_clock(tmp_path):
    probe = tmp_path / "now"
    probe.touch()
    kernel_now = probe.stat().st_mtime  # the file system keeps the machine's own time
    moved = time.time() - kernel_now
    assert abs(moved - shift_of(SHIFT).total_seconds()) < 120, moved
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"], capture_output=True, text=True, check=True
    )
    assert abs(float(child.stdout) - time.time()) < 30


@moved_pass_only
def test_the_browser_runs_on_the_moved_clock():
    from tests.live.browsers import chromium

    with chromium() as browser:
        page = browser.new_page()
        browser_now = page.evaluate("Date.now()") / 1000
    assert abs(browser_now - time.time()) < 60


def test_processes_started_on_the_moved_clock_agree_however_long_they_took_to_first_read_it():
    """Every process of a moved pass is on the same moved clock: a server that spent seconds importing before
    it first read the time is not behind the others (it was: the session cookie another process had just
    signed was refused as signed in the future, and a sign-in behind nginx failed)."""
    probe = (
        "import time; time.sleep({delay}); import time_machine; "
        "print(time.time() - time_machine.escape_hatch.time.time())"
    )
    environment = {**os.environ, "PYTHONPATH": str(TIMESHIFT), "TESTS_CLOCK_SHIFT": "+400d"}
    offsets = []
    for delay in (0, 1.5):
        child = subprocess.run([sys.executable, "-c", probe.format(delay=delay)], env=environment,
                               capture_output=True, text=True, check=True)  # fmt: skip
        offsets.append(float(child.stdout) - shift_of("+400d").total_seconds())
    assert all(abs(offset) < 0.5 for offset in offsets), offsets
