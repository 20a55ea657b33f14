"""The live protocol's core: who may connect, snapshot on join, events after commit, replay on rejoin."""

from __future__ import annotations

import pytest

from meetcore.meetings.services import update_meeting
from tests.factories import SocketClients, events_of
from tests.starting import start_command


@pytest.fixture()
def live(app_ctx, client):
    """Open Socket.IO test clients that share the HTTP client's cookies; all closed afterwards."""
    clients = SocketClients(app_ctx)
    yield lambda http_client=client, auth=None: clients.connect(http_client, auth)
    clients.close()


def test_anonymous_connection_is_refused(live):
    sio = live()
    assert not sio.is_connected()


def test_bad_seat_token_is_refused(live):
    assert not live(auth={"seat_token": "forged"}).is_connected()


def test_staff_join_gets_a_snapshot_then_numbered_events(live, as_secretariat, users, meeting):
    sio = live(as_secretariat)
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is True and ack["mode"] == "snapshot"
    snapshot = ack["snapshot"]
    assert snapshot["last_seq"] == 1 and snapshot["meeting"]["title"] == "การประชุมทดสอบ"
    update_meeting(meeting, {"venue": "ห้อง 9"}, by=users["secretariat"])
    [event] = events_of(sio)
    assert event["seq"] == 2 and event["kind"] == "meeting.updated"


def test_nothing_is_sent_for_a_rolled_back_change(live, as_secretariat, users, meeting):
    from meetcore.errors import InvalidInput

    sio = live(as_secretariat)
    sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    with pytest.raises(InvalidInput):
        update_meeting(meeting, {"end_at": "2020-01-01T00:00"}, by=users["secretariat"])
    from meetcore.extensions import db

    db.session.rollback()
    assert events_of(sio) == []


def test_rejoin_with_last_seq_replays_what_was_missed(live, as_secretariat, users, meeting):
    for venue in ("ห้อง 1", "ห้อง 2", "ห้อง 3"):
        update_meeting(meeting, {"venue": venue}, by=users["secretariat"])
    sio = live(as_secretariat)
    ack = sio.emit("join", {"meeting_id": meeting.id, "last_seq": 2}, callback=True)
    assert ack["mode"] == "replay"
    assert [e["seq"] for e in ack["events"]] == [3, 4] and ack["last_seq"] == 4


def test_rejoin_too_far_behind_or_ahead_gets_a_snapshot(app, live, as_secretariat, users, meeting):
    sio = live(as_secretariat)
    ahead = sio.emit("join", {"meeting_id": meeting.id, "last_seq": 99}, callback=True)
    assert ahead["mode"] == "snapshot"
    app.config["MEETCORE_REPLAY_LIMIT"] = 1
    try:
        update_meeting(meeting, {"venue": "a"}, by=users["secretariat"])
        update_meeting(meeting, {"venue": "b"}, by=users["secretariat"])
        behind = sio.emit("join", {"meeting_id": meeting.id, "last_seq": 1}, callback=True)
    finally:
        app.config["MEETCORE_REPLAY_LIMIT"] = 1000
    assert behind["mode"] == "snapshot" and behind["snapshot"]["last_seq"] == 3


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "x",
        5,
        [],
        {},
        {"meeting_id": "1"},
        {"meeting_id": -1},
        {"meeting_id": 1, "extra": 1},
        {"meeting_id": 1, "last_seq": "a"},
    ],
)
def test_bad_join_payloads_get_an_error_ack(live, as_secretariat, meeting, payload):
    ack = live(as_secretariat).emit("join", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["message"]


def test_unknown_meeting_and_chair_access(live, as_chair, meeting):
    sio = live(as_chair)
    assert sio.emit("join", {"meeting_id": 4242}, callback=True)["error"]["code"] == "not_found"
    assert sio.emit("join", {"meeting_id": meeting.id}, callback=True)["ok"] is True


def test_participant_account_cannot_join_as_staff(live, client, users, meeting):
    from tests.conftest import sign_in

    sign_in(client, users["participant"])
    ack = live(client).emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["error"]["code"] == "forbidden"


def test_start_move_through_the_agenda_and_end(live, as_secretariat, users, meeting):
    from meetcore.agenda.services import add_item

    first = add_item(meeting, {"title": "วาระที่ 1"}, by=users["secretariat"])
    second = add_item(meeting, {"title": "วาระที่ 2"}, by=users["secretariat"])
    sio = live(as_secretariat)
    sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    early = sio.emit("agenda.set_current", {"meeting_id": meeting.id, "item_id": first.id}, callback=True)
    assert early["error"]["code"] == "conflict"  # not in session yet
    start = start_command(meeting.id)  # the meeting is a week ahead of its day
    assert sio.emit("meeting.start", start, callback=True)["ok"]
    assert sio.emit("meeting.start", start, callback=True)["error"]["code"] == "conflict"
    assert sio.emit("agenda.set_current", {"meeting_id": meeting.id, "item_id": first.id}, callback=True)[
        "ok"
    ]
    sio.emit("agenda.mark_done", {"meeting_id": meeting.id, "item_id": first.id}, callback=True)
    sio.emit("agenda.set_current", {"meeting_id": meeting.id, "item_id": second.id}, callback=True)
    kinds = [(e["kind"], e["payload"].get("item_id")) for e in events_of(sio)]
    assert kinds == [
        ("meeting.started", None),
        ("agenda.current", first.id),
        ("agenda.state", first.id),
        ("agenda.current", second.id),
    ]
    snapshot = sio.emit("join", {"meeting_id": meeting.id}, callback=True)["snapshot"]
    assert [node["state"] for node in snapshot["agenda"]] == ["done", "current"]
    assert snapshot["meeting"]["status"] == "live"
    assert sio.emit("meeting.end", {"meeting_id": meeting.id}, callback=True)["ok"]


def test_chair_cannot_run_the_agenda(live, as_chair, meeting):
    sio = live(as_chair)
    ack = sio.emit("meeting.start", start_command(meeting.id), callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"


def test_a_connections_later_events_do_not_open_the_cookie_session_again(
    live, as_secretariat, meeting, monkeypatch
):
    """Flask opens the cookie session for every event's request context, and Flask-SocketIO then puts the
    connection's own copy in its place: after the first event that copy is given at once (issue 18: a
    join's two events paid for the cookie twice). The copy is what the events see either way."""
    from flask.sessions import SecureCookieSessionInterface

    opened = []
    original = SecureCookieSessionInterface.open_session

    def counted(self, app, request):
        opened.append(request.path)
        return original(self, app, request)

    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", counted)
    sio = live(as_secretariat)
    assert len(opened) == 1  # the connect's
    for _ in range(3):
        ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
        assert ack["ok"] and ack["mode"] == "snapshot", ack  # signed in, as the copy says
    assert len(opened) == 1
