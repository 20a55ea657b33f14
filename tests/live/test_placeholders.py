"""The participants' placeholders of staff-only events (meetcore.live.placeholders): the first of a quiet
spell at once, the next ones as one run of consecutive seqs, sent before anything participants read.
End to end, with votes: tests/polls/test_live.py; over two processes and Redis: below."""

from __future__ import annotations

import time

import pytest

from meetcore.live.placeholders import Placeholders


def _placeholder(meeting_id: int, seq: int) -> dict:
    return {"meeting_id": meeting_id, "seq": seq, "kind": "redacted", "payload": {}, "at": f"t{seq}"}


@pytest.fixture()
def sent(app) -> list:
    """What the placeholders deliver to participants' rooms, in order."""
    return []


def _deliver(sent: list):
    return lambda placeholder: sent.append(dict(placeholder))


def _seqs(messages: list) -> list:
    return [m if isinstance(m, str) else (m["meeting_id"], m.get("first_seq"), m["seq"]) for m in messages]


def test_a_run_holds_consecutive_seqs_only_and_goes_before_what_participants_read(sent):
    held = Placeholders()
    held.redacted(_placeholder(1, 5), 60, _deliver(sent))  # nothing sent for long: at once
    held.redacted(_placeholder(1, 6), 60, _deliver(sent))  # the next ones are held ...
    held.redacted(_placeholder(1, 7), 60, _deliver(sent))
    held.redacted(_placeholder(1, 9), 60, _deliver(sent))  # ... until a seq delivered apart (8) ends it
    held.redacted(_placeholder(2, 3), 60, _deliver(sent))  # another meeting's own
    held.send(1, lambda: sent.append("meeting 1, seq 10"))
    assert _seqs(sent) == [(1, None, 5), (1, 6, 7), (2, None, 3), (1, None, 9), "meeting 1, seq 10"]
    assert sent[1]["at"] == "t7"  # the run's time is its last event's


def test_a_held_run_is_sent_once_the_interval_has_passed(sent):
    held = Placeholders()
    held.send(4, lambda: sent.append("meeting 4, seq 1"))
    for seq in (2, 3, 4):
        held.redacted(_placeholder(4, seq), 0.2, _deliver(sent))
    assert _seqs(sent) == ["meeting 4, seq 1"]
    wait_until = time.monotonic() + 30  # a liveness wait: the timer's thread may be slow
    while len(sent) < 2 and time.monotonic() < wait_until:
        time.sleep(0.02)
    assert _seqs(sent) == ["meeting 4, seq 1", (4, 2, 4)]


def test_the_timer_of_a_run_sent_early_does_not_send_the_next_run_before_its_time(sent, monkeypatch):
    """A run sent before a message participants read leaves its timer behind; a run held since must wait for
    its own (a vote's placeholder went out alone, the next ones as a run: tests/polls/test_live.py)."""
    from meetcore.extensions import socketio

    timers = []
    monkeypatch.setattr(socketio.server, "start_background_task", lambda *args: timers.append(args))
    monkeypatch.setattr(socketio.server, "sleep", lambda _seconds: None)
    held = Placeholders()
    held.send(5, lambda: sent.append("meeting 5, seq 1"))
    held.redacted(_placeholder(5, 2), 60, _deliver(sent))  # held, with a timer
    held.send(5, lambda: sent.append("meeting 5, seq 3"))  # sends it first
    held.redacted(_placeholder(5, 4), 60, _deliver(sent))  # a new run, with a timer of its own
    held.redacted(_placeholder(5, 5), 60, _deliver(sent))
    assert len(timers) == 2
    (first, *first_args), (second, *second_args) = timers
    first(*first_args)  # the first run's timer is due
    assert _seqs(sent) == ["meeting 5, seq 1", (5, None, 2), "meeting 5, seq 3"]
    second(*second_args)
    assert _seqs(sent) == ["meeting 5, seq 1", (5, None, 2), "meeting 5, seq 3", (5, 4, 5)]
