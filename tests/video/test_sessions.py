"""The same person in two places, fresh tokens on a running session, the floor checked at Janus in the
background, and the chair's moderation: against a real Janus (issue 16)."""

from __future__ import annotations

import time

import pytest

from meetcore.extensions import db
from meetcore.video import floor_watch, services, sessions
from meetcore.video.janus_api import JanusError, JanusServer
from tests.conftest import sign_in
from tests.factories import seat_at
from tests.video.conftest import ADMIN_KEY, TOKEN_SECRET
from tests.video.test_views import seat_client


class JanusPage:
    """What a browser page does at Janus, over the HTTP API: one session, a listener and maybe a publisher."""

    def __init__(self, video: dict, server_url: str):
        self.video = video
        self.server = JanusServer(server_url, token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY)
        self.token = video["token"]
        self.session = self.server.create_session(token=self.token)

    def join(self, *, publisher: bool) -> dict:
        handle = self.server.attach(self.session, token=self.token)
        body = {"request": "join", "ptype": "publisher", "room": self.video["room"],
                "token": self.video["room_token"]}  # fmt: skip
        if publisher:
            body.update(id=self.video["publisher_id"], display=self.video["display"])
        else:
            body["display"] = self.video["listen_display"]
        self.server.message(self.session, handle, body, token=self.token)
        while True:  # the session's other handles hear of the room too: this handle's answer
            event = self.server.poll_event(self.session, token=self.token)
            if event.get("sender") == handle and "plugindata" in event:
                return event["plugindata"]["data"]

    def keepalive(self) -> dict:
        return self.server._post(f"/{self.session}", {"janus": "keepalive"}, token=self.token)


def room_participants(meeting) -> dict[int, str]:
    return {p["id"]: p.get("display", "") for p in services.participants(meeting)}


def join_page(http, meeting, **body) -> dict:
    answer = http.post(f"/video/{meeting.id}/join", json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["video"]


def test_a_second_page_of_a_seat_takes_its_video_over(video_app, live_meeting, users):
    from meetcore.floor.services import grant_floor

    seat = seat_at(live_meeting, "TH-50", "labour")
    grant_floor(live_meeting, seat_id=seat.id, by=users["chair"])
    db.session.commit()
    server_url = services.room_of(live_meeting).server_url
    first_http = seat_client(video_app, seat)
    first = join_page(first_http, live_meeting)
    first_page = JanusPage(first, server_url)
    assert first_page.join(publisher=False)["videoroom"] == "joined"
    assert first_page.join(publisher=True)["id"] == first["publisher_id"]
    assert first["publisher_id"] in room_participants(live_meeting)

    # A new device of the same seat: the server kicks the first page's listener and publisher first, so its
    # own join with the seat's publisher id is never refused as "already exists".
    second_http = seat_client(video_app, seat)
    second = join_page(second_http, live_meeting)
    assert second["session"] != first["session"]
    left = set(room_participants(live_meeting).values())
    assert left.isdisjoint({first["listen_display"], first["display"]})
    second_page = JanusPage(second, server_url)
    assert second_page.join(publisher=False)["videoroom"] == "joined"
    assert second_page.join(publisher=True)["id"] == second["publisher_id"]

    # The first page, kicked, asks why: superseded; asking to join again with its session is refused, in
    # the page's language; the second page holds the seat.
    status = first_http.post(f"/video/{live_meeting.id}/status", json={"session": first["session"]})
    assert status.get_json()["superseded"] is True
    again = first_http.post(f"/video/{live_meeting.id}/join", json={"session": first["session"]},
                            headers={"Accept-Language": "th"})  # fmt: skip
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "video_superseded"
    assert "แท็บอื่น" in again.get_json()["error"]["message"]
    status = second_http.post(f"/video/{live_meeting.id}/status", json={"session": second["session"]})
    assert status.get_json()["superseded"] is False
    assert second["publisher_id"] in room_participants(live_meeting)


def test_the_studio_watches_from_two_tabs_and_publishes_from_the_last(video_app, live_meeting, users, client):
    sign_in(client, users["chair"])
    server_url = services.room_of(live_meeting).server_url
    first = join_page(client, live_meeting)
    first_page = JanusPage(first, server_url)
    first_page.join(publisher=False)
    claimed = client.post(f"/video/{live_meeting.id}/claim", json={"session": first["session"]})
    assert claimed.status_code == 200
    first_page.join(publisher=True)

    second = join_page(client, live_meeting)
    second_page = JanusPage(second, server_url)
    second_page.join(publisher=False)
    assert first["listen_display"] in room_participants(live_meeting).values()  # both tabs watch
    claimed = client.post(f"/video/{live_meeting.id}/claim", json={"session": second["session"]})
    assert claimed.get_json() == {"ok": True, "may_publish": True}
    assert first["publisher_id"] not in room_participants(live_meeting)  # the first tab's publisher kicked
    assert second_page.join(publisher=True)["id"] == second["publisher_id"]
    status = client.post(f"/video/{live_meeting.id}/status", json={"session": first["session"]}).get_json()
    assert status["publishing_elsewhere"] is True and status["superseded"] is False
    assert first["listen_display"] in room_participants(live_meeting).values()


def test_a_token_is_renewed_on_the_running_janus_session(video_app, live_meeting, users):
    video_app.config["MEETCORE_VIDEO_TOKEN_TTL"] = 2
    seat = seat_at(live_meeting, "TH-90", "labour")
    http = seat_client(video_app, seat)
    video = join_page(http, live_meeting)
    page = JanusPage(video, services.room_of(live_meeting).server_url)
    page.join(publisher=False)
    time.sleep(3)
    with pytest.raises(JanusError) as refused:
        page.keepalive()  # Janus checks the token on every request, keepalives included
    assert refused.value.code == 403
    fresh = http.post(f"/video/{live_meeting.id}/token", json={"session": video["session"]}).get_json()
    assert fresh["ok"] and fresh["token"] != video["token"]
    page.token = fresh["token"]
    assert page.keepalive()["janus"] == "ack"  # the same session, the same participants: nothing dropped
    assert video["listen_display"] in room_participants(live_meeting).values()


def test_the_floor_check_kicks_a_publisher_without_the_floor_whatever_way_it_came(
    video_app, live_meeting, users
):
    from meetcore.floor.services import grant_floor

    holder, other = seat_at(live_meeting, "TH-50", "labour"), seat_at(live_meeting, "TH-90", "labour")
    grant_floor(live_meeting, seat_id=holder.id, by=users["chair"])
    db.session.commit()
    server_url = services.room_of(live_meeting).server_url
    # Both come straight to Janus with their credentials, without asking the app whether they may publish.
    pages = {}
    for seat in (holder, other):
        credentials = services.mint_token(live_meeting, seat)
        credentials["listen_display"] = "unused"
        pages[seat.id] = JanusPage(credentials, server_url)
        pages[seat.id].join(publisher=True)
    ids = {seat.id: services.SEAT_BASE + seat.id for seat in (holder, other)}
    assert set(ids.values()) <= set(room_participants(live_meeting))
    kicked = floor_watch.check_open_rooms()
    assert kicked == {live_meeting.id: [ids[other.id]]}
    assert ids[holder.id] in room_participants(live_meeting)
    assert ids[other.id] not in room_participants(live_meeting)
    assert floor_watch.check_open_rooms() == {}  # nothing more to do


def test_moderation_is_for_staff_and_names_a_publisher(video_app, live_meeting, users):
    from meetcore.errors import InvalidInput, NotFound, PermissionDenied

    seat = seat_at(live_meeting, "TH-50", "labour")
    publisher_id = services.SEAT_BASE + seat.id
    with pytest.raises(PermissionDenied):
        sessions.moderate(live_meeting, publisher_id, "video", ["1"], mute=True, by=users["participant"])
    with pytest.raises(InvalidInput):
        sessions.moderate(live_meeting, 12, "video", ["1"], mute=True, by=users["chair"])
    with pytest.raises(InvalidInput):
        sessions.moderate(live_meeting, publisher_id, "screen", ["1"], mute=True, by=users["chair"])
    with pytest.raises(NotFound):  # not in the room at all
        sessions.moderate(live_meeting, publisher_id, "video", ["1"], mute=True, by=users["chair"])
    assert sessions.moderation_state(live_meeting.id) == {}


def test_an_ended_meeting_says_so(video_app, live_meeting, users, client):
    from meetcore.meetings.services import end_meeting

    end_meeting(live_meeting, by=users["secretariat"])
    db.session.commit()
    sign_in(client, users["chair"])
    video = join_page(client, live_meeting)
    assert video == {"enabled": True, "live": False, "ended": True}
