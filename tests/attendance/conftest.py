"""Fixtures of the attendance tests: a meeting with Chiang Mai and Songkhla × seven roles (and two central
seats) whose invitees have e-mail addresses, personal links, Socket.IO clients for seats, sites and staff
(tests/factories.py)."""

from __future__ import annotations

import pytest

from meetcore.extensions import db
from tests.factories import SEVEN_ROLES, live, schedule_soon, seat_at, seat_link, seat_socket, staff_socket  # noqa: F401  (fixtures)


def _schedule(users, number: int = 1, title: str = "การประชุมทดสอบการเข้าประชุม"):
    return schedule_soon(users, series_name="คณะทำงานทดสอบการเข้าประชุม", title=title, number=number,
                         venue="ห้องประชุม 4")  # fmt: skip


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
    return seat_link


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
