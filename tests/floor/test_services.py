"""The floor's services: the queue's order, one speaker at a time, time limits, who may do what, and the
database refusing what the services would never write."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from meetcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.floor import services
from meetcore.floor.models import FloorRequest
from meetcore.meetings.models import Meeting
from meetcore.transaction import commit
from tests.floor.helpers import actor_for


def floor_events(meeting) -> list[MeetingEvent]:
    return list(
        db.session.scalars(
            sa.select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind.like("floor.%"))
            .order_by(MeetingEvent.seq)
        )
    )


def rows(meeting) -> list[tuple[int, str]]:
    """(seat_id, state) of every request of the meeting, oldest first."""
    db.session.expire_all()
    return [
        (r.seat_id, r.state)
        for r in db.session.scalars(
            sa.select(FloorRequest).where(FloorRequest.meeting_id == meeting.id).order_by(FloorRequest.id)
        )
    ]


def last_seq(meeting) -> int:
    return db.session.scalar(sa.select(Meeting.last_seq).where(Meeting.id == meeting.id))


# --- the queue ------------------------------------------------------------------------------------------


def test_queue_is_in_the_order_seats_asked_with_province_and_role(in_session, seats):
    for key in ("sk_lab", "cm_sd", "sk_sd"):
        services.request_floor(in_session, by=actor_for(seats[key], name=f"คุณ {key}"))
    state = services.floor_state(in_session.id)
    assert state["holder"] is None and state["default_time_limit_seconds"] is None
    assert [(e["position"], e["seat_id"]) for e in state["queue"]] == [
        (1, seats["sk_lab"].id),
        (2, seats["cm_sd"].id),
        (3, seats["sk_sd"].id),
    ]
    first = state["queue"][0]
    assert first["province"] == {
        "code": "TH-90",
        "name_th": "สงขลา",
        "name_en": "Songkhla",
        "region": "south",
    }
    assert first["role"]["code"] == "labour" and first["role"]["title_th"] == "แรงงานจังหวัด"
    assert first["role"]["title_en"] == "Provincial Labour Officer"
    assert first["label"] == {"th": "แรงงานจังหวัดสงขลา", "en": "Provincial Labour Officer, Songkhla"}
    assert first["attendee_name"] == "คุณ sk_lab" and first["attendee_position"] == "ผู้แทน"
    times = [datetime.fromisoformat(e["requested_at"]) for e in state["queue"]]
    assert times == sorted(times)


def test_each_change_records_one_event_carrying_the_resulting_floor(in_session, seats, users):
    chair = users["chair"]
    request = services.request_floor(in_session, note="เรื่องงบประมาณ", by=actor_for(seats["cm_sd"]))
    services.grant_floor(in_session, request_id=request.id, by=chair)
    services.revoke_floor(in_session, by=chair)
    events = floor_events(in_session)
    assert [e.kind for e in events] == ["floor.requested", "floor.granted", "floor.revoked"]
    assert events[0].actor_seat_id == seats["cm_sd"].id and events[0].actor_user_id is None
    assert events[1].actor_user_id == chair.id and events[1].actor_seat_id is None
    assert events[0].payload["floor"]["queue"][0]["note"] == "เรื่องงบประมาณ"
    assert events[1].payload["floor"]["holder"]["request_id"] == request.id
    assert events[2].payload == {
        "request_id": request.id,
        "seat_id": seats["cm_sd"].id,
        "was": "granted",
        "floor": services.floor_state(in_session.id),
    }


def test_a_seat_asks_once_until_its_request_is_closed(in_session, seats):
    actor = actor_for(seats["cm_sd"])
    first = services.request_floor(in_session, by=actor)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict) as refused:
        services.request_floor(in_session, by=actor)
    assert refused.value.details == {"request_id": first.id, "state": "queued"}
    db.session.rollback()
    services.withdraw_floor(in_session, by=actor)
    again = services.request_floor(in_session, by=actor)
    assert again.id != first.id
    assert rows(in_session) == [(seats["cm_sd"].id, "withdrawn"), (seats["cm_sd"].id, "queued")]


def test_staff_ask_for_a_seat_and_a_seat_only_for_itself(in_session, seats, users):
    request = services.request_floor(in_session, seat_id=seats["sk_sd"].id, by=users["secretariat"])
    assert request.attendee_name is None  # the roster names no invitee for that seat
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.request_floor(in_session, seat_id=seats["sk_lab"].id, by=actor_for(seats["cm_sd"]))
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.request_floor(in_session, by=users["chair"])  # which seat?
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.request_floor(in_session, seat_id=seats["sk_lab"].id, by=users["participant"])
    db.session.rollback()
    assert rows(in_session) == [(seats["sk_sd"].id, "queued")]


def test_a_seat_of_another_meeting_is_refused(in_session, other_meeting, seats, users):
    from tests.factories import seat_at

    stranger = seat_at(other_meeting, "TH-50", "labour")
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.request_floor(in_session, by=actor_for(stranger))
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(NotFound):
        services.request_floor(in_session, seat_id=stranger.id, by=users["chair"])
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(NotFound):
        services.grant_floor(in_session, seat_id=stranger.id, by=users["chair"])
    db.session.rollback()
    assert rows(in_session) == [] and rows(other_meeting) == []


def test_floor_is_closed_unless_the_meeting_is_in_session(scheduled, users):
    from meetcore.meetings.services import end_meeting, start_meeting
    from tests.factories import seat_at

    seat = seat_at(scheduled, "TH-50", "labour")
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict) as refused:
        services.request_floor(scheduled, by=actor_for(seat))
    assert refused.value.details == {"status": "scheduled"}
    db.session.rollback()
    start_meeting(scheduled, by=users["secretariat"])
    request = services.request_floor(scheduled, by=actor_for(seat))
    end_meeting(scheduled, by=users["secretariat"])
    for attempt in (
        lambda: services.grant_floor(scheduled, request_id=request.id, by=users["chair"]),
        lambda: services.withdraw_floor(scheduled, by=actor_for(seat)),
        lambda: services.set_time_limit(scheduled, 60, scope="default", by=users["chair"]),
        lambda: services.revoke_floor(scheduled, request_id=request.id, by=users["chair"]),
    ):
        commit()  # the test is the entry point: what it did so far stands
        with pytest.raises(Conflict):
            attempt()
        db.session.rollback()


# --- granting -------------------------------------------------------------------------------------------


def test_one_speaker_at_a_time_granting_ends_the_previous_turn(in_session, seats, users):
    chair = users["chair"]
    first = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    second = services.request_floor(in_session, by=actor_for(seats["sk_sd"]))
    services.grant_floor(in_session, request_id=first.id, by=chair)
    granted = services.grant_floor(in_session, request_id=second.id, by=users["secretariat"])
    assert rows(in_session) == [(seats["cm_sd"].id, "done"), (seats["sk_sd"].id, "granted")]
    ended = db.session.get(FloorRequest, first.id)
    assert ended.ended_at == granted.granted_at and ended.granted_by == chair.id
    assert granted.granted_by == users["secretariat"].id
    state = services.floor_state(in_session.id)
    assert state["holder"]["seat_id"] == seats["sk_sd"].id and state["queue"] == []
    event = floor_events(in_session)[-1]
    assert event.payload["previous"] == {
        "request_id": first.id,
        "seat_id": seats["cm_sd"].id,
        "state": "done",
    }


def test_grant_without_a_request_takes_the_first_in_line(in_session, seats, users):
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.grant_floor(in_session, by=users["chair"])
    db.session.rollback()
    services.request_floor(in_session, by=actor_for(seats["sk_lab"]))
    services.request_floor(in_session, by=actor_for(seats["cm_lab"]))
    services.grant_floor(in_session, by=users["chair"])
    state = services.floor_state(in_session.id)
    assert state["holder"]["seat_id"] == seats["sk_lab"].id
    assert [(e["position"], e["seat_id"]) for e in state["queue"]] == [(1, seats["cm_lab"].id)]


def test_the_chair_can_call_on_a_seat_that_did_not_ask(in_session, seats, users):
    services.request_floor(in_session, by=actor_for(seats["sk_lab"]))
    granted = services.grant_floor(in_session, seat_id=seats["cm_sd"].id, by=users["chair"])
    assert granted.requested_at == granted.granted_at
    queued = services.request_floor(in_session, by=actor_for(seats["cm_lab"]))
    services.grant_floor(in_session, seat_id=seats["cm_lab"].id, by=users["chair"])  # its waiting request
    assert db.session.get(FloorRequest, queued.id).state == "granted"
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.grant_floor(in_session, seat_id=seats["cm_lab"].id, by=users["chair"])
    db.session.rollback()


def test_closed_requests_cannot_be_granted_and_unknown_ones_are_not_found(in_session, seats, users):
    request = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    services.withdraw_floor(in_session, by=actor_for(seats["cm_sd"]))
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict) as refused:
        services.grant_floor(in_session, request_id=request.id, by=users["chair"])
    assert refused.value.details["state"] == "withdrawn"
    db.session.rollback()
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(NotFound):
        services.grant_floor(in_session, request_id=987654, by=users["chair"])
    db.session.rollback()
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.grant_floor(in_session, request_id=request.id, seat_id=seats["cm_sd"].id, by=users["chair"])


@pytest.mark.parametrize("role", ["admin", "secretariat", "chair"])
def test_staff_run_the_floor(in_session, seats, users, role):
    request = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    services.grant_floor(in_session, request_id=request.id, by=users[role])
    services.set_time_limit(in_session, 120, by=users[role])
    services.revoke_floor(in_session, by=users[role])
    assert rows(in_session) == [(seats["cm_sd"].id, "revoked")]


def test_participants_cannot_grant_revoke_or_set_limits(in_session, seats, users):
    request = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    seq = last_seq(in_session)
    attempts = (
        lambda by: services.grant_floor(in_session, request_id=request.id, by=by),
        lambda by: services.grant_floor(in_session, by=by),
        lambda by: services.revoke_floor(in_session, request_id=request.id, by=by),
        lambda by: services.set_time_limit(in_session, 60, scope="default", by=by),
    )
    for by in (actor_for(seats["cm_sd"]), actor_for(seats["sk_sd"]), users["participant"]):
        for attempt in attempts:
            commit()  # the test is the entry point: what it did so far stands
            with pytest.raises(PermissionDenied):
                attempt(by)
            db.session.rollback()
    assert last_seq(in_session) == seq and rows(in_session) == [(seats["cm_sd"].id, "queued")]


# --- withdrawing and revoking ---------------------------------------------------------------------------


def test_withdraw_a_queued_request_or_yield_the_floor(in_session, seats, users):
    cm, sk = actor_for(seats["cm_sd"]), actor_for(seats["sk_sd"])
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.withdraw_floor(in_session, by=cm)  # nothing to withdraw
    db.session.rollback()
    mine = services.request_floor(in_session, by=cm)
    theirs = services.request_floor(in_session, by=sk)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.withdraw_floor(in_session, request_id=theirs.id, by=cm)
    db.session.rollback()
    services.grant_floor(in_session, request_id=mine.id, by=users["chair"])
    services.withdraw_floor(in_session, by=cm)  # the speaker yields
    services.withdraw_floor(in_session, request_id=theirs.id, by=users["secretariat"])
    assert rows(in_session) == [(seats["cm_sd"].id, "done"), (seats["sk_sd"].id, "withdrawn")]
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.withdraw_floor(in_session, by=users["secretariat"])  # staff name the request
    db.session.rollback()
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.withdraw_floor(in_session, request_id=theirs.id, by=users["secretariat"])
    db.session.rollback()
    kinds = [(e.kind, e.payload.get("state")) for e in floor_events(in_session)]
    assert kinds[-2:] == [("floor.withdrawn", "done"), ("floor.withdrawn", "withdrawn")]


def test_revoke_ends_the_turn_or_takes_a_request_off_the_queue(in_session, seats, users):
    chair = users["chair"]
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.revoke_floor(in_session, by=chair)  # nobody holds the floor
    db.session.rollback()
    speaking = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    waiting = services.request_floor(in_session, by=actor_for(seats["sk_sd"]))
    services.grant_floor(in_session, request_id=speaking.id, by=chair)
    services.revoke_floor(in_session, request_id=waiting.id, by=chair)
    services.revoke_floor(in_session, by=chair)
    state = services.floor_state(in_session.id)
    assert state["holder"] is None and state["queue"] == []
    assert rows(in_session) == [(seats["cm_sd"].id, "revoked"), (seats["sk_sd"].id, "revoked")]
    assert [e.payload["was"] for e in floor_events(in_session) if e.kind == "floor.revoked"] == [
        "queued",
        "granted",
    ]
    assert all(r.ended_at is not None for r in db.session.scalars(sa.select(FloorRequest)))


# --- time limits ----------------------------------------------------------------------------------------


def test_time_limit_per_turn_and_the_default_for_the_next_turns(in_session, seats, users):
    chair = users["chair"]
    services.set_time_limit(in_session, 180, scope="default", by=chair)
    first = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    second = services.request_floor(in_session, by=actor_for(seats["sk_sd"]))
    third = services.request_floor(in_session, by=actor_for(seats["sk_lab"]))
    services.grant_floor(in_session, request_id=first.id, by=chair)
    holder = services.floor_state(in_session.id)["holder"]
    assert holder["time_limit_seconds"] == 180
    granted_at = datetime.fromisoformat(holder["granted_at"])
    assert datetime.fromisoformat(holder["ends_at"]) == granted_at + timedelta(seconds=180)

    services.set_time_limit(in_session, 300, by=chair)  # more time for this speaker only
    state = services.floor_state(in_session.id)
    assert state["holder"]["time_limit_seconds"] == 300 and state["default_time_limit_seconds"] == 180
    assert datetime.fromisoformat(state["holder"]["ends_at"]) == granted_at + timedelta(seconds=300)

    services.grant_floor(in_session, request_id=second.id, time_limit_seconds=None, by=chair)
    holder = services.floor_state(in_session.id)["holder"]
    assert holder["time_limit_seconds"] is None and holder["ends_at"] is None
    services.grant_floor(in_session, request_id=third.id, time_limit_seconds=60, by=chair)
    assert services.floor_state(in_session.id)["holder"]["time_limit_seconds"] == 60

    services.set_time_limit(in_session, None, scope="default", by=chair)
    assert services.floor_state(in_session.id)["default_time_limit_seconds"] is None
    limit_events = [e.payload for e in floor_events(in_session) if e.kind == "floor.limit_set"]
    assert [(p["scope"], p["seconds"], p["request_id"]) for p in limit_events] == [
        ("default", 180, None),
        ("turn", 300, first.id),
        ("default", None, None),
    ]


def test_setting_the_same_limit_again_records_nothing(in_session, seats, users):
    seq = last_seq(in_session)
    services.set_time_limit(in_session, None, scope="default", by=users["chair"])  # none was set
    assert last_seq(in_session) == seq
    services.set_time_limit(in_session, 90, scope="default", by=users["chair"])
    services.set_time_limit(in_session, 90, scope="default", by=users["chair"])
    services.grant_floor(in_session, seat_id=seats["cm_sd"].id, by=users["chair"])
    seq = last_seq(in_session)
    services.set_time_limit(in_session, 90, by=users["chair"])  # the turn got the default already
    assert last_seq(in_session) == seq


@pytest.mark.parametrize("seconds", [0, 29, 3601, -5, True, 60.0, "60"])
def test_time_limits_out_of_range_are_refused(in_session, seats, users, seconds):
    request = services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    seq = last_seq(in_session)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.set_time_limit(in_session, seconds, scope="default", by=users["chair"])
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.grant_floor(in_session, request_id=request.id, time_limit_seconds=seconds, by=users["chair"])
    db.session.rollback()
    assert last_seq(in_session) == seq


def test_a_turn_limit_needs_a_speaker(in_session, users):
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.set_time_limit(in_session, 60, by=users["chair"])
    db.session.rollback()
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.set_time_limit(in_session, 60, scope="meeting", by=users["chair"])


# --- closing when the meeting ends ----------------------------------------------------------------------


def test_close_floor_ends_the_turn_and_clears_the_queue(in_session, seats, users):
    assert services.close_floor(in_session, by=users["secretariat"]) is False
    services.request_floor(in_session, by=actor_for(seats["cm_sd"]))
    services.request_floor(in_session, by=actor_for(seats["sk_sd"]))
    services.grant_floor(in_session, by=users["chair"])
    assert services.close_floor(in_session, by=users["secretariat"]) is True
    db.session.commit()
    assert rows(in_session) == [(seats["cm_sd"].id, "done"), (seats["sk_sd"].id, "revoked")]
    event = floor_events(in_session)[-1]
    assert event.kind == "floor.closed"
    assert event.payload["floor"] == {"holder": None, "queue": [], "default_time_limit_seconds": None}


# --- the database's own guard ---------------------------------------------------------------------------


def _insert(meeting, seat, **values):
    from meetcore.database import utcnow

    db.session.add(FloorRequest(meeting_id=meeting.id, seat_id=seat.id, requested_at=utcnow(), **values))
    db.session.flush()


def test_database_refuses_a_second_open_request_of_a_seat(in_session, seats):
    _insert(in_session, seats["cm_sd"], state="queued")
    with pytest.raises(IntegrityError):
        _insert(in_session, seats["cm_sd"], state="queued")
    db.session.rollback()
    from meetcore.database import utcnow

    _insert(in_session, seats["cm_sd"], state="queued")
    _insert(in_session, seats["cm_sd"], state="withdrawn", ended_at=utcnow())  # closed ones may pile up
    db.session.rollback()


def test_database_refuses_a_second_speaker(in_session, seats):
    from meetcore.database import utcnow

    _insert(in_session, seats["cm_sd"], state="granted", granted_at=utcnow())
    with pytest.raises(IntegrityError):
        _insert(in_session, seats["sk_sd"], state="granted", granted_at=utcnow())
    db.session.rollback()


@pytest.mark.parametrize(
    "values",
    [
        {"state": "speaking"},
        {"state": "granted"},  # no granted_at
        {"state": "queued", "time_limit_seconds": 10},
        {"state": "done"},  # no times
        {"state": "queued", "ended_at": "now"},
    ],
)
def test_database_refuses_inconsistent_rows(in_session, seats, values):
    from meetcore.database import utcnow

    values = {k: utcnow() if v == "now" else v for k, v in values.items()}
    with pytest.raises((IntegrityError, sa.exc.StatementError)):
        _insert(in_session, seats["cm_sd"], **values)
    db.session.rollback()


def test_concurrent_grants_are_served_one_after_the_other(app, in_session, seats, users):
    """Two staff grant different requests at the same moment: both succeed in turn, one speaker remains."""
    meeting_id = in_session.id
    first = services.request_floor(in_session, by=actor_for(seats["cm_sd"])).id
    second = services.request_floor(in_session, by=actor_for(seats["sk_sd"])).id
    chair_id, secretariat_id = users["chair"].id, users["secretariat"].id
    commit()  # the test is the entry point: the requests stand before the threads look
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list = []

    def grant(request_id: int, user_id: int) -> None:
        from meetcore.auth.models import User

        with app.app_context():
            try:
                meeting = db.session.get(Meeting, meeting_id)
                by = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                services.grant_floor(meeting, request_id=request_id, by=by)
                commit()  # each thread is an entry point
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
                db.session.rollback()
                outcomes.append(error)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=grant, args=(first, chair_id)),
        threading.Thread(target=grant, args=(second, secretariat_id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["ok", "ok"]
    meeting = db.session.get(Meeting, meeting_id)
    states = sorted(state for _, state in rows(meeting))
    assert states == ["done", "granted"]
    grants = [e.payload for e in floor_events(meeting) if e.kind == "floor.granted"]
    assert len(grants) == 2 and grants[0]["previous"] is None
    assert grants[1]["previous"]["request_id"] == grants[0]["request_id"]
    assert services.floor_state(meeting_id)["holder"]["request_id"] == grants[1]["request_id"]


# --- provincial sites -----------------------------------------------------------------------------------


def site_of(meeting, province_code: str):
    """The actor of a provincial hall's screen (meetcore.actors.SiteActor)."""
    from meetcore.actors import SiteActor
    from meetcore.directory.models import Province

    province = db.session.scalars(sa.select(Province).where(Province.code == province_code)).one()
    return SiteActor(seat_id=None, meeting_id=meeting.id, province_id=province.id, site_link_id=1)


def test_a_site_asks_for_the_seats_of_its_province(in_session, seats, users):
    from meetcore.seats.services import update_seat

    substitute = {"substitute_name": "นางสาวแทน ทดสอบ", "substitute_position": "นักวิชาการแรงงาน"}
    update_seat(seats["cm_lab"], {**substitute, "rsvp": "substitute"}, by=users["secretariat"])
    site = site_of(in_session, "TH-50")
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.request_floor(in_session, by=site)  # which of its seats?
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.request_floor(in_session, seat_id=seats["sk_sd"].id, by=site)  # Songkhla's seat
    db.session.rollback()
    request = services.request_floor(in_session, seat_id=seats["cm_lab"].id, by=site)
    assert (request.attendee_name, request.attendee_position) == ("นางสาวแทน ทดสอบ", "นักวิชาการแรงงาน")
    services.request_floor(in_session, seat_id=seats["cm_sd"].id, by=site)
    event = floor_events(in_session)[-1]
    assert event.actor_seat_id is None and event.actor_user_id is None
    assert [e["seat_id"] for e in services.floor_state(in_session.id)["queue"]] == [
        seats["cm_lab"].id,
        seats["cm_sd"].id,
    ]


def test_a_site_withdraws_only_its_provinces_requests_and_cannot_grant(in_session, seats, users):
    site = site_of(in_session, "TH-50")
    ours = services.request_floor(in_session, seat_id=seats["cm_sd"].id, by=site)
    theirs = services.request_floor(in_session, by=actor_for(seats["sk_sd"]))
    seq = last_seq(in_session)
    for attempt in (
        lambda: services.withdraw_floor(in_session, request_id=theirs.id, by=site),
        lambda: services.grant_floor(in_session, request_id=ours.id, by=site),
        lambda: services.revoke_floor(in_session, request_id=theirs.id, by=site),
    ):
        commit()  # the test is the entry point: what it did so far stands
        with pytest.raises(PermissionDenied):
            attempt()
        db.session.rollback()
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        services.withdraw_floor(in_session, by=site)  # a site names the request
    db.session.rollback()
    assert last_seq(in_session) == seq
    services.withdraw_floor(in_session, request_id=ours.id, by=site)
    assert rows(in_session) == [(seats["cm_sd"].id, "withdrawn"), (seats["sk_sd"].id, "queued")]


def test_a_site_of_another_meeting_is_refused(in_session, other_meeting, seats):
    site = site_of(other_meeting, "TH-50")
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.request_floor(in_session, seat_id=seats["cm_sd"].id, by=site)
