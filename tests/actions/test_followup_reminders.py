"""Reminder e-mails before an action's due date and once it is overdue, through the outbox: each stage
once per assignment and due date, to the agency's focal points, or with an agency link to its people."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from meetcore.actions.models import ActionReminder
from meetcore.actions.progress import report_progress
from meetcore.actions.reminders import enqueue_action_reminders, stage_for
from meetcore.extensions import db
from meetcore.mail.models import OutboxMessage
from tests.actions.followup_support import (
    ONE_HOME,
    agency,
    assignment_of,
    client_for,
    focal_point,
    give,
    given_meeting,
)
from tests.clock import days_after_meeting, in_bangkok, thai_date


def day(number: int):
    """Day ``number`` of the follow-up, the meeting that gives the actions being day 1."""
    return days_after_meeting(number - 1)


DUE = day(20)


def at(number: int, hour: int = 9) -> datetime:
    """A moment of day ``number``, Bangkok time."""
    return in_bangkok(day(number), hour)


def _messages() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def _parsed(message: OutboxMessage):
    return email.message_from_bytes(message.body, policy=email.policy.default)


def _text(message: OutboxMessage) -> str:
    return _parsed(message).get_body(("plain",)).get_content()


def _add_people(addresses: dict[int, str]) -> None:
    from meetcore.directory.models import Person

    db.session.add_all(
        Person(name=f"ตัวอย่าง {email}", email=email, agency_id=agency_id)
        for agency_id, email in addresses.items()
    )
    db.session.commit()


@pytest.fixture()
def given(app_ctx, reference, users):
    """Given on day 1, due on day 20: Chiang Mai's labour office (one focal point) and the พมจ. of Chiang Mai
    and Lamphun (no focal point: their people in the directory)."""
    secretary = users["secretariat"]
    meeting = given_meeting(users)
    labour = give(meeting, {"agency_id": agency("labour", "TH-50").id}, by=secretary, title=ONE_HOME, due=DUE)
    social_map = give(
        meeting, {"role_code": "social_development", "provinces": ["TH-50", "TH-51"]}, by=secretary, due=DUE
    )
    from meetcore.actions.models import ActionItem

    db.session.execute(sa.update(ActionItem).values(created_at=at(1)))  # given at the meeting, on day 1
    db.session.commit()
    user = focal_point(
        agency("labour", "TH-50"), "labour.cm@example.org", by=secretary, name="ผู้ประสาน แรงงาน"
    )
    _add_people(
        {
            agency("social_development", "TH-50").id: "pmj.chiangmai@example.org",
            agency("social_development", "TH-51").id: "pmj.lamphun@example.org",
        }
    )
    return {"labour": labour, "social_map": social_map, "focal": user}


def test_stages():
    days = [7, 1]
    given_on = day(1)
    assert stage_for(DUE, day(12), given_on, days) is None
    assert stage_for(DUE, day(13), given_on, days) == "before-7d"
    assert stage_for(DUE, day(19), given_on, days) == "before-1d"
    assert stage_for(DUE, DUE, given_on, days) == "before-1d"
    assert stage_for(DUE, day(21), given_on, days) == "overdue"
    # Given inside a stage's window: the meeting itself was that reminder.
    assert stage_for(DUE, day(15), day(14), days) is None
    assert stage_for(DUE, day(19), day(14), days) == "before-1d"


def test_each_stage_goes_once(given):
    assert enqueue_action_reminders(at(12)) == 0  # 8 days before: nothing yet
    assert enqueue_action_reminders(at(13)) == 3  # 7 days before: the focal point, and two พมจ. offices
    assert enqueue_action_reminders(at(13, 15)) == 0  # the same day again: nothing more
    assert enqueue_action_reminders(at(16)) == 0
    assert enqueue_action_reminders(at(19)) == 3  # the day before
    assert enqueue_action_reminders(at(20)) == 0  # on the day: the 1-day one went already
    assert enqueue_action_reminders(at(21)) == 3  # overdue
    assert enqueue_action_reminders(at(28)) == 0  # overdue only once
    stages = db.session.execute(
        sa.select(ActionReminder.stage, sa.func.count()).group_by(ActionReminder.stage)
    )
    assert dict(stages.all()) == {"before-7d": 3, "before-1d": 3, "overdue": 3}
    messages = _messages()
    assert len(messages) == 9 and len({m.dedupe_key for m in messages}) == 9
    assert {m.kind for m in messages} == {"reminder"} and {m.status for m in messages} == {"pending"}


def test_focal_point_mail_leads_to_the_signed_in_page(given):
    enqueue_action_reminders(at(13))
    [mine] = [m for m in _messages() if m.recipient == "labour.cm@example.org"]
    parsed = _parsed(mine)
    assert "ONE HOME" in parsed["Subject"] and thai_date(DUE) in parsed["Subject"]
    text = _text(mine)
    assert "ผู้ประสาน แรงงาน" in text and "http://meetcore.test/followup" in text


def test_agency_without_focal_point_gets_a_working_link(app_ctx, given):
    enqueue_action_reminders(at(21))
    [lamphun] = [m for m in _messages() if m.recipient == "pmj.lamphun@example.org"]
    assert _parsed(lamphun)["Subject"].startswith("เกินกำหนด:")  # Thai first
    url = re.search(r"http://meetcore.test(/followup/link/\S+)", _text(lamphun)).group(1)
    page = client_for(app_ctx).get(url)
    assert page.status_code == 200
    lamphun_assignment = assignment_of(given["social_map"], agency("social_development", "TH-51"))
    assert re.findall(r'data-assignment="(\d+)"', page.text) == [str(lamphun_assignment.id)]


def test_done_withdrawn_and_moved_assignments(given, users):
    secretary = users["secretariat"]
    report_progress(
        assignment_of(given["social_map"], agency("social_development", "TH-50")).id,
        {"status": "done", "note": "เสร็จ"},
        by=secretary,
    )
    from meetcore.actions.services import cancel_action

    cancel_action(given["labour"].meeting_id, given["labour"].id, by=secretary)
    assert enqueue_action_reminders(at(13)) == 1  # Lamphun only
    assert [m.recipient for m in _messages()] == ["pmj.lamphun@example.org"]


def test_a_new_due_date_starts_the_stages_again(given, users):
    from meetcore.actions.services import update_action

    assert enqueue_action_reminders(at(21)) == 3
    labour = given["labour"]
    update_action(labour.meeting_id, labour.id, {"due_date": day(31)}, by=users["secretariat"])
    assert enqueue_action_reminders(at(24)) == 1  # the labour office, 7 days before its new date
    assert enqueue_action_reminders(at(28)) == 0


def test_cli_and_the_mail_worker_round(app_ctx, given):
    result = app_ctx.test_cli_runner().invoke(args=["actions", "remind"])
    assert result.exit_code == 0 and re.match(r"queued \d+ action reminders", result.output)


def test_overdue_begins_at_midnight_in_bangkok_on_new_years_day(app_ctx, reference, users):
    """Pinned to a 31 December (the next one at least a week after the meeting): the test is about the turn
    of the year, which Bangkok reaches at 17:00 UTC, and about พ.ศ. changing with it."""
    secretary = users["secretariat"]
    meeting = given_meeting(users)
    eve = date(days_after_meeting(8).year, 12, 31)
    labour = agency("labour", "TH-50")
    focal_point(labour, "labour.cm@example.org", by=secretary)
    give(meeting, {"agency_id": labour.id}, by=secretary, title=ONE_HOME, due=eve)
    last_minute = datetime.combine(eve, time(16, 59), UTC)  # 23:59 on 31 December in Bangkok
    assert enqueue_action_reminders(last_minute) == 1  # the day-before reminder, on the day itself
    assert enqueue_action_reminders(last_minute + timedelta(minutes=2)) == 1  # 00:01 on 1 January
    overdue = _parsed(_messages()[-1])["Subject"]
    assert overdue.startswith("เกินกำหนด:") and f"31 ธ.ค. {eve.year + 543}" in overdue


def test_an_overdue_reminder_in_thai_has_no_english_line(given):
    """Issue 15, item 6: the overdue reminder's text carried one English line."""
    enqueue_action_reminders(at(21))
    [message, *_others] = _messages()
    text = _text(message)
    assert "เกินกำหนด" in _parsed(message)["Subject"]
    prose = re.sub(r"https?://\S+", "", text).replace(ONE_HOME, "")  # the link and the action's own title
    assert re.findall(r"[A-Za-z]{3,}", prose) == [], prose
