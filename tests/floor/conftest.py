"""Fixtures of the floor tests: a meeting in session with a few provincial seats, seat actors, and
Socket.IO test clients (tests/factories.py: each seat on its own cookie jar, staff on signed-in HTTP
clients)."""

from __future__ import annotations

import pytest

from tests.factories import live, schedule_soon, seat_at, seat_socket, staff_socket  # noqa: F401  (fixtures)

PROVINCES = ["TH-50", "TH-90"]  # Chiang Mai, Songkhla
ROLES = ["social_development", "labour"]


def _schedule(users, title: str, number: int):
    return schedule_soon(users, series_name="คณะทำงานทดสอบการขอรับสิทธิ์อภิปราย", title=title, number=number,
                         venue="ห้องประชุม 3")  # fmt: skip


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
