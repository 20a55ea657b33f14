"""Issue 15 (5): the demo's reference meeting 1/2560 has the record of a finished meeting: attendance,
minutes per item, decisions, actions with progress reports, and minutes the next meeting can certify."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, date, datetime

import pycrdt
import pytest
import sqlalchemy as sa

from meetcore.actions.models import ActionAssignment, ActionCarryOver, ActionItem, ProgressReport
from meetcore.agenda.models import AgendaItem
from meetcore.attendance.models import Attendance
from meetcore.demo.reference_meeting import load_reference_meeting
from meetcore.demo.reference_titles import ONE_HOME_TITLE, SOCIAL_MAP_TITLE, STANDARD_SECTIONS
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import Decision, MinutesBlock
from meetcore.reports.models import OfficialMinutes
from meetcore.seats.models import Seat
from tests.clock import TODAY

HELD_ON = date(2017, 5, 2)


@pytest.fixture
def loaded(db_session):
    return load_reference_meeting(today=TODAY)


@pytest.fixture
def first(loaded) -> Meeting:
    return db.session.get(Meeting, loaded["meeting_id"])


def _statuses(meeting):
    from meetcore.actors import SYSTEM_REPORTS
    from meetcore.attendance.statuses import seat_statuses

    return seat_statuses(meeting, by=SYSTEM_REPORTS)


def _rows(model, meeting_id):
    return db.session.scalars(sa.select(model).where(model.meeting_id == meeting_id)).all()


def _item(meeting_id: int, title: str) -> AgendaItem:
    query = sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting_id, AgendaItem.title == title)
    return db.session.scalars(query).one()


def test_most_seats_attended_some_by_substitute_some_late_or_early_some_absent_with_a_reason(first):
    statuses = _statuses(first)
    counts = Counter(entry.status for entry in statuses)
    seats = len(statuses)
    assert seats == 532 + 10
    assert counts["present"] > 0.8 * seats
    assert 10 <= counts["substitute"] <= 0.15 * seats
    assert 10 <= counts["absent"] <= 0.12 * seats
    assert sum(e.late for e in statuses) >= 10 and sum(e.left_early for e in statuses) >= 5
    assert all(e.seat.absence_reason and e.seat.rsvp == "declined" for e in statuses if e.status == "absent")
    substitutes = [e for e in statuses if e.status == "substitute"]
    assert all(e.seat.substitute_name and e.attendees[0].as_substitute for e in substitutes)
    intervals = _rows(Attendance, first.id)
    assert {row.kind for row in intervals} == {"self", "substitute", "site"}
    assert all(row.left_at is not None and row.joined_at.date() == HELD_ON for row in intervals)
    # Some dropped and came back: two intervals over two connections.
    assert any(n == 2 for n in Counter(row.seat_id for row in intervals).values())


def test_every_item_taken_has_minutes_the_items_decided_have_decisions_and_actions_were_given(first):
    blocks = {b.agenda_item_id: b for b in _rows(MinutesBlock, first.id)}
    assert len(blocks) >= 12 and all(b.text and b.published_text == b.text for b in blocks.values())
    decided = {d.agenda_item_id: d for d in _rows(Decision, first.id)}
    one_home = _item(first.id, ONE_HOME_TITLE)
    assert "เห็นชอบ" in decided[one_home.id].text
    assert set(decided) <= set(blocks)
    # A decision keeps who was present as it was taken: never more than the seats attending.
    attended = {row.seat_id for row in _rows(Attendance, first.id)}
    for decision in decided.values():
        assert set(decision.present_seat_ids) <= attended
        assert len(decision.present_seat_ids) > 0.7 * len(attended)
    actions = _rows(ActionItem, first.id)
    by_title = {a.agenda_item_id: a for a in actions}
    assert len(by_title[one_home.id].assignments) == 76  # every พมจ.
    assert len(by_title[_item(first.id, SOCIAL_MAP_TITLE).id].assignments) == 76
    assert sorted(len(a.assignments) for a in actions) == [1, 5, 76, 76]
    statuses = Counter(s.status for a in actions for s in a.assignments)
    assert statuses["done"] > statuses["in_progress"] > 0 and statuses["open"] > 0
    reports = db.session.scalars(sa.select(ProgressReport)).all()
    assert reports and all(r.created_at.date() > HELD_ON and r.created_at.year == 2017 for r in reports)
    done = db.session.scalars(sa.select(ActionAssignment).where(ActionAssignment.status == "done")).all()
    assert all(a.last_note and a.last_reported_at for a in done)


def test_the_events_are_in_the_order_they_happened_on_the_day(first):
    events = db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.meeting_id == first.id).order_by(MeetingEvent.seq)
    ).all()
    kinds = [e.kind for e in events]
    assert kinds[0] == "meeting.started" and kinds[-2:] == ["meeting.ended", "minutes.circulated"]
    assert kinds.count("decision.recorded") == len(_rows(Decision, first.id))
    assert kinds.count("action.created") == 4
    stamps = [e.created_at for e in events]
    assert stamps == sorted(stamps) and stamps[0].date() == HELD_ON


def test_the_attendance_report_and_the_minutes_agree(first, users):
    from meetcore.reports.attendance_report import attendance_report
    from meetcore.reports.content import build_document

    report = attendance_report(first, by=users["secretariat"])
    document = build_document(first)
    attended = [line for line in report.seats if line.entry.status != "absent"]
    absent = [line for line in report.seats if line.entry.status == "absent"]
    # The chair's seat is listed as ประธานที่ประชุม, the secretariat's as ผู้เข้าร่วมประชุม.
    assert document.present_count + document.supporting_count == len(attended)
    assert document.absent_count == len(absent) > 0
    absent_names = sorted(entry.name for group in document.absent for entry in group.entries)
    assert absent_names == sorted(line.seat.name for line in absent)
    substitutes = [e for group in document.present for e in group.entries if e.on_behalf_of]
    assert len(substitutes) == sum(line.entry.status == "substitute" for line in report.seats)
    assert (document.started_text, document.ended_text) == ("10.04 น.", "12.21 น.")
    decided = [section for section in document.items if section.decisions]
    assert len(decided) == len(_rows(Decision, first.id))
    assert all(section.text for section in decided)


def test_the_minutes_editor_opens_a_recorded_block_and_goes_on_typing(first, users):
    from meetcore.minutes.services import apply_update, sync_block

    item = _item(first.id, ONE_HOME_TITLE)
    recorded = db.session.scalars(sa.select(MinutesBlock).where(MinutesBlock.agenda_item_id == item.id)).one()
    text = recorded.text
    doc = pycrdt.Doc()
    typed = doc.get("minutes", type=pycrdt.Text)
    synced = sync_block(first.id, item.id, doc.get_state(), by=users["secretariat"])
    doc.apply_update(base64.b64decode(synced["update"]))
    assert str(typed) == text  # the editor shows what the minutes say
    before = doc.get_state()
    typed.insert(len(str(typed).encode("utf-8")), " (แก้ไขถ้อยคำ)")
    apply_update(first.id, item.id, doc.get_update(before), by=users["secretariat"])
    db.session.expire_all()
    assert db.session.get(MinutesBlock, recorded.id).text == text + " (แก้ไขถ้อยคำ)"


def test_the_next_meeting_carries_the_open_actions_and_certifies_the_minutes(loaded, first, users):
    from meetcore.meetings.services import start_meeting
    from meetcore.reports.services import certify

    following = db.session.get(Meeting, loaded["next_meeting_id"])
    [minutes] = _rows(OfficialMinutes, first.id)
    assert (minutes.state, minutes.recorder_name is not None) == ("circulated", True)
    carried = _rows(ActionCarryOver, following.id)
    open_actions = {
        a.action_item_id for a in db.session.scalars(sa.select(ActionAssignment))
        if a.status in ("open", "in_progress")
    }  # fmt: skip
    assert {c.action_item_id for c in carried} == open_actions and len(open_actions) == 3
    section = _item(following.id, STANDARD_SECTIONS[2])
    children = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.parent_id == section.id)).all()
    assert len(children) == 3 and all("ความคืบหน้า" in child.description for child in children)

    start_meeting(following, by=users["secretariat"])
    certified = certify(first, {}, by=users["secretariat"])
    assert certified.state == "certified"
    assert db.session.get(Meeting, first.id).status == "certified"
    assert _item(following.id, "รับรองรายงานการประชุม ครั้งที่ 1/2560").id == certified.certified_at_item_id


def test_loading_again_writes_no_second_record_on_any_day(loaded):
    models = (Attendance, MinutesBlock, Decision, ActionItem, ActionAssignment, ProgressReport, MeetingEvent,
              OfficialMinutes, ActionCarryOver, Seat, AgendaItem)  # fmt: skip

    def counts():
        return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models]

    before = counts()
    assert load_reference_meeting(today=TODAY) == loaded
    assert load_reference_meeting(today=date(2031, 1, 5)) == loaded  # the next meeting moves; nothing else
    assert counts() == before
    first = db.session.get(Meeting, loaded["meeting_id"])
    assert first.end_at == datetime(2017, 5, 2, 5, 30, tzinfo=UTC)


def test_loaded_without_its_record_for_tests_that_hold_it_themselves(db_session):
    bare = load_reference_meeting(today=TODAY, record=False)
    first = db.session.get(Meeting, bare["meeting_id"])
    for model in (Attendance, MinutesBlock, Decision, ActionItem, OfficialMinutes, MeetingEvent):
        assert _rows(model, first.id) == [], model.__name__
    assert first.status == "ended" and bare["seats"] == 532 + 10
    assert load_reference_meeting(today=TODAY) == bare  # loaded again with it: the record is written then
    assert _rows(OfficialMinutes, first.id) and _rows(Decision, first.id)
