"""What the reconnect tests share (docs/protocol.md, issue 13 and 19): a reader holds a snapshot, misses
some changes, rejoins with its last_seq, and the browser's own code (static/src/live-state.js, run under
Node by tests/live/apply_events.mjs) applies the replayed events to the held snapshot."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

APPLY = Path(__file__).resolve().parent / "apply_events.mjs"


def apply_in_browser_code(trials: list[dict]) -> list[dict]:
    """trials: [{snapshot, events, participant}] -> [{state, results}] (results: "applied"/"resync"...)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the README's setup installs it with npm)")
    done = subprocess.run([node, str(APPLY)], input=json.dumps(trials), capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    return json.loads(done.stdout)


def snapshot_of(sio, meeting_id: int) -> dict:
    """A fresh snapshot, as a page that (re)loads gets it."""
    ack = sio.emit("join", {"meeting_id": meeting_id}, callback=True)
    assert ack.get("ok", True) and "snapshot" in ack, ack
    return ack["snapshot"]


def replayed_since(sio, meeting_id: int, held: dict) -> list[dict]:
    """The events a reader that held ``held`` gets back when it rejoins with its last_seq (no fresh
    snapshot allowed: the log still holds what it missed)."""
    sio.get_received()  # the pushes it missed while "away"
    replay = sio.emit("join", {"meeting_id": meeting_id, "last_seq": held["last_seq"]}, callback=True)
    assert replay.get("mode") == "replay", replay
    return replay["events"]
