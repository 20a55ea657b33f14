"""The video pages: join settings per account, seat and site; the admin key and room secret never reach a
browser; janus.js from Debian; the recordings page for the secretariat only."""

from __future__ import annotations

import json

from meetcore.extensions import db
from meetcore.video import services
from tests.clock import MEETING_DAY, in_bangkok
from tests.conftest import sign_in
from tests.factories import seat_at
from tests.video.conftest import ADMIN_KEY, tick_at_the_hall


def test_the_chair_joins_as_the_studio(live_meeting, users, client):
    sign_in(client, users["chair"])
    answer = client.post(f"/video/{live_meeting.id}/join", json={})
    assert answer.status_code == 200
    video = answer.get_json()["video"]
    assert video["live"] and video["kind"] == "studio" and video["may_publish"] and video["may_moderate"]
    room = services.room_of(live_meeting)
    assert video["room"] == room.janus_room_id
    text = answer.get_data(as_text=True)
    assert ADMIN_KEY not in text and room.secret not in text and room.server_url not in text
    assert video["server"] == "/janus-ws"  # MEETCORE_JANUS_PUBLIC_URL: the WebSocket proxied at this origin


def seat_client(app, seat):
    from meetcore.actors import SEAT_SESSION_KEY

    http = app.test_client()
    with http.session_transaction() as session:
        session[SEAT_SESSION_KEY] = {"seat_id": seat.id, "meeting_id": seat.meeting_id}
    return http


def test_a_seat_publishes_only_while_it_holds_the_floor(video_app, live_meeting, users):
    from meetcore.floor.services import grant_floor

    seat = seat_at(live_meeting, "TH-50", "labour")
    http = seat_client(video_app, seat)
    video = http.post(f"/video/{live_meeting.id}/join", json={}).get_json()["video"]
    assert video["kind"] == "seat" and video["publisher_id"] == services.SEAT_BASE + seat.id
    assert video["may_publish"] is False and video["may_moderate"] is False
    assert http.post(f"/video/{live_meeting.id}/status", json={}).get_json()["may_publish"] is False
    grant_floor(live_meeting, seat_id=seat.id, by=users["chair"])
    assert http.post(f"/video/{live_meeting.id}/join", json={}).get_json()["video"]["may_publish"] is True
    assert http.post(f"/video/{live_meeting.id}/status", json={}).get_json() == {
        "ok": True,
        "live": True,
        "may_publish": True,
        "superseded": False,
        "publishing_elsewhere": False,
        "ended": False,
    }


def test_a_seat_of_another_meeting_and_strangers_are_refused(video_app, live_meeting, users):
    from meetcore.meetings.services import start_meeting
    from tests.video.conftest import schedule

    other = start_meeting(schedule(users, "อื่น", 2), by=users["secretariat"])
    http = seat_client(video_app, seat_at(other, "TH-50", "labour"))
    assert http.post(f"/video/{live_meeting.id}/join", json={}).status_code == 403
    assert video_app.test_client().post(f"/video/{live_meeting.id}/join", json={}).status_code == 401


def test_a_provincial_site_joins_with_its_link(video_app, live_meeting, users):
    from meetcore.attendance.sites import issue_site_link
    from meetcore.floor.services import grant_floor

    token = issue_site_link(live_meeting, {"province_code": "TH-90"}, by=users["secretariat"]).token
    db.session.commit()
    http = video_app.test_client()
    page = http.get(f"/site/{token}").get_data(as_text=True)
    assert "data-video-panel" in page and f'data-site-token="{token}"' in page
    video = http.post(f"/video/{live_meeting.id}/join", json={"site_token": token}).get_json()["video"]
    assert video["kind"] == "site" and video["may_publish"] is False
    labour = seat_at(live_meeting, "TH-90", "labour")
    grant_floor(live_meeting, seat_id=labour.id, by=users["chair"])
    tick_at_the_hall(live_meeting, labour)
    video = http.post(f"/video/{live_meeting.id}/join", json={"site_token": token}).get_json()["video"]
    assert video["may_publish"] is True


def test_before_the_meeting_starts(scheduled, users, client):
    sign_in(client, users["chair"])
    assert client.post(f"/video/{scheduled.id}/join", json={}).get_json()["video"] == {
        "enabled": True,
        "live": False,
        "ended": False,
    }


def test_live_pages_carry_the_video_panel(live_meeting, users, client):
    sign_in(client, users["chair"])
    page = client.get(f"/meetings/{live_meeting.id}/chair").get_data(as_text=True)
    assert "data-video-panel" in page and "/video/lib/janus.js" in page
    strings = page.split('data-strings="', 1)[1].split('"', 1)[0]
    assert json.loads(strings.replace("&#34;", '"').replace("&amp;", "&"))  # the panel's messages


def test_debian_janus_js_is_served(client):
    answer = client.get("/video/lib/janus.js")
    assert answer.status_code == 200 and b"Janus" in answer.data
    assert client.get("/video/lib/adapter.js").status_code == 200
    pdf = client.get("/video/lib/pdf.js")  # Debian's pdf.js, for the projector
    assert pdf.status_code == 200 and b"pdfjsLib" in pdf.data
    assert client.get("/video/lib/other.js").status_code == 404


def test_recordings_page_is_for_the_secretariat(live_meeting, users, client):
    sign_in(client, users["secretariat"])
    page = client.get(f"/meetings/{live_meeting.id}/recordings")
    assert page.status_code == 200 and f"/meetings/{live_meeting.id}/recordings" in page.get_data(
        as_text=True
    )


def test_the_chair_does_not_see_recordings(live_meeting, users, client):
    sign_in(client, users["chair"])
    assert client.get(f"/meetings/{live_meeting.id}/recordings").status_code == 403


def test_recordings_are_listed_and_downloaded(live_meeting, users, client, tmp_path):
    from meetcore.video.models import VideoRecording

    room = services.room_of(live_meeting)
    room.record, room.rec_dir = True, str(tmp_path)
    studio = f"studio-{users['chair'].id}"
    name = f"videoroom-1-user-{services.STUDIO_BASE + users['chair'].id}-video-0.webm"
    (tmp_path / name).write_bytes(b"webm" * 10)
    db.session.add(VideoRecording(meeting_id=live_meeting.id, file_name=name,
                                  kind="video", publisher=studio, size_bytes=40,
                                  started_at=in_bangkok(MEETING_DAY, 10, 5)))  # fmt: skip
    db.session.commit()
    sign_in(client, users["secretariat"])
    client.get("/lang/en")
    page = client.get(f"/meetings/{live_meeting.id}/recordings").get_data(as_text=True)
    assert (
        f"<td>{users['chair'].display_name}</td>" in page and "10:05" in page
    )  # shown in Bangkok time
    recording_id = db.session.query(VideoRecording.id).scalar()
    download = client.get(f"/meetings/{live_meeting.id}/recordings/{recording_id}")
    assert download.status_code == 200 and download.data == b"webm" * 10
    assert client.get(f"/meetings/{live_meeting.id}/recordings/{recording_id + 1}").status_code == 404
    # The screen the chair shared is a recording of its own, named for the chair (issue 16).
    share_id = services.SHARE_SHIFT + services.STUDIO_BASE + users["chair"].id
    shared = f"videoroom-1-user-{share_id}-video-0.webm"
    (tmp_path / shared).write_bytes(b"webm" * 10)
    db.session.add(VideoRecording(meeting_id=live_meeting.id, file_name=shared, kind="video",
                                  publisher=f"share-{studio}", size_bytes=40,
                                  started_at=in_bangkok(MEETING_DAY, 10, 20)))  # fmt: skip
    db.session.commit()
    page = client.get(f"/meetings/{live_meeting.id}/recordings").get_data(as_text=True)
    assert f"<td>{users['chair'].display_name} (shared screen)</td>" in page


def test_the_api_tells_the_placement_and_mints_a_seats_token(live_meeting, api_token, client):
    room = services.room_of(live_meeting)
    answer = client.get(f"/api/v1/meetings/{live_meeting.id}/video", headers=api_token["chair"]).get_json()
    assert answer["room"]["janus_room_id"] == room.janus_room_id and answer["room"]["open"]
    assert answer["loads"] == {room.server_url: 1}
    seat = seat_at(live_meeting, "TH-50", "labour")
    url = f"/api/v1/meetings/{live_meeting.id}/video/seats/{seat.id}/token"
    assert client.post(url, headers=api_token["chair"]).status_code == 403
    credentials = client.post(url, headers=api_token["secretariat"]).get_json()
    assert (
        credentials["room"] == room.janus_room_id
        and credentials["publisher_id"] == services.SEAT_BASE + seat.id
    )
    assert client.get(f"/api/v1/meetings/{live_meeting.id}/video/recordings",
                      headers=api_token["secretariat"]).get_json() == {"recordings": []}  # fmt: skip
