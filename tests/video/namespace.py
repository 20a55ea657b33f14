"""Running a browser video test inside a network namespace of its own (Janus ignores loopback interfaces
when it gathers ICE candidates, so the media go over a veth pair: tests/video/test_browser.py, _network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.video.test_browser import IN_NAMESPACE, _why_not


def in_namespace(test_file: str, node: str) -> bool:
    """True inside the namespace (run the scenario there); outside, run `node` of `test_file` again in a
    new one (root, `unshare --net`), fail with its output if it fails, and return False. Skips when the
    machine cannot (no Janus, no root, no Chromium)."""
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    if os.environ.get(IN_NAMESPACE):
        return True
    left_out = ("MEETCORE_TEST_DATABASE_URL", "PYTEST_XDIST_WORKER")  # the scenario runs on SQLite, alone
    env = {**{k: v for k, v in os.environ.items() if k not in left_out}, IN_NAMESPACE: "1"}
    result = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:xdist", "-s",
         f"{Path(test_file).resolve()}::{node}"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    print(result.stdout[-3000:])  # the figures the scenario printed
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0 and " passed" in result.stdout, output
    return False
