from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.mail import conftest as mail_fixtures

# The real SMTP server fixtures of tests/mail, for these tests too.
mail_config = mail_fixtures.mail_config
smtp = mail_fixtures.smtp


@pytest.fixture()
def next_reference_meeting(reference, users):
    """The reference series' next meeting (542 seats, example.org addresses), ten days ahead, 10:00–12:00
    Asia/Bangkok."""
    from meetcore.demo.reference_meeting import load_reference_meeting
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting

    loaded = load_reference_meeting(today=date.today() + timedelta(days=10))
    return db.session.get(Meeting, loaded["next_meeting_id"])


def bangkok(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("Asia/Bangkok")).astimezone(UTC)


@pytest.fixture()
def small_meeting(reference, meeting):
    """The scheduled test meeting, moved to ten days ahead 10:00–12:00 Asia/Bangkok, with five seats that
    have e-mail addresses."""
    from meetcore.extensions import db
    from tests.invitations.support import add_seats

    day = date.today() + timedelta(days=10)
    meeting.start_at, meeting.end_at = bangkok(day, 10), bangkok(day, 12)
    db.session.commit()
    add_seats(meeting, 5)
    return meeting


@pytest.fixture()
def invited(small_meeting, users, smtp):
    """The small meeting with its invitations sent and delivered; the SMTP record cleared."""
    from meetcore.invitations.sending import send_invitations
    from tests.invitations.support import deliver

    send_invitations(small_meeting, by=users["secretariat"])
    deliver()
    assert len(smtp.received) == 5
    smtp.clear()
    return small_meeting
