"""A provincial hall's audience (issue 19): the board's publications tell the hall of a province its own
seats (roll-call ticks, presence, attendees' names) and nobody else, over two server processes sharing
Redis, each reader with a raw Socket.IO client; and a hall that rejoins replays to a fresh snapshot."""

from __future__ import annotations

import json
import uuid

import requests

from tests.live.replay import apply_in_browser_code
from tests.live.servers import scratch_database_url
from tests.live.test_servers import REDIS_URL, _prepare, _require_redis, servers  # noqa: F401  (fixture)


def _prepare_halls(database_url: str) -> dict:
    """_prepare's meeting with two provincial seats (provinces A and B, each with its personal link) and a
    site link for each province's hall."""
    from meetcore import create_app
    from meetcore.attendance.sites import issue_site_link
    from meetcore.auth.models import User
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.seats.models import Seat

    data = _prepare(database_url, items=1, seats=2)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        meeting = db.session.get(Meeting, data["meeting_id"])
        user = db.session.scalars(db.select(User)).one()
        data["provinces"] = []
        data["halls"] = []
        for seat_id, _token in data["seats"]:
            code = db.session.get(Seat, seat_id).province.code
            data["provinces"].append(code)
            data["halls"].append(issue_site_link(meeting, {"province_code": code}, by=user).token)
        db.session.commit()  # the test is the entry point: the servers read what it made
        db.session.remove()
        db.engine.dispose()
    return data


def _boards(client, after: int) -> list[dict]:
    return [event for event in client.events if event["seq"] > after and event["kind"] == "attendance.board"]


def test_a_halls_province_seats_reach_that_hall_only_across_processes(tmp_path, servers):  # noqa: F811
    _require_redis()
    start, connect = servers
    url = scratch_database_url(tmp_path, "halls")
    data = _prepare_halls(url)
    channel = f"meetcore-test-{uuid.uuid4().hex}"
    at_once = {"MEETCORE_BOARD_INTERVAL_MS": "0"}  # each change its own publication (none coalesced)
    first = start(url, redis_url=REDIS_URL, channel=channel, settings=at_once)
    second = start(url, redis_url=REDIS_URL, channel=channel, settings=at_once)
    meeting_id = data["meeting_id"]
    [(seat_a, token_a), (seat_b, token_b)] = data["seats"]
    code_a, _code_b = data["provinces"]
    # A's invitee in person (so that the hall's tick on that seat changes no presence), B's participant.
    in_person = connect(second, {"seat_token": token_a})
    participant = connect(second, {"seat_token": token_b})
    staff = connect(first, {"api_token": data["token"]})
    hall_a = connect(first, {"site_token": data["halls"][0]})
    hall_b = connect(second, {"site_token": data["halls"][1]})
    for client in (in_person, participant, staff, hall_b):
        assert client.call("join", {"meeting_id": meeting_id})["ok"]
    held = hall_a.call("join", {"meeting_id": meeting_id})["snapshot"]
    base = held["last_seq"]
    assert {s["seat_id"]: s["present"] for s in held["attendance"]["site"]["seats"]} == {seat_a: "self"}

    # The hall ticks its seat (held in person too: the presence stays "self"), then the secretariat renames
    # the seat's attendee on the other process.
    tick = hall_a.call("site.roll_call", {"meeting_id": meeting_id, "seat_id": seat_a, "present": True})
    assert tick["ok"], tick
    renamed = requests.patch(
        f"{second.base_url}/api/v1/meetings/{meeting_id}/seats/{seat_a}",
        json={"name": "นายใหม่ ชื่อจริง"},
        headers={"Authorization": f"Bearer {data['token']}"},
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    # Two publications on two processes, through Redis: seconds on a loaded machine (a CI run missed 10 s).
    staff.wait_for(lambda events: len(_boards(staff, base)) >= 2, timeout=30)
    head = max(event["seq"] for event in staff.events)
    for client in (hall_a, hall_b, participant):
        client.wait_for(lambda events: any(event["seq"] >= head for event in events))

    # Hall A: its province's seats in each publication, the tick and then the new name.
    sites = [event["payload"]["site"] for event in _boards(hall_a, base)]
    assert [site["province_code"] for site in sites] == [code_a, code_a]
    assert [(s["seat_id"], s["ticked"], s["present"], s["name"]) for s in sites[0]["seats"]] == [
        (seat_a, True, "self", "ตัวอย่าง ผู้รับเชิญ 0")
    ]
    assert [(s["seat_id"], s["ticked"], s["name"]) for s in sites[1]["seats"]] == [
        (seat_a, True, "นายใหม่ ชื่อจริง")
    ]
    # Hall B and a plain participant: the same seqs, the tallies only; nothing of A's seats.
    seqs = [event["seq"] for event in _boards(hall_a, base)]
    for reader in (hall_b, participant):
        boards = _boards(reader, base)
        assert [event["seq"] for event in boards] == seqs
        for event in boards:
            assert not {"site", "sites", "seats"} & event["payload"].keys(), event
            assert str(seat_a) not in json.dumps(event["payload"]["provinces"]), event
    # The staff: who changed ("seats"), never the halls' parts.
    assert all("sites" not in event["payload"] for event in _boards(staff, base))
    # Everyone's stream is gap-free: one message per seq, whoever reads it.
    for reader in (hall_a, hall_b, participant, staff):
        got = [event["seq"] for event in reader.events if event["seq"] > base]
        assert got == list(range(base + 1, head + 1)), (reader, got)

    # Hall A's screen, reloaded elsewhere, rejoins with the seq it held: the replay, applied by the
    # browser's own code, gives exactly a fresh snapshot; so do the events it was pushed live.
    again = connect(second, {"site_token": data["halls"][0]})
    replay = again.call("join", {"meeting_id": meeting_id, "last_seq": base})
    assert replay["mode"] == "replay", replay
    fresh = again.call("join", {"meeting_id": meeting_id})["snapshot"]
    live = [event for event in hall_a.events if event["seq"] > base]
    rebuilt = apply_in_browser_code([
        {"snapshot": held, "events": replay["events"], "participant": True},
        {"snapshot": held, "events": live, "participant": True},
    ])  # fmt: skip
    for result in rebuilt:
        assert "resync" not in result["results"]
        assert result["state"]["attendance"] == fresh["attendance"]
        assert result["state"] == fresh
    # Hall B's replay carries none of A's seats.
    other = connect(first, {"site_token": data["halls"][1]})
    replay_b = other.call("join", {"meeting_id": meeting_id, "last_seq": base})
    assert all("site" not in event["payload"] for event in replay_b["events"])
