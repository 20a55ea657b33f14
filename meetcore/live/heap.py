"""Keeping a big meeting's connections out of the garbage collector's full passes (the served process).

Each websocket connection leaves a few hundred long-lived objects (its engine.io socket, queue, greenlets,
session). With 2,000 of them, a full (generation 2) collection walks hundreds of thousands of objects and
stops the process for 150-250 ms, and the broadcast it interrupts reaches everyone that much later
(docs/performance.md, "Live fan-out"). Start-up already moves what it loaded into the permanent generation
(`gc.freeze()`, meetcore.cli); this does the same as the room grows: whenever this process's connections
have grown by a tenth (and at least 50) since the last freeze. Only cyclic garbage that exists at that
moment stays with the frozen objects, so the freezes are spaced out; when the connections fall below half
of what they were at the last freeze (a meeting ended), everything goes back to the collector, which then
reclaims what the closed connections left.
"""

from __future__ import annotations

import gc
import threading

GROWTH = 1.1
MIN_GROWTH = 50

_lock = threading.Lock()
_state = {"enabled": False, "frozen_for": 0}


def enable() -> None:
    """Called by `meetcore run` (not by tests or scripts, whose heaps are their own business)."""
    _state["enabled"] = True


def connections_changed(count: int) -> None:
    """This process now holds `count` connections: freeze or unfreeze the heap as the docstring says."""
    if not _state["enabled"]:
        return
    with _lock:
        frozen_for = _state["frozen_for"]
        if count >= max(frozen_for * GROWTH, frozen_for + MIN_GROWTH):
            gc.freeze()
            _state["frozen_for"] = count
        elif count < frozen_for / 2:
            gc.unfreeze()
            _state["frozen_for"] = count


def connection_count() -> int:
    """Engine.IO connections of this process (0 before the server runs)."""
    from meetcore.extensions import socketio

    server = getattr(socketio, "server", None)
    return len(getattr(getattr(server, "eio", None), "sockets", None) or ())
