"""Fixtures of the action item tests: the minutes tests' meeting and Socket.IO clients, and the reference
meeting's next sitting in session."""

from __future__ import annotations

import pytest

from tests.minutes.conftest import in_session, instant_text, live, no_timers, scheduled  # noqa: F401


@pytest.fixture()
def reference_live(reference_meeting, users):
    """The reference series' next meeting (532 provincial seats in 76 provinces), in session."""
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.meetings.services import start_meeting

    return start_meeting(
        db.session.get(Meeting, reference_meeting["next_meeting_id"]), by=users["secretariat"]
    )
