"""Starting a meeting more than a day before its scheduled day asks first, and the record then says both days
(issue 15, item 3: five weeks early went unnoticed, and the minutes carried the start day while every other
page kept the scheduled one)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetcore.errors import ConfirmationRequired
from meetcore.extensions import db
from meetcore.meetings import services
from meetcore.meetings.models import Meeting
from tests.clock import TODAY, local_input, on_the_suites_day, thai_date_long
from tests.conftest import MEETING_INPUT, sign_in
from tests.minutes.conftest import live  # noqa: F401  (the Socket.IO client fixture)

SCHEDULED = TODAY + timedelta(days=35)


@pytest.fixture(autouse=True)
def _on_the_suites_day():
    """These tests compare the day the app reads when the meeting starts with TODAY."""
    with on_the_suites_day():
        yield


@pytest.fixture()
def far_meeting(users) -> Meeting:
    values = dict(MEETING_INPUT, start_at=local_input(SCHEDULED, 10), end_at=local_input(SCHEDULED, 12))
    return services.schedule_meeting(values, by=users["secretariat"])


def test_an_early_start_asks_and_the_record_says_both_days(far_meeting, users, client):
    with pytest.raises(ConfirmationRequired) as asked:
        services.start_meeting(far_meeting, by=users["secretariat"])
    assert asked.value.details["confirm"] == "confirm_early"
    question = str(asked.value.message)
    assert thai_date_long(SCHEDULED) in question and "ก่อนถึงวันดังกล่าว" in question
    db.session.rollback()
    assert db.session.get(Meeting, far_meeting.id).status == "scheduled"

    services.start_meeting(far_meeting, by=users["secretariat"], confirm_early=True)
    meeting = db.session.get(Meeting, far_meeting.id)
    assert meeting.status == "live"
    services.end_meeting(meeting, by=users["secretariat"])

    sign_in(client, users["secretariat"])
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert thai_date_long(SCHEDULED) in page  # the scheduled day
    started = page[page.index('id="meeting-started"'):]
    assert thai_date_long(TODAY) in started[:300] and "ไม่ตรงกับวันที่กำหนด" in started[:400]

    from meetcore.reports.content import build_document

    doc = build_document(meeting)
    assert doc.date_text == thai_date_long(TODAY)  # เมื่อ: the day it sat
    assert thai_date_long(SCHEDULED) in doc.scheduled_text  # and the day it had been called for


def test_on_its_day_a_meeting_starts_without_a_question(meeting, users):
    meeting.start_at = meeting.start_at - (meeting.start_at.date() - TODAY)  # today, at its hour
    meeting.end_at = meeting.start_at + timedelta(hours=2)
    db.session.commit()
    services.start_meeting(meeting, by=users["secretariat"])
    assert db.session.get(Meeting, meeting.id).status == "live"
    from meetcore.reports.content import build_document

    assert build_document(db.session.get(Meeting, meeting.id)).scheduled_text == ""


def test_the_live_command_asks_then_starts_when_confirmed(far_meeting, live):  # noqa: F811
    secretary = live("secretariat")
    assert secretary.emit("join", {"meeting_id": far_meeting.id}, callback=True)["ok"]
    asked = secretary.emit("meeting.start", {"meeting_id": far_meeting.id}, callback=True)
    assert asked["ok"] is False and asked["error"]["code"] == "confirmation_required"
    assert db.session.get(Meeting, far_meeting.id).status == "scheduled"
    confirmed = {"meeting_id": far_meeting.id, "confirm_early": True}
    done = secretary.emit("meeting.start", confirmed, callback=True)
    assert done["ok"], done
    db.session.expire_all()
    assert db.session.get(Meeting, far_meeting.id).status == "live"
