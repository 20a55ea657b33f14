"""The floor over Socket.IO: seats ask, the chair sees the queue and grants, every screen shows the same
speaker; participants cannot run the floor; bad payloads change nothing; snapshots agree with the events."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from meetcore.extensions import db
from meetcore.floor import services
from meetcore.floor.models import FloorRequest
from meetcore.meetings.models import Meeting
from tests.floor.helpers import floor_events_of

FLOOR_COMMANDS = ("floor.request", "floor.withdraw", "floor.grant", "floor.revoke", "floor.set_limit")


def last_seq(meeting_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(Meeting.last_seq).where(Meeting.id == meeting_id))


def floor_now(meeting_id: int) -> dict:
    db.session.rollback()
    return services.floor_state(meeting_id)


def apply(state: dict | None, events: list[dict]) -> dict | None:
    """What a client does: every floor event carries the whole floor; the last one wins."""
    for event in sorted(events, key=lambda e: e["seq"]):
        if event["kind"].startswith("floor."):
            state = event["payload"]["floor"]
    return state


def test_seat_asks_chair_grants_and_every_screen_shows_the_speaker(
    in_session, seats, seat_socket, staff_socket
):
    meeting_id = in_session.id
    chiang_mai = seat_socket(seats["cm_sd"])
    songkhla = seat_socket(seats["sk_lab"])
    chair = staff_socket("chair", in_session)
    secretariat = staff_socket("secretariat", in_session)

    ack = chiang_mai.emit("floor.request", {"meeting_id": meeting_id, "note": "ขอเสนอเรื่องแผนที่ทางสังคม"},
                          callback=True)  # fmt: skip
    assert ack["ok"] is True and ack["seq"] == last_seq(meeting_id)
    [asked] = floor_events_of(chair)
    assert asked["kind"] == "floor.requested" and asked["seq"] == ack["seq"]
    [entry] = asked["payload"]["floor"]["queue"]
    assert entry["position"] == 1 and entry["request_id"] == ack["request_id"]
    assert entry["seat_id"] == seats["cm_sd"].id and entry["province"]["name_th"] == "เชียงใหม่"
    assert entry["role"]["title_th"] == "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด"
    assert entry["note"] == "ขอเสนอเรื่องแผนที่ทางสังคม"
    for other in (chiang_mai, songkhla, secretariat):
        assert [e["kind"] for e in floor_events_of(other)] == ["floor.requested"]

    granted = chair.emit(
        "floor.grant", {"meeting_id": meeting_id, "request_id": entry["request_id"]}, callback=True
    )
    assert granted == {"ok": True, "seq": ack["seq"] + 1, "request_id": entry["request_id"]}
    seen = {}
    for name, sio in (("chair", chair), ("secretariat", secretariat), ("cm", chiang_mai), ("sk", songkhla)):
        [event] = floor_events_of(sio)
        assert event["kind"] == "floor.granted" and event["seq"] == granted["seq"]
        seen[name] = event["payload"]
    assert all(payload == seen["chair"] for payload in seen.values())
    holder = seen["chair"]["floor"]["holder"]
    assert holder["seat_id"] == seats["cm_sd"].id and holder["label"]["en"].endswith("Chiang Mai")
    assert seen["chair"]["floor"]["queue"] == []
    assert holder == floor_now(meeting_id)["holder"]


def test_participant_cannot_run_the_floor(in_session, seats, seat_socket, staff_socket):
    meeting_id = in_session.id
    asker = seat_socket(seats["cm_sd"])
    other = seat_socket(seats["sk_sd"])
    request_id = asker.emit("floor.request", {"meeting_id": meeting_id}, callback=True)["request_id"]
    before, seq = floor_now(meeting_id), last_seq(meeting_id)
    asker.get_received(), other.get_received()
    staff_only = [
        ("floor.grant", {"meeting_id": meeting_id, "request_id": request_id}),
        ("floor.grant", {"meeting_id": meeting_id}),
        ("floor.revoke", {"meeting_id": meeting_id, "request_id": request_id}),
        ("floor.revoke", {"meeting_id": meeting_id}),
        ("floor.set_limit", {"meeting_id": meeting_id, "seconds": 60, "scope": "default"}),
        ("floor.request", {"meeting_id": meeting_id, "seat_id": seats["cm_lab"].id}),  # another seat
    ]
    not_theirs = [("floor.withdraw", {"meeting_id": meeting_id, "request_id": request_id})]
    for sio, attempts in ((asker, staff_only), (other, staff_only + not_theirs)):
        for name, payload in attempts:
            ack = sio.emit(name, payload, callback=True)
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (name, ack)
            assert ack["error"]["message"]
    assert floor_now(meeting_id) == before and last_seq(meeting_id) == seq
    assert floor_events_of(asker) == [] and floor_events_of(other) == []


def test_participant_account_cannot_grant(in_session, seats, live, client, users):
    from tests.conftest import sign_in

    services.request_floor(in_session, seat_id=seats["cm_sd"].id, by=users["secretariat"])
    sign_in(client, users["participant"])
    ack = live(client).emit("floor.grant", {"meeting_id": in_session.id}, callback=True)
    assert ack["error"]["code"] == "forbidden"
    assert floor_now(in_session.id)["holder"] is None


def test_a_seat_link_cannot_act_in_another_meeting(in_session, other_meeting, seats, seat_socket):
    from tests.factories import seat_at

    sio = seat_socket(seats["cm_sd"])
    seq = last_seq(other_meeting.id)
    for payload in (
        {"meeting_id": other_meeting.id},
        {"meeting_id": other_meeting.id, "seat_id": seat_at(other_meeting, "TH-50", "social_development").id},
    ):
        ack = sio.emit("floor.request", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert (
        sio.emit("floor.withdraw", {"meeting_id": other_meeting.id}, callback=True)["error"]["code"]
        == "forbidden"
    )
    assert last_seq(other_meeting.id) == seq
    assert db.session.scalar(sa.select(sa.func.count(FloorRequest.id))) == 0


def test_not_in_session_is_a_conflict(scheduled, seat_socket):
    from tests.factories import seat_at

    sio = seat_socket(seat_at(scheduled, "TH-90", "labour"))
    ack = sio.emit("floor.request", {"meeting_id": scheduled.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"
    assert ack["error"]["details"] == {"status": "scheduled"}


def test_ending_a_turn_nobody_holds_is_a_conflict(in_session, staff_socket):
    chair = staff_socket("chair", in_session)
    ack = chair.emit("floor.revoke", {"meeting_id": in_session.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "conflict" and ack["error"]["message"]


BAD_PAYLOADS = {
    "floor.request": [
        None, "x", 5, [], {}, {"meeting_id": "1"}, {"meeting_id": 0}, {"meeting_id": True},
        {"meeting_id": 1.5}, {"meeting_id": "{mid}", "extra": 1}, {"meeting_id": "{mid}", "seat_id": "a"},
        {"meeting_id": "{mid}", "seat_id": -3}, {"meeting_id": "{mid}", "note": "x" * 301},
        {"meeting_id": "{mid}", "note": 12},
    ],
    "floor.withdraw": [
        {}, {"meeting_id": "{mid}", "request_id": "1"}, {"meeting_id": "{mid}", "request_id": 0},
        {"meeting_id": "{mid}", "why": "x"},
    ],
    "floor.grant": [
        {}, {"meeting_id": "{mid}", "request_id": "{rid}", "seat_id": 1},
        {"meeting_id": "{mid}", "request_id": "{rid}", "time_limit_seconds": 10},
        {"meeting_id": "{mid}", "request_id": "{rid}", "time_limit_seconds": 3601},
        {"meeting_id": "{mid}", "request_id": "{rid}", "time_limit_seconds": "60"},
        {"meeting_id": "{mid}", "request_id": "{rid}", "time_limit_seconds": 60.5},
        {"meeting_id": "{mid}", "request_id": [1]},
    ],
    "floor.revoke": [{}, {"meeting_id": "{mid}", "request_id": {"id": 1}}, {"meeting_id": None}],
    "floor.set_limit": [
        {"meeting_id": "{mid}"}, {"meeting_id": "{mid}", "seconds": 29},
        {"meeting_id": "{mid}", "seconds": 60, "scope": "meeting"}, {"meeting_id": "{mid}", "seconds": "60"},
        {"meeting_id": "{mid}", "seconds": 60, "scope": None},
    ],
}  # fmt: skip


def _fill(payload, mid: int, rid: int):
    if not isinstance(payload, dict):
        return payload
    return {k: mid if v == "{mid}" else rid if v == "{rid}" else v for k, v in payload.items()}


@pytest.mark.parametrize(
    ("command", "payload"),
    [(name, payload) for name, payloads in BAD_PAYLOADS.items() for payload in payloads],
)
@pytest.mark.parametrize("who", ["seat", "chair"])
def test_bad_payloads_get_invalid_input_and_change_nothing(
    in_session, seats, seat_socket, staff_socket, users, command, payload, who
):
    meeting_id = in_session.id
    request = services.request_floor(in_session, seat_id=seats["cm_sd"].id, by=users["secretariat"])
    sio = seat_socket(seats["cm_sd"]) if who == "seat" else staff_socket("chair", in_session)
    before, seq = floor_now(meeting_id), last_seq(meeting_id)
    ack = sio.emit(command, _fill(payload, meeting_id, request.id), callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
    assert ack["error"]["message"]
    assert ack["error"].get("field") or not isinstance(payload, dict)  # a non-object has no field to name
    assert floor_now(meeting_id) == before and last_seq(meeting_id) == seq
    assert floor_events_of(sio) == []


def test_snapshot_after_changes_equals_the_state_built_from_events(
    in_session, seats, seat_socket, staff_socket
):
    meeting_id = in_session.id
    watcher = seat_socket(seats["sk_lab"])
    chair = staff_socket("chair", in_session)
    start = chair.emit("join", {"meeting_id": meeting_id}, callback=True)["snapshot"]["floor"]
    assert start == {"holder": None, "queue": [], "default_time_limit_seconds": None}
    chair.get_received()
    sockets = {key: seat_socket(seats[key]) for key in ("cm_sd", "cm_lab", "sk_sd")}

    def ok(sio, name, **payload):
        ack = sio.emit(name, {"meeting_id": meeting_id, **payload}, callback=True)
        assert ack["ok"] is True, (name, payload, ack)
        return ack

    ok(chair, "floor.set_limit", seconds=120, scope="default")
    first = ok(sockets["cm_sd"], "floor.request", note="ข้อเสนอ")["request_id"]
    ok(sockets["sk_sd"], "floor.request")
    ok(sockets["cm_lab"], "floor.request")
    assert ok(chair, "floor.grant")["request_id"] == first  # first in line
    ok(chair, "floor.set_limit", seconds=240)
    ok(sockets["sk_sd"], "floor.withdraw")
    ok(chair, "floor.grant", seat_id=seats["sk_lab"].id, time_limit_seconds=None)
    ok(sockets["cm_sd"], "floor.request")
    ok(chair, "floor.revoke")
    ok(chair, "floor.grant", time_limit_seconds=45)

    derived_chair = apply(start, floor_events_of(chair))
    derived_watcher = apply(None, floor_events_of(watcher))
    snapshot = chair.emit("join", {"meeting_id": meeting_id}, callback=True)["snapshot"]
    participant_snapshot = watcher.emit("join", {"meeting_id": meeting_id}, callback=True)["snapshot"]
    assert derived_chair == snapshot["floor"] == participant_snapshot["floor"] == derived_watcher
    assert snapshot["floor"]["holder"]["seat_id"] == seats["cm_lab"].id
    assert snapshot["floor"]["holder"]["time_limit_seconds"] == 45
    assert [e["seat_id"] for e in snapshot["floor"]["queue"]] == [seats["cm_sd"].id]
    assert snapshot["floor"]["default_time_limit_seconds"] == 120

    replay = watcher.emit("join", {"meeting_id": meeting_id, "last_seq": 1}, callback=True)
    assert replay["mode"] == "replay" and apply(None, replay["events"]) == snapshot["floor"]


def test_a_seat_withdraws_only_its_own_request(in_session, seats, seat_socket, staff_socket):
    meeting_id = in_session.id
    mine, theirs = seat_socket(seats["cm_sd"]), seat_socket(seats["sk_sd"])
    theirs_id = theirs.emit("floor.request", {"meeting_id": meeting_id}, callback=True)["request_id"]
    ack = mine.emit("floor.withdraw", {"meeting_id": meeting_id, "request_id": theirs_id}, callback=True)
    assert ack["error"]["code"] == "forbidden"
    assert (
        mine.emit("floor.withdraw", {"meeting_id": meeting_id}, callback=True)["error"]["code"] == "conflict"
    )
    assert theirs.emit("floor.withdraw", {"meeting_id": meeting_id}, callback=True)["ok"] is True
    assert floor_now(meeting_id)["queue"] == []


def test_every_floor_command_is_registered_with_its_schema():
    from meetcore.live.events import COMMANDS

    assert set(FLOOR_COMMANDS) <= set(COMMANDS)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
_field_names = st.sampled_from(["meeting_id", "seat_id", "request_id", "note", "seconds", "scope",
                                "time_limit_seconds", "x"])  # fmt: skip
_payloads = _json | st.dictionaries(_field_names, _json, max_size=4)


def test_random_payloads_only_ever_get_error_acks(in_session, seats, seat_socket, staff_socket):
    """Random payloads to every floor command, as a seat and as the chair: only error acknowledgements
    (never an internal error) and nothing changes. The meeting's own id is swapped out of the payloads,
    so that no random payload is a valid command."""
    clients = [seat_socket(seats["cm_sd"]), staff_socket("chair", in_session)]
    seq = last_seq(in_session.id)

    @settings(max_examples=80, deadline=None)
    @given(command=st.sampled_from(FLOOR_COMMANDS), payload=_payloads)
    def run(command, payload):
        if isinstance(payload, dict) and payload.get("meeting_id") == in_session.id:
            payload = {**payload, "meeting_id": in_session.id + 10**9}
        for sio in clients:
            ack = sio.emit(command, payload, callback=True)
            assert isinstance(ack, dict) and ack["ok"] is False, ack
            assert ack["error"]["code"] in {"invalid_input", "forbidden", "not_found", "conflict"}, ack
        assert last_seq(in_session.id) == seq

    run()


def test_a_command_that_changes_nothing_is_acknowledged_with_no_seq(
    in_session, staff_socket, seat_socket, seats
):
    """Issue 13: a floor.set_limit to the current limit was acknowledged with an unrelated earlier seq."""
    chair = staff_socket("chair", in_session)
    watcher = seat_socket(seats["cm_sd"])
    limit = {"meeting_id": in_session.id, "seconds": 120, "scope": "default"}
    first = chair.emit("floor.set_limit", limit, callback=True)
    assert first["ok"] and first["seq"] == last_seq(in_session.id)
    watcher.get_received()
    again = chair.emit("floor.set_limit", limit, callback=True)
    assert again == {"ok": True, "seq": None}
    assert last_seq(in_session.id) == first["seq"] and floor_events_of(watcher) == []
