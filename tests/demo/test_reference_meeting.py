"""The reference meeting 1/2560 of DESIGN.md and the series' next meeting, loaded as demo data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from meetcore.agenda.models import AgendaItem
from meetcore.demo.reference_meeting import (
    ADMINISTRATION_GROUP,
    AGENDA_BASED_GROUP,
    AREA_BASED_GROUP,
    ONE_HOME_TITLE,
    SOCIAL_MAP_TITLE,
    STANDARD_SECTIONS,
    load_reference_meeting,
)
from meetcore.directory.models import Person
from meetcore.directory.reference import CENTRAL_ROLES
from meetcore.extensions import db
from meetcore.meetings.models import Meeting, Series
from meetcore.seats.models import Seat

TODAY = date(2025, 6, 17)  # pinned: these tests pass "today" in explicitly and are about that day


@pytest.fixture
def loaded(db_session):
    return load_reference_meeting(today=TODAY)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _seats(meeting_id: int) -> list[Seat]:
    return db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting_id)).all()


def _children(meeting_id: int, parent_id: int | None) -> list[AgendaItem]:
    query = sa.select(AgendaItem).where(
        AgendaItem.meeting_id == meeting_id,
        AgendaItem.parent_id.is_(None) if parent_id is None else AgendaItem.parent_id == parent_id,
    )
    return db.session.scalars(query.order_by(AgendaItem.position)).all()


def _item(meeting_id: int, title: str) -> AgendaItem:
    query = sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting_id, AgendaItem.title == title)
    return db.session.scalars(query).one()


def test_reference_meeting_is_1_2560_on_2_may_2017_in_bangkok(loaded):
    meeting = db.session.get(Meeting, loaded["meeting_id"])
    assert meeting.number_label == "1/2560"
    assert meeting.title == meeting.series.name == "การประชุมการขับเคลื่อนนโยบายด้านการพัฒนาสังคมระดับพื้นที่"
    assert meeting.start_at == datetime(2017, 5, 2, 3, 0, tzinfo=UTC)
    assert meeting.end_at == datetime(2017, 5, 2, 5, 30, tzinfo=UTC)
    assert meeting.start_at.astimezone(ZoneInfo("Asia/Bangkok")).strftime("%a %H:%M") == "Tue 10:00"
    assert (meeting.status, meeting.video_conference) == ("ended", True)
    assert meeting.venue == "ห้องประชุม 2 กระทรวงมหาดไทย"
    assert meeting.chair_position == "ปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์"


def test_roster_is_76_provinces_by_7_roles_plus_central_seats(loaded):
    seats = _seats(loaded["meeting_id"])
    provincial = [s for s in seats if s.province_id is not None]
    central = [s for s in seats if s.province_id is None]
    assert len(provincial) == 532 == 76 * 7
    assert len({s.province.code for s in provincial}) == 76
    assert "TH-10" not in {s.province.code for s in provincial}
    assert len({(s.province_id, s.role_id) for s in provincial}) == 532
    assert {s.role.code for s in central} == {r.code for r in CENTRAL_ROLES}
    assert loaded["seats"] == len(seats) == 532 + len(CENTRAL_ROLES)
    assert all(s.email.endswith("@example.org") for s in seats)
    assert all(s.person is not None and s.person.email == s.email for s in seats)
    chiang_mai_vice = next(s for s in seats if s.email == "vice-governor.th-50@example.org")
    assert chiang_mai_vice.position == "รองผู้ว่าราชการจังหวัดเชียงใหม่"
    assert chiang_mai_vice.name.startswith("ตัวอย่าง")
    assert chiang_mai_vice.person.agency.name_th == "จังหวัดเชียงใหม่"


def test_agenda_follows_the_six_thai_sections_with_the_years_policies(loaded):
    meeting_id = loaded["meeting_id"]
    sections = _children(meeting_id, None)
    assert [s.title for s in sections] == list(STANDARD_SECTIONS)
    assert [s.section for s in sections] == [1, 2, 3, 4, 5, 6]
    assert [s.position for s in sections] == [0, 1, 2, 3, 4, 5]
    policy_counts = {
        group: len(_children(meeting_id, _item(meeting_id, group).id))
        for group in (AGENDA_BASED_GROUP, AREA_BASED_GROUP, ADMINISTRATION_GROUP)
    }
    assert policy_counts == {AGENDA_BASED_GROUP: 9, AREA_BASED_GROUP: 5, ADMINISTRATION_GROUP: 5}
    assert {g.title for g in _children(meeting_id, sections[0].id)} >= set(policy_counts)
    for_decision = [item.title for item in _children(meeting_id, sections[4].id)]
    assert ONE_HOME_TITLE in for_decision and SOCIAL_MAP_TITLE in for_decision
    assert "พมจ." in _item(meeting_id, ONE_HOME_TITLE).description


def test_agenda_positions_run_from_zero_within_each_parent(loaded):
    items = db.session.scalars(sa.select(AgendaItem)).all()
    by_parent: dict[tuple, list[int]] = {}
    for item in items:
        by_parent.setdefault((item.meeting_id, item.parent_id), []).append(item.position)
    assert all(sorted(positions) == list(range(len(positions))) for positions in by_parent.values())


def test_loading_twice_duplicates_nothing(loaded):
    models = (Series, Meeting, Seat, Person, AgendaItem)
    counts = [_count(m) for m in models]
    again = load_reference_meeting(today=TODAY)
    assert again == loaded
    assert [_count(m) for m in models] == counts


def test_next_meeting_is_2_scheduled_today_with_the_same_roster(loaded):
    following = db.session.get(Meeting, loaded["next_meeting_id"])
    assert (following.number, following.year_be, following.status) == (2, 2568, "scheduled")
    assert following.series_id == db.session.get(Meeting, loaded["meeting_id"]).series_id
    assert following.start_at == datetime(2025, 6, 17, 3, 0, tzinfo=UTC)
    assert following.end_at == datetime(2025, 6, 17, 5, 0, tzinfo=UTC)

    def roster(meeting_id):
        return {(s.province_id, s.role_id, s.person_id, s.email) for s in _seats(meeting_id)}

    assert roster(following.id) == roster(loaded["meeting_id"])
    sections = _children(following.id, None)
    assert [s.title for s in sections] == list(STANDARD_SECTIONS)
    certify = [item.title for item in _children(following.id, sections[1].id)]
    assert certify == ["รับรองรายงานการประชุม ครั้งที่ 1/2560"]


def test_next_meeting_defaults_to_today_in_bangkok(db_session):
    before = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    following = db.session.get(Meeting, load_reference_meeting()["next_meeting_id"])
    after = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    local_start = following.start_at.astimezone(ZoneInfo("Asia/Bangkok"))
    assert local_start.date() in {before, after}
    assert local_start.hour == 10
    assert following.year_be == local_start.year + 543


def test_loaded_again_on_a_later_day_the_next_meeting_moves_to_that_day_and_year(db_session):
    """Issue 12: `make demo` run again on a later day left the next meeting in the past, where no join link
    can be issued. The days are pinned: the test is about crossing 31 December (พ.ศ. changes on 1 January)."""
    loaded = load_reference_meeting(today=date(2026, 12, 31))
    again = load_reference_meeting(today=date(2027, 1, 2))
    assert again == loaded
    following = db.session.get(Meeting, loaded["next_meeting_id"])
    assert following.start_at == datetime(2027, 1, 2, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok
    assert (following.year_be, following.number_label) == (2570, "2/2570")
    assert db.session.get(Meeting, loaded["meeting_id"]).number_label == "1/2560"  # the record stays


def test_a_next_meeting_already_held_is_left_where_it_was(db_session):
    loaded = load_reference_meeting(today=TODAY)
    following = db.session.get(Meeting, loaded["next_meeting_id"])
    following.status = "ended"
    db.session.commit()
    load_reference_meeting(today=date(2025, 6, 20))
    assert db.session.get(Meeting, loaded["next_meeting_id"]).start_at == datetime(
        2025, 6, 17, 3, 0, tzinfo=UTC
    )
