"""What the tests of several packages build the same way: a meeting scheduled an hour ahead, seats found by
province and role, Socket.IO test clients (a seat's through its personal link, staff signed in, each on its
own cookie jar) and the events they received.

The fixtures at the end are taken into a package by importing them into its conftest.py; the meeting's own
words (its series, title and seats) stay with the package.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from meetcore.database import utcnow
from meetcore.extensions import db, socketio
from tests.conftest import sign_in

SEVEN_ROLES = [
    "vice_governor", "public_health", "provincial_office", "local_admin", "labour", "red_cross",
    "social_development",
]  # fmt: skip


def schedule_soon(users, *, series_name: str, title: str, number: int = 1, venue: str, hours: int = 3):
    """A scheduled meeting starting an hour from now (so it may start without confirm_early)."""
    from meetcore.meetings.services import schedule_meeting

    start = utcnow().replace(microsecond=0) + timedelta(hours=1)
    return schedule_meeting(
        {
            "series_name": series_name,
            "title": title,
            "number": number,
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=hours)).isoformat(),
            "venue": venue,
            "status": "scheduled",
        },
        by=users["secretariat"],
    )


def seat_at(meeting, province_code: str | None, role_code: str):
    """The meeting's (or meeting id's) seat of that role in that province (None: a central seat)."""
    from meetcore.directory.models import Province, Role
    from meetcore.seats.models import Seat

    meeting_id = getattr(meeting, "id", meeting)
    query = (
        sa.select(Seat)
        .join(Role, Seat.role_id == Role.id)
        .where(Seat.meeting_id == meeting_id, Role.code == role_code)
    )
    if province_code is None:
        query = query.where(Seat.province_id.is_(None))
    else:
        query = query.join(Province, Seat.province_id == Province.id).where(Province.code == province_code)
    return db.session.scalars(query).one()


def seat_link(seat, expires_at=None) -> str:
    """A fresh personal link token of the seat, valid for a day unless ``expires_at`` says otherwise; issued
    as the invitation mailer issues the links it sends."""
    from meetcore.actors import SYSTEM_MAIL
    from meetcore.seats.links import issue_seat_link

    return issue_seat_link(seat, expires_at=expires_at or utcnow() + timedelta(days=1), by=SYSTEM_MAIL)


def received(sio, name: str = "event") -> list[dict]:
    """The packets of that name a client received since it was last asked (each packet's payload)."""
    return [packet["args"][0] for packet in sio.get_received() if packet["name"] == name]


def events_of(sio, *kinds: str) -> list[dict]:
    """The numbered events a client received: all of them, or only those of the kinds named."""
    return [event for event in received(sio) if not kinds or event["kind"] in kinds]


def events_through(sio, seq: int, timeout: float = 30.0) -> list[dict]:
    """The numbered events a client receives until one stands for `seq`: a participant gets the
    placeholders of staff-only events that follow another message within MEETCORE_PLACEHOLDER_INTERVAL_MS
    as one run (first_seq..seq) once the interval has passed (meetcore.live.placeholders; a liveness
    wait)."""
    events, deadline = events_of(sio), time.monotonic() + timeout

    def has_it() -> bool:
        return any(event.get("first_seq", event["seq"]) <= seq <= event["seq"] for event in events)

    while not has_it() and time.monotonic() < deadline:
        time.sleep(0.05)
        events += events_of(sio)
    return events


def joined(sio, meeting_id: int):
    """The client after joining the meeting (its snapshot and the events before it read and dropped)."""
    assert sio.is_connected()
    ack = sio.emit("join", {"meeting_id": meeting_id}, callback=True)
    assert ack["ok"], ack
    sio.get_received()
    return sio


def signed_in_client(app, user):
    """A new HTTP test client (its own cookie jar) signed in as ``user``."""
    http = app.test_client()
    # The test's app context (and so flask.g) is shared by every client: forget the account Flask-Login
    # cached there for the previous one, or the login page would see it signed in already.
    g.pop("_login_user", None)
    sign_in(http, user)
    g.pop("_login_user", None)
    return http


class SocketClients:
    """The Socket.IO test clients of one test, closed together at its end."""

    def __init__(self, app):
        self.app = app
        self.opened = []

    def connect(self, http_client=None, auth=None, headers=None):
        """A client on ``http_client``'s cookies (a new cookie jar when None)."""
        g.pop("_login_user", None)  # see signed_in_client: else a seat would connect as the last account
        sio = socketio.test_client(self.app, flask_test_client=http_client or self.app.test_client(),
                                   auth=auth, headers=headers)  # fmt: skip
        g.pop("_login_user", None)  # nor may the next HTTP request see the account this client connected as
        self.opened.append(sio)
        return sio

    def close(self) -> None:
        for sio in self.opened:
            if sio.is_connected():
                sio.disconnect()


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture()
def live(app_ctx):
    """connect(http_client=None, auth=None, headers=None): a Socket.IO test client (on a new cookie jar
    unless an HTTP client is given); all closed afterwards."""
    clients = SocketClients(app_ctx)
    yield clients.connect
    clients.close()


@pytest.fixture()
def seat_socket(live):
    """seat_socket(seat, join_meeting_id=None, user_agent=...): a client joined (to the seat's meeting, or
    the one named) through a fresh personal link of the seat."""

    def connect(seat, join_meeting_id: int | None = None, user_agent: str = "TestBrowser/1.0"):
        sio = live(auth={"seat_token": seat_link(seat)}, headers={"User-Agent": user_agent})
        return joined(sio, join_meeting_id or seat.meeting_id)

    return connect


@pytest.fixture()
def staff_socket(app_ctx, live, users):
    """staff_socket(role, meeting): a client joined to the meeting, signed in as that role's account."""

    def connect(role: str, meeting):
        return joined(live(signed_in_client(app_ctx, users[role])), meeting.id)

    return connect
