"""A join carried by the connect (auth.join, docs/protocol.md, issue 18): the connection is let in, joined as
the `join` command would join it, and sent the same answer as a `joined` message, ahead of anything else. A
refused join changes nothing and leaves the connection open; a refused connect is sent no answer at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from tests.attendance.helpers import intervals, present
from tests.factories import received
from tests.minutes.test_command_statements import Statements


def _connect(live, token: str, join) -> tuple:
    """The client and the answers to its connect's join (in the order they came, with the first message)."""
    sio = live(auth={"seat_token": token, "join": join})
    packets = sio.get_received()
    return sio, packets


def test_a_seat_is_checked_in_and_answered_with_its_snapshot(live, link_for, seats, scheduled):
    seat = seats["cm_sd"]
    sio, packets = _connect(live, link_for(seat), {"meeting_id": scheduled.id})
    assert sio.is_connected()
    [answer] = [packet["args"][0] for packet in packets if packet["name"] == "joined"]
    # Its own check-in's board publication may come first (the client buffers it): already in the snapshot.
    names = [packet["name"] for packet in packets]
    early = [packet["args"][0] for packet in packets[: names.index("joined")]]
    assert all(event["seq"] <= answer["snapshot"]["last_seq"] for event in early), early
    assert answer["ok"] is True and answer["mode"] == "snapshot", answer
    assert present(scheduled) == {seat.id: "self"}
    [row] = intervals(scheduled)
    assert row.left_at is None
    # What the join command answers on the same connection now (joining again checks in nothing more).
    again = sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert again == answer
    assert len(intervals(scheduled)) == 1
    sio.disconnect()
    [row] = intervals(scheduled)
    assert row.left_at is not None  # the connection's interval ends with it, as after the join command


def test_a_reconnect_with_last_seq_is_answered_with_what_it_missed(live, link_for, seats, scheduled, users):
    from meetcore.meetings.services import update_meeting

    token = link_for(seats["cm_sd"])
    first, packets = _connect(live, token, {"meeting_id": scheduled.id})
    [answer] = [packet["args"][0] for packet in packets if packet["name"] == "joined"]
    last_seq = answer["snapshot"]["last_seq"]
    first.disconnect()
    update_meeting(scheduled, {"venue": "ห้องประชุม 2"}, by=users["secretariat"])
    _sio, packets = _connect(live, token, {"meeting_id": scheduled.id, "last_seq": last_seq})
    [answer] = [packet["args"][0] for packet in packets if packet["name"] == "joined"]
    assert answer["ok"] and answer["mode"] == "replay", answer
    assert "meeting.updated" in [event["kind"] for event in answer["events"]]
    assert answer["last_seq"] == answer["events"][-1]["seq"] > last_seq


def test_another_meetings_join_is_refused_and_changes_nothing(live, link_for, seats, scheduled,
                                                              other_meeting):  # fmt: skip
    sio, packets = _connect(live, link_for(seats["cm_sd"]), {"meeting_id": other_meeting.id})
    [answer] = [packet["args"][0] for packet in packets if packet["name"] == "joined"]
    assert answer["ok"] is False and answer["error"]["code"] == "forbidden" and answer["error"]["message"]
    assert [packet["name"] for packet in packets] == ["joined"]  # in no room: no event either
    assert intervals(scheduled) == [] and intervals(other_meeting) == []
    assert sio.is_connected()  # the connection stays: its own meeting can still be joined
    assert sio.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"] is True
    assert len(intervals(scheduled)) == 1


@pytest.mark.parametrize(
    "join",
    [None, "x", 5, [], {}, {"meeting_id": "1"}, {"meeting_id": -1}, {"meeting_id": 1, "extra": 1},
     {"meeting_id": 1, "last_seq": "a"}, {"meeting_id": 1, "client_id": "not-a-valid client id!"}],
)  # fmt: skip
def test_a_bad_join_gets_a_translated_error_and_checks_nothing_in(live, link_for, seats, scheduled, join):
    if isinstance(join, dict) and join.get("meeting_id") == 1:
        join = {**join, "meeting_id": scheduled.id}
    sio, packets = _connect(live, link_for(seats["cm_sd"]), join)
    [answer] = [packet["args"][0] for packet in packets if packet["name"] == "joined"]
    assert answer["ok"] is False and answer["error"]["code"] == "invalid_input", answer
    assert answer["error"]["message"]
    assert sio.is_connected() and intervals(scheduled) == []


def test_a_forged_or_withdrawn_link_is_refused_and_checks_nothing_in(live, link_for, seats, scheduled, users):
    from meetcore.seats.links import revoke_seat_links

    seat = seats["cm_sd"]
    token = link_for(seat)
    revoke_seat_links(seat, by=users["secretariat"])
    db.session.commit()
    for attempt in ("forged", token):
        sio = live(auth={"seat_token": attempt, "join": {"meeting_id": scheduled.id}})
        assert not sio.is_connected()  # refused before its join was looked at
    assert intervals(scheduled) == []


def test_staff_join_with_the_connect_and_a_participants_account_is_refused(app_ctx, live, users, scheduled):
    from tests.factories import signed_in_client

    join = {"join": {"meeting_id": scheduled.id}}
    secretariat = live(signed_in_client(app_ctx, users["secretariat"]), auth=join)
    [answer] = received(secretariat, "joined")
    assert answer["ok"] is True and answer["mode"] == "snapshot"
    participant = live(signed_in_client(app_ctx, users["participant"]), auth=join)
    [refusal] = received(participant, "joined")
    assert refusal["ok"] is False and refusal["error"]["code"] == "forbidden"
    assert intervals(scheduled) == []


def test_the_link_is_read_once_for_the_connect_and_its_join(live, link_for, seats, scheduled, app,
                                                            monkeypatch):  # fmt: skip
    """The join trusts the link its connect has just read (issue 18); the join command reads it again, as
    its connection may have outlived the link."""
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 600_000)  # no board publication to read
    tokens = [link_for(seats[key]) for key in ("cm_sd", "sk_sd")]  # issuing a link is an event of its own
    meeting_id = scheduled.id
    _connect(live, tokens[0], {"meeting_id": meeting_id})  # the first join publishes, and beats
    token = tokens[1]
    db.session.expunge_all()  # the test's own rows would spare the server reads it must make
    with Statements(db.engine) as statements:
        _sio, packets = _connect(live, token, {"meeting_id": meeting_id})
    assert [packet["args"][0]["ok"] for packet in packets if packet["name"] == "joined"] == [True], packets
    assert len(statements.reading("seat_links")) == 1, "\n".join(statements.seen)
    assert not statements.reading("seats"), "\n".join(statements.seen)  # its meeting came with the link
    assert len(statements.writing("attendance")) == 1


def test_a_connection_that_ends_while_it_joins_leaves_no_one_present(live, link_for, seats, scheduled,
                                                                     monkeypatch):  # fmt: skip
    """A connection still connecting has no disconnect in python-socketio: when its Engine.IO connection ends
    during the join (its pings unanswered while the join held the connection's reader), the server forgets it
    itself, or the seat would stay present with no one there and the room would keep a dead member."""
    from meetcore.attendance import services
    from meetcore.extensions import socketio
    from meetcore.live.models import LiveConnection
    from meetcore.live.rooms import participants_room

    real = services.connection_joined
    ended = []

    def joined_then_lost(actor, meeting_id, sid, environ, **kwargs):
        checked_in = real(actor, meeting_id, sid, environ, **kwargs)
        eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
        socketio.server._handle_eio_disconnect(eio_sid, "ping timeout")  # as Engine.IO's ping task does
        ended.append(sid)
        return checked_in

    monkeypatch.setattr(services, "connection_joined", joined_then_lost)
    sio = live(auth={"seat_token": link_for(seats["cm_sd"]), "join": {"meeting_id": scheduled.id}})
    assert ended and not sio.is_connected()
    [row] = intervals(scheduled)
    assert row.left_at is not None  # checked in, and out again with the connection
    assert present(scheduled) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveConnection)) == 0
    members = socketio.server.manager.rooms.get("/", {}).get(participants_room(scheduled.id)) or {}
    assert ended[0] not in members


def test_a_heartbeat_while_the_connect_still_joins_keeps_the_seat_present(live, link_for, seats, scheduled,
                                                                          monkeypatch):  # fmt: skip
    """The check-in commits before python-socketio counts the connection connected (the answer still to
    build and send): the heartbeat's look for lost connections in between must not close its interval
    (the rolling restart showed a participant away for 5 s that never left)."""
    from meetcore.attendance import processes
    from meetcore.live import events

    real, closed = events.build_snapshot, []

    def beat_then_build(*args, **kwargs):
        closed.append(processes.close_lost_connections())  # as the heartbeat's greenlet would, meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "build_snapshot", beat_then_build)
    sio = live(auth={"seat_token": link_for(seats["cm_sd"]), "join": {"meeting_id": scheduled.id}})
    assert closed == [0] and sio.is_connected()
    [row] = intervals(scheduled)
    assert row.left_at is None
    assert present(scheduled) == {seats["cm_sd"].id: "self"}


def test_a_link_withdrawn_while_its_connect_joins_is_shut_out(live, link_for, seats, scheduled, users,
                                                             monkeypatch):  # fmt: skip
    """The secretariat withdraws the link while its connect is still joining (checked in, the answer not yet
    sent): python-socketio's disconnect does nothing to a connection still connecting, so the connect itself
    refuses it at its end, and its interval closes. Without it, the withdrawn link stayed in the meeting."""
    import time

    from meetcore.live import events
    from meetcore.seats.links import revoke_seat_links

    seat, real, withdrawn = seats["cm_sd"], events.build_snapshot, []

    def withdraw_then_build(*args, **kwargs):
        revoke_seat_links(db.session.get(type(seat), seat.id), by=users["secretariat"])
        db.session.commit()  # the secretariat's request, meanwhile; its closing runs apart, after the commit
        time.sleep(0.3)
        withdrawn.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "build_snapshot", withdraw_then_build)
    sio = live(auth={"seat_token": link_for(seat), "join": {"meeting_id": scheduled.id}})
    assert withdrawn and not sio.is_connected()
    [row] = intervals(scheduled)
    assert row.left_at is not None
    assert present(scheduled) == {}
