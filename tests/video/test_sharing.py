"""Screen sharing, from the outside: who may share (the service refuses a seat without the floor), one
shared content at a time, and a share that ends at Janus when the floor moves on, against a real Janus
(issue 16, item 3). The browser side (getDisplayMedia, frames decoded by two provinces): test_browser_share.
"""

from __future__ import annotations

from meetcore.transaction import commit
from meetcore.video import floor_watch, services
from tests.conftest import sign_in
from tests.factories import seat_at
from tests.video.test_sessions import JanusPage, join_page, room_participants
from tests.video.test_views import seat_client


def share_at_janus(video: dict, share: dict, server_url: str) -> JanusPage:
    """What a page does after /share answered: a second participant, under the share's id."""
    page = JanusPage({**video, "publisher_id": share["share_id"], "display": share["display"]}, server_url)
    joined = page.join(publisher=True)
    assert joined["videoroom"] == "joined" and joined["id"] == share["share_id"], joined
    return page


def ask_to_share(http, meeting, video: dict, **headers):
    return http.post(f"/video/{meeting.id}/share", json={"session": video["session"]}, headers=headers)


def test_a_seat_without_the_floor_may_not_share_and_the_holder_may(video_app, live_meeting, users):
    from meetcore.floor.services import grant_floor

    holder, other = seat_at(live_meeting, "TH-50", "labour"), seat_at(live_meeting, "TH-90", "labour")
    other_http = seat_client(video_app, other)
    other_video = join_page(other_http, live_meeting)
    refused = ask_to_share(other_http, live_meeting, other_video, **{"Accept-Language": "th"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "video_may_not_share"
    assert "ประธาน" in refused.get_json()["error"]["message"]  # in the page's language
    assert other_http.post(f"/video/{live_meeting.id}/share", json={}).status_code == 422  # no session

    grant_floor(live_meeting, seat_id=holder.id, by=users["chair"])
    commit()  # as the floor's entry point: its committed reactions (the floor at Janus) run
    holder_http = seat_client(video_app, holder)
    holder_video = join_page(holder_http, live_meeting)
    answer = ask_to_share(holder_http, live_meeting, holder_video)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["share_id"] == services.SHARE_SHIFT + services.SEAT_BASE + holder.id
    assert services.share_owner(answer.get_json()["share_id"]) == holder_video["publisher_id"]
    assert ask_to_share(other_http, live_meeting, other_video).status_code == 403  # still not the other


def test_a_share_ends_at_janus_when_the_floor_moves_on(video_app, live_meeting, users, client):
    from meetcore.floor.services import grant_floor, revoke_floor

    holder = seat_at(live_meeting, "TH-50", "labour")
    grant_floor(live_meeting, seat_id=holder.id, by=users["chair"])
    commit()  # as the floor's entry point: its committed reactions (the floor at Janus) run
    server_url = services.room_of(live_meeting).server_url
    http = seat_client(video_app, holder)
    video = join_page(http, live_meeting)
    share = ask_to_share(http, live_meeting, video).get_json()
    share_at_janus(video, share, server_url)
    assert share["share_id"] in room_participants(live_meeting)
    assert floor_watch.check_open_rooms() == {}  # the holder's share is left alone

    sign_in(client, users["chair"])
    studio_video = join_page(client, live_meeting)
    revoke_floor(live_meeting, by=users["chair"])
    commit()  # as the floor's entry point: its committed reactions (the floor at Janus) run
    assert share["share_id"] not in room_participants(live_meeting)  # kicked with the floor change

    # Whatever way it comes back without the floor (straight to Janus), the continuous check kicks it; the
    # studio's own share stays.
    studio_share = client.post(f"/video/{live_meeting.id}/share", json={"session": studio_video["session"]})
    assert studio_share.status_code == 200
    share_at_janus(studio_video, studio_share.get_json(), server_url)
    share_at_janus(video, share, server_url)
    assert floor_watch.check_open_rooms() == {live_meeting.id: [share["share_id"]]}
    assert studio_share.get_json()["share_id"] in room_participants(live_meeting)


def test_one_shared_content_at_a_time(video_app, live_meeting, users, client):
    from meetcore.floor.services import grant_floor

    server_url = services.room_of(live_meeting).server_url
    sign_in(client, users["chair"])
    studio_video = join_page(client, live_meeting)
    studio_share = client.post(f"/video/{live_meeting.id}/share", json={"session": studio_video["session"]})
    share_at_janus(studio_video, studio_share.get_json(), server_url)

    holder = seat_at(live_meeting, "TH-90", "labour")
    grant_floor(live_meeting, seat_id=holder.id, by=users["chair"])
    commit()  # as the floor's entry point: its committed reactions (the floor at Janus) run
    http = seat_client(video_app, holder)
    video = join_page(http, live_meeting)
    share = ask_to_share(http, live_meeting, video).get_json()
    assert studio_share.get_json()["share_id"] not in room_participants(live_meeting)  # the speaker's turn
    share_at_janus(video, share, server_url)
    assert share["share_id"] in room_participants(live_meeting)
