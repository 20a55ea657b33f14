"""A withdrawn link leaves the video too (issue 16): its room token leaves the room's ACL, its page's
participants are kicked at Janus, it cannot join again with what it was given, and it gets no fresh token;
the seat's (or hall's) new link joins, and a page of another link of the seat stays. Against a real Janus,
over its HTTP API as a page uses it; and a Janus that is down when the link is withdrawn."""

from __future__ import annotations

import logging
import secrets

import pytest
from flask import current_app

from meetcore.extensions import db
from meetcore.transaction import commit
from meetcore.video import floor_watch, services
from tests.conftest import sign_in
from tests.factories import seat_at
from tests.video import test_janus_outside_writes as outside_writes
from tests.video.test_sessions import JanusPage, join_page, room_participants

janus = outside_writes.janus  # the fixture: the app pointed at a Janus stand-in
NOT_ALLOWED = 433  # Janus VideoRoom: "Unauthorized (not in the allowed list)"


def link_client(app, seat, users, invitation_id=None):
    """A browser that opened a fresh personal link of the seat and confirmed its identity."""
    from meetcore.seats.links import issue_seat_link

    token = issue_seat_link(seat, by=users["secretariat"], invitation_id=invitation_id)
    commit()  # the test is the entry point: the link is issued before the browser opens it
    http = app.test_client()
    form = {"attending": "self", "attendee_name": seat.name or "นางสาวสมศรี ใจดี", "attendee_position": "พมจ."}
    assert http.post(f"/join/{token}/identity", data=form).status_code == 302
    return http


def in_the_video(meeting, page: JanusPage, *, publisher: bool) -> JanusPage:
    assert page.join(publisher=False)["videoroom"] == "joined"
    if publisher:
        assert page.join(publisher=True)["id"] == page.video["publisher_id"]
    return page


def holds(meeting, video: dict) -> bool:
    """Any of the page's participants (its listener, its publisher) is in the room."""
    participants = room_participants(meeting)
    return video["listen_display"] in participants.values() or video["publisher_id"] in participants


def assert_withdrawn(http, meeting, video: dict) -> None:
    """The withdrawn page gets neither a fresh token nor the video again (fail closed)."""
    for path in ("token", "join"):
        refused = http.post(f"/video/{meeting.id}/{path}", json={"session": video["session"]})
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["details"]["reason"] == "link_withdrawn"


def test_a_withdrawn_seat_link_leaves_the_video_and_the_new_link_joins(video_app, live_meeting, users):
    from meetcore.floor.services import grant_floor
    from meetcore.seats.links import revoke_seat_links

    seat = seat_at(live_meeting, "TH-50", "labour")
    grant_floor(live_meeting, seat_id=seat.id, by=users["chair"])
    server_url = services.room_of(live_meeting).server_url
    old_http = link_client(video_app, seat, users)
    old = join_page(old_http, live_meeting)
    old_page = in_the_video(live_meeting, JanusPage(old, server_url), publisher=True)

    revoke_seat_links(seat, by=users["secretariat"])
    commit()  # the entry point's commit: Janus is asked after it

    assert not holds(live_meeting, old)
    # The page still holds a signed Janus token that is valid for an hour; its room token is refused.
    assert old_page.join(publisher=False).get("error_code") == NOT_ALLOWED
    assert_withdrawn(old_http, live_meeting, old)

    new_http = link_client(video_app, seat, users)
    new = join_page(new_http, live_meeting)
    assert new["room_token"] != old["room_token"]
    in_the_video(live_meeting, JanusPage(new, server_url), publisher=True)
    assert holds(live_meeting, new)


def _invitation(meeting, seat):
    from meetcore.invitations.models import Invitation

    address = f"{secrets.token_hex(4)}@example.org"
    invitation = Invitation(meeting_id=meeting.id, seat_id=seat.id, attendee="invitee", email=address,
                            secret=secrets.token_hex(16))  # fmt: skip
    db.session.add(invitation)
    db.session.flush()
    return invitation


def test_a_withdrawn_link_leaves_the_seats_other_link_in_the_video(video_app, live_meeting, users):
    from meetcore.seats.links import revoke_invitation_links

    seat = seat_at(live_meeting, "TH-90", "labour")
    server_url = services.room_of(live_meeting).server_url
    first, second = _invitation(live_meeting, seat), _invitation(live_meeting, seat)
    first_http = link_client(video_app, seat, users, invitation_id=first.id)
    first_video = join_page(first_http, live_meeting)
    first_page = in_the_video(live_meeting, JanusPage(first_video, server_url), publisher=False)
    second_http = link_client(video_app, seat, users, invitation_id=second.id)
    second_video = join_page(second_http, live_meeting)  # takes the seat's video over
    in_the_video(live_meeting, JanusPage(second_video, server_url), publisher=False)

    revoke_invitation_links(seat, first.id, by=users["secretariat"])
    commit()

    assert holds(live_meeting, second_video)  # the other link's page is left alone
    assert first_page.join(publisher=False).get("error_code") == NOT_ALLOWED
    assert_withdrawn(first_http, live_meeting, first_video)
    fresh = second_http.post(f"/video/{live_meeting.id}/token", json={"session": second_video["session"]})
    assert fresh.status_code == 200


def test_a_withdrawn_hall_link_leaves_the_video_and_the_new_link_joins(video_app, live_meeting, users):
    from meetcore.attendance.sites import issue_site_link, revoke_site_links

    server_url = services.room_of(live_meeting).server_url
    old_token = issue_site_link(live_meeting, {"province_code": "TH-50"}, by=users["secretariat"]).token
    http = video_app.test_client()
    old = join_page(http, live_meeting, site_token=old_token)
    old_page = in_the_video(live_meeting, JanusPage(old, server_url), publisher=False)

    revoke_site_links(live_meeting, "TH-50", by=users["secretariat"])
    commit()

    assert not holds(live_meeting, old)
    assert old_page.join(publisher=False).get("error_code") == NOT_ALLOWED
    refused = http.post(
        f"/video/{live_meeting.id}/token", json={"site_token": old_token, "session": old["session"]}
    )
    assert refused.status_code == 410 and refused.get_json()["error"]["code"] == "link_revoked"

    new_token = issue_site_link(live_meeting, {"province_code": "TH-50"}, by=users["secretariat"]).token
    new = join_page(http, live_meeting, site_token=new_token)
    in_the_video(live_meeting, JanusPage(new, server_url), publisher=False)
    assert holds(live_meeting, new)


def test_signing_out_takes_the_studio_out_of_every_tab(video_app, live_meeting, users, client):
    server_url = services.room_of(live_meeting).server_url
    sign_in(client, users["chair"])
    first = join_page(client, live_meeting)
    first_page = in_the_video(live_meeting, JanusPage(first, server_url), publisher=False)
    assert (
        client.post(f"/video/{live_meeting.id}/claim", json={"session": first["session"]}).status_code == 200
    )
    first_page.join(publisher=True)
    second = join_page(client, live_meeting)
    in_the_video(live_meeting, JanusPage(second, server_url), publisher=False)

    client.post("/logout")  # the request commits, then Janus is asked

    assert not holds(live_meeting, first) and not holds(live_meeting, second)
    assert first_page.join(publisher=False).get("error_code") == NOT_ALLOWED
    sign_in(client, users["chair"])
    again = join_page(client, live_meeting)
    in_the_video(live_meeting, JanusPage(again, server_url), publisher=False)


class StandInPage:
    """A seat's page (its personal link) or a hall's (its link) in the stand-in's room, with a publisher and
    a listener; what the page was given, and how it asks again."""

    def __init__(self, janus, users, kind: str, number: int):
        from meetcore.attendance.sites import issue_site_link

        self.kind, self.users = kind, users
        self.meeting = outside_writes._live(users, "การประชุมทดสอบการถอนลิงก์", number)
        self.seat = seat_at(self.meeting, "TH-50", "labour")
        app = current_app._get_current_object()
        if kind == "seat":
            self.http, self.body = link_client(app, self.seat, users), {}
        else:
            self.http = app.test_client()
            link = issue_site_link(self.meeting, {"province_code": "TH-50"}, by=users["secretariat"])
            self.body = {"site_token": link.token}
        self.video = join_page(self.http, self.meeting, **self.body)
        janus.participants = [{"id": self.video["publisher_id"], "display": self.video["display"]},
                              {"id": 99, "display": self.video["listen_display"]}]  # fmt: skip
        janus.bodies.clear()

    def withdraw(self) -> None:
        from meetcore.attendance.sites import revoke_site_links
        from meetcore.seats.links import revoke_seat_links

        if self.kind == "seat":
            revoke_seat_links(self.seat, by=self.users["secretariat"])
        else:
            revoke_site_links(self.meeting, "TH-50", by=self.users["secretariat"])

    def assert_withdrawn(self) -> None:
        """No fresh token, nor the video again (fail closed)."""
        status, code = (403, "forbidden") if self.kind == "seat" else (410, "link_revoked")
        for path in ("token", "join"):
            body = {**self.body, "session": self.video["session"]}
            refused = self.http.post(f"/video/{self.meeting.id}/{path}", json=body)
            assert (refused.status_code, refused.get_json()["error"]["code"]) == (status, code), path


@pytest.mark.parametrize("kind", ["seat", "site"])
def test_the_withdrawal_takes_the_token_out_of_the_acl_and_kicks_after_the_commit(
    janus, users, reference, kind
):
    page = StandInPage(janus, users, kind, 7)
    page.withdraw()
    assert janus.bodies == []  # nothing at Janus before the commit (docs/transactions.md)
    commit()
    removal = janus.bodies[0]
    assert (removal["request"], removal["action"]) == ("allowed", "remove")
    assert removal["allowed"] == [page.video["room_token"]]
    kicked = sorted(body["id"] for body in janus.bodies if body["request"] == "kick")
    assert kicked == [99, page.video["publisher_id"]] and janus.participants == []


@pytest.mark.parametrize("kind", ["seat", "site"])
def test_janus_down_at_the_withdrawal_is_logged_and_the_floor_watch_shuts_the_page_out(
    janus, users, reference, caplog, kind
):
    page = StandInPage(janus, users, kind, 8)
    janus.down = True
    page.withdraw()
    with caplog.at_level(logging.WARNING, logger="meetcore.video.withdrawal"):
        commit()
    assert any(f"withdrawn {page.video['endpoint']} " in record.getMessage() for record in caplog.records)
    janus.down = False
    page.assert_withdrawn()

    # Janus is back: the floor watch's next round shuts the page out (its listener has no floor to lose).
    janus.bodies.clear()
    assert floor_watch.check_open_rooms() == {page.meeting.id: [page.video["publisher_id"], 99]}
    removed = [body["allowed"] for body in janus.bodies if body.get("action") == "remove"]
    assert removed == [[page.video["room_token"]]]
    assert floor_watch.check_open_rooms() == {}  # nothing more to do
