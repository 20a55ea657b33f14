"""The served process keeps a growing room's connections out of the collector's full passes."""

from __future__ import annotations

import gc

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
