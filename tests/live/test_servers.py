"""The live protocol against real server processes: gevent + websocket, a crash (SIGKILL) right after
acknowledgements, and two processes sharing a Redis message queue."""

from __future__ import annotations

import os
import re
import time
import uuid

import pytest
import redis
import requests
import socketio

from tests.live.servers import LiveClient, ServerProcess, scratch_database_url
from tests.starting import start_command

REDIS_URL = os.environ.get("MEETCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _prepare(database_url: str, items: int = 5, seats: int = 0) -> dict:
    """Schema, a secretariat account with an API token, a scheduled meeting with `items` agenda items and
    `seats` seats, each with a personal link ("seats": [(seat id, token)])."""
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.agenda.services import add_item
    from meetcore.auth.services import create_api_token, create_user
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting
    from tests.conftest import MEETING_INPUT

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        user = create_user("sec@example.org", role="secretariat", password="long enough password")
        meeting = schedule_meeting(dict(MEETING_INPUT), by=user)
        item_ids = [add_item(meeting, {"title": f"วาระ {n}"}, by=user).id for n in range(items)]
        data = {"token": create_api_token(user), "meeting_id": meeting.id, "items": item_ids}
        if seats:
            from meetcore.directory.reference import seed_reference_data
            from meetcore.seats.links import issue_seat_link
            from tests.invitations.support import add_seats

            seed_reference_data()
            data["seats"] = [(seat.id, issue_seat_link(seat, by=user)) for seat in add_seats(meeting, seats)]
        db.session.commit()  # the test is the entry point: the servers read what it made
        db.session.remove()
        db.engine.dispose()
    return data


@pytest.fixture()
def servers(tmp_path):
    started: list[ServerProcess] = []
    clients: list[LiveClient] = []

    def start(database_url: str, **kwargs) -> ServerProcess:
        server = ServerProcess(database_url, tmp_path, name=f"server{len(started)}", **kwargs).start()
        started.append(server)
        return server

    def connect(server: ServerProcess, auth: dict, **kwargs) -> LiveClient:
        client = LiveClient(server, auth, **kwargs)
        clients.append(client)
        return client

    yield start, connect
    for client in clients:
        client.close()
    for server in started:
        server.stop()


def test_websocket_on_gevent_snapshot_and_live_events(tmp_path, servers):
    start, connect = servers
    url = scratch_database_url(tmp_path, "ws")
    data = _prepare(url)
    server = start(url)
    editor = connect(server, {"api_token": data["token"]})
    viewer = connect(server, {"api_token": data["token"]})
    meeting_id = data["meeting_id"]
    assert viewer.call("join", {"meeting_id": meeting_id})["snapshot"]["meeting"]["status"] == "scheduled"
    assert editor.call("meeting.start", start_command(meeting_id))["ok"]
    viewer.wait_for(lambda events: [e["kind"] for e in events] == ["meeting.started"])
    with pytest.raises(Exception):  # noqa: B017  (any refusal: no credentials, no connection)
        LiveClient(server, {})
    for auth, code in (({}, "unauthenticated"), ({"seat_token": "forged"}, "link_unknown")):
        assert _refusal(server, auth) == {"code": code, "message": ANY_TEXT}, auth


class _AnyText:
    def __eq__(self, other) -> bool:
        return isinstance(other, str) and bool(other.strip())


ANY_TEXT = _AnyText()


def _refusal(server: ServerProcess, auth: dict) -> dict:
    """What a refused connection's connect_error carries (docs/protocol.md): the message, and data
    {code, message}."""
    client = socketio.Client(reconnection=False)
    seen: list = []
    client.on("connect_error", seen.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.base_url, transports=["websocket"], auth=auth, wait_timeout=10)
    [error] = seen
    assert error["message"] == error.get("data", {}).get("message"), error
    return error["data"]


def test_every_acknowledged_change_survives_a_sigkill(tmp_path, servers):
    start, connect = servers
    url = scratch_database_url(tmp_path, "crash")
    data = _prepare(url, items=20)
    server = start(url)
    client = connect(server, {"api_token": data["token"]})
    meeting_id = data["meeting_id"]
    assert client.call("join", {"meeting_id": meeting_id})["mode"] == "snapshot"
    assert client.call("meeting.start", start_command(meeting_id))["ok"]
    acknowledged = []
    for item_id in data["items"]:
        ack = client.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item_id})
        assert ack["ok"], ack
        acknowledged.append(item_id)
    server.kill()  # right after the last acknowledgement: no shutdown, no flush
    client.close()

    restarted = start(url)
    observer = connect(restarted, {"api_token": data["token"]})
    snapshot = observer.call("join", {"meeting_id": meeting_id})["snapshot"]
    assert snapshot["meeting"]["status"] == "live"
    assert snapshot["last_seq"] >= 1 + 1 + len(acknowledged)  # created, started, one per move
    current = [node["id"] for node in snapshot["agenda"] if node["state"] == "current"]
    assert current == [acknowledged[-1]]
    replay = observer.call("join", {"meeting_id": meeting_id, "last_seq": 2})
    moves = [e["payload"]["item_id"] for e in replay["events"] if e["kind"] == "agenda.current"]
    assert moves == acknowledged


def _require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")


def test_two_processes_share_events_through_redis_in_order(tmp_path, servers):
    _require_redis()
    start, connect = servers
    url = scratch_database_url(tmp_path, "redis")
    data = _prepare(url, items=10)
    # A channel of our own, so parallel test runs on one Redis never hear each other.
    channel = f"meetcore-test-{uuid.uuid4().hex}"
    first = start(url, redis_url=REDIS_URL, channel=channel)
    second = start(url, redis_url=REDIS_URL, channel=channel)
    listener = connect(first, {"api_token": data["token"]})
    actor = connect(second, {"api_token": data["token"]})
    meeting_id = data["meeting_id"]
    base_seq = listener.call("join", {"meeting_id": meeting_id})["snapshot"]["last_seq"]
    actor.call("join", {"meeting_id": meeting_id})
    assert actor.call("meeting.start", start_command(meeting_id))["ok"]
    for _ in range(3):
        for item_id in data["items"]:
            assert actor.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item_id})["ok"]
    expected = 1 + 3 * len(data["items"])
    listener.wait_for(lambda events: len(events) >= expected)
    seqs = [event["seq"] for event in listener.events]
    assert seqs == list(range(base_seq + 1, base_seq + 1 + expected))
    assert listener.events == actor.events


def test_a_run_of_placeholders_held_by_one_process_reaches_participants_before_the_others_events(
    tmp_path, servers
):
    """The staff-only events written on one process are held for its participants (one placeholder per
    run, meetcore.live.placeholders); an event another process writes meanwhile still comes after them,
    so a participant's seq has no gap."""
    _require_redis()
    start, connect = servers
    url = scratch_database_url(tmp_path, "runs")
    data = _prepare(url, items=2, seats=1)
    channel = f"meetcore-test-{uuid.uuid4().hex}"
    held = {"MEETCORE_PLACEHOLDER_INTERVAL_MS": "600000"}  # nothing but the next event sends a run
    first = start(url, redis_url=REDIS_URL, channel=channel, settings=held)
    second = start(url, redis_url=REDIS_URL, channel=channel, settings=held)
    meeting_id, [(_seat_id, seat_token)] = data["meeting_id"], data["seats"]
    participant = connect(first, {"seat_token": seat_token})
    assert participant.call("join", {"meeting_id": meeting_id})["ok"]
    on_first, on_second = (connect(server, {"api_token": data["token"]}) for server in (first, second))
    assert on_first.call("meeting.start", start_command(meeting_id))["ok"]
    participant.wait_for(lambda events: any(e["kind"] == "meeting.started" for e in events))
    started = next(e["seq"] for e in participant.events if e["kind"] == "meeting.started")
    prepare = {"meeting_id": meeting_id, "item_id": data["items"][0]}
    staff_only = [on_first.call("poll.prepare", {**prepare, "question": f"ข้อ {n}"})["seq"] for n in range(3)]
    public = on_second.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": data["items"][1]})
    assert public["ok"] and staff_only == [started + 1, started + 2, started + 3]
    participant.wait_for(lambda events: any(e["kind"] == "agenda.current" for e in events))
    got = [(e["kind"], e.get("first_seq"), e["seq"]) for e in participant.events if e["seq"] > started]
    assert got == [("redacted", started + 1, started + 3), ("agenda.current", None, started + 4)]


# -- ending access closes the connections another process holds (issue 13) -----------------------------


def _csrf_token(http: requests.Session, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', http.get(url, timeout=10).text).group(1)


def _sign_in(server: ServerProcess, email: str, password: str) -> requests.Session:
    http = requests.Session()
    token = _csrf_token(http, server.base_url + "/login")
    response = http.post(server.base_url + "/login", data={"csrf_token": token, "email": email,
                         "password": password}, allow_redirects=False, timeout=10)  # fmt: skip
    assert response.status_code == 302, response.text[:500]
    return http


def _closed_within(client: LiveClient, seconds: float) -> float:
    """How long the server took to close the client's connection; fails after `seconds`."""
    started = time.monotonic()
    while client.sio.connected:
        if time.monotonic() - started > seconds:
            raise AssertionError(f"the connection was still open after {seconds} s")
        time.sleep(0.01)
    return time.monotonic() - started


def _two_processes_of_a_meeting_with_two_seats(tmp_path, start, name: str):
    """Two server processes over Redis on a new database: its meeting with two seats and their links."""
    _require_redis()
    url = scratch_database_url(tmp_path, name)
    data = _prepare(url, items=1, seats=2)
    channel = f"meetcore-test-{uuid.uuid4().hex}"
    first, second = (start(url, redis_url=REDIS_URL, channel=channel) for _ in range(2))
    return first, second, data


def _revoke_the_seats_links(console_http, server, meeting_id: int, seat_id: int) -> None:
    """The secretariat withdraws the seat's links from its roster page, on `server`."""
    revoke = f"{server.base_url}/meetings/{meeting_id}/roster/{seat_id}/revoke"
    edit = f"{server.base_url}/meetings/{meeting_id}/roster/{seat_id}"
    response = console_http.post(revoke, data={"csrf_token": _csrf_token(console_http, edit)}, timeout=10)
    assert response.status_code == 200 and response.url == edit


def test_ending_access_on_one_process_closes_connections_another_process_holds(tmp_path, servers):
    start, connect = servers
    first, second, data = _two_processes_of_a_meeting_with_two_seats(tmp_path, start, "access")
    meeting_id = data["meeting_id"]
    (seat_id, seat_token), (_, other_token) = data["seats"]
    console_http = _sign_in(first, "sec@example.org", "long enough password")
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in console_http.cookies)
    # Every connection is on the second process; the secretariat acts on the first.
    console = connect(second, {}, headers={"Cookie": cookies})
    seat = connect(second, {"seat_token": seat_token})
    other_seat = connect(second, {"seat_token": other_token})
    script = connect(second, {"api_token": data["token"]})
    for client in (console, seat, other_seat, script):
        assert client.call("join", {"meeting_id": meeting_id})["ok"]

    _revoke_the_seats_links(console_http, first, meeting_id, seat_id)
    _closed_within(seat, 1)
    with pytest.raises(Exception):  # noqa: B017  (refused: the link is withdrawn)
        LiveClient(second, {"seat_token": seat_token})

    response = console_http.post(first.base_url + "/logout", data={"csrf_token": _csrf_token(
        console_http, first.base_url + "/")}, timeout=10)  # fmt: skip
    assert response.status_code == 200
    _closed_within(console, 1)
    assert other_seat.sio.connected and script.sio.connected


def test_a_revoked_link_closes_its_connections_that_have_not_joined_on_every_process(tmp_path, servers):
    """A seat's connection has no live_connections row until it joins (its row is written with its
    check-in): withdrawing the link still closes it at once, on the process that withdrew it and on the
    other, through the message queue (meetcore.live.seat_connections)."""
    start, connect = servers
    first, second, data = _two_processes_of_a_meeting_with_two_seats(tmp_path, start, "unjoined")
    meeting_id = data["meeting_id"]
    (seat_id, seat_token), (_, other_token) = data["seats"]
    here, there = connect(first, {"seat_token": seat_token}), connect(second, {"seat_token": seat_token})
    joined = connect(second, {"seat_token": seat_token})
    assert joined.call("join", {"meeting_id": meeting_id})["ok"]
    other_seat = connect(second, {"seat_token": other_token})  # another seat's link: not joined either
    console_http = _sign_in(first, "sec@example.org", "long enough password")

    _revoke_the_seats_links(console_http, first, meeting_id, seat_id)
    for client in (here, there, joined):
        _closed_within(client, 1)
    assert other_seat.sio.connected
    assert other_seat.call("join", {"meeting_id": meeting_id})["ok"]
