"""Fixtures of the attendance tests: a meeting with Chiang Mai and Songkhla × seven roles (and two central
seats) whose invitees have e-mail addresses, personal links, Socket.IO clients for seats, sites and staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g

from meetcore.extensions import db, socketio
from tests.attendance.helpers import SEVEN_ROLES, seat_at
from tests.conftest import sign_in


def _schedule(users, number: int = 1, title: str = "การประชุมทดสอบการเข้าประชุม"):
    from meetcore.meetings.services import schedule_meeting

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    return schedule_meeting(
        {
            "series_name": "คณะทำงานทดสอบการเข้าประชุม",
            "title": title,
            "number": number,
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=3)).isoformat(),
            "venue": "ห้องประชุม 4",
            "status": "scheduled",
        },
        by=users["secretariat"],
    )


def _seated(meeting, users):
    from meetcore.seats.models import Seat
    from meetcore.seats.services import add_seats, get_seat, update_seat

    add_seats(
        meeting,
        {"provinces": ["TH-50", "TH-90"], "roles": SEVEN_ROLES, "central_roles": ["permanent_secretary"]},
        by=users["secretariat"],
    )
    for seat_id in db.session.scalars(db.select(Seat.id).where(Seat.meeting_id == meeting.id)).all():
        seat = get_seat(meeting, seat_id, by=users["secretariat"])
        update_seat(seat, {"name": f"ผู้ได้รับเชิญ {seat_id}", "position": f"ตำแหน่ง {seat_id}",
                           "email": f"seat{seat_id}@example.go.th"}, by=users["secretariat"])  # fmt: skip
    return meeting


@pytest.fixture()
def scheduled(reference, users):
    return _seated(_schedule(users), users)


@pytest.fixture()
def other_meeting(scheduled, users):
    return _seated(_schedule(users, number=2, title="การประชุมอีกการประชุมหนึ่ง"), users)


@pytest.fixture()
def seats(scheduled) -> dict:
    return {
        "cm_sd": seat_at(scheduled, "TH-50", "social_development"),
        "cm_lab": seat_at(scheduled, "TH-50", "labour"),
        "cm_vg": seat_at(scheduled, "TH-50", "vice_governor"),
        "cm_ph": seat_at(scheduled, "TH-50", "public_health"),
        "cm_po": seat_at(scheduled, "TH-50", "provincial_office"),
        "sk_sd": seat_at(scheduled, "TH-90", "social_development"),
        "central": seat_at(scheduled, None, "permanent_secretary"),
    }


@pytest.fixture()
def link_for(app_ctx):
    """link_for(seat, expires_at=None): a fresh personal link token."""
    from meetcore.seats.links import issue_seat_link

    def issue(seat, expires_at=None):
        return issue_seat_link(seat, expires_at=expires_at or datetime.now(UTC) + timedelta(days=1))

    return issue


@pytest.fixture()
def live(app_ctx, client):
    """connect(http_client=None, auth=None, headers=None): a Socket.IO test client; all closed afterwards."""
    opened = []

    def connect(http_client=None, auth=None, headers=None):
        g.pop("_login_user", None)  # the app context is shared by every client: forget the last account
        sio = socketio.test_client(app_ctx, flask_test_client=http_client or app_ctx.test_client(), auth=auth,
                                   headers=headers)  # fmt: skip
        g.pop("_login_user", None)  # nor may the next HTTP request see the account this client connected as
        opened.append(sio)
        return sio

    yield connect
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


@pytest.fixture()
def seat_socket(live, link_for):
    """seat_socket(seat, user_agent=...): a Socket.IO client joined through the seat's personal link."""

    def connect(seat, user_agent: str = "TestBrowser/1.0 (attendance)"):
        sio = live(auth={"seat_token": link_for(seat)}, headers={"User-Agent": user_agent})
        assert sio.is_connected()
        ack = sio.emit("join", {"meeting_id": seat.meeting_id}, callback=True)
        assert ack["ok"], ack
        sio.get_received()
        return sio

    return connect


@pytest.fixture()
def staff_socket(app_ctx, live, users):
    def connect(role: str, meeting):
        http = app_ctx.test_client()
        g.pop("_login_user", None)
        sign_in(http, users[role])
        sio = live(http)
        assert sio.is_connected()
        ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
        assert ack["ok"], ack
        sio.get_received()
        return sio

    return connect


@pytest.fixture()
def instant_board(app):
    """Every presence change is published at once (no coalescing window): events are deterministic."""
    previous = app.config.get("MEETCORE_BOARD_INTERVAL_MS")
    app.config["MEETCORE_BOARD_INTERVAL_MS"] = 0
    yield
    app.config["MEETCORE_BOARD_INTERVAL_MS"] = previous


@pytest.fixture(autouse=True)
def _no_timers(monkeypatch):
    """Publication timers never outlive a test: they are recorded, and tests publish by hand."""
    from meetcore.attendance import board

    scheduled = []

    def record(meeting_id, delay):
        if delay is not None:
            scheduled.append(meeting_id)

    monkeypatch.setattr(board, "publish_later", record)
    return scheduled
