"""A client that follows a meeting by the reconnect rule (docs/protocol.md) over a real Socket.IO
connection, like the browser's LiveConnection: it keeps the join's snapshot and every numbered event, and
joins again with its last_seq when it sees a gap or a `live.head` above it. Its state is the snapshot with
its events applied by the browser's own code (tests/live/apply_events.mjs, under Node)."""

from __future__ import annotations

import queue
import threading

import socketio

from tests.live.replay import apply_in_browser_code
from tests.live.servers import ServerProcess


class Follower:
    def __init__(self, server: ServerProcess, auth: dict, meeting_id: int):
        self.meeting_id = meeting_id
        self.base: dict | None = None  # the last snapshot
        self.received: dict[int, dict] = {}  # seq -> event, pushed or replayed
        self.last_seq: int | None = None  # the highest seq with every event up to it
        self.heads = 0
        self._lock = threading.Lock()
        self._joins: queue.Queue = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._event)
        self.sio.on("live.head", self._head)
        self.sio.connect(server.base_url, transports=["websocket"], auth=auth, wait_timeout=10)
        # Joins run on a thread of their own: a handler must not wait for an answer its own thread reads.
        threading.Thread(target=self._joiner, daemon=True).start()
        self._joins.put(True)

    def _joiner(self) -> None:
        while self._joins.get():
            while not self._joins.empty():  # several reasons to join again make one join
                if not self._joins.get_nowait():
                    return
            with self._lock:
                last = self.last_seq
            payload = {"meeting_id": self.meeting_id, **({"last_seq": last} if last is not None else {})}
            try:
                ack = self.sio.call("join", payload, timeout=10)
            except Exception:  # the next gap or head asks again
                continue
            with self._lock:
                if ack.get("mode") == "snapshot":
                    self.base, self.last_seq = ack["snapshot"], ack["snapshot"]["last_seq"]
                elif ack.get("mode") == "replay":
                    self.received.update({event["seq"]: event for event in ack["events"]})
                self._advance()

    def _advance(self) -> None:
        while self.last_seq is not None and self.last_seq + 1 in self.received:
            self.last_seq += 1

    def _event(self, message: dict) -> None:
        with self._lock:
            self.received[message["seq"]] = message
            if self.last_seq is None:
                return
            self._advance()
            if max(self.received) > self.last_seq:  # a gap: something was lost on the way
                self._joins.put(True)

    def _head(self, message: dict) -> None:
        with self._lock:
            self.heads += 1
            if self.last_seq is not None and message["last_seq"] > self.last_seq:
                self._joins.put(True)

    def state(self) -> dict:
        """The snapshot with the events after it applied, by the browser's code."""
        with self._lock:
            events = [self.received[seq] for seq in range(self.base["last_seq"] + 1, self.last_seq + 1)]
            trial = {"snapshot": self.base, "events": events, "participant": False}
        [outcome] = apply_in_browser_code([trial])
        assert set(outcome["results"]) <= {"applied"}, outcome["results"]
        return outcome["state"]

    def close(self) -> None:
        self._joins.put(False)
        try:
            self.sio.disconnect()
        except Exception:  # already gone
            pass
