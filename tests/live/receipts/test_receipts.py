"""Commands carried out once per client_id (issue 20, meetcore/live/receipts.py): a retry after a lost
acknowledgement gets the first answer again and changes nothing more."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from meetcore.actions.models import ActionItem
from meetcore.extensions import db
from meetcore.live.models import CommandReceipt
from meetcore.live.receipts import purge_receipts
from meetcore.minutes.models import Decision
from tests.factories import received

CLIENT_ID = "0b9f3c2e-5d4a-4e1b-9c7f-2a6d8e1f4b30"


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _record(sio, meeting, item, text: str, client_id: str | None = CLIENT_ID) -> dict:
    payload = {"meeting_id": meeting.id, "item_id": item.id, "text": text}
    if client_id is not None:
        payload["client_id"] = client_id
    return sio.emit("decision.record", payload, callback=True)


def test_a_retried_decision_is_recorded_once_and_answered_the_same(live, in_session, item):
    secretary, reader = live("secretariat"), live("chair")
    reader.emit("join", {"meeting_id": in_session.id}, callback=True)
    first = _record(secretary, in_session, item, "ที่ประชุมรับทราบ")
    again = _record(secretary, in_session, item, "ที่ประชุมรับทราบ")
    assert first["ok"] and again == first
    assert _count(Decision) == 1
    assert [e["kind"] for e in received(reader) if e["kind"].startswith("decision.")] == ["decision.recorded"]
    # Another id is another action of the person: recorded again.
    other = _record(secretary, in_session, item, "ที่ประชุมรับทราบ", client_id=CLIENT_ID.replace("0b", "1c"))
    assert other["ok"] and other["decision_id"] != first["decision_id"] and _count(Decision) == 2


def test_a_retried_action_creates_one_action(live, in_session, item):
    secretary = live("secretariat")
    owner = {"role_code": "social_development", "provinces": ["TH-50", "TH-90"]}
    payload = {"meeting_id": in_session.id, "item_id": item.id, "title": "จัดทำแผนที่ทางสังคม", "owner": owner,
               "client_id": CLIENT_ID}  # fmt: skip
    answers = [secretary.emit("action.create", payload, callback=True) for _ in range(3)]
    assert answers[0]["ok"] and answers[0]["assignments"] == 2 and answers == [answers[0]] * 3
    assert _count(ActionItem) == 1


def test_ids_are_per_person_and_per_command(live, in_session, item):
    one, two = live("secretariat"), live("secretariat2")
    assert _record(one, in_session, item, "มติ ก")["ok"]
    theirs = _record(two, in_session, item, "มติ ข")  # the same id from someone else is their own
    assert theirs["ok"] and _count(Decision) == 2
    reused = one.emit("agenda.mark_done", {"meeting_id": in_session.id, "item_id": item.id,
                                          "client_id": CLIENT_ID}, callback=True)  # fmt: skip
    assert reused["ok"] is False and reused["error"]["field"] == "client_id"


def test_a_refused_command_leaves_no_receipt_so_its_retry_runs(live, in_session, item):
    secretary = live("secretariat")
    refused = _record(secretary, in_session, item, "")
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_input"
    assert _count(CommandReceipt) == 0
    assert _record(secretary, in_session, item, "ที่ประชุมรับทราบ")["ok"] and _count(Decision) == 1


def test_a_bad_client_id_is_refused_and_changes_nothing(live, in_session, item):
    secretary = live("secretariat")
    for bad in ["short", 12345678, "x" * 65, "has space in it"]:
        answer = _record(secretary, in_session, item, "มติ", client_id=bad)
        assert answer["ok"] is False and answer["error"]["field"] == "client_id", bad
    assert _count(Decision) == 0


def test_join_with_a_client_id_is_answered_every_time(live, in_session):
    secretary = live("secretariat")
    for _ in range(2):
        ack = secretary.emit("join", {"meeting_id": in_session.id, "client_id": CLIENT_ID}, callback=True)
        assert ack["ok"] and ack["mode"] == "snapshot"
    assert _count(CommandReceipt) == 0


def test_receipts_older_than_a_day_are_purged(live, in_session, item):
    assert _record(live("secretariat"), in_session, item, "มติ")["ok"]
    receipt = db.session.scalars(sa.select(CommandReceipt)).one()
    assert purge_receipts(receipt.created_at + timedelta(hours=23)) == 0
    assert purge_receipts(receipt.created_at + timedelta(days=1, seconds=1)) == 1
    db.session.commit()
    assert _count(CommandReceipt) == 0


def test_a_command_that_asks_janus_first_answers_the_acknowledgement_of_a_twin_that_wrote_first(users):
    """Claimed with its change (video.moderate: Janus before any write), an attempt whose rows a twin wrote
    and committed meanwhile (a unique key refuses them) answers the twin's acknowledgement."""
    from sqlalchemy.exc import IntegrityError

    from meetcore.live.receipts import actor_key, run_once

    chair = users["chair"]
    twins = {"actor_key": actor_key(chair), "client_id": CLIENT_ID, "command": "video.moderate",
             "answer": {"ok": True, "seq": 7}}  # fmt: skip

    def run() -> dict:
        with db.engine.begin() as twin:  # the twin, on its own connection, commits first
            twin.execute(sa.insert(CommandReceipt).values(**twins))
        raise IntegrityError("INSERT INTO video_endpoints ...", {}, Exception("the twin's row"))

    assert run_once(chair, CLIENT_ID, "video.moderate", run, claim_first=False) == {"ok": True, "seq": 7}
