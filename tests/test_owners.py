"""Owners write their own rows (issue 19, item 3): an AST scan of meetcore/ finds agenda items made outside
the agenda package (carry-over asks agenda.services), attendance intervals made outside the attendance
package, and a meeting's status set outside meetings.services (reports ask it through mark_certified)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "meetcore"

# model -> the package that owns its rows
OWNERS = {"AgendaItem": "agenda/", "Attendance": "attendance/"}
STATUS_WRITER = "meetings/services.py"
# module -> why it writes another domain's rows itself.
ALLOWED = {
    "demo/reference_meeting.py": "the demo's reference meeting is history (held on 2 May 2560): its rows are "
    "written as they stand, not replayed through today's services",
    "demo/reference_record.py": "the same history: its attendance intervals and events at their own times",
}


def _is_meeting(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return "meeting" in name.lower() or name in ("later", "following")


def _findings(name: str, node: ast.AST) -> list[str]:
    found = []
    if isinstance(node, ast.Call):
        model = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if model in OWNERS and not name.startswith(OWNERS[model]):
            found.append(f"line {node.lineno}: {model} rows belong to meetcore/{OWNERS[model]}")
        if model == "Meeting" and any(k.arg == "status" for k in node.keywords) and name != STATUS_WRITER:
            found.append(f"line {node.lineno}: a meeting's status is set by meetings.services")
    elif isinstance(node, ast.Assign) and name != STATUS_WRITER:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "status" and _is_meeting(target.value):
                found.append(f"line {node.lineno}: a meeting's status is set by meetings.services")
    return found


def scan(name: str, source: str) -> list[str]:
    return [text for node in ast.walk(ast.parse(source)) for text in _findings(name, node)]


def test_each_package_writes_only_its_own_rows():
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name not in ALLOWED and (lines := scan(name, path.read_text(encoding="utf-8"))):
            found[name] = lines
    assert found == {}


def test_every_module_allowed_still_needs_it():
    assert [name for name in ALLOWED if not scan(name, (ROOT / name).read_text(encoding="utf-8"))] == []


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("actions/carryover.py", "item = AgendaItem(meeting_id=1, title='x')"),
        ("seats/services.py", "db.session.add(Attendance(seat_id=1))"),
        ("reports/services.py", "meeting.status = 'certified'"),
        ("reports/services.py", "later.status = 'ended'"),
        ("demo/cli.py", "Meeting(number=1, status='live')"),
    ],
)
def test_the_scan_finds_a_foreign_writer(name, source):
    assert scan(name, source)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("agenda/services.py", "item = AgendaItem(meeting_id=1, title='x')"),
        ("attendance/services.py", "db.session.add(Attendance(seat_id=1))"),
        ("meetings/services.py", "meeting.status = 'live'"),
        ("actions/progress.py", "assignment.status = 'done'"),
    ],
)
def test_the_scan_leaves_owners_alone(name, source):
    assert scan(name, source) == []
