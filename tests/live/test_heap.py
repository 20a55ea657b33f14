"""The served process keeps a growing room's connections out of the collector's full passes."""

from __future__ import annotations

import gc
import weakref

import pytest

from meetcore.live import heap


@pytest.fixture()
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(gc, "freeze", lambda: made.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: made.append("unfreeze"))
    monkeypatch.setattr(heap, "_state", {"enabled": True, "frozen_for": 0})
    return made


def test_the_heap_is_frozen_as_the_room_grows_and_given_back_when_it_empties(calls):
    for count in range(1, 2001):
        heap.connections_changed(count)
    freezes = len(calls)
    assert calls == ["freeze"] * freezes and 20 <= freezes <= 30  # every 50 up to 500, then every tenth
    assert heap._state["frozen_for"] >= 1800
    for count in range(2000, 900, -1):
        heap.connections_changed(count)
    assert calls[freezes:] == ["unfreeze"]  # below half of the last freeze: back to the collector


def test_nothing_happens_outside_the_served_process(calls, monkeypatch):
    monkeypatch.setattr(heap, "_state", {"enabled": False, "frozen_for": 0})
    for count in range(1, 500):
        heap.connections_changed(count)
    assert calls == []


def test_the_served_process_collects_young_objects_rarely(monkeypatch):
    monkeypatch.setattr(heap, "_state", {"enabled": False, "frozen_for": 0})
    before = gc.get_threshold()
    try:
        heap.enable()
        assert gc.get_threshold() == heap.THRESHOLDS
        assert heap.THRESHOLDS[0] >= 10_000  # not the default 700: a pass per broadcast or more
        assert heap._after_collection in gc.callbacks
    finally:
        gc.set_threshold(*before)
        while heap._after_collection in gc.callbacks:
            gc.callbacks.remove(heap._after_collection)


@pytest.mark.parametrize(
    ("generation", "frozen_for", "frozen"),
    [(2, 2000, True), (2, 10, False), (1, 2000, False), (0, 2000, False)],
)
def test_what_survives_a_full_collection_in_a_big_room_is_frozen(calls, generation, frozen_for, frozen):
    heap._state["frozen_for"] = frozen_for
    heap._after_collection("start", {"generation": generation})
    assert calls == []  # nothing before the pass has run
    heap._after_collection("stop", {"generation": generation, "collected": 0, "uncollectable": 0})
    assert calls == (["freeze"] if frozen else [])


def test_the_garbage_of_the_joins_is_collected_not_frozen(monkeypatch):
    """A freeze as the room grows keeps what it freezes until the room empties: the cyclic garbage the
    joins left since the last freeze must be reclaimed first, not frozen with the live connections."""
    monkeypatch.setattr(heap, "_state", {"enabled": True, "frozen_for": 0})

    class Context:  # a request context, a session: objects that refer to each other
        pass

    garbage = Context()
    garbage.itself = garbage
    gone = weakref.ref(garbage)
    del garbage
    alive = Context()
    alive.itself = alive
    kept = weakref.ref(alive)
    try:
        heap.connections_changed(heap.MIN_GROWTH)
        assert heap._state["frozen_for"] == heap.MIN_GROWTH
        gc.collect()  # frozen objects are out of its reach: only what was collected first is gone
        assert gone() is None
        assert kept() is alive
    finally:
        gc.unfreeze()
