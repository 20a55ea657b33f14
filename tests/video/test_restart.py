"""A Janus that restarts under a live meeting gets the meeting's room back from the app's watcher, with no
page asking (issue 20, item 6): the room exists and the floor is enforced again within 10 s, and the
browsers are told to reconnect their media ("video.restored")."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.transaction import commit
from meetcore.video import services
from meetcore.video.janus_process import JanusConfig, JanusProcess
from meetcore.video.watch import JanusWatch
from tests.factories import seat_at
from tests.video.conftest import ADMIN_KEY, TOKEN_SECRET, require_janus
from tests.video.test_services import exists, join

WATCH_SECONDS = 0.5


@pytest.fixture()
def own_janus(video_app, tmp_path):
    """A Janus of this test's own (it is restarted), and the app pointed at it."""
    require_janus()
    config = JanusConfig(tmp_path / "janus", token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY,
                         admin_secret="video-test-admin-secret")  # fmt: skip
    config.directory.mkdir()
    process = JanusProcess(config).start()
    video_app.config["MEETCORE_JANUS_URLS"] = config.http_url
    yield process
    process.stop()


@pytest.fixture()
def watching(video_app):
    """The app process's watcher, checking every WATCH_SECONDS in a thread of its own (as its background
    task does in `meetcore run`), stopped afterwards."""
    stop = threading.Event()

    def loop() -> None:
        watch = JanusWatch()
        with video_app.app_context():
            while not stop.is_set():
                watch.check()
                db.session.remove()
                stop.wait(WATCH_SECONDS)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def _restored_events(meeting) -> list:
    from meetcore.eventlog.models import MeetingEvent

    db.session.expire_all()
    return db.session.scalars(
        sa.select(MeetingEvent).where(
            MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == "video.restored"
        )
    ).all()


def _wait(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def test_a_restarted_janus_gets_the_room_back_and_the_floor_is_enforced_within_10_s(
    own_janus, reference, users, watching
):
    from meetcore.floor.services import grant_floor
    from meetcore.meetings.services import start_meeting
    from tests.video.conftest import schedule

    meeting = start_meeting(schedule(users, "การประชุมที่ Janus เริ่มใหม่", 1), by=users["secretariat"])
    commit()  # as start_meeting's entry point: its room is made at Janus once committed
    room = services.room_of(meeting)
    chiang_mai = seat_at(meeting, "TH-50", "social_development")
    songkhla = seat_at(meeting, "TH-90", "labour")
    grant_floor(meeting, seat_id=chiang_mai.id, by=users["chair"])
    commit()  # as the floor's entry point
    time.sleep(3 * WATCH_SECONDS)  # the watcher has its session: the room was found there, nothing told
    assert exists(room) and _restored_events(meeting) == []

    own_janus.stop()
    own_janus.start()
    took = _wait(lambda: exists(room), 10)  # no page asked: the watcher made it again
    print(f"room back {took:.1f} s after Janus answered again")
    _wait(lambda: _restored_events(meeting), 5)  # the watcher commits once the floor is enforced there too
    [event] = _restored_events(meeting)
    assert event.payload["room"] == room.janus_room_id

    # The floor holds at Janus again: the speaker stays, a seat without the floor is put out.
    joined = {}
    for seat in (chiang_mai, songkhla):
        endpoint = services.seat_endpoint(seat)
        credentials = services.mint_token(meeting, endpoint=endpoint)
        answer = join(services.janus_server(credentials["server_url"]), credentials["room"],
                      token=credentials["token"], room_token=credentials["room_token"],
                      publisher_id=endpoint.publisher_id)  # fmt: skip
        assert answer["videoroom"] == "joined", answer
        joined[seat.id] = endpoint.publisher_id
    assert services.enforce_floor(meeting) == [joined[songkhla.id]]
    assert {p["id"] for p in services.participants(meeting)} == {joined[chiang_mai.id]}
    assert len(_restored_events(meeting)) == 1  # told once, not on every round
