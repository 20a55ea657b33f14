"""The sites' connection quality from the outside, over the live protocol (issue 16, item 5): a page reports
its own line (the command names no seat, so a raw client cannot report for another); bad figures are
refused with a translated error and change nothing; reports are rate-limited; the staff's snapshot and
live events carry each site's quality (good / weak / bad with the figures), participants never see it."""

from __future__ import annotations

import pytest

from meetcore.extensions import db, socketio
from meetcore.video import quality
from meetcore.video.models import VideoEndpoint
from tests.factories import events_through, seat_at

GOOD = {"bitrate_in": 480_000, "bitrate_out": 0, "loss": 0.004, "rtt_ms": 62, "audio_only": False}


class Client:
    """A Socket.IO test client whose every call is its own: the account Flask-Login cached in the test's
    shared flask.g for another client's last call is forgotten first (as a real connection's context)."""

    def __init__(self, sio):
        self.sio = sio

    def emit(self, *args, **kwargs):
        from flask import g

        g.pop("_login_user", None)
        return self.sio.emit(*args, **kwargs)

    def get_received(self):
        return self.sio.get_received()


@pytest.fixture()
def connect(app_ctx):
    from flask import g

    opened = []

    def open_client(http=None, auth=None, headers=None):
        g.pop("_login_user", None)
        sio = socketio.test_client(app_ctx, flask_test_client=http, auth=auth, headers=headers)
        assert sio.is_connected()
        opened.append(sio)
        return Client(sio)

    yield open_client
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


def joined(sio, meeting) -> dict:
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"], ack
    return ack["snapshot"]


def quality_events(sio) -> list[dict]:
    return [packet["args"][0] for packet in sio.get_received()
            if packet["name"] == "event"
            and packet["args"][0]["kind"] in ("video.quality", "redacted")]  # fmt: skip


def report(sio, meeting, **figures) -> dict:
    return sio.emit("video.quality", {"meeting_id": meeting.id, **GOOD, **figures}, callback=True)


def stored(meeting) -> dict:
    db.session.expire_all()
    rows = db.session.query(VideoEndpoint).filter_by(meeting_id=meeting.id).all()
    return {row.endpoint: row.quality for row in rows if row.quality}


def seat_client(connect, meeting, province: str, role: str = "labour"):
    from meetcore.actors import SYSTEM_MAIL
    from meetcore.seats.links import issue_seat_link

    seat = seat_at(meeting, province, role)
    sio = connect(auth={"seat_token": issue_seat_link(seat, by=SYSTEM_MAIL)})
    db.session.commit()
    return seat, sio


def test_each_site_reports_its_own_line_and_the_staff_see_it_live(live_meeting, as_secretariat, connect):
    staff = connect(as_secretariat)
    assert joined(staff, live_meeting)["quality"] == {}
    seat, sio = seat_client(connect, live_meeting, "TH-50")
    assert joined(sio, live_meeting)["quality"] is None  # the staff's board, not the participants'
    sio.get_received()
    answer = report(sio, live_meeting, loss=0.12, rtt_ms=140, audio_only=True)
    assert answer["ok"], answer
    assert answer["quality"]["level"] == "bad" and answer["quality"]["endpoint"] == f"seat-{seat.id}"
    [event] = quality_events(staff)
    assert event["kind"] == "video.quality" and event["payload"]["endpoint"] == f"seat-{seat.id}"
    shown = event["payload"]["quality"]
    expected = {"level": "bad", "loss": 0.12, "rtt_ms": 140, "bitrate_in": 480_000, "audio_only": True}
    assert {k: shown[k] for k in expected} == expected
    assert event["payload"]["quality"]["display"]  # the board names the site
    # The participant's seq stays gap-free, the figures stay the staff's.
    [redacted] = [e for e in events_through(sio, event["seq"]) if e["kind"] in ("video.quality", "redacted")]
    assert redacted["kind"] == "redacted" and redacted["payload"] == {}
    # A page that opens the console later gets the board in its snapshot.
    late = connect(as_secretariat)
    assert joined(late, live_meeting)["quality"][f"seat-{seat.id}"]["level"] == "bad"


def test_a_raw_client_cannot_report_for_another_seat(live_meeting, connect):
    seat, sio = seat_client(connect, live_meeting, "TH-50")
    other = seat_at(live_meeting, "TH-90", "labour")
    smuggled_fields = ({"seat_id": other.id}, {"endpoint": f"seat-{other.id}"}, {"publisher_id": other.id})
    for smuggled in smuggled_fields:
        answer = report(sio, live_meeting, **smuggled)
        assert not answer["ok"] and answer["error"]["code"] == "invalid_input", answer
    assert stored(live_meeting) == {}
    # Its own report lands on its own endpoint only.
    assert report(sio, live_meeting)["ok"]
    assert set(stored(live_meeting)) == {f"seat-{seat.id}"}


@pytest.mark.parametrize("bad", [
    {"loss": 1.5}, {"loss": -0.1}, {"loss": "lots"}, {"loss": float("nan")}, {"rtt_ms": -1},
    {"rtt_ms": 10**9}, {"bitrate_in": -5}, {"bitrate_in": 1.5}, {"bitrate_out": "fast"},
    {"audio_only": "perhaps"},
])  # fmt: skip
def test_bad_figures_are_refused_in_the_users_language_and_change_nothing(live_meeting, connect, bad):
    from meetcore.actors import SYSTEM_MAIL
    from meetcore.seats.links import issue_seat_link

    seat = seat_at(live_meeting, "TH-50", "labour")
    token = issue_seat_link(seat, by=SYSTEM_MAIL)
    sio = connect(auth={"seat_token": token}, headers={"Accept-Language": "th"})
    db.session.commit()
    answer = report(sio, live_meeting, **bad)
    assert not answer["ok"] and answer["error"]["code"] == "invalid_input"
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in answer["error"]["message"]), answer  # Thai, not English
    assert stored(live_meeting) == {}


def test_reports_are_rate_limited_and_announced_only_when_they_matter(live_meeting, as_secretariat, connect,
                                                                       monkeypatch):  # fmt: skip
    staff = connect(as_secretariat)
    joined(staff, live_meeting)
    seat, sio = seat_client(connect, live_meeting, "TH-50")
    assert report(sio, live_meeting)["ok"]
    again = report(sio, live_meeting, loss=0.5)
    assert not again["ok"] and again["error"]["code"] == "too_often"
    assert stored(live_meeting)[f"seat-{seat.id}"]["loss"] == GOOD["loss"]  # the refused one changed nothing
    monkeypatch.setattr(quality, "MIN_INTERVAL_SECONDS", 0)
    staff.get_received()
    assert report(sio, live_meeting, loss=0.005)["ok"]  # the same level, shortly after: kept, not announced
    assert quality_events(staff) == []
    assert stored(live_meeting)[f"seat-{seat.id}"]["loss"] == 0.005
    assert report(sio, live_meeting, loss=0.05)["ok"]  # weak now: announced at once
    [event] = quality_events(staff)
    assert event["payload"]["quality"]["level"] == "weak"


def test_a_seat_of_another_meeting_and_a_meeting_not_in_session_are_refused(live_meeting, users,
                                                                            connect):  # fmt: skip
    from meetcore.seats.links import issue_seat_link
    from tests.video.conftest import schedule

    other = schedule(users, "การประชุมอื่น", 2)
    db.session.commit()
    _seat, sio = seat_client(connect, live_meeting, "TH-50")
    assert report(sio, other)["error"]["code"] in ("permission_denied", "forbidden", "not_found")
    token = issue_seat_link(seat_at(other, "TH-50", "labour"), by=users["secretariat"])
    stranger = connect(auth={"seat_token": token})
    db.session.commit()
    refused = stranger.emit("video.quality", {"meeting_id": other.id, **GOOD}, callback=True)
    assert refused["error"]["code"] == "conflict"  # scheduled, not in session
    assert stored(other) == {}


def test_levels_follow_loss_and_round_trip():
    assert quality.level_of({"loss": 0.0, "rtt_ms": None}) == "good"
    assert quality.level_of({"loss": 0.03, "rtt_ms": 20}) == "weak"
    assert quality.level_of({"loss": 0.0, "rtt_ms": 300}) == "weak"
    assert quality.level_of({"loss": 0.0, "rtt_ms": 800}) == "bad"
    assert quality.level_of({"loss": 0.1, "rtt_ms": 20}) == "bad"
