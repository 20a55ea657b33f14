"""bench/minutes_update.py runs and prints its figures (a small run; the figures: docs/performance.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    bool(os.environ.get("MEETCORE_TEST_DATABASE_URL")), reason="a bench smoke run: the SQLite pass only"
)
def test_the_minutes_update_bench_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "minutes_update.py"), "--updates", "40"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = re.search(r"CPU per update, median: kept ([\d.]+) ms, rebuilt ([\d.]+) ms", result.stdout)
    assert summary and float(summary[1]) > 0 and float(summary[2]) > 0, result.stdout
