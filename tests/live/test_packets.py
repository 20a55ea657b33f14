"""What goes on the wire is JSON: the server's packets never look for binary attachments in what they
send (that walk of every payload, item by item, cost a join more than encoding its snapshot)."""

from __future__ import annotations

import pytest
from socketio import packet

from meetcore.extensions import socketio
from tests.live.test_core import live  # noqa: F401  (a fixture)


@pytest.fixture()
def walked(monkeypatch):
    """The payloads the library's binary check walked (the test client's own packets use it too)."""
    seen = []
    original = packet.Packet.data_is_binary.__func__

    def recording(cls, data):
        seen.append(data)
        return original(cls, data)

    monkeypatch.setattr(packet.Packet, "data_is_binary", classmethod(recording))
    return seen


def test_a_joins_snapshot_is_sent_without_a_binary_walk(live, as_secretariat, meeting, walked):  # noqa: F811
    sio = live(as_secretariat)
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] and ack["mode"] == "snapshot"
    assert not [data for data in walked if "snapshot" in str(data)[:200]]


def test_bytes_in_a_payload_fail_loudly_instead_of_going_out_binary(app_ctx):
    made = socketio.server.packet_class(packet.EVENT, data=["event", {"seq": 1, "payload": b"\x00"}])
    assert made.packet_type == packet.EVENT
    with pytest.raises(TypeError):
        made.encode()
