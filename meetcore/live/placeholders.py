"""The participants' placeholders for staff-only events, coalesced (docs/protocol.md, "Staff-only events").

A staff-only event reaches participants as a placeholder that keeps their seq gap-free. Sent once per event,
a burst of them (a vote every 20 ms, each a `poll.voted` for the chair) cost the server one message per
participant per event: at 2,000 connections most of a vote's CPU (docs/performance.md, "Votes"). So a
process sends the first placeholder of a quiet spell at once and holds the ones that follow within
`MEETCORE_PLACEHOLDER_INTERVAL_MS`, then sends them as one placeholder standing for the whole run,
`{seq: last, first_seq: first, kind: "redacted"}`: when the interval has passed, or before the next event
participants read, whichever comes first, so participants still get every seq in order.

A run covers consecutive seqs only: a seq another process wrote in between (which may be public) ends it.
What is held lives in this process's memory only, and only stands for what the event log already says: a
process that stops with a run held leaves its participants a gap, which the next event they read (or their
reconnect) shows and a replay fills, as for any message lost on the way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from meetcore.extensions import socketio
from meetcore.live.rooms import participants_room


class Placeholders:
    """This process's held placeholders, by meeting. `send(meeting_id, emit)` sends a message participants
    read, after what is held; `redacted(placeholder, interval)` sends or holds a staff-only event's."""

    def __init__(self):
        # Re-entrant: an emit may run a disconnect handler whose commit emits again, in the same thread.
        self._lock = threading.RLock()
        self._held: dict[int, dict] = {}  # meeting id -> the run not sent yet
        self._last_sent: dict[int, float] = {}  # meeting id -> when participants last got a message
        self._generation = 0

    def clear(self) -> None:
        """Forget what is held (tests: the tables are emptied and meeting ids repeat)."""
        with self._lock:
            self._held.clear()
            self._last_sent.clear()
            self._generation += 1

    def send(self, meeting_id: int, emit: Callable[[], None]) -> None:
        """Emit a message participants read (by `emit`), after the run held for its meeting."""
        with self._lock:
            self._flush(meeting_id)
            emit()
            self._last_sent[meeting_id] = time.monotonic()

    def redacted(self, placeholder: dict, interval: float) -> None:
        """Send a staff-only event's placeholder now if participants got nothing within `interval` seconds,
        else add it to the run held (started anew when the seqs do not follow), sent when it is due."""
        meeting_id, seq = placeholder["meeting_id"], placeholder["seq"]
        with self._lock:
            held = self._held.get(meeting_id)
            if held is not None and held["seq"] + 1 != seq:
                self._flush(meeting_id)
                held = None
            if held is not None:
                held.update(seq=seq, at=placeholder["at"])
                return
            now = time.monotonic()
            if now - self._last_sent.get(meeting_id, float("-inf")) >= interval:
                _emit(placeholder)
                self._last_sent[meeting_id] = now
                self._forget_quiet(now, interval)
                return
            self._held[meeting_id] = {**placeholder, "first_seq": seq}
            due = self._last_sent[meeting_id] + interval - now
            socketio.start_background_task(self._send_when_due, meeting_id, due, self._generation)

    def _send_when_due(self, meeting_id: int, delay: float, generation: int) -> None:
        socketio.sleep(max(delay, 0.0))
        with self._lock:
            if generation == self._generation:
                self._flush(meeting_id)

    def _flush(self, meeting_id: int) -> None:
        held = self._held.pop(meeting_id, None)
        if held is None:
            return
        if held["first_seq"] == held["seq"]:  # a run of one is the plain placeholder
            held.pop("first_seq")
        _emit(held)
        self._last_sent[meeting_id] = time.monotonic()

    def _forget_quiet(self, now: float, interval: float) -> None:
        """Meetings whose participants got nothing for long: their time no longer holds anything back."""
        if len(self._last_sent) > 64:
            for meeting_id, sent in list(self._last_sent.items()):
                if now - sent >= interval and meeting_id not in self._held:
                    del self._last_sent[meeting_id]


def _emit(placeholder: dict) -> None:
    socketio.emit("event", placeholder, to=participants_room(placeholder["meeting_id"]))


PLACEHOLDERS = Placeholders()
