"""Action items given live from an agenda item: one owning agency, or a role across provinces ("every
พมจ." becomes one assignment per province); the owning agencies' participants see them at once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.actions.models import ActionAssignment, ActionItem
from meetcore.extensions import db
from tests.actions.followup_support import agency
from tests.clock import days_after_meeting
from tests.factories import received, seat_at
from tests.minutes.conftest import items_of

DUE = days_after_meeting(60)  # ahead of the suite's today, whatever the day it runs

SOCIAL_MAP = "จัดทำแผนที่ทางสังคม (Social Map) ของจังหวัด"


def _join(sio, meeting) -> dict:
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"], ack
    return ack["snapshot"]


def _create(sio, meeting, item, owner, **fields) -> dict:
    payload = {
        "meeting_id": meeting.id,
        "item_id": item.id,
        "title": SOCIAL_MAP,
        "due_date": DUE.isoformat(),
        "owner": owner,
        **fields,
    }
    return sio.emit("action.create", payload, callback=True)


def test_every_pmj_fans_out_to_76_provinces(live, reference_live):
    item = items_of(reference_live)[4]  # เรื่องเพื่อพิจารณา
    secretary = live("secretariat")
    _join(secretary, reference_live)
    ack = _create(
        secretary,
        reference_live,
        item,
        {"role_code": "social_development", "provinces": "all"},
        description="ขอให้ทุกจังหวัดจัดทำแผนที่ทางสังคม แสดงกลุ่มเป้าหมายและปัญหาสังคมในพื้นที่",
    )
    assert ack["ok"], ack
    assert ack["assignments"] == 76
    action = db.session.get(ActionItem, ack["action_id"])
    assert action.fan_out_role.code == "social_development" and action.agenda_item_id == item.id
    provinces = {a.agency.province.code for a in action.assignments}
    assert len(provinces) == 76 and "TH-10" not in provinces  # Bangkok has no พมจ.
    assert {a.status for a in action.assignments} == {"open"}
    assert {a.due_date.isoformat() for a in action.assignments} == {DUE.isoformat()}
    [event] = [e for e in received(secretary) if e["kind"] == "action.created"]
    assert event["payload"]["id"] == action.id and len(event["payload"]["agency_ids"]) == 76
    assert event["payload"]["role_code"] == "social_development"


def test_some_provinces_of_a_role(live, reference_live):
    item = items_of(reference_live)[4]
    secretary = live("secretariat")
    ack = _create(
        secretary, reference_live, item, {"role_code": "labour", "provinces": ["TH-50", "TH-90", "TH-50"]}
    )
    assert ack["ok"] and ack["assignments"] == 2
    agencies = {a.agency_id for a in db.session.get(ActionItem, ack["action_id"]).assignments}
    assert agencies == {agency("labour", "TH-50").id, agency("labour", "TH-90").id}


def test_participants_see_the_actions_of_their_own_agency(live, reference_live):
    item = items_of(reference_live)[4]
    cm_sd = live(seat=seat_at(reference_live, "TH-50", "social_development"))
    cm_lab = live(seat=seat_at(reference_live, "TH-50", "labour"))
    cm_sd_snapshot, cm_lab_snapshot = _join(cm_sd, reference_live), _join(cm_lab, reference_live)
    pmj_cm = agency("social_development", "TH-50").id
    assert cm_sd_snapshot["actions"] == {"agency_id": pmj_cm, "items": []}
    assert cm_lab_snapshot["actions"]["agency_id"] == agency("labour", "TH-50").id
    secretary = live("secretariat")
    every_pmj = _create(
        secretary, reference_live, item, {"role_code": "social_development", "provinces": "all"}
    )
    central = _create(
        secretary,
        reference_live,
        item,
        {"agency_id": agency("strategy_director").id},
        title="สรุปแผนที่ทางสังคมระดับประเทศ",
    )
    assert every_pmj["ok"] and central["ok"]
    # Both participants receive the events at once (numbered, public); each page keeps those naming its
    # agency.
    for sio, agency_id, expected in (
        (cm_sd, pmj_cm, [every_pmj["action_id"]]),
        (cm_lab, cm_lab_snapshot["actions"]["agency_id"], []),
    ):
        events = [e for e in received(sio) if e["kind"] == "action.created"]
        assert len(events) == 2
        assert [e["payload"]["id"] for e in events if agency_id in e["payload"]["agency_ids"]] == expected
    # The snapshot gives a participant only its agency's actions, with only its own assignment.
    [mine] = _join(cm_sd, reference_live)["actions"]["items"]
    assert mine["id"] == every_pmj["action_id"] and mine["title"] == SOCIAL_MAP
    assert [(a["agency_id"], a["province_code"], a["status"]) for a in mine["assignments"]] == [
        (pmj_cm, "TH-50", "open")
    ]
    assert _join(cm_lab, reference_live)["actions"]["items"] == []
    staff = _join(secretary, reference_live)["actions"]
    assert staff["agency_id"] is None
    assert [(a["id"], len(a["assignments"])) for a in staff["items"]] == [
        (every_pmj["action_id"], 76),
        (central["action_id"], 1),
    ]


def test_update_and_cancel(live, in_session):
    item = items_of(in_session)[1]
    secretary = live("secretariat")
    participant = live(seat=seat_at(in_session, "TH-90", "social_development"))
    _join(participant, in_session)
    ack = _create(
        secretary,
        in_session,
        item,
        {"role_code": "social_development", "provinces": ["TH-50", "TH-90"]},
        due_date=None,
    )
    assert ack["ok"]
    action_id = ack["action_id"]
    changed = secretary.emit(
        "action.update",
        {
            "meeting_id": in_session.id,
            "action_id": action_id,
            "due_date": days_after_meeting(30).isoformat(),
            "title": "แผนที่ทางสังคม ฉบับปรับปรุง",
        },
        callback=True,
    )
    assert changed["ok"], changed
    db.session.expire_all()
    action = db.session.get(ActionItem, action_id)
    assert action.title == "แผนที่ทางสังคม ฉบับปรับปรุง"
    assert {a.due_date.isoformat() for a in action.assignments} == {days_after_meeting(30).isoformat()}
    cancelled = secretary.emit(
        "action.cancel", {"meeting_id": in_session.id, "action_id": action_id}, callback=True
    )
    assert cancelled["ok"]
    db.session.expire_all()
    action = db.session.get(ActionItem, action_id)
    assert action.cancelled_at is not None and {a.status for a in action.assignments} == {"cancelled"}
    kinds = [
        (e["kind"], e["payload"].get("fields"))
        for e in received(participant)
        if e["kind"].startswith("action.")
    ]
    assert kinds == [
        ("action.created", None),
        ("action.updated", ["due_date", "title"]),
        ("action.cancelled", None),
    ]
    again = secretary.emit(
        "action.cancel", {"meeting_id": in_session.id, "action_id": action_id}, callback=True
    )
    assert again["error"]["code"] == "conflict"
    late = secretary.emit(
        "action.update", {"meeting_id": in_session.id, "action_id": action_id, "title": "x"}, callback=True
    )
    assert late["error"]["code"] == "conflict"
    [seen] = _join(participant, in_session)["actions"]["items"]
    assert seen["cancelled_at"] and seen["assignments"][0]["status"] == "cancelled"


def test_only_the_secretariat_gives_actions(live, in_session):
    item = items_of(in_session)[0]
    owner = {"role_code": "social_development", "provinces": "all"}
    for sio in (live("chair"), live(seat=seat_at(in_session, "TH-50", "social_development"))):
        ack = _create(sio, in_session, item, owner)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionItem)) == 0


def test_actions_wait_for_the_meeting_to_start(live, scheduled):
    ack = _create(live("secretariat"), scheduled, items_of(scheduled)[0], {"agency_id": 1})
    assert ack["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "owner,field",
    [
        ({"agency_id": 999_999}, "owner.agency_id"),
        ({"role_code": "no_such_role", "provinces": "all"}, "owner.role_code"),
        ({"role_code": "permanent_secretary", "provinces": "all"}, "owner.role_code"),  # a central role
        (
            {"role_code": "social_development", "provinces": ["TH-10"]},
            "owner.provinces",
        ),  # no พมจ. in Bangkok
        ({"role_code": "social_development", "provinces": ["TH-99"]}, "owner.provinces"),
        ({"role_code": "destitute_shelter", "provinces": "all"}, "owner.role_code"),  # no agencies seeded
    ],
)
def test_owners_that_do_not_exist(live, in_session, owner, field):
    ack = _create(live("secretariat"), in_session, items_of(in_session)[0], owner)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["field"] == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionAssignment)) == 0


GOOD = {"title": "งาน", "owner": {"agency_id": 1}}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {**GOOD},  # no meeting_id / item_id
        {"meeting_id": 1, "item_id": 1, "owner": {"agency_id": 1}},  # no title
        {"meeting_id": 1, "item_id": 1, "title": "งาน"},  # no owner
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {}},
        {
            "meeting_id": 1,
            "item_id": 1,
            "title": "งาน",
            "owner": {"agency_id": 1, "role_code": "labour", "provinces": "all"},
        },
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"role_code": "labour"}},
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"agency_id": 1, "provinces": "all"}},
        {
            "meeting_id": 1,
            "item_id": 1,
            "title": "งาน",
            "owner": {"role_code": "labour", "provinces": "some"},
        },
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"role_code": "labour", "provinces": []}},
        {
            "meeting_id": 1,
            "item_id": 1,
            "title": "งาน",
            "owner": {"role_code": "labour", "provinces": ["50"]},
        },
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"role_code": "labour", "provinces": [50]}},
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"agency_id": "1"}},
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"agency_id": 1, "x": 1}},
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": "all"},
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"agency_id": 1}, "due_date": "31/12/2026"},
        {"meeting_id": 1, "item_id": 1, "title": "x" * 501, "owner": {"agency_id": 1}},
        {"meeting_id": 1, "item_id": 1, "title": "งาน", "owner": {"agency_id": 1}, "status": "done"},
    ],
)
def test_bad_action_payloads(live, in_session, payload):
    ack = live("secretariat").emit("action.create", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["message"]


@pytest.mark.parametrize(
    "command,payload",
    [
        ("action.update", {"meeting_id": 1, "action_id": 1}),  # nothing to change
        ("action.update", {"meeting_id": 1, "action_id": 1, "title": ""}),
        ("action.update", {"meeting_id": 1, "action_id": 1, "owner": {"agency_id": 1}}),
        ("action.update", {"meeting_id": 1, "action_id": 1, "due_date": "tomorrow"}),
        ("action.cancel", {"meeting_id": 1}),
        ("action.cancel", {"meeting_id": 1, "action_id": -1}),
    ],
)
def test_bad_update_and_cancel_payloads(live, in_session, command, payload):
    ack = live("secretariat").emit(command, payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"


def test_an_action_of_another_meeting_is_not_found(live, in_session, users):
    from meetcore.meetings.services import start_meeting
    from tests.minutes.conftest import schedule

    other = start_meeting(schedule(users, "อีกการประชุม", 2), by=users["secretariat"])
    secretary = live("secretariat")
    ack = _create(
        secretary, in_session, items_of(in_session)[0], {"agency_id": agency("labour", "TH-50").id}
    )
    moved = secretary.emit(
        "action.cancel", {"meeting_id": other.id, "action_id": ack["action_id"]}, callback=True
    )
    assert moved["error"]["code"] == "not_found"
    wrong_item = _create(secretary, other, items_of(in_session)[0], {"agency_id": 1})
    assert wrong_item["error"]["code"] == "invalid_input" and wrong_item["error"]["field"] == "item_id"
