"""Action due dates typed as Thai staff type them (day/month/BE year), and a due date already past refused
unless it is confirmed (issue 15, item 1: 2020 was accepted and sent an overdue reminder at once)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from meetcore.actions.models import ActionItem
from meetcore.extensions import db
from tests.actions.test_live_actions import _create, _join
from tests.clock import TODAY, be_input, days_after_meeting
from tests.minutes.conftest import items_of

OWNER = {"role_code": "labour", "provinces": ["TH-50", "TH-90"]}


def test_a_due_date_typed_in_the_buddhist_era(live, reference_live):
    secretary = live("secretariat")
    _join(secretary, reference_live)
    due = days_after_meeting(45)
    ack = _create(secretary, reference_live, items_of(reference_live)[4], OWNER, due_date=be_input(due))
    assert ack["ok"], ack
    assert db.session.get(ActionItem, ack["action_id"]).due_date == due


def test_a_past_due_date_is_refused_unless_confirmed(live, reference_live):
    secretary = live("secretariat")
    _join(secretary, reference_live)
    item = items_of(reference_live)[4]
    past = be_input(TODAY - timedelta(days=1))
    asked = _create(secretary, reference_live, item, OWNER, due_date=past)
    assert asked["ok"] is False
    assert asked["error"]["code"] == "confirmation_required" and asked["error"]["field"] == "due_date"
    assert asked["error"]["details"] == {"confirm": "confirm_past_due"}
    assert "ผ่านมาแล้ว" in asked["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 0
    confirmed = _create(secretary, reference_live, item, OWNER, due_date=past, confirm_past_due=True)
    assert confirmed["ok"], confirmed
    assert db.session.get(ActionItem, confirmed["action_id"]).due_date == TODAY - timedelta(days=1)


def test_moving_a_due_date_into_the_past_asks_too(live, reference_live):
    secretary = live("secretariat")
    _join(secretary, reference_live)
    ack = _create(secretary, reference_live, items_of(reference_live)[4], OWNER)
    past = {"meeting_id": reference_live.id, "action_id": ack["action_id"], "due_date": "01/01/2563"}
    asked = secretary.emit("action.update", past, callback=True)
    assert asked["ok"] is False and asked["error"]["code"] == "confirmation_required"
    done = secretary.emit("action.update", dict(past, confirm_past_due=True), callback=True)
    assert done["ok"], done
    assert db.session.get(ActionItem, ack["action_id"]).due_date.isoformat() == "2020-01-01"
