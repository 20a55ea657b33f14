"""Who acts (issue 19, item 3): MeetCore itself acts as a named system actor (meetcore.actors), never as
"no user". An AST scan of meetcore/ keeps it so: no `by=None` default, argument or `by is None` test, and no
call of an acting service (or of record_event) that names nobody. Then, from outside: services refuse a call
with no actor, the system acts with its role's permissions and no more, its name reaches the log lines and
the event log."""

from __future__ import annotations

import ast
import io
import json
import logging
from pathlib import Path

import pytest

from meetcore.actors import SYSTEM_CLI, SYSTEM_MAIL, SYSTEM_REPORTS, SystemActor
from meetcore.errors import PermissionDenied
from meetcore.extensions import db
from meetcore.operations.logs import JsonLines

ROOT = Path(__file__).resolve().parent.parent / "meetcore"
ACTOR_NAMES = ("by", "actor")
# Services that act for someone: a call must say who.
ACTING_CALLS = (
    "issue_seat_link", "revoke_seat_links", "issue_site_link", "revoke_site_links", "issue_agency_link",
    "set_active", "carry_open_actions_into", "hand_over_to_substitute", "cancel_invitation_for_seat",
    "revoke_invitation_links",
)  # fmt: skip

def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _defaults(function: ast.FunctionDef | ast.AsyncFunctionDef):
    positional = function.args.posonlyargs + function.args.args
    padded = [None] * (len(positional) - len(function.args.defaults)) + list(function.args.defaults)
    yield from zip(positional, padded, strict=True)
    yield from zip(function.args.kwonlyargs, function.args.kw_defaults, strict=True)


def _called_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)


def _findings(node: ast.AST) -> list[str]:
    found = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for argument, default in _defaults(node):
            if argument.arg in ACTOR_NAMES and _is_none(default):
                found.append(f"{node.name}() defaults {argument.arg}=None")
    elif isinstance(node, ast.Call):
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        name = _called_name(node)
        if any(_is_none(keywords.get(actor)) for actor in ACTOR_NAMES):
            found.append(f"{name}() is passed by=None")
        elif name in ACTING_CALLS and "by" not in keywords:
            found.append(f"{name}() names no actor")
        elif name == "record_event" and "by" not in keywords:  # a seat's own link: by=SeatActor(...), seat=
            found.append("record_event() names no actor")
    elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
        if isinstance(node.left, ast.Name) and node.left.id in ACTOR_NAMES and _is_none(node.comparators[0]):
            found.append(f"`{node.left.id} is (not) None` treats a missing actor as the system")
    return found


def scan(source: str) -> list[str]:
    return [f"line {node.lineno}: {text}" for node in ast.walk(ast.parse(source)) for text in _findings(node)]


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_service_treats_a_missing_actor_as_the_system():
    found = {name: lines for name, source in _modules() if (lines := scan(source))}
    assert found == {}, "name the acting user, seat or system actor (meetcore.actors)"


@pytest.mark.parametrize(
    "source",
    [
        "def f(x, *, by=None): pass",
        "def f(x, by=None): pass",
        "f(x, by=None)",
        "if by is not None:\n    require_editor(by)",
        "issue_seat_link(seat)",
        "record_event(meeting, 'x.y', {})",
        "record_event(meeting, 'x.y', {}, seat=seat)",
        "revoke_invitation_links(seat, invitation.id)",
    ],
)
def test_the_scan_finds_each_way_of_acting_as_nobody(source):
    assert scan(source)


@pytest.mark.parametrize(
    "source",
    [
        "def f(x, *, by): pass",
        "def f(x, *, seat=None): pass",
        "issue_seat_link(seat, by=SYSTEM_MAIL)",
        "record_event(meeting, 'x.y', {}, by=SeatActor(seat_id=seat.id, meeting_id=meeting.id), seat=seat)",
        "if user is None: pass",
    ],
)
def test_the_scan_leaves_named_actors_alone(source):
    assert scan(source) == []


# --- services, from outside ---------------------------------------------------------------------------------


def test_a_service_called_with_no_actor_fails_loudly(meeting, users):
    from meetcore.actions.carryover import carry_open_actions_into
    from meetcore.attendance.sites import issue_site_link
    from meetcore.auth.services import set_active
    from meetcore.eventlog.services import record_event
    from meetcore.meetings.services import cancel_meeting, end_meeting

    with pytest.raises(TypeError):
        set_active(users["chair"], False)
    with pytest.raises(TypeError):
        carry_open_actions_into(meeting)
    with pytest.raises(TypeError):
        cancel_meeting(meeting, {"reason": "ไม่มีผู้ใด"})
    with pytest.raises(TypeError):
        end_meeting(meeting)
    with pytest.raises(TypeError):
        issue_site_link(meeting, {"province_code": "TH-50"})
    with pytest.raises(TypeError):
        record_event(meeting, "invitations.reminded", {"count": 0, "minutes_before": 60})
    db.session.rollback()
    assert db.session.get(type(meeting), meeting.id).status == "scheduled"
    assert users["chair"].active


def test_the_system_has_its_role_s_permissions_and_no_more(users):
    from meetcore.auth.services import set_active

    with pytest.raises(PermissionDenied):
        set_active(users["chair"], False, by=SYSTEM_REPORTS)  # reads as the chair: no administrator
    with pytest.raises(PermissionDenied):
        set_active(users["chair"], False, by=SYSTEM_MAIL)
    assert users["chair"].active
    assert set_active(users["chair"], False, by=SYSTEM_CLI).active is False


@pytest.mark.parametrize(
    ("name", "role"), [("system:cli", "participant"), ("system:x", "root"), ("cli", "admin")]
)
def test_a_system_actor_is_named_and_holds_a_staff_role(name, role):
    with pytest.raises(ValueError):
        SystemActor(name, role)


# --- the event log and the log lines ------------------------------------------------------------------------


def test_an_event_the_system_writes_carries_its_name_in_the_row_and_on_the_wire(meeting, users):
    from meetcore.eventlog.services import record_event
    from meetcore.live.broadcast import wire_event

    payload = {"count": 0, "minutes_before": 60}
    by_system = record_event(meeting, "invitations.reminded", payload, by=SYSTEM_MAIL)
    by_user = record_event(meeting, "invitations.reminded", payload, by=users["secretariat"])
    db.session.flush()
    assert (by_system.actor_name, by_system.actor_user_id) == ("system:mail", None)
    assert (by_user.actor_name, by_user.actor_user_id) == (None, users["secretariat"].id)
    assert wire_event(by_system)["by"] == "system:mail"
    assert "by" not in wire_event(by_user)


@pytest.fixture()
def json_lines():
    """What MeetCore logs while the test runs, as MEETCORE_LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("meetcore")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_command_logs_that_the_system_ran_it(app, users, json_lines):
    from meetcore.auth.models import User

    result = app.test_cli_runner().invoke(args=["users", "deactivate", users["chair"].email])
    assert result.exit_code == 0, result.output
    lines = json_lines()
    assert any(line.get("actor") == "system:cli" and "users deactivate" in line["message"] for line in lines)
    db.session.expire_all()
    assert db.session.get(User, users["chair"].id).active is False

