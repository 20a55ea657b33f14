"""bench/live_fanout.py, small: the benchmark behind docs/performance.md's live figures still runs end to
end (real `meetcore run` processes, the lean Socket.IO clients, the bare baseline, the join burst and its
board checks), every round of each kind (agenda change, minutes update, projector page turn) reaches every
participant, and the board it checks is right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    bool(os.environ.get("MEETCORE_TEST_DATABASE_URL")),
    reason="runs once, on the SQLite pass (the benchmark builds its own scratch database)",
)
def test_the_live_fanout_benchmark_runs_small(tmp_path):
    pytest.importorskip("aiohttp")
    pytest.importorskip("psutil")
    figures = tmp_path / "figures.json"
    argv = [
        sys.executable, str(ROOT / "bench" / "live_fanout.py"),
        "--clients", "24", "--rounds", "2", "--warmup", "1", "--gap", "0.6", "--idle-seconds", "1",
        "--skip", "redis", "--burst-clients", "30", "--burst-seats", "20", "--burst-seconds", "3",
        "--json", str(figures),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(figures.read_text())
    for who in ("single", "baseline"):
        assert results[who]["connect"]["connected"] == 24
        for kind in ("agenda", "minutes", "projector"):
            one = results[who][kind]
            assert (one["rounds"], one["recipients"]) == (2, 25)
            assert one["missing_deliveries"] == 0 and one["lost_connections"] == 0
            assert one["p99_ms"] > 0 and one["server_cpu_per_delivery_us"] > 0
    assert results["single"]["left_open"] == 0
    turns = results["single"]["projector"]  # the projector's own series: page turns reached everyone
    assert turns["messages_by_kind"].get("projector.turned") == 2 * 24, turns["messages_by_kind"]
    for who in ("single", "baseline"):  # what a connection and a join cost, beside the baseline's
        assert results[who]["connect"]["cpu_per_join_ms"] > 0 and results[who]["memory"]["rss_after_mib"] > 0
    burst = results["burst"]
    assert burst["connect"]["connected"] == 30 and burst["checks"]["ok"], burst["checks"]
    assert burst["checks"]["database"]["present"] == 20 and burst["checks"]["after_leaving"]["ok"]


@pytest.mark.skipif(
    bool(os.environ.get("MEETCORE_TEST_DATABASE_URL")),
    reason="runs once, on the SQLite pass (the benchmark builds its own scratch database)",
)
def test_the_churn_benchmark_runs_small():
    pytest.importorskip("aiohttp")
    argv = [
        sys.executable, str(ROOT / "bench" / "live_churn.py"),
        "--stay", "12", "--churn", "6", "--cycles", "2", "--settle", "0.5",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "12 participants stay" in done.stdout
    assert done.stdout.count("6 came and left") == 2 and "after leaving, cycle 1 -> 2" in done.stdout
