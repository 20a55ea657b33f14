"""Redis, the rate limiter's store and the message queue, killed and frozen under a real server process:
nobody is locked out, and /healthz says the queue is down (issue 20)."""

from __future__ import annotations

import pytest
import requests

from tests.live.servers import LiveClient, ServerProcess
from tests.live.test_servers import _csrf_token
from tests.starting import start_command

# A request that waits longer than this counts as locked out: a lockout is a request that hangs on the frozen
# Redis; the limiter's Redis timeout is 0.5 s, and a loaded machine (load 20) took over 3 s to answer at all.
PATIENCE = 15


@pytest.fixture()
def two_processes(on_redis):
    """Two server processes sharing the throwaway Redis, a console script joined on each."""
    servers, data = on_redis("redis_queue", items=3)
    clients = [LiveClient(server, {"api_token": data["token"]}) for server in servers]
    for client in clients:
        assert client.call("join", {"meeting_id": data["meeting_id"]})["ok"]
    yield clients, data
    for client in clients:
        client.close()


@pytest.fixture()
def app_on_redis(on_redis):
    [server], data = on_redis("redis_faults", count=1, items=1, seats=1)
    return server, data


def _sign_in_works(server: ServerProcess) -> None:
    http = requests.Session()
    token = _csrf_token(http, server.base_url + "/login")
    response = http.post(server.base_url + "/login", data={"csrf_token": token, "email": "sec@example.org",
                         "password": "long enough password"}, allow_redirects=False,
                         timeout=PATIENCE)  # fmt: skip
    assert response.status_code == 302, response.text[:300]


def _refused_sign_in_status(server: ServerProcess) -> int:
    http = requests.Session()
    token = _csrf_token(http, server.base_url + "/login")
    response = http.post(server.base_url + "/login", data={"csrf_token": token, "email": "sec@example.org",
                         "password": "wrong"}, allow_redirects=False, timeout=PATIENCE)  # fmt: skip
    return response.status_code


def _join_link_works(server: ServerProcess, data: dict) -> None:
    [(_, seat_token)] = data["seats"]
    response = requests.get(f"{server.base_url}/join/{seat_token}", timeout=PATIENCE)
    assert response.status_code == 200, response.text[:300]


def _queue_state(server: ServerProcess) -> tuple[int, dict]:
    response = requests.get(server.base_url + "/healthz", timeout=PATIENCE)
    return response.status_code, response.json()


def test_sign_in_and_join_links_work_while_redis_is_killed_and_health_says_so(app_on_redis, redis_server):
    server, data = app_on_redis
    _sign_in_works(server)
    assert _queue_state(server)[1]["message_queue"] == {"configured": True, "reachable": True}
    redis_server.kill()
    for _ in range(3):  # the first request finds Redis gone, the next ones count in memory
        _sign_in_works(server)
        _join_link_works(server, data)
    status, body = _queue_state(server)
    assert status == 200  # liveness: the process still serves
    assert body["message_queue"] == {"configured": True, "reachable": False}
    assert body["status"] == "degraded"
    # Not open to guessing either: sign-in attempts still count, in this process's memory (10 a minute).
    statuses = [_refused_sign_in_status(server) for _ in range(10)]
    assert statuses[-1] == 429 and set(statuses) == {401, 429}, statuses


def test_sign_in_and_join_links_work_while_redis_is_frozen(app_on_redis, redis_server):
    server, data = app_on_redis
    _sign_in_works(server)
    _join_link_works(server, data)
    redis_server.freeze()
    try:
        for _ in range(3):
            _sign_in_works(server)
            _join_link_works(server, data)
        status, body = _queue_state(server)
        assert status == 200 and body["message_queue"]["reachable"] is False
    finally:
        redis_server.thaw()
    assert _queue_state(server)[1]["message_queue"]["reachable"] is True


def test_a_frozen_queue_does_not_hold_acknowledgements(two_processes, redis_server):
    (actor, other), data = two_processes
    meeting_id, items = data["meeting_id"], data["items"]
    assert actor.call("meeting.start", start_command(meeting_id))["ok"]
    other.wait_for(lambda events: [e["kind"] for e in events] == ["meeting.started"])
    redis_server.freeze()
    try:
        for item_id in items[:2]:  # answered although the publish to the other process cannot go out
            move = {"meeting_id": meeting_id, "item_id": item_id}
            assert actor.call("agenda.set_current", move, timeout=PATIENCE)["ok"]
        actor.wait_for(lambda events: len(events) == 3)  # this process's own clients still hear them
    finally:
        redis_server.thaw()
    # Once Redis is back the queue carries events again.
    assert actor.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": items[2]})["ok"]
    other.wait_for(lambda events: events[-1]["payload"].get("item_id") == items[2])
