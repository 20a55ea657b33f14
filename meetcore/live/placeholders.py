"""The participants' placeholders for staff-only events, coalesced (docs/protocol.md, "Staff-only events").

A staff-only event reaches participants as a placeholder that keeps their seq gap-free. Sent once per event,
a burst of them (a vote every 20 ms, each a `poll.voted` for the chair) cost the server one message per
participant per event: at 2,000 connections most of a vote's CPU (docs/performance.md, "Votes"). So each
process, where it delivers messages to its own clients of a meeting's participants room, sends the first
placeholder of a quiet spell at once and holds the ones that follow within
`MEETCORE_PLACEHOLDER_INTERVAL_MS`, then delivers them as one placeholder standing for the whole run,
`{seq: last, first_seq: first, kind: "redacted"}`: when the interval has passed, or before the next message
to that room, whichever comes first, so participants still get every seq in order.

This happens at the delivery, not where the event is written: with several processes each one delivers
every event of the meeting (its own, and the others' through the message queue) to its own clients, so a
public event another process wrote still comes after the run held here. A run covers consecutive seqs
only (the queue may reorder two processes' events; a gap ends the run). What is held lives in this
process's memory only, and only stands for what the event log already says: a process that stops with a
run held stops its clients' connections too, and they rejoin.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import socketio as python_socketio

from meetcore.extensions import socketio

# The rooms of a meeting's audience (participants, halls, one province's halls): what they get is in seq
# order with the placeholders held for them.
_AUDIENCE_ROOM = re.compile(r"meeting:(\d+):(?:participants|halls|site:[^:]+)\Z")
Deliver = Callable[[dict], None]  # delivers a placeholder to this process's clients of its meeting


class Placeholders:
    """This process's held placeholders, by meeting. `send(meeting_id, emit)` sends a message participants
    read, after what is held; `redacted(placeholder, interval, deliver)` sends or holds a staff-only
    event's."""

    def __init__(self):
        # Re-entrant: an emit may run a disconnect handler whose commit emits again, in the same thread.
        self._lock = threading.RLock()
        self._held: dict[int, tuple[dict, Deliver]] = {}  # meeting id -> the run not sent yet, and how
        self._last_sent: dict[int, float] = {}  # meeting id -> when participants last got a message

    def clear(self) -> None:
        """Forget what is held (tests: the tables are emptied and meeting ids repeat)."""
        with self._lock:
            self._held.clear()  # their timers find their runs gone
            self._last_sent.clear()

    def send(self, meeting_id: int, emit: Callable[[], None]) -> None:
        """Emit a message participants read (by `emit`), after the run held for its meeting."""
        with self._lock:
            self._flush(meeting_id)
            emit()
            self._last_sent[meeting_id] = time.monotonic()

    def redacted(self, placeholder: dict, interval: float, deliver: Deliver) -> None:
        """Deliver a staff-only event's placeholder now if participants got nothing within `interval`
        seconds, else add it to the run held (started anew when the seqs do not follow), delivered when it
        is due."""
        meeting_id, seq = placeholder["meeting_id"], placeholder["seq"]
        with self._lock:
            held = self._held.get(meeting_id)
            if held is not None and held[0]["seq"] + 1 != seq:
                self._flush(meeting_id)
                held = None
            if held is not None:
                held[0].update(seq=seq, at=placeholder["at"])
                return
            now = time.monotonic()
            if now - self._last_sent.get(meeting_id, float("-inf")) >= interval:
                deliver(placeholder)
                self._last_sent[meeting_id] = now
                self._forget_quiet(now, interval)
                return
            run = {**placeholder, "first_seq": seq}
            self._held[meeting_id] = (run, deliver)
            due = self._last_sent[meeting_id] + interval - now
            # The Socket.IO server's own task (gevent or a thread), apart from the domains' timers.
            socketio.server.start_background_task(self._send_when_due, meeting_id, due, run)

    def _send_when_due(self, meeting_id: int, delay: float, run: dict) -> None:
        socketio.server.sleep(max(delay, 0.0))
        with self._lock:
            # This run only: sent earlier (before a message participants read), a later run held since has
            # a timer of its own, and this one must not send it before its interval.
            if self._held.get(meeting_id, (None, None))[0] is run:
                self._flush(meeting_id)

    def _flush(self, meeting_id: int) -> None:
        held, deliver = self._held.pop(meeting_id, (None, None))
        if held is None:
            return
        if held["first_seq"] == held["seq"]:  # a run of one is the plain placeholder
            held.pop("first_seq")
        deliver(held)
        self._last_sent[meeting_id] = time.monotonic()

    def _forget_quiet(self, now: float, interval: float) -> None:
        """Meetings whose participants got nothing for long: their time no longer holds anything back."""
        if len(self._last_sent) > 64:
            for meeting_id, sent in list(self._last_sent.items()):
                if now - sent >= interval and meeting_id not in self._held:
                    del self._last_sent[meeting_id]


PLACEHOLDERS = Placeholders()


def deliver_locally(manager, event: str, data, room, deliver: Callable[[], None], interval: float) -> None:
    """A client manager's delivery of one message to this process's clients (`deliver()`), through the
    placeholders when it goes to a meeting's audience (participants and halls): a placeholder to that
    audience alone is held or sent, anything else sent after the run held."""
    rooms = room if isinstance(room, list) else [room]
    meeting_ids = [int(match.group(1)) for match in map(_audience_match, rooms) if match]
    if event != "event" or not meeting_ids:
        deliver()
        return
    message = data[0] if isinstance(data, list) and len(data) == 1 else data
    if isinstance(message, dict) and message.get("kind") == "redacted" and len(meeting_ids) == len(rooms):
        def to_participants(placeholder: dict) -> None:
            python_socketio.Manager.emit(manager, "event", placeholder, "/", room=room)

        PLACEHOLDERS.redacted(message, interval, to_participants)
        return
    PLACEHOLDERS.send(meeting_ids[0], deliver)


def _audience_match(room) -> re.Match | None:
    return _AUDIENCE_ROOM.match(room) if isinstance(room, str) else None


class LocalManager(python_socketio.Manager):
    """The client manager of a process without a message queue: its deliveries to participants go through
    the placeholders (meetcore.live.queue.MessageQueue does the same for those of the queue)."""

    def __init__(self, interval: Callable[[], float]):
        super().__init__()
        self.placeholder_interval = interval

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        if callback is not None:  # a message with an acknowledgement: to one client, never a placeholder
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                **kwargs)  # fmt: skip
        return deliver_locally(
            self, event, data, room,
            lambda: super(LocalManager, self).emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                                   **kwargs),
            self.placeholder_interval(),
        )  # fmt: skip
