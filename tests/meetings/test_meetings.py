"""Scheduling, editing, listing and cancelling meetings: services, console pages and permissions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from meetcore.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings import services
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import meeting_state
from meetcore.transaction import commit
from tests.clock import (
    MEETING_DAY,
    TODAY,
    be_year,
    days_after_meeting,
    in_bangkok,
    local_input,
    thai_date,
    thai_date_long,
)
from tests.conftest import MEETING_INPUT

FORM_DAY = days_after_meeting(7)

FORM = {
    "series_name": "คณะทำงานทดสอบ",
    "title": "การประชุมติดตามงาน",
    "number": "3",
    "date": FORM_DAY.isoformat(),
    "start_time": "13:30",
    "end_time": "15:00",
    "venue": "ห้องประชุม 2",
    "status": "scheduled",
    "video_conference": "1",
}


def _events(meeting) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(MeetingEvent.seq, MeetingEvent.kind)
        .where(MeetingEvent.meeting_id == meeting.id)
        .order_by(MeetingEvent.seq)
    )
    return [tuple(row) for row in rows]


def test_schedule_stores_bangkok_time_as_utc_and_derives_the_be_year(users):
    meeting = services.schedule_meeting(dict(MEETING_INPUT), by=users["secretariat"])
    assert meeting.start_at == in_bangkok(MEETING_DAY, 10)
    assert meeting.year_be == be_year(MEETING_DAY)
    assert meeting.number_label == f"1/{be_year(MEETING_DAY)}"
    assert _events(meeting) == [(1, "meeting.created")]


def test_meeting_ending_before_it_starts_is_refused_and_nothing_saved(users):
    with pytest.raises(InvalidInput) as error:
        services.schedule_meeting(
            dict(MEETING_INPUT, end_at=local_input(MEETING_DAY, 9)), by=users["secretariat"]
        )
    assert error.value.field == "end_at"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": "three"}, "number"),
        ({"number": 0}, "number"),
        ({"title": "   "}, "title"),
        ({"start_at": "tomorrow"}, "start_at"),
        ({"colour": "red"}, "colour"),
        ({"status": "live"}, "status"),
    ],
)
def test_bad_input_names_the_field(users, change, field):
    with pytest.raises(InvalidInput) as error:
        services.schedule_meeting(dict(MEETING_INPUT, **change), by=users["secretariat"])
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_same_number_in_the_same_series_and_year_is_a_conflict(users, meeting):
    with pytest.raises(Conflict):
        services.schedule_meeting(dict(MEETING_INPUT), by=users["secretariat"])


@pytest.mark.parametrize("role", ["chair", "participant"])
def test_only_the_secretariat_schedules(users, role):
    with pytest.raises(PermissionDenied):
        services.schedule_meeting(dict(MEETING_INPUT), by=users[role])


def test_anonymous_is_unauthenticated(app_ctx):
    with pytest.raises(Unauthenticated):
        services.list_meetings(by=None)


def test_update_records_significant_changes(users, meeting):
    services.update_meeting(meeting, {"venue": "ห้องประชุมใหญ่", "description": "x"}, by=users["secretariat"])
    event = db.session.scalar(sa.select(MeetingEvent).where(MeetingEvent.seq == 2))
    assert event.kind == "meeting.updated"
    assert event.payload == {"fields": ["description", "venue"], "significant": ["venue"],
                             "meeting": {**meeting_state(meeting), "venue": "ห้องประชุมใหญ่"}}  # fmt: skip


def test_update_keeps_times_consistent(users, meeting):
    with pytest.raises(InvalidInput):
        services.update_meeting(meeting, {"end_at": local_input(MEETING_DAY, 8)}, by=users["secretariat"])
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).end_at == in_bangkok(MEETING_DAY, 12)


def test_cancel_then_no_more_edits(users, meeting):
    services.cancel_meeting(meeting, {"reason": "เลื่อนการประชุม"}, by=users["secretariat"])
    assert meeting.status == "cancelled"
    with pytest.raises(Conflict):
        services.update_meeting(meeting, {"venue": "x"}, by=users["secretariat"])
    with pytest.raises(Conflict):
        services.cancel_meeting(meeting, by=users["secretariat"])
    assert [kind for _, kind in _events(meeting)] == ["meeting.created", "meeting.cancelled"]


def test_list_searches_filters_and_paginates(users):
    for number in range(1, 8):
        services.schedule_meeting(
            dict(
                MEETING_INPUT,
                number=number,
                title=f"ประชุมครั้งที่ {number}",
                status="draft" if number % 2 else "scheduled",
            ),
            by=users["secretariat"],
        )
    page = services.list_meetings(by=users["chair"], per_page=3, page=3)
    assert page.total == 7 and page.pages == 3 and len(page.items) == 1
    assert services.list_meetings(by=users["chair"], status="draft").total == 4
    assert services.list_meetings(by=users["chair"], q="ครั้งที่ 5").total == 1
    assert services.list_meetings(by=users["chair"], q="ไม่มีคำนี้").total == 0


# -- the console, from the outside ------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, meeting):
    for path in ("/", f"/meetings/{meeting.id}", "/meetings/new", f"/meetings/{meeting.id}/edit"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_secretariat_creates_a_meeting_through_the_form(as_secretariat):
    response = as_secretariat.post("/meetings/new", data=FORM)
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.start_at == in_bangkok(FORM_DAY, 13, 30)
    page = as_secretariat.get(response.headers["Location"])
    assert "การประชุมติดตามงาน" in page.text
    assert thai_date(FORM_DAY) in page.text or thai_date_long(FORM_DAY) in page.text


def test_form_errors_are_translated_name_the_field_and_save_nothing(as_secretariat):
    response = as_secretariat.post("/meetings/new", data=dict(FORM, end_time="09:00"))
    assert response.status_code == 422
    assert "การประชุมต้องสิ้นสุดหลังเวลาเริ่ม" in response.text
    assert 'id="end_time"' in response.text and "invalid" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_form_errors_in_english(as_secretariat):
    as_secretariat.get("/lang/en")
    response = as_secretariat.post("/meetings/new", data=dict(FORM, number="x"))
    assert response.status_code == 422
    assert "No.: Not a valid integer." in response.text


def test_edit_and_cancel_with_confirmation(as_secretariat, meeting):
    response = as_secretariat.post(f"/meetings/{meeting.id}/edit", data=dict(FORM, number="1"))
    assert response.status_code == 302
    assert db.session.get(Meeting, meeting.id).venue == "ห้องประชุม 2"
    confirm = as_secretariat.get(f"/meetings/{meeting.id}/cancel")
    assert confirm.status_code == 200 and 'method="post"' in confirm.text
    assert db.session.get(Meeting, meeting.id).status == "scheduled"  # asking is not cancelling
    as_secretariat.post(f"/meetings/{meeting.id}/cancel", data={"reason": "เลื่อน"})
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == "cancelled"


def test_chair_reads_but_cannot_change(as_chair, meeting):
    assert as_chair.get("/").status_code == 200
    assert as_chair.get(f"/meetings/{meeting.id}").status_code == 200
    assert as_chair.get("/meetings/new").status_code == 403
    assert as_chair.post("/meetings/new", data=FORM).status_code == 403
    assert as_chair.post(f"/meetings/{meeting.id}/edit", data=FORM).status_code == 403
    assert as_chair.post(f"/meetings/{meeting.id}/cancel").status_code == 403
    assert db.session.get(Meeting, meeting.id).status == "scheduled"


def test_participant_account_cannot_open_the_console(client, users, meeting):
    from tests.conftest import sign_in

    sign_in(client, users["participant"])
    assert client.get("/").status_code == 403
    assert client.get(f"/meetings/{meeting.id}").status_code == 403


def test_list_page_searches_and_shows_an_empty_state(as_secretariat, meeting):
    assert "การประชุมทดสอบ" in as_secretariat.get("/?q=ทดสอบ").text
    empty = as_secretariat.get("/?q=nothing-like-this")
    assert "ไม่มีการประชุมที่ตรงกับการค้นหานี้" in empty.text


def test_unknown_meeting_is_a_translated_404(as_secretariat):
    response = as_secretariat.get("/meetings/999999")
    assert response.status_code == 404
    assert "ไม่มีการประชุม" in response.text


def test_forms_need_the_csrf_token(app, as_secretariat):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = as_secretariat.post("/meetings/new", data=FORM)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


# -- the turn of the year (issue 12): pinned to the coming 31 December and 1 January, as the tests are
# about that date; Buddhist-Era years change on 1 January in Bangkok, seven hours before UTC's.

NEW_YEAR = date(TODAY.year + 1, 1, 1)
NEW_YEARS_EVE = NEW_YEAR - timedelta(days=1)


def _held_on(users, day, start: tuple[int, int], end: tuple[int, int], **changes):
    times = {"start_at": local_input(day, *start), "end_at": local_input(day, *end)}
    made = services.schedule_meeting(dict(MEETING_INPUT, **times, **changes), by=users["secretariat"])
    commit()  # the test is the entry point
    return made


def test_the_numbers_year_is_bangkoks_at_the_turn_of_the_year(users):
    eve = _held_on(users, NEW_YEARS_EVE, (23, 0), (23, 45))
    first = _held_on(users, NEW_YEAR, (0, 30), (2, 0))  # still 31 December in UTC
    assert first.start_at.date() == NEW_YEARS_EVE
    assert (eve.number_label, first.number_label) == (f"1/{be_year(NEW_YEARS_EVE)}", f"1/{be_year(NEW_YEAR)}")


def test_a_meeting_put_off_into_the_new_year_takes_that_years_number(users):
    put_off = _held_on(users, NEW_YEARS_EVE - timedelta(days=1), (10, 0), (12, 0))
    services.update_meeting(
        put_off, {"start_at": local_input(NEW_YEAR + timedelta(days=4), 10), "end_at":
                  local_input(NEW_YEAR + timedelta(days=4), 12)}, by=users["secretariat"],
    )  # fmt: skip
    assert db.session.get(Meeting, put_off.id).number_label == f"1/{be_year(NEW_YEAR)}"
    # A year the secretariat set apart from the date (the series counts its own way) stays as set.
    counted = _held_on(users, NEW_YEARS_EVE - timedelta(days=2), (10, 0), (12, 0), number=2, year_be=2600,
                       confirm_date=True)  # the year apart from the date is asked about, and confirmed
    new_times = {"start_at": local_input(NEW_YEAR, 10), "end_at": local_input(NEW_YEAR, 12)}
    services.update_meeting(counted, new_times, by=users["secretariat"])
    assert db.session.get(Meeting, counted.id).number_label == "2/2600"


def test_put_off_into_a_year_whose_number_is_taken_is_a_conflict(users):
    _held_on(users, NEW_YEAR + timedelta(days=10), (10, 0), (12, 0))  # 1/<new year> exists
    put_off = _held_on(users, NEW_YEARS_EVE, (9, 0), (10, 0))
    with pytest.raises(Conflict):
        services.update_meeting(
            put_off,
            {"start_at": local_input(NEW_YEAR, 9), "end_at": local_input(NEW_YEAR, 10)},
            by=users["secretariat"],
        )
    db.session.rollback()
    assert db.session.get(Meeting, put_off.id).number_label == f"1/{be_year(NEW_YEARS_EVE)}"


@pytest.mark.parametrize("change", ["update", "cancel"])
def test_a_change_reads_the_status_under_the_lock_not_from_a_stale_copy(users, meeting, change):
    """Issue 19: update and cancel checked the status of the copy they were given; the meeting had been
    started meanwhile (another request, another process), so a live meeting was edited or cancelled."""
    from meetcore.errors import Conflict

    stale = meeting  # loaded before the start, as a page's request would have
    venue_before = stale.venue
    assert stale.status == "scheduled"
    with db.engine.begin() as other:  # the chair starts it from another process
        other.execute(sa.text("UPDATE meetings SET status = 'live' WHERE id = :id"), {"id": meeting.id})
    with pytest.raises(Conflict):
        if change == "update":
            services.update_meeting(stale, {"venue": "ห้องประชุมใหญ่"}, by=users["secretariat"])
        else:
            services.cancel_meeting(stale, {"reason": "เลื่อน"}, by=users["secretariat"])
    db.session.rollback()
    fresh = db.session.get(Meeting, meeting.id, populate_existing=True)
    assert (fresh.status, fresh.venue) == ("live", venue_before)
