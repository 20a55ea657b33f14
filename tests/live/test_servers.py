"""The live protocol against real server processes: gevent + websocket, a crash (SIGKILL) right after
acknowledgements, and two processes sharing a Redis message queue."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from tests.live.servers import LiveClient, ServerProcess, scratch_database_url

REDIS_URL = os.environ.get("MEETCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _prepare(database_url: str, items: int = 5) -> dict:
    """Schema, a secretariat account with an API token, a scheduled meeting with `items` agenda items."""
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

    def connect(server: ServerProcess, auth: dict) -> LiveClient:
        client = LiveClient(server, auth)
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
    assert editor.call("meeting.start", {"meeting_id": meeting_id})["ok"]
    viewer.wait_for(lambda events: [e["kind"] for e in events] == ["meeting.started"])
    with pytest.raises(Exception):  # noqa: B017  (any refusal: no credentials, no connection)
        LiveClient(server, {})


def test_every_acknowledged_change_survives_a_sigkill(tmp_path, servers):
    start, connect = servers
    url = scratch_database_url(tmp_path, "crash")
    data = _prepare(url, items=20)
    server = start(url)
    client = connect(server, {"api_token": data["token"]})
    meeting_id = data["meeting_id"]
    assert client.call("join", {"meeting_id": meeting_id})["mode"] == "snapshot"
    assert client.call("meeting.start", {"meeting_id": meeting_id})["ok"]
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


def test_two_processes_share_events_through_redis_in_order(tmp_path, servers):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")
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
    assert actor.call("meeting.start", {"meeting_id": meeting_id})["ok"]
    for _ in range(3):
        for item_id in data["items"]:
            assert actor.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item_id})["ok"]
    expected = 1 + 3 * len(data["items"])
    listener.wait_for(lambda events: len(events) >= expected)
    seqs = [event["seq"] for event in listener.events]
    assert seqs == list(range(base_seq + 1, base_seq + 1 + expected))
    assert listener.events == actor.events
