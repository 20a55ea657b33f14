"""Keeping a big meeting's garbage collection out of its broadcasts (the served process).

Each websocket connection leaves a few hundred long-lived objects (its engine.io socket, queue, greenlets,
session), and every broadcast makes each connection's writer allocate a handful more that live until the
next message (its wait: a Timeout, its timer, a Waiter). With 2,000 connections, Python's default
collector runs several young passes per broadcast over those ~16,000 waiting objects, a 25-40 ms pass of
the middle generation every few broadcasts, and now and then a full pass over the whole room of
70-250 ms: some 20 ms of every broadcast's ~110 ms, and the slowest rounds that decide the p99
(docs/performance.md, "Live fan-out"). So, in the served process only:

- young passes wait for 50,000 net new objects instead of 700 (THRESHOLDS): the objects a broadcast makes
  are mostly freed by their reference counts within it, so the passes become rare and scan about as much
  each; cyclic garbage waits a little longer to be reclaimed;
- what start-up loaded is frozen (`gc.freeze()`, meetcore.cli), and so is the heap each time the
  connections have grown by a tenth (and at least 50) since the last freeze (collected first, so that
  the joins' garbage is not frozen with it), and after each full collection in a big room: a full pass
  then walks only what was allocated since, not the whole room;
- when the connections fall below half of what they were at the last freeze (a meeting ended),
  everything goes back to the collector, which reclaims what the closed connections left (frozen
  objects freed by reference counting go at once; only cycles wait for this).
"""

from __future__ import annotations

import gc
import threading

GROWTH = 1.1
MIN_GROWTH = 50
THRESHOLDS = (50_000, 20, 20)  # gc.set_threshold: measured in bench/live_fanout.py, docs/performance.md

_lock = threading.Lock()
_state = {"enabled": False, "frozen_for": 0}


def enable() -> None:
    """Called by `meetcore run` (not by tests or scripts, whose heaps are their own business)."""
    _state["enabled"] = True
    gc.set_threshold(*THRESHOLDS)
    if _after_collection not in gc.callbacks:
        gc.callbacks.append(_after_collection)


def _after_collection(phase: str, info: dict) -> None:
    """After a full collection in a big room: freeze what survived it, so that the next full collection
    walks only what was allocated since, not the whole room again."""
    if phase == "stop" and info["generation"] == 2 and _state["frozen_for"] >= MIN_GROWTH:
        gc.freeze()


def connections_changed(count: int) -> None:
    """This process now holds `count` connections: freeze or unfreeze the heap as the docstring says."""
    if not _state["enabled"]:
        return
    with _lock:
        frozen_for = _state["frozen_for"]
        if count >= max(frozen_for * GROWTH, frozen_for + MIN_GROWTH):
            _collect_then_freeze()
            _state["frozen_for"] = count
        elif count < frozen_for / 2:
            gc.unfreeze()
            _state["frozen_for"] = count


def _collect_then_freeze() -> None:
    """Freeze what is alive, not what is garbage: with young passes rare, the joins since the last freeze
    leave cycles of garbage (requests' contexts, sessions, exceptions) that a freeze would keep until the
    room empties (~40 KiB per connection, docs/performance.md). The collection walks only what is not
    frozen yet: the last tenth of the room."""
    gc.collect()
    gc.freeze()


def connection_count() -> int:
    """Engine.IO connections of this process (0 before the server runs)."""
    from meetcore.extensions import socketio

    server = getattr(socketio, "server", None)
    return len(getattr(getattr(server, "eio", None), "sockets", None) or ())
