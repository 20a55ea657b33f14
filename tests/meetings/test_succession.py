"""A new meeting of a series starts from the previous one (issue 15, 4d), from the outside (HTTP): one
button copies the roster (replies, substitutes and invitations left behind) and the agenda's skeleton
(sections and items by title; section 2 certifies the previous minutes; carried actions not doubled)."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.actions.carryover import carried_actions
from meetcore.agenda.services import add_item
from meetcore.agenda.tree import public_tree, walk
from meetcore.demo.reference_meeting import SERIES_NAME
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat
from meetcore.seats.services import update_seat
from tests.clock import MEETING_DAY, days_after_meeting
from tests.conftest import sign_in


def _new_meeting(client, number: int, days: int) -> Meeting:
    day = days_after_meeting(days)
    response = client.post("/meetings/new", data={
        "series_name": SERIES_NAME, "title": "การประชุมครั้งถัดไป", "number": str(number),
        "date": day.isoformat(), "start_time": "09:30", "end_time": "12:00", "status": "scheduled",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(sa.select(Meeting).where(Meeting.number == number)).one()


def _seats(meeting: Meeting) -> list[Seat]:
    return db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id)).all()


def _outline(meeting: Meeting) -> list[tuple[int, str]]:
    return [(depth, node["item"].title) for node, depth in walk(public_tree(meeting.id))]


def _prepare_source(source: Meeting, users) -> None:
    """The previous meeting as it stands after its invitations: replies, a substitute, an item with text."""
    seats = _seats(source)
    update_seat(seats[0], {"name": "นายสมชาย ใจดี", "email": "somchai@example.org", "rsvp": "accepted"},
                by=users["secretariat"])  # fmt: skip
    update_seat(seats[1], {"rsvp": "substitute", "substitute_name": "นางสมหญิง แทนดี"}, by=users["secretariat"])
    section5 = next(n["item"] for n in public_tree(source.id) if n["item"].section == 5)
    item = {"title": "แผนที่ทางสังคม", "parent_id": section5.id, "description": "ข้อความเดิม",
            "presenter": "กองยุทธศาสตร์", "duration_minutes": 20}  # fmt: skip
    add_item(source, item, by=users["secretariat"])
    db.session.commit()


def test_a_new_meeting_copies_the_previous_roster_and_agenda_in_one_step(client, users, reference_meeting):
    source = db.session.get(Meeting, reference_meeting["next_meeting_id"])
    _prepare_source(source, users)
    source_seats = {(s.province_id, s.role_id): s for s in _seats(source)}
    sign_in(client, users["secretariat"])
    meeting = _new_meeting(client, 99, 30)
    carried = carried_actions(meeting.id)
    assert carried, "the reference meeting's open actions are carried in as the meeting is scheduled"
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="start-from-previous"' in page and source.number_label in page

    response = client.post(f"/meetings/{meeting.id}/start-from-previous", data={"keep_invitees": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    copied = _seats(meeting)
    assert len(copied) == len(source_seats) > 500
    assert {(s.province_id, s.role_id) for s in copied} == set(source_seats)
    assert {s.rsvp for s in copied} == {"pending"}
    assert all(s.substitute_name is None and s.absence_reason is None for s in copied)
    first = next(s for s in copied if s.email == "somchai@example.org")
    assert first.name == "นายสมชาย ใจดี"
    # The agenda: the previous skeleton; section 2 certifies the previous minutes; section 3 holds this
    # meeting's carried actions once each, not the previous meeting's carried items again.
    outline = _outline(meeting)
    tops = [title for depth, title in outline if depth == 0]
    assert tops == [node["item"].title for node in public_tree(source.id)]
    assert (1, f"รับรองรายงานการประชุม ครั้งที่ {source.number_label}") in outline
    section3 = next(n for n in public_tree(meeting.id) if n["item"].section == 3)
    assert sorted(child["item"].id for child in section3["children"]) == sorted(carried)
    nodes = [node["item"] for node, _depth in walk(public_tree(meeting.id))]
    [copied_item] = [item for item in nodes if item.title == "แผนที่ทางสังคม"]
    assert (copied_item.presenter, copied_item.duration_minutes) == ("กองยุทธศาสตร์", 20)
    assert copied_item.description is None
    kinds = db.session.scalars(
        sa.select(MeetingEvent.kind).where(MeetingEvent.meeting_id == meeting.id)
    ).all()
    assert kinds.count("seats.added") == 1 and kinds.count("agenda.copied") == 1
    # Done once: the page no longer offers it, and a second request changes nothing.
    assert 'id="start-from-previous"' not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    again = client.post(f"/meetings/{meeting.id}/start-from-previous", data={"keep_invitees": "1"},
                        follow_redirects=True)  # fmt: skip
    assert "มีที่นั่งแล้ว" in again.get_data(as_text=True)
    db.session.expire_all()
    assert len(_seats(meeting)) == len(source_seats) and len(_outline(meeting)) == len(outline)


def test_invitees_can_be_left_behind(client, users, reference_meeting):
    source = db.session.get(Meeting, reference_meeting["next_meeting_id"])
    _prepare_source(source, users)
    sign_in(client, users["secretariat"])
    meeting = _new_meeting(client, 98, 20)
    assert client.post(f"/meetings/{meeting.id}/start-from-previous", data={}).status_code == 302
    db.session.expire_all()
    copied = _seats(meeting)
    assert len(copied) == len(_seats(source))
    assert all(s.name is None and s.email is None and s.person_id is None for s in copied)


def test_only_the_secretariat_and_only_into_an_empty_new_meeting(client, users, reference_meeting):
    sign_in(client, users["secretariat"])
    meeting = _new_meeting(client, 97, 25)
    before = _outline(meeting)
    client.post("/logout")
    sign_in(client, users["chair"])
    denied = client.post(f"/meetings/{meeting.id}/start-from-previous", data={"keep_invitees": "1"})
    assert denied.status_code == 403
    assert 'id="start-from-previous"' not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, users["secretariat"])
    # An agenda begun by hand is not overwritten: refused, translated, and the roster (copied first, in
    # the same transaction) is not kept either.
    add_item(meeting, {"title": "เรื่องที่เพิ่มเอง"}, by=users["secretariat"])
    db.session.commit()
    refused = client.post(f"/meetings/{meeting.id}/start-from-previous", data={"keep_invitees": "1"},
                          follow_redirects=True)  # fmt: skip
    assert "วาระการประชุมแล้ว" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert _seats(meeting) == [] and len(_outline(meeting)) == len(before) + 1


def test_the_first_meeting_of_a_series_has_nothing_to_start_from(client, users, reference_meeting):
    sign_in(client, users["secretariat"])
    response = client.post("/meetings/new", data={
        "series_name": "คณะทำงานชุดใหม่", "title": "ประชุมครั้งแรก", "number": "1",
        "date": MEETING_DAY.isoformat(), "start_time": "09:30", "end_time": "12:00", "status": "scheduled",
    })  # fmt: skip
    meeting = db.session.scalars(sa.select(Meeting).where(Meeting.title == "ประชุมครั้งแรก")).one()
    assert response.status_code == 302
    assert 'id="start-from-previous"' not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    refused = client.post(f"/meetings/{meeting.id}/start-from-previous", follow_redirects=True)
    assert "ไม่มีการประชุมครั้งก่อน" in refused.get_data(as_text=True)
    assert _seats(meeting) == []
