"""No command waits for Janus while its transaction holds the database's write lock (issue 16): on SQLite
that lock is the whole database's, so a slow Janus would stop every check-in, vote and minutes save for the
round trip, and a Janus that is down for the HTTP timeout. Janus is asked before the first write, or after
the commit (docs/transactions.md). A Janus stand-in (tests/video/standin.py) holds one request while
another participant writes; and goes down to show what happens when Janus fails after a commit."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa
from flask import current_app

from meetcore.extensions import db
from meetcore.transaction import commit
from meetcore.video import services
from tests.factories import seat_at
from tests.video.conftest import ADMIN_KEY, TOKEN_SECRET, schedule
from tests.video.standin import JanusStandIn

WAIT = 60  # s: only a broken test waits this long


@pytest.fixture()
def janus(app_ctx, tmp_path, monkeypatch):
    """The app pointed at a Janus stand-in (its settings undone afterwards), waiting for its answers as
    long as it holds them: only the database's lock may give up first."""
    stand_in = JanusStandIn()
    make = services.janus_server

    def patient(url: str):
        server = make(url)
        server.timeout = WAIT
        return server

    monkeypatch.setattr(services, "janus_server", patient)
    values = {"MEETCORE_JANUS_URLS": stand_in.url, "MEETCORE_JANUS_TOKEN_SECRET": TOKEN_SECRET,
              "MEETCORE_JANUS_ADMIN_KEY": ADMIN_KEY, "MEETCORE_VIDEO_RECORD": 0,
              "MEETCORE_VIDEO_RECORDINGS_DIR": str(tmp_path / "recordings")}  # fmt: skip
    saved = {key: app_ctx.config.get(key) for key in values}
    app_ctx.config.update(values)
    yield stand_in
    stand_in.stop()
    app_ctx.config.update(saved)


def _live(users, title: str, number: int):
    from meetcore.meetings.services import start_meeting

    meeting = start_meeting(schedule(users, title, number), by=users["secretariat"])
    commit()  # the test is the entry point: the room is made at Janus after the commit
    return meeting


def _checked_in(meeting, seat) -> bool:
    from meetcore.attendance.models import Attendance

    db.session.expire_all()
    found = sa.select(Attendance.id).where(Attendance.meeting_id == meeting.id, Attendance.seat_id == seat.id)
    return db.session.scalar(found) is not None


def _while_held(janus, command, other) -> tuple:
    """Run `command` in a thread of its own until Janus holds its request, then `other` here; then let
    Janus answer. (`other`'s outcome, whether Janus still held the request when `other` was done,
    `command`'s outcome.)"""
    app = current_app._get_current_object()
    done = {}

    def run() -> None:
        with app.app_context():
            try:
                done["command"] = command()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert janus.held.wait(WAIT), "the command never reached Janus"
        outcome = other()
        still_held = thread.is_alive() and not janus.release.is_set()
    finally:
        janus.release.set()
        thread.join(WAIT)
    return outcome, still_held, done.get("command")


def test_a_check_in_commits_while_the_chairs_mute_waits_for_janus(janus, reference, users, staff_socket,
                                                                  seat_socket):  # fmt: skip
    meeting = _live(users, "การประชุมทดสอบวิดีโอ", 1)
    seat = seat_at(meeting, "TH-50", "labour")
    chair = staff_socket("chair", meeting)
    janus.hold = ("moderate", 1)  # a slow Janus
    mute = {"meeting_id": meeting.id, "publisher_id": services.SEAT_BASE + seat.id, "kind": "audio",
            "mids": ["0"], "mute": True, "client_id": "mute-the-seat-1"}  # fmt: skip

    def check_in() -> bool:
        seat_socket(seat_at(meeting, "TH-90", "labour"))  # joining is the check-in: acknowledged, committed
        return _checked_in(meeting, seat_at(meeting, "TH-90", "labour"))

    checked_in, still_held, ack = _while_held(
        janus,
        lambda: chair.emit("video.moderate", mute, callback=True), check_in
    )
    assert checked_in and still_held
    assert ack["ok"] and ack["seq"], ack
    assert chair.emit("video.moderate", mute, callback=True) == ack  # the receipt: carried out once
    assert janus.requests.count("moderate") == 1


def test_a_mute_that_janus_refuses_writes_nothing(janus, reference, users, staff_socket):
    from meetcore.live.models import CommandReceipt
    from meetcore.video.models import VideoEndpoint

    meeting = _live(users, "การประชุมทดสอบวิดีโอ", 1)
    chair = staff_socket("chair", meeting)
    janus.down = True
    ack = chair.emit("video.moderate", {"meeting_id": meeting.id, "publisher_id": services.SEAT_BASE + 1,
                                        "kind": "video", "mids": ["1"], "client_id": "stop-video-1"},
                     callback=True)  # fmt: skip
    assert ack["error"]["code"] == "video_unavailable"
    assert db.session.scalar(sa.select(sa.func.count(VideoEndpoint.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(CommandReceipt.id))) == 0  # its retry runs again


def test_a_check_in_commits_while_a_restarted_janus_gets_its_rooms_back(janus, reference, users,
                                                                        seat_socket):  # fmt: skip
    from meetcore.video.watch import JanusWatch

    first, second = _live(users, "การประชุมทดสอบวิดีโอ", 1), _live(users, "การประชุมอื่น", 2)
    watch = JanusWatch()
    assert watch.check() == []  # this process's session at Janus; both rooms are there
    janus.restart()
    # Janus was asked to create each room when its meeting started, and again by the first check (it had
    # them): the sixth time is the second room made again, which Janus is slow to answer.
    janus.hold = ("create", 6)

    def check_in() -> bool:
        seat_socket(seat_at(first, "TH-50", "labour"))
        return _checked_in(first, seat_at(first, "TH-50", "labour"))

    checked_in, still_held, restored = _while_held(janus, watch.check, check_in)
    assert checked_in and still_held
    assert sorted(restored) == [first.id, second.id]


def test_a_floor_change_stands_when_janus_fails_after_it_and_the_floor_check_enforces_it(
    janus, reference, users, caplog
):
    """After a floor change commits, the floor is enforced at Janus; when Janus fails then, the change
    stands (the record is right), the failure is logged, and the floor check (every few seconds, and after
    the next change) kicks the speaker whose turn is over once Janus answers again."""
    from meetcore.floor.models import FloorRequest
    from meetcore.floor.services import grant_floor
    from meetcore.video.floor_watch import check_open_rooms

    meeting = _live(users, "การประชุมทดสอบวิดีโอ", 1)
    chiang_mai, songkhla = seat_at(meeting, "TH-50", "labour"), seat_at(meeting, "TH-90", "labour")
    grant_floor(meeting, seat_id=chiang_mai.id, by=users["chair"])
    commit()
    janus.participants = [{"id": services.SEAT_BASE + chiang_mai.id, "publisher": True}]
    janus.down = True
    grant_floor(meeting, seat_id=songkhla.id, by=users["chair"])
    with caplog.at_level(logging.WARNING, logger="meetcore.video.services"):
        commit()  # the test is the entry point; the floor is enforced at Janus after the commit
    db.session.expire_all()
    granted = db.session.scalars(sa.select(FloorRequest.seat_id).where(FloorRequest.state == "granted")).all()
    assert granted == [songkhla.id]
    assert "not enforced at Janus" in caplog.text
    assert janus.participants  # Chiang Mai still publishes: Janus could not be told
    janus.down = False
    assert check_open_rooms() == {meeting.id: [services.SEAT_BASE + chiang_mai.id]}
    assert janus.participants == []


def test_the_guard_sees_a_write_until_the_transaction_ends(janus, reference, users):
    """meetcore.database.holds_write_locks, which every request to Janus asks first: reads hold nothing, a
    write holds the lock until the commit or the rollback; a call to Janus in between fails under test."""
    from meetcore.database import holds_write_locks
    from meetcore.floor.services import grant_floor

    meeting = _live(users, "การประชุมทดสอบวิดีโอ", 1)
    seat = seat_at(meeting, "TH-50", "labour")
    assert not holds_write_locks(db.session())
    grant_floor(meeting, seat_id=seat.id, by=users["chair"])
    assert holds_write_locks(db.session())
    with pytest.raises(services.JanusInsideWriteTransaction):
        services.participants(meeting)
    commit()
    assert not holds_write_locks(db.session())
    assert services.participants(meeting) == []
    grant_floor(meeting, seat_id=seat_at(meeting, "TH-90", "labour").id, by=users["chair"])
    db.session.rollback()
    assert not holds_write_locks(db.session())


def test_twin_mutes_reach_janus_and_one_is_recorded(janus, reference, users, live):
    """The receipt of a command that asks Janus first is claimed with its change: a twin attempt (the same
    client_id, sent again while the first waits for Janus) runs too, and the first, finding the twin's
    receipt when it claims its own, is discarded and answers the twin's acknowledgement."""
    from meetcore.eventlog.models import MeetingEvent
    from tests.factories import joined, signed_in_client

    meeting = _live(users, "การประชุมทดสอบวิดีโอ", 1)
    chair = joined(live(signed_in_client(current_app, users["chair"])), meeting.id)
    again = joined(live(signed_in_client(current_app, users["chair"])), meeting.id)
    janus.hold = ("moderate", 1)
    mute = {"meeting_id": meeting.id, "publisher_id": services.SEAT_BASE + 1, "kind": "audio",
            "mids": ["0"], "client_id": "mute-the-seat-2"}  # fmt: skip
    twin, still_held, first = _while_held(
        janus,
        lambda: chair.emit("video.moderate", mute, callback=True),
        lambda: again.emit("video.moderate", mute, callback=True),
    )
    assert still_held and twin["ok"] and first == twin
    assert janus.requests.count("moderate") == 2
    db.session.expire_all()
    moderated = sa.select(sa.func.count(MeetingEvent.id)).where(MeetingEvent.kind == "video.moderated")
    assert db.session.scalar(moderated) == 1
