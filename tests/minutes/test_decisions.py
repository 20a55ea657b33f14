"""Decisions (มติที่ประชุม): recorded in session with the seats present at that moment, corrected or
removed until the minutes are certified, by the secretariat only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.minutes.models import Decision
from tests.factories import events_of, seat_at
from tests.minutes.conftest import items_of

RESOLUTION = "ที่ประชุมรับทราบ และมอบหมายให้ พมจ. ทุกจังหวัดจัดทำแผนที่ทางสังคมให้แล้วเสร็จภายในเดือนมิถุนายน"


def _attend(meeting, seat, *, left: bool = False, kind: str = "self"):
    from meetcore.attendance.models import Attendance

    joined = utcnow() - timedelta(minutes=30)
    db.session.add(
        Attendance(
            meeting_id=meeting.id,
            seat_id=seat.id,
            kind=kind,
            joined_at=joined,
            left_at=joined + timedelta(minutes=10) if left else None,
        )
    )
    db.session.commit()


def _join(sio, meeting) -> dict:
    return sio.emit("join", {"meeting_id": meeting.id}, callback=True)["snapshot"]


def test_a_decision_keeps_the_seats_present_when_it_was_taken(live, in_session, item):
    cm_sd = seat_at(in_session, "TH-50", "social_development")
    sk_sd = seat_at(in_session, "TH-90", "social_development")
    cm_lab = seat_at(in_session, "TH-50", "labour")
    _attend(in_session, cm_sd)
    _attend(in_session, sk_sd, kind="substitute")
    _attend(in_session, cm_lab, left=True)  # came and went before the decision
    chair = live("chair")
    _join(chair, in_session)
    secretary = live("secretariat")
    ack = secretary.emit(
        "decision.record",
        {"meeting_id": in_session.id, "item_id": item.id, "text": f"  {RESOLUTION}  "},
        callback=True,
    )
    assert ack["ok"], ack
    decision = db.session.get(Decision, ack["decision_id"])
    assert decision.text == RESOLUTION and decision.agenda_item_id == item.id
    assert decision.present_seat_ids == sorted([cm_sd.id, sk_sd.id])
    [event] = events_of(chair, "decision.recorded")
    assert event["kind"] == "decision.recorded" and event["seq"] == ack["seq"]
    assert event["payload"] == {
        "id": decision.id,
        "item_id": item.id,
        "text": RESOLUTION,
        "taken_at": decision.taken_at.isoformat(),
        "present_count": 2,
        "present_seat_ids": sorted([cm_sd.id, sk_sd.id]),  # staff read the event as their snapshot has it
    }
    # Who was present stays as it was, whoever joins later.
    _attend(in_session, cm_lab)
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).present_seat_ids == sorted([cm_sd.id, sk_sd.id])
    staff_view = _join(secretary, in_session)["decisions"]
    assert staff_view[0]["present_seat_ids"] == sorted([cm_sd.id, sk_sd.id])
    participant = live(seat=seat_at(in_session, "TH-90", "labour"))  # present from now on
    [seen] = _join(participant, in_session)["decisions"]
    assert seen["present_count"] == 2 and "present_seat_ids" not in seen


def test_correct_and_remove_a_decision_also_after_the_meeting(live, in_session, item, users):
    from meetcore.meetings.services import end_meeting

    secretary = live("secretariat")
    ack = secretary.emit(
        "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": "ร่าง"}, callback=True
    )
    decision_id = ack["decision_id"]
    end_meeting(in_session, by=users["secretariat"])
    late = secretary.emit(
        "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": "x"}, callback=True
    )
    assert late["error"]["code"] == "conflict"
    fixed = secretary.emit(
        "decision.update",
        {"meeting_id": in_session.id, "decision_id": decision_id, "text": RESOLUTION},
        callback=True,
    )
    assert fixed["ok"]
    db.session.expire_all()
    assert db.session.get(Decision, decision_id).text == RESOLUTION
    same = secretary.emit(
        "decision.update",
        {"meeting_id": in_session.id, "decision_id": decision_id, "text": RESOLUTION},
        callback=True,
    )
    assert same == {"ok": True, "seq": None}  # nothing changed, nothing recorded: no seq (docs/protocol.md)
    gone = secretary.emit(
        "decision.delete", {"meeting_id": in_session.id, "decision_id": decision_id}, callback=True
    )
    assert gone["ok"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
    again = secretary.emit(
        "decision.delete", {"meeting_id": in_session.id, "decision_id": decision_id}, callback=True
    )
    assert again["error"]["code"] == "not_found"


def test_certified_minutes_freeze_the_decisions(live, in_session, item):
    secretary = live("secretariat")
    ack = secretary.emit(
        "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": "มติ"}, callback=True
    )
    in_session.status = "certified"
    db.session.commit()
    refused = secretary.emit(
        "decision.update",
        {"meeting_id": in_session.id, "decision_id": ack["decision_id"], "text": "แก้"},
        callback=True,
    )
    assert refused["error"]["code"] == "conflict"


def test_only_the_secretariat_records_decisions(live, in_session, item):
    for sio in (live("chair"), live(seat=seat_at(in_session, "TH-50", "labour"))):
        ack = sio.emit(
            "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": "มติ"}, callback=True
        )
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_a_decision_of_another_meeting_cannot_be_touched(live, in_session, item, users):
    from meetcore.meetings.services import start_meeting
    from tests.minutes.conftest import schedule

    other = start_meeting(schedule(users, "อีกการประชุม", 2), by=users["secretariat"])
    secretary = live("secretariat")
    ack = secretary.emit(
        "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": "มติ"}, callback=True
    )
    for command in ("decision.update", "decision.delete"):
        payload = {"meeting_id": other.id, "decision_id": ack["decision_id"]}
        if command == "decision.update":
            payload["text"] = "แก้"
        assert secretary.emit(command, payload, callback=True)["error"]["code"] == "not_found"
    wrong_item = secretary.emit(
        "decision.record", {"meeting_id": other.id, "item_id": item.id, "text": "มติ"}, callback=True
    )
    assert wrong_item["error"]["code"] == "invalid_input" and wrong_item["error"]["field"] == "item_id"


@pytest.mark.parametrize(
    "command,payload",
    [
        ("decision.record", {}),
        ("decision.record", {"meeting_id": 1, "item_id": 1}),
        ("decision.record", {"meeting_id": 1, "item_id": 1, "text": "   "}),
        ("decision.record", {"meeting_id": 1, "item_id": 1, "text": "x" * 20_001}),
        ("decision.record", {"meeting_id": 1, "item_id": 1, "text": 5}),
        ("decision.update", {"meeting_id": 1, "decision_id": "1", "text": "x"}),
        ("decision.update", {"meeting_id": 1, "decision_id": 1}),
        ("decision.delete", {"meeting_id": 1}),
        ("decision.delete", {"meeting_id": 1, "decision_id": 1, "text": "x"}),
        ("decision.delete", [1, 2]),
    ],
)
def test_bad_decision_payloads(live, in_session, command, payload):
    ack = live("secretariat").emit(command, payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["message"]


def test_decisions_are_recorded_per_item(live, in_session):
    first, second = items_of(in_session)
    secretary = live("secretariat")
    for item, text in ((first, "รับทราบ"), (second, "เห็นชอบ"), (second, "มอบหมาย")):
        assert secretary.emit(
            "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": text}, callback=True
        )["ok"]
    decisions = _join(secretary, in_session)["decisions"]
    assert [(d["item_id"], d["text"]) for d in decisions] == [
        (first.id, "รับทราบ"),
        (second.id, "เห็นชอบ"),
        (second.id, "มอบหมาย"),
    ]


@pytest.mark.parametrize("text", ["มติ\x00ที่ประชุม", "มติ\x01", "\x1b[2Jมติ", "มติ\x9b"])
def test_a_decision_with_a_control_character_is_refused_and_nothing_changes(live, in_session, item, text):
    """Issue 13: a NUL in a decision's text made the minutes' Word export answer 500."""
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Decision))
    ack = live("secretariat").emit(
        "decision.record", {"meeting_id": in_session.id, "item_id": item.id, "text": text}, callback=True
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["field"] == "text"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == before
