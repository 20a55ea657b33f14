"""`live.head` (meetcore/live/heads.py): after the queue's outage a process tells its own clients each
meeting's newest seq, staff and participants alike, and nothing to clients of no meeting."""

from __future__ import annotations

from meetcore.extensions import socketio
from meetcore.live.heads import HEAD, announce_heads
from meetcore.meetings.services import update_meeting


def _heads(sio) -> list[dict]:
    return [packet["args"][0] for packet in sio.get_received() if packet["name"] == HEAD]


def test_every_client_of_a_meeting_on_this_process_hears_its_head(app_ctx, as_secretariat, client, users,
                                                                   meeting):  # fmt: skip
    staff = socketio.test_client(app_ctx, flask_test_client=as_secretariat)
    idle = socketio.test_client(app_ctx, flask_test_client=as_secretariat)  # connected, in no meeting
    try:
        assert staff.emit("join", {"meeting_id": meeting.id}, callback=True)["snapshot"]["last_seq"] == 1
        update_meeting(meeting, {"venue": "ห้อง 9"}, by=users["secretariat"])
        update_meeting(meeting, {"venue": "ห้อง 10"}, by=users["secretariat"])
        staff.get_received()
        assert announce_heads() == 1
        assert _heads(staff) == [{"meeting_id": meeting.id, "last_seq": 3}]
        assert _heads(idle) == []
    finally:
        staff.disconnect()
        idle.disconnect()
    assert announce_heads() == 0  # nobody follows a meeting here any more


def test_the_head_is_no_event_kind_and_the_browser_listens_for_it_by_the_servers_name():
    from pathlib import Path

    from meetcore.eventlog.kinds import KINDS

    assert HEAD not in KINDS  # nothing of the log: no seq of its own, nothing to apply
    connection = Path(__file__).resolve().parents[2] / "static" / "src" / "live-connection.js"
    assert f"this.socket.on('{HEAD}', (message) => this.head(message))" in connection.read_text()
