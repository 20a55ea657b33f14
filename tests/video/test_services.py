"""The video service against real Janus processes: rooms, placement, tokens refused by Janus, the floor
enforced at Janus."""

from __future__ import annotations

import time

import pytest

from meetcore.extensions import db
from meetcore.transaction import commit
from meetcore.video import services
from meetcore.video.janus_api import JanusError, JanusServer, signed_token
from tests.factories import seat_at
from tests.video.conftest import ADMIN_KEY, TOKEN_SECRET, schedule, tick_at_the_hall


def started(meeting, users):
    """Start the meeting as its entry point would: committed, so that its room is made (a reaction that runs
    after the commit)."""
    from meetcore.meetings.services import start_meeting

    meeting = start_meeting(meeting, by=users["secretariat"])
    commit()
    return meeting


def janus(url: str) -> JanusServer:
    return JanusServer(url, token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY)


def exists(room) -> bool:
    return janus(room.server_url).videoroom({"request": "exists", "room": room.janus_room_id})["exists"]


def join(server: JanusServer, room_id: int, *, token, room_token, publisher_id=None) -> dict:
    """Attach to the VideoRoom and join as a (not yet publishing) participant; Janus's answer."""
    session = server.create_session(token=token)
    handle = server.attach(session, token=token)
    body = {"request": "join", "ptype": "publisher", "room": room_id, "display": "test"}
    if room_token is not None:
        body["token"] = room_token
    if publisher_id is not None:
        body["id"] = publisher_id
    server.message(session, handle, body, token=token)
    event = server.poll_event(session, token=token)
    return event["plugindata"]["data"]


def test_room_created_when_the_meeting_goes_live_and_idempotent(live_meeting, users):
    room = services.room_of(live_meeting)
    assert room is not None and room.is_open
    assert exists(room)
    room_id = room.janus_room_id
    # Another call (a second process, a restarted app) finds the same room.
    db.session.remove()
    meeting = db.session.get(type(live_meeting), live_meeting.id)
    assert services.create_room(meeting).janus_room_id == room_id
    # Janus restarted and lost it: the same room is made again on the same server.
    janus(room.server_url).videoroom({"request": "destroy", "room": room_id, "secret": room.secret})
    assert not exists(room)
    again = services.create_room(meeting)
    assert again.janus_room_id == room_id and exists(again)
    assert db.session.query(services.VideoRoom).count() == 1


def test_room_destroyed_when_the_meeting_ends(live_meeting, users):
    from meetcore.meetings.services import end_meeting

    room = services.room_of(live_meeting)
    end_meeting(live_meeting, by=users["secretariat"])
    commit()  # the test is the entry point: the room closes after the commit
    room = services.room_of(live_meeting)
    assert room.closed_at is not None
    assert not exists(room)
    with pytest.raises(services.Conflict):
        services.mint_token(live_meeting, seat_at(live_meeting, "TH-50", "labour"))


def test_no_room_without_janus_or_without_video_conference(video_app, reference, users):
    from meetcore.meetings.services import start_meeting

    video_app.config["MEETCORE_JANUS_URLS"] = ""
    meeting = start_meeting(schedule(users, "ไม่มีวิดีโอ", 1), by=users["secretariat"])
    assert services.room_of(meeting) is None
    assert services.join_config(meeting, by=users["chair"]) == {"enabled": False}


def test_placement_on_the_least_loaded_server_is_persisted(video_app, janus_pair, reference, users):
    from meetcore.meetings.services import end_meeting

    a, b = (process.config.http_url for process in janus_pair)
    video_app.config["MEETCORE_JANUS_URLS"] = f"{a},{b}"
    meetings = [started(schedule(users, f"ประชุม {n}", n), users) for n in (1, 2, 3)]
    placed = [services.room_of(meeting).server_url for meeting in meetings]
    assert placed == [a, b, a]
    assert services.server_loads() == {a: 2, b: 1}
    for meeting in meetings:
        assert exists(services.room_of(meeting))
    # One of A's meetings ends: A and B carry one each; the next goes to A (first in the list).
    end_meeting(meetings[0], by=users["secretariat"])
    commit()  # the test is the entry point: the room closes after the commit
    fourth = started(schedule(users, "ประชุม 4", 4), users)
    assert services.room_of(fourth).server_url == a
    # The placement is kept: a new session (another process, a restart) reads the same servers, even when
    # the order of the configured servers changes.
    ids = [meeting.id for meeting in meetings[1:] + [fourth]]
    db.session.remove()
    video_app.config["MEETCORE_JANUS_URLS"] = f"{b},{a}"
    again = [services.create_room(db.session.get(type(fourth), id_)).server_url for id_ in ids]
    assert again == [b, a, a]


def test_a_server_that_cannot_be_reached_is_passed_over(video_app, janus_pair, reference, users):
    a = janus_pair[0].config.http_url
    video_app.config["MEETCORE_JANUS_URLS"] = f"http://127.0.0.1:9/janus,{a}"
    meeting = started(schedule(users, "ประชุม", 1), users)
    assert services.room_of(meeting).server_url == a


def test_a_seat_joins_with_its_tokens(live_meeting):
    seat = seat_at(live_meeting, "TH-50", "social_development")
    credentials = services.mint_token(live_meeting, seat)
    assert credentials["token"].split(":")[0].split(",")[1:] == ["janus", "janus.plugin.videoroom"]
    server = janus(credentials["server_url"])
    joined = join(
        server, credentials["room"], token=credentials["token"], room_token=credentials["room_token"]
    )
    assert joined["videoroom"] == "joined"


def test_janus_refuses_missing_expired_and_forged_tokens(live_meeting):
    seat = seat_at(live_meeting, "TH-50", "social_development")
    credentials = services.mint_token(live_meeting, seat)
    server = janus(credentials["server_url"])
    refused = {
        "missing": False,
        "empty": "",
        "expired": signed_token(TOKEN_SECRET, 600, now=time.time() - 3600),
        "forged": signed_token("not-the-secret", 600),
        "other plugin": signed_token(TOKEN_SECRET, 600, plugins=("janus.plugin.echotest",)),
    }
    for name, token in refused.items():
        with pytest.raises(JanusError) as error:
            session = server.create_session(token=token)
            server.attach(session, token=token)
        assert error.value.code in (403, 405), name  # 403 unauthorized; 405 plugin not allowed by token
    # A valid token but no room token: the room's ACL refuses the join.
    joined = join(server, credentials["room"], token=credentials["token"], room_token=None)
    assert joined.get("error_code") == 433


def test_another_meetings_token_is_refused(live_meeting, users):
    from meetcore.meetings.services import start_meeting

    other = start_meeting(schedule(users, "การประชุมอื่น", 2), by=users["secretariat"])
    commit()  # the test is the entry point: no call to Janus inside a write transaction
    mine = services.mint_token(live_meeting, seat_at(live_meeting, "TH-50", "labour"))
    theirs = services.mint_token(other, seat_at(other, "TH-50", "labour"))
    server = janus(mine["server_url"])
    joined = join(server, mine["room"], token=theirs["token"], room_token=theirs["room_token"])
    assert joined.get("error_code") == 433
    assert (
        join(server, theirs["room"], token=mine["token"], room_token=mine["room_token"]).get("error_code")
        == 433
    )


def ids_in_room(meeting) -> set[int]:
    return {participant["id"] for participant in services.participants(meeting)}


def test_the_floor_is_enforced_at_janus(live_meeting, users):
    from meetcore.floor.services import grant_floor, revoke_floor

    chiang_mai = seat_at(live_meeting, "TH-50", "social_development")
    songkhla = seat_at(live_meeting, "TH-90", "labour")
    studio = services.studio_endpoint(users["chair"])
    joined = {}
    for name, endpoint in {
        "studio": studio,
        "cm": services.seat_endpoint(chiang_mai),
        "sk_site": services.site_endpoint(songkhla.province),
    }.items():
        credentials = services.mint_token(live_meeting, endpoint=endpoint)
        server = janus(credentials["server_url"])
        answer = join(server, credentials["room"], token=credentials["token"],
                      room_token=credentials["room_token"], publisher_id=endpoint.publisher_id)  # fmt: skip
        assert answer["videoroom"] == "joined", answer
        joined[name] = endpoint.publisher_id
    # A listener (an id Janus chose) that does not publish stays.
    credentials = services.mint_token(live_meeting, endpoint=services.seat_endpoint(songkhla))
    listener = join(janus(credentials["server_url"]), credentials["room"], token=credentials["token"],
                    room_token=credentials["room_token"])["id"]  # fmt: skip
    assert ids_in_room(live_meeting) == set(joined.values()) | {listener}

    # Chiang Mai gets the floor: nobody is kicked but... the Songkhla hall, which has no turn.
    grant_floor(live_meeting, seat_id=chiang_mai.id, by=users["chair"])
    commit()  # the test is the entry point: the floor is enforced at Janus after the commit
    assert ids_in_room(live_meeting) == {joined["studio"], joined["cm"], listener}
    # The chair takes the floor back: Chiang Mai's publisher is gone at Janus; the studio stays.
    revoke_floor(live_meeting, by=users["chair"])
    commit()
    assert ids_in_room(live_meeting) == {joined["studio"], listener}
    assert services.may_publish(services.seat_endpoint(chiang_mai), live_meeting) is False
    assert services.may_publish(studio, live_meeting) is True


def test_a_hand_over_kicks_the_previous_speaker(live_meeting, users):
    from meetcore.floor.services import grant_floor

    chiang_mai = seat_at(live_meeting, "TH-50", "social_development")
    songkhla = seat_at(live_meeting, "TH-90", "labour")
    grant_floor(live_meeting, seat_id=chiang_mai.id, by=users["chair"])
    commit()  # the test is the entry point: no call to Janus inside a write transaction
    ids = {}
    for seat in (chiang_mai, songkhla):
        endpoint = services.seat_endpoint(seat)
        credentials = services.mint_token(live_meeting, endpoint=endpoint)
        join(janus(credentials["server_url"]), credentials["room"], token=credentials["token"],
             room_token=credentials["room_token"], publisher_id=endpoint.publisher_id)  # fmt: skip
        ids[seat.id] = endpoint.publisher_id
    grant_floor(live_meeting, seat_id=songkhla.id, by=users["chair"])
    commit()  # the test is the entry point: the floor is enforced at Janus after the commit
    assert ids_in_room(live_meeting) == {ids[songkhla.id]}
    # Songkhla's hall speaks for the seat only once its roll call has the seat in the room.
    site = services.site_endpoint(songkhla.province)
    assert services.may_publish(site, live_meeting) is False
    tick_at_the_hall(live_meeting, songkhla)
    assert services.may_publish(site, live_meeting) is True
    assert services.may_publish(services.site_endpoint(chiang_mai.province), live_meeting) is False


def test_turn_credentials(video_app):
    import base64
    import hashlib
    import hmac

    video_app.config.update(MEETCORE_TURN_URLS="turn:turn.example.org:3478", MEETCORE_TURN_SECRET="s3cret")
    try:
        (server,) = services.turn_credentials("seat-5", 600)
    finally:
        video_app.config.update(MEETCORE_TURN_URLS=None, MEETCORE_TURN_SECRET=None)
    expiry, endpoint = server["username"].split(":")
    assert endpoint == "seat-5" and int(expiry) > time.time()
    expected = base64.b64encode(hmac.new(b"s3cret", server["username"].encode(), hashlib.sha1).digest())
    assert server["credential"] == expected.decode()
