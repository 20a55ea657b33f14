"""Dates the way Thai staff type them (issue 15, item 1): day/month/Buddhist-Era year and the 24-hour clock,
read in one place; a date nobody is likely to mean is asked about, not kept in silence."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from tests.clock import TODAY, be_input, be_year, days_after_meeting, in_bangkok

FORM_DAY = days_after_meeting(7)
FORM = {
    "series_name": "คณะทำงานขับเคลื่อนนโยบาย",
    "title": "การประชุมติดตามงาน",
    "number": "1",
    "date": be_input(FORM_DAY),
    "start_time": "09:30",
    "end_time": "12.00 น.",
    "status": "scheduled",
}


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("12/01/2570", date(2027, 1, 12)),
        ("1/2/2570", date(2027, 2, 1)),
        (" 29-02-2571 ", date(2028, 2, 29)),
        ("31.12.2569", date(2026, 12, 31)),
        ("2027-01-12", date(2027, 1, 12)),  # ISO, as the API sends it
    ],
)
def test_typed_dates_are_day_month_buddhist_year(typed, expected):
    from meetcore.i18n.dates import parse_typed_date, typed_date

    assert parse_typed_date(typed) == expected
    assert parse_typed_date(typed_date(expected)) == expected


@pytest.mark.parametrize(
    "typed,message",
    [
        ("12/01/2027", "พุทธศักราช (2570)"),  # a Christian year typed by habit
        ("31/02/2570", "ไม่มีวันที่"),
        ("01/13/2570", "ไม่มีวันที่"),
        ("2570-01-12x", "วัน/เดือน/ปี พ.ศ."),
        ("12 ม.ค. 2570", "วัน/เดือน/ปี พ.ศ."),
        ("", "วัน/เดือน/ปี พ.ศ."),
    ],
)
def test_unreadable_dates_say_why_in_thai(app_ctx, typed, message):
    from meetcore.i18n.dates import TypedDateError, parse_typed_date

    with pytest.raises(TypedDateError) as caught:
        parse_typed_date(typed)
    assert message in str(caught.value.message)


def test_times_are_on_the_24_hour_clock(app_ctx):
    from meetcore.i18n.dates import TypedDateError, parse_typed_time

    assert parse_typed_time("9.30") == time(9, 30)
    assert parse_typed_time("14:00 น.") == time(14, 0)
    for wrong in ("2:30 PM", "24:00", "9:75", ""):
        with pytest.raises(TypedDateError) as caught:
            parse_typed_time(wrong)
        assert "24 ชั่วโมง" in str(caught.value.message)


def test_the_form_reads_a_buddhist_era_date(as_secretariat):
    page = as_secretariat.get("/meetings/new").text
    assert 'id="date" name="date" type="text"' in page
    assert 'type="date"' not in page and 'type="time"' not in page
    response = as_secretariat.post("/meetings/new", data=FORM)
    assert response.status_code == 302, response.text
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.start_at == in_bangkok(FORM_DAY, 9, 30) and meeting.end_at == in_bangkok(FORM_DAY, 12, 0)
    assert meeting.year_be == be_year(FORM_DAY)
    # The edit form gives the date back as it was typed.
    edit = as_secretariat.get(f"/meetings/{meeting.id}/edit").text
    assert f'value="{be_input(FORM_DAY)}"' in edit and 'value="09:30"' in edit


def test_a_christian_year_typed_is_refused_in_thai_and_nothing_saved(as_secretariat):
    typed = FORM_DAY.strftime("%d/%m/%Y")  # "12/01/2027": what the browser's picker taught people to type
    response = as_secretariat.post("/meetings/new", data=dict(FORM, date=typed))
    assert response.status_code == 422
    assert f"โปรดพิมพ์ปีพุทธศักราช ({FORM_DAY.year + 543})" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


@pytest.mark.parametrize(
    "change,question",
    [
        ({"date": be_input(TODAY + timedelta(days=3660))}, "มากกว่า 2 ปี"),
        ({"date": be_input(TODAY - timedelta(days=3 * 366))}, "มากกว่าหนึ่งปีที่แล้ว"),
        ({"year_be": str(be_year(FORM_DAY) + 1)}, f"แต่วันที่ประชุมอยู่ในปี {be_year(FORM_DAY)}"),
    ],
)
def test_a_date_nobody_means_is_asked_about_then_kept_when_confirmed(as_secretariat, change, question):
    asked = as_secretariat.post("/meetings/new", data=dict(FORM, **change))
    assert asked.status_code == 422
    assert question in asked.text
    assert 'name="confirm_date"' in asked.text  # the question is a box to tick
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0
    confirmed = as_secretariat.post("/meetings/new", data=dict(FORM, **change, confirm_date="1"))
    assert confirmed.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1


def test_the_api_keeps_iso_and_asks_the_same_question(client, api_token):
    from tests.clock import local_input

    far = TODAY + timedelta(days=366 * 3)
    body = {"series_name": "ชุดทดสอบ", "title": "ประชุม", "number": 1,
            "start_at": local_input(far, 9), "end_at": local_input(far, 10)}  # fmt: skip
    asked = client.post("/api/v1/meetings", json=body, headers=api_token["secretariat"])
    assert asked.status_code == 422 and asked.json["error"]["code"] == "confirmation_required"
    assert asked.json["error"]["details"] == {"confirm": "confirm_date"}
    headers = api_token["secretariat"]
    done = client.post("/api/v1/meetings", json=dict(body, confirm_date=True), headers=headers)
    assert done.status_code == 201, done.json
