"""Fixtures of the floor tests: a meeting in session with a few provincial seats, seat actors, and
Socket.IO test clients (each seat on its own cookie jar, staff on signed-in HTTP clients)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g

from meetcore.extensions import socketio
from tests.conftest import sign_in
from tests.floor.helpers import seat_at

PROVINCES = ["TH-50", "TH-90"]  # Chiang Mai, Songkhla
ROLES = ["social_development", "labour"]


def _schedule(users, title: str, number: int):
    from meetcore.meetings.services import schedule_meeting

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    return schedule_meeting(
        {
            "series_name": "คณะทำงานทดสอบการขอรับสิทธิ์อภิปราย",
            "title": title,
            "number": number,
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=3)).isoformat(),
            "venue": "ห้องประชุม 3",
            "status": "scheduled",
        },
        by=users["secretariat"],
    )


def _seated(meeting, users):
    from meetcore.seats.services import add_seats

    add_seats(meeting, {"provinces": PROVINCES, "roles": ROLES}, by=users["secretariat"])
    return meeting


@pytest.fixture()
def scheduled(reference, users):
    """Not in session yet: Chiang Mai and Songkhla × พมจ. and labour."""
    return _seated(_schedule(users, "การประชุมทดสอบการอภิปราย", 1), users)


@pytest.fixture()
def in_session(scheduled, users):
    from meetcore.meetings.services import start_meeting

    return start_meeting(scheduled, by=users["secretariat"])


@pytest.fixture()
def other_meeting(in_session, users):
    """A second meeting in session, with its own seats."""
    from meetcore.meetings.services import start_meeting

    return start_meeting(
        _seated(_schedule(users, "การประชุมอีกการประชุมหนึ่ง", 2), users), by=users["secretariat"]
    )


@pytest.fixture()
def seats(in_session) -> dict:
    """cm_sd: Chiang Mai พมจ., cm_lab: Chiang Mai labour, sk_sd: Songkhla พมจ., sk_lab: Songkhla labour."""
    return {
        "cm_sd": seat_at(in_session, "TH-50", "social_development"),
        "cm_lab": seat_at(in_session, "TH-50", "labour"),
        "sk_sd": seat_at(in_session, "TH-90", "social_development"),
        "sk_lab": seat_at(in_session, "TH-90", "labour"),
    }


@pytest.fixture()
def live(app_ctx, client):
    """connect(http_client=None, auth=None): an open Socket.IO test client; all closed afterwards."""
    opened = []

    def connect(http_client=client, auth=None):
        # The test's app context (and so flask.g) is shared by every test client: forget the account
        # Flask-Login cached there for the previous client, or a seat would connect as that account.
        g.pop("_login_user", None)
        sio = socketio.test_client(app_ctx, flask_test_client=http_client, auth=auth)
        opened.append(sio)
        return sio

    yield connect
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


@pytest.fixture()
def seat_socket(app_ctx, live):
    """seat_socket(seat): a joined Socket.IO client acting through the seat's personal link."""
    from meetcore.seats.links import issue_seat_link

    def connect(seat, join_meeting_id: int | None = None):
        token = issue_seat_link(seat, expires_at=datetime.now(UTC) + timedelta(days=1))
        sio = live(app_ctx.test_client(), auth={"seat_token": token})
        assert sio.is_connected()
        ack = sio.emit("join", {"meeting_id": join_meeting_id or seat.meeting_id}, callback=True)
        assert ack["ok"], ack
        sio.get_received()
        return sio

    return connect


@pytest.fixture()
def staff_socket(app_ctx, live, users):
    """staff_socket(role): a joined Socket.IO client signed in as that account (its own cookie jar)."""

    def connect(role: str, meeting):
        http = app_ctx.test_client()
        g.pop("_login_user", None)  # see live(): else the login page sees the previous account signed in
        sign_in(http, users[role])
        sio = live(http)
        assert sio.is_connected()
        ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
        assert ack["ok"], ack
        sio.get_received()
        return sio

    return connect
