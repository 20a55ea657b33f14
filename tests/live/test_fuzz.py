"""Random payloads to every live command, as every kind of connection: only error acknowledgements, never
an internal error, and nothing changes in the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields

from meetcore.extensions import db, socketio
from meetcore.live.events import COMMANDS
from meetcore.live.setup import import_handlers
from tests.conftest import sign_in
from tests.starting import start_now

import_handlers()

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
MISSING_ID = st.sampled_from([0, -1, 10**9, 2**63])
CONTROL = st.sampled_from(
    [chr(code) for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
)


def _wrong_type(field) -> st.SearchStrategy:
    """A value the field can never accept."""
    containers = st.one_of(
        st.lists(JSON_LEAVES, max_size=2), st.dictionaries(st.text(max_size=4), JSON_LEAVES, max_size=2)
    )
    if isinstance(field, fields.String):
        return st.one_of(st.integers(), st.floats(allow_nan=False), containers)
    if isinstance(field, fields.Integer | fields.Float | fields.Decimal):
        return st.one_of(
            st.text(alphabet="abcxyzก", min_size=1, max_size=5),
            containers,
            st.floats(allow_nan=False).filter(lambda x: x != int(x) if x == x and abs(x) < 1e15 else True),
        )
    return containers


def _state() -> tuple:
    """Everything a command could change, reduced to numbers."""
    tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables)
    seqs = tuple(db.session.scalars(sa.text("SELECT last_seq FROM meetings ORDER BY id")).all())
    return counts + seqs


@st.composite
def payloads(draw, schema_class, meeting_id: int):
    schema = schema_class()
    kind = draw(st.sampled_from(["not_an_object", "unknown_meeting", "bad_field", "control_characters"]))
    if kind == "not_an_object":
        return draw(st.one_of(JSON_LEAVES, st.lists(JSON_LEAVES, max_size=3)))
    texts = [name for name, field in schema.fields.items() if isinstance(field, fields.String)]
    if kind == "control_characters" and texts:  # issue 13: refused in every text field, whoever sends it
        data = {"meeting_id": meeting_id}
        data[draw(st.sampled_from(texts))] = (
            draw(st.text(max_size=8)) + draw(CONTROL) + draw(st.text(max_size=8))
        )
        return data
    data = {}
    for name in schema.fields:
        if name != "meeting_id" and draw(st.booleans()):
            data[name] = draw(ANY_JSON)
    if kind == "unknown_meeting":
        data["meeting_id"] = draw(MISSING_ID)
        return data
    # The real meeting, with at least one field of a type it can never accept.
    data["meeting_id"] = meeting_id
    others = [name for name in schema.fields if name != "meeting_id"]
    if not others:
        data["meeting_id"] = draw(st.one_of(st.text(max_size=3), st.lists(JSON_LEAVES, max_size=2)))
        return data
    name = draw(st.sampled_from(others))
    data[name] = draw(_wrong_type(schema.fields[name]))
    return data


@pytest.fixture()
def connections(app_ctx, users, meeting):
    """A live meeting with two seats, and one connection per kind of user (a site too), each joined."""
    from meetcore.directory.reference import seed_reference_data
    from meetcore.seats.links import issue_seat_link
    from meetcore.seats.services import add_seats, ordered_seats

    seed_reference_data()
    add_seats(
        meeting, {"provinces": ["TH-50"], "roles": ["social_development", "labour"]}, by=users["secretariat"]
    )
    start_now(meeting, by=users["secretariat"])  # a week ahead of its day
    token = issue_seat_link(ordered_seats(meeting, by=users["secretariat"])[0], by=users["secretariat"])
    opened = {}
    for role in ("secretariat", "chair", "participant"):
        http = app_ctx.test_client()
        g.pop("_login_user", None)
        sign_in(http, users[role])
        g.pop("_login_user", None)
        opened[role] = socketio.test_client(app_ctx, flask_test_client=http)
        g.pop("_login_user", None)
    opened["seat"] = socketio.test_client(app_ctx, auth={"seat_token": token})
    # A provincial hall's screen: a connection that carries a province, not one seat.
    from meetcore.attendance.sites import issue_site_link

    site_token = issue_site_link(meeting, {"province_code": "TH-50"}, by=users["secretariat"]).token
    opened["site"] = socketio.test_client(app_ctx, auth={"site_token": site_token})
    for sio in opened.values():
        assert sio.is_connected()
        sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    yield meeting, opened
    for sio in opened.values():
        sio.disconnect()


@pytest.mark.parametrize("command", sorted(name for name in COMMANDS if name != "join"))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_payloads_only_get_error_acks_and_change_nothing(connections, command, data):
    meeting, opened = connections
    schema_class, _ = COMMANDS[command]
    payload = data.draw(payloads(schema_class, meeting.id))
    who = data.draw(st.sampled_from(sorted(opened)))
    before = _state()
    g.pop("_login_user", None)
    ack = opened[who].emit(command, payload, callback=True)
    db.session.rollback()
    assert isinstance(ack, dict) and ack["ok"] is False, (command, who, payload, ack)
    assert ack["error"]["code"] != "internal_error", (command, who, payload, ack)
    assert ack["error"]["message"]
    assert _state() == before, (command, who, payload)


EVENT_NAMES = st.one_of(
    st.sampled_from(["connect", "disconnect", "connect_error", "message", "refused:connect", "*", ""]),
    st.text(max_size=30).filter(lambda name: name not in COMMANDS),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_lifecycle_and_unknown_event_names_get_error_acks_and_change_nothing(connections, data):
    """Issue 13: a client's event named "disconnect" took its seat off the attendance board."""
    meeting, opened = connections
    name = data.draw(EVENT_NAMES)
    payload = data.draw(ANY_JSON)
    who = data.draw(st.sampled_from(sorted(opened)))
    before = _state()
    g.pop("_login_user", None)
    ack = opened[who].emit(name, payload, callback=True)
    db.session.rollback()
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event", (name, who, payload, ack)
    assert opened[who].is_connected()
    assert _state() == before, (name, who, payload)
