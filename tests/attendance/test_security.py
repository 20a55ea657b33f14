"""A seat token acts only in its own meeting and for its own seat; bad payloads to the attendance events get
invalid_input acknowledgements and change nothing, whoever sends them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.attendance import sites
from meetcore.attendance.models import Attendance
from meetcore.extensions import db
from tests.attendance.helpers import intervals, last_seq, present
from tests.live.browsers import wait_until

BAD_ROLL_CALLS = [
    None, "x", 7, [], {},
    {"meeting_id": 1},
    {"meeting_id": 1, "seat_id": 1},
    {"meeting_id": 1, "seat_id": 1, "present": "yes"},
    {"meeting_id": 1, "seat_id": 1, "present": 1},
    {"meeting_id": 1, "seat_id": 1, "present": None},
    {"meeting_id": "1", "seat_id": 1, "present": True},
    {"meeting_id": 1, "seat_id": "1", "present": True},
    {"meeting_id": 1, "seat_id": 1.5, "present": True},
    {"meeting_id": 1, "seat_id": True, "present": True},
    {"meeting_id": 0, "seat_id": 1, "present": True},
    {"meeting_id": 1, "seat_id": -1, "present": False},
    {"meeting_id": 1, "seat_id": 2**70, "present": True},
    {"meeting_id": 1, "seat_id": 1, "present": True, "extra": 1},
    {"meeting_id": [1], "seat_id": {"a": 1}, "present": [True]},
]  # fmt: skip


@pytest.fixture()
def every_actor(seat_socket, staff_socket, live, seats, scheduled, users) -> dict:
    token = sites.issue_site_link(scheduled, {"province_code": "TH-50"}, by=users["secretariat"]).token
    site = live(auth={"site_token": token})
    assert site.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    return {
        "seat": seat_socket(seats["cm_sd"]),
        "site": site,
        "secretariat": staff_socket("secretariat", scheduled),
        "chair": staff_socket("chair", scheduled),
    }


def _state(meeting) -> tuple:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Attendance.id, Attendance.left_at).order_by(Attendance.id)).all()
    return last_seq(meeting), rows


def test_bad_roll_call_payloads_get_invalid_input_and_change_nothing(every_actor, scheduled):
    before = _state(scheduled)
    for name, sio in every_actor.items():
        for payload in BAD_ROLL_CALLS:
            ack = sio.emit("site.roll_call", payload, callback=True)
            assert ack["ok"] is False, (name, payload, ack)
            assert ack["error"]["code"] == "invalid_input" and ack["error"]["message"], (name, payload, ack)
    assert _state(scheduled) == before


def test_a_seat_token_cannot_act_in_another_meeting(live, link_for, seats, scheduled, other_meeting):
    from tests.factories import seat_at

    sio = live(auth={"seat_token": link_for(seats["cm_sd"])})
    ack = sio.emit("join", {"meeting_id": other_meeting.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    theirs = seat_at(other_meeting, "TH-50", "social_development")
    for payload in (
        {"meeting_id": other_meeting.id, "seat_id": theirs.id, "present": True},
        {"meeting_id": scheduled.id, "seat_id": theirs.id, "present": True},
        {"meeting_id": scheduled.id, "seat_id": seats["cm_lab"].id, "present": True},  # another seat
        {"meeting_id": scheduled.id, "seat_id": seats["cm_sd"].id, "present": True},  # even its own
    ):
        assert sio.emit("site.roll_call", payload, callback=True)["error"]["code"] == "forbidden"
    assert intervals() == []


def test_a_confirmed_identity_is_bound_to_its_seat_and_meeting(
    client, live, link_for, seats, scheduled, other_meeting
):
    token = link_for(seats["cm_sd"])
    client.post(
        f"/join/{token}/identity", data={"attending": "self", "attendee_name": "ก", "attendee_position": "ข"}
    )
    sio = live(client)
    assert sio.emit("join", {"meeting_id": other_meeting.id}, callback=True)["error"]["code"] == "forbidden"
    assert sio.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    [row] = intervals()
    assert row.seat_id == seats["cm_sd"].id and row.meeting_id == scheduled.id


def test_a_tampered_session_cookie_is_not_an_identity(app_ctx, live, seats, scheduled):
    """The identity lives in the signed session: a cookie signed with another key is ignored."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    forger = Flask("forger")
    forger.secret_key = "not-the-secret"
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    forged = serializer.dumps({"seat_access": {"seat_id": seats["cm_sd"].id, "meeting_id": scheduled.id}})
    http = app_ctx.test_client()
    http.set_cookie("session", forged, domain="meetcore.test")
    assert not live(http).is_connected()
    assert intervals() == []


# -- lifecycle names and unknown events from the client (issue 13) --------------------------------------


@pytest.mark.parametrize("name", ["disconnect", "connect", "connect_error"])
@pytest.mark.parametrize("payload", [None, "transport close", {"seat_token": "x"}])
def test_an_emitted_lifecycle_name_is_refused_and_leaves_the_seat_on_the_board(
    seat_socket, seats, scheduled, name, payload
):
    sio = seat_socket(seats["cm_sd"])
    before = (present(scheduled), _state(scheduled))
    ack = sio.emit(name, *([] if payload is None else [payload]), callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event" and ack["error"]["message"]
    assert sio.is_connected()
    assert (present(scheduled), _state(scheduled)) == before
    assert seats["cm_sd"].id in before[0]
    # The connection still acts as its own seat, and a real disconnect still closes its interval.
    assert sio.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    sio.disconnect()
    assert seats["cm_sd"].id not in present(scheduled)
    assert all(row.left_at is not None for row in intervals(scheduled))


def test_unknown_events_get_an_error_acknowledgement_in_the_users_language(staff_socket, scheduled):
    sio = staff_socket("secretariat", scheduled)
    before = _state(scheduled)
    for name in ("no.such.command", "refused:disconnect", "message", "join " * 40):
        ack = sio.emit(name, {"meeting_id": scheduled.id}, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "unknown_event", (name, ack)
        assert "ไม่รู้จักคำสั่งนี้" in ack["error"]["message"]  # Thai, the console's default
    assert _state(scheduled) == before


# -- a withdrawn link ends what its connection may do (issue 13) ----------------------------------------


def test_a_revoked_seat_links_connections_are_closed_and_the_link_refused(
    seat_socket, live, link_for, seats, scheduled, users
):
    from meetcore.seats.links import revoke_seat_links

    joined = seat_socket(seats["cm_sd"])
    token = link_for(seats["cm_sd"])
    idle = live(auth={"seat_token": token})  # connected, not joined: no interval
    other_seat = seat_socket(seats["cm_ph"])
    assert seats["cm_sd"].id in present(scheduled)
    revoke_seat_links(seats["cm_sd"], by=users["secretariat"])
    # Every connection through the seat's links is closed at once, and the joined one's interval ends.
    wait_until(lambda: not joined.is_connected() and not idle.is_connected(), timeout=1,
               message="the revoked link's connections closed")  # fmt: skip
    wait_until(lambda: seats["cm_sd"].id not in present(scheduled), timeout=1, message="its interval ended")
    assert all(row.left_at is not None for row in intervals(scheduled, seat_id=seats["cm_sd"].id))
    assert other_seat.is_connected() and seats["cm_ph"].id in present(scheduled)
    # The link opens nothing any more.
    assert not live(auth={"seat_token": token}).is_connected()


def test_a_seat_connection_is_forgotten_by_its_process_when_it_ends(live, link_for, seats, scheduled):
    """What the process keeps of a seat's connection (a revocation finds it there before it has joined and
    has a row, meetcore.live.seat_connections) goes with the connection, joined or not."""
    from meetcore.live import seat_connections

    before = set(seat_connections._BY_SID)
    idle = live(auth={"seat_token": link_for(seats["cm_sd"])})
    joined = live(auth={"seat_token": link_for(seats["sk_sd"])})
    assert joined.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    assert len(set(seat_connections._BY_SID) - before) == 2
    idle.disconnect()
    joined.disconnect()
    assert set(seat_connections._BY_SID) - before == set()


def test_a_second_first_join_of_one_connection_opens_no_second_interval(live, link_for, seats, scheduled):
    """A connection's first join looks for no interval of its own: the connection's row, written in the same
    transaction, is what stops a second join that started before the first was answered (it still believed
    itself the first): it fails on that row and leaves nothing."""
    from meetcore.extensions import socketio
    from meetcore.live.events import ACTOR_KEY
    from meetcore.live.models import LiveConnection

    sio = live(auth={"seat_token": link_for(seats["cm_sd"])})
    assert sio.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    del socketio.server.environ[sio.eio_sid]["saved_session"][ACTOR_KEY]["row"]  # as before it was answered
    ack = sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "internal_error", ack
    assert len(intervals(scheduled, seat_id=seats["cm_sd"].id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveConnection)) == 1


def test_a_connection_whose_link_was_withdrawn_is_refused_its_next_command(
    live, link_for, seats, scheduled, users, monkeypatch
):
    """Should closing it fail (its process lost the message), the database still refuses it."""
    from meetcore.live import broadcast
    from meetcore.seats.links import revoke_seat_links

    idle = live(auth={"seat_token": link_for(seats["cm_sd"])})
    monkeypatch.setattr(broadcast, "close_here", lambda sids: None)
    revoke_seat_links(seats["cm_sd"], by=users["secretariat"])
    before = _state(scheduled)
    for command, payload in (("join", {}), ("floor.request", {"seat_id": seats["cm_sd"].id})):
        ack = idle.emit(command, {"meeting_id": scheduled.id, **payload}, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (command, ack)
        assert ack["error"]["details"]["reason"] == "link_withdrawn"
    assert _state(scheduled) == before


def test_a_link_that_expired_after_its_connect_is_refused_its_first_join(live, link_for, seats, scheduled):
    """The first join checks the link by writing the connection's row from it (one statement): a link that
    expired meanwhile writes no row, opens no interval and is refused as a withdrawn one."""
    from datetime import timedelta

    from meetcore.database import utcnow
    from meetcore.live.models import LiveConnection
    from meetcore.seats.models import SeatLink
    from meetcore.tokenlinks import hash_token

    token = link_for(seats["cm_sd"])
    idle = live(auth={"seat_token": token})
    link = db.session.scalar(sa.select(SeatLink).where(SeatLink.token_hash == hash_token(token)))
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    before = _state(scheduled)
    ack = idle.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["details"]["reason"] == "link_withdrawn", ack
    assert _state(scheduled) == before and intervals(scheduled) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveConnection)) == 0


def test_a_revoked_site_links_open_connection_is_closed_and_refused(
    live, seats, scheduled, users, monkeypatch
):
    from meetcore.live import broadcast

    issued = sites.issue_site_link(scheduled, {"province_code": "TH-50"}, by=users["secretariat"])
    site = live(auth={"site_token": issued.token})
    lingering = live(auth={"site_token": issued.token})
    other = sites.issue_site_link(scheduled, {"province_code": "TH-90"}, by=users["secretariat"])
    other_site = live(auth={"site_token": other.token})
    assert site.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    real_disconnect = broadcast.close_here
    closing: list[str] = []
    # The first screen is closed as it would be; the second one's close is lost (as on a process that
    # missed the message): the database still refuses its next tick.
    def lose_all_but_one(sids):
        closing.extend(sids)
        real_disconnect(sids[:1])

    monkeypatch.setattr(broadcast, "close_here", lose_all_but_one)
    sites.revoke_site_links(scheduled, "TH-50", by=users["secretariat"])
    wait_until(lambda: len(closing) == 2, timeout=1, message="both of the hall's screens were closed")
    wait_until(lambda: not site.is_connected() or not lingering.is_connected(), timeout=1,
               message="the hall's screen closed")  # fmt: skip
    still_open = site if site.is_connected() else lingering
    before = _state(scheduled)
    tick = {"meeting_id": scheduled.id, "seat_id": seats["cm_sd"].id, "present": True}
    for command, payload in (("site.roll_call", tick), ("join", {"meeting_id": scheduled.id})):
        ack = still_open.emit(command, payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "link_revoked", (command, ack)
    assert _state(scheduled) == before
    assert other_site.is_connected()
