"""Creating the next meeting of a series puts the series' open actions under "เรื่องสืบเนื่อง" (section 3 of
the standard agenda), each with its latest progress; the console can bring them again (refreshed, never
duplicated)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.actions.models import ActionCarryOver
from meetcore.actions.progress import report_progress
from meetcore.agenda.models import AgendaItem
from meetcore.extensions import db
from meetcore.meetings.services import schedule_meeting
from tests.actions.followup_support import (
    ONE_HOME,
    SERIES,
    SOCIAL_MAP,
    agency,
    assignment_of,
    client_for,
    give,
    given_meeting,
    set_status,
)
from tests.clock import MEETING_DAY, be_year, days_after_meeting, local_input, thai_date

SOCIAL_MAP_DUE = days_after_meeting(40)


def _next_meeting(users, *, number: int = 2, after: int = 45, series: str = SERIES, status="scheduled"):
    """A later meeting, ``after`` days after meeting 1."""
    day = days_after_meeting(after)
    return schedule_meeting(
        {
            "series_name": series,
            "title": "การประชุมติดตามนโยบาย",
            "number": number,
            "start_at": local_input(day, 10),
            "end_at": local_input(day, 12),
            "status": status,
        },
        by=users["secretariat"],
    )


def _top(meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.parent_id.is_(None))
            .order_by(AgendaItem.position)
        )
    )


def _children(item) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem).where(AgendaItem.parent_id == item.id).order_by(AgendaItem.position)
        )
    )


@pytest.fixture()
def given(app_ctx, reference, users):
    """Meeting 1 gave: every พมจ. a social map (Chiang Mai done, Songkhla in progress, the rest open);
    ONE HOME to Chiang Mai's labour office (done); a third action, withdrawn."""
    secretary = users["secretariat"]
    first = given_meeting(users)
    social_map = give(
        first, {"role_code": "social_development", "provinces": "all"}, by=secretary, due=SOCIAL_MAP_DUE
    )
    one_home = give(first, {"agency_id": agency("labour", "TH-50").id}, by=secretary, title=ONE_HOME)
    withdrawn = give(first, {"agency_id": agency("labour", "TH-90").id}, by=secretary, title="ยกเลิกแล้ว")
    from meetcore.actions.services import cancel_action

    cancel_action(first.id, withdrawn.id, by=secretary)
    report_progress(
        assignment_of(social_map, agency("social_development", "TH-50")).id,
        {"status": "done", "note": "จัดทำแผนที่ครบทุกอำเภอแล้ว"},
        by=secretary,
    )
    report_progress(
        assignment_of(social_map, agency("social_development", "TH-90")).id,
        {"status": "in_progress", "note": "ลงพื้นที่เก็บข้อมูล 12 อำเภอ"},
        by=secretary,
    )
    report_progress(one_home.assignments[0].id, {"status": "done", "note": "ตั้งทีมแล้ว"}, by=secretary)
    set_status(first, "ended")
    return {"first": first, "social_map": social_map, "one_home": one_home}


def test_next_meeting_carries_open_actions_with_progress(given, users):
    second = _next_meeting(users)
    top = _top(second)
    assert [(item.section, item.title) for item in top] == [(3, "เรื่องสืบเนื่อง")]
    [carried] = _children(top[0])  # ONE HOME is done and the third was withdrawn: only the social map
    assert carried.title == SOCIAL_MAP
    text = carried.description
    assert f"ครั้งที่ 1/{be_year(MEETING_DAY)}" in text and thai_date(SOCIAL_MAP_DUE) in text
    assert "ดำเนินการแล้วเสร็จ 1" in text and "อยู่ระหว่างดำเนินการ 1" in text and "ยังไม่ดำเนินการ 74" in text
    assert "ลงพื้นที่เก็บข้อมูล 12 อำเภอ" in text and "จัดทำแผนที่ครบทุกอำเภอแล้ว" in text
    assert "76" in carried.presenter
    link = db.session.scalars(sa.select(ActionCarryOver).where(ActionCarryOver.meeting_id == second.id)).one()
    assert link.action_item_id == given["social_map"].id and link.agenda_item_id == carried.id


def test_other_series_and_earlier_meetings_are_left_alone(given, users):
    other = _next_meeting(users, series="คณะอื่น", number=1)
    assert _top(other) == []
    earlier = _next_meeting(users, number=9, after=-30)  # before meeting 1: nothing to follow up yet
    assert _top(earlier) == []


def test_the_standard_sections_fall_in_place_around_it(given, users):
    from meetcore.agenda.services import insert_standard_sections

    second = _next_meeting(users)
    insert_standard_sections(second, by=users["secretariat"])
    top = _top(second)
    assert [item.section for item in top] == [1, 2, 3, 4, 5, 6]
    assert len(_children(top[2])) == 1


def test_bringing_them_again_refreshes_and_adds_never_duplicates(app_ctx, given, users):
    from meetcore.agenda.services import insert_standard_sections

    # A meeting with its standard agenda already, created in another series and then moved to this one
    # (as when the secretariat fixes the series name): nothing was carried at its creation.
    secretary = users["secretariat"]
    third = _next_meeting(users, number=3, after=76, series="คณะทำงานชุดใหม่")
    insert_standard_sections(third, by=secretary)
    db.session.execute(
        sa.text("UPDATE meetings SET series_id = :s WHERE id = :id"),
        {"s": given["first"].series_id, "id": third.id},
    )
    db.session.commit()
    console = client_for(app_ctx, secretary.email)
    response = console.post(f"/meetings/{third.id}/actions/carry")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/meetings/{third.id}/agenda"
    )
    section = _top(third)[2]
    assert section.section == 3 and len(_children(section)) == 1
    report_progress(
        assignment_of(given["social_map"], agency("social_development", "TH-51")).id,
        {"status": "done", "note": "ลำพูนเสร็จแล้ว"},
        by=secretary,
    )
    console.post(f"/meetings/{third.id}/actions/carry")
    [carried] = _children(_top(third)[2])
    assert "ดำเนินการแล้วเสร็จ 2" in carried.description and "ลำพูนเสร็จแล้ว" in carried.description
    assert len(_top(third)) == 6


def test_only_a_meeting_not_yet_held_takes_them(app_ctx, given, users):
    console = client_for(app_ctx, users["secretariat"].email)
    assert console.post(f"/meetings/{given['first'].id}/actions/carry").status_code == 409
    chair = client_for(app_ctx, users["chair"].email)
    second = _next_meeting(users)
    assert chair.post(f"/meetings/{second.id}/actions/carry").status_code == 403
