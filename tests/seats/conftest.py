"""Fixtures of the seat roster tests: a meeting in the near future, small rosters, and a SQL query counter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetcore.extensions import db
from tests.factories import SEVEN_ROLES
from tests.seats.helpers import QueryCounter


@pytest.fixture()
def upcoming(reference, users):
    """A scheduled meeting starting tomorrow, with no seats (the conftest meeting has a fixed date)."""
    from meetcore.meetings.services import schedule_meeting

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return schedule_meeting(
        {
            "series_name": "คณะทำงานทดสอบทะเบียนที่นั่ง",
            "title": "การประชุมทดสอบทะเบียนที่นั่ง",
            "number": 1,
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=2)).isoformat(),
            "venue": "ห้องประชุม 2",
            "status": "scheduled",
        },
        by=users["secretariat"],
    )


@pytest.fixture()
def small_roster(upcoming, users):
    """Chiang Mai and Songkhla × the seven provincial roles, and two central seats."""
    from meetcore.seats.services import add_seats

    add_seats(
        upcoming,
        {
            "provinces": ["TH-50", "TH-90"],
            "roles": SEVEN_ROLES,
            "central_roles": ["permanent_secretary", "secretariat"],
        },
        by=users["secretariat"],
    )
    return upcoming


@pytest.fixture()
def count_queries(app_ctx):
    return lambda: QueryCounter(db.engine)


@pytest.fixture(autouse=True)
def english(app, monkeypatch):
    """These tests read the English messages; the Thai catalogue is checked by tests/i18n."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    from flask import has_app_context
    from flask_babel import refresh

    if has_app_context():
        refresh()
