"""One transaction boundary (issue 19): services change rows and flush; only the entry points and the
workers end a transaction. An AST scan of meetcore/: a `.commit()` or `.rollback()` call outside the
modules named below fails, and so does any `commit=` parameter or argument."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "meetcore"

# module (path under meetcore/) -> why it may end a transaction.
ALLOWED = {
    "transaction.py": "the boundary itself: the helpers every entry point uses",
    "live/events.py": "an entry point: the live commands' wrapper (acknowledged), and join, whose check-in "
    "commits before its snapshot is read",
    # Workers: each step ends its own transaction.
    "mail/sender.py": "the mail worker's steps (_end_step): a batch's claim commits before the SMTP transfer "
    "begins, each message's outcome right after the server's answer",
    "video/services.py": "a room placed at Janus is recorded at once, as a step of its own (the request that "
    "asked for it may still fail), or destroyed when another process placed the meeting first",
}


def _ends_a_transaction(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    )


def _commit_flags(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return any(keyword.arg == "commit" for keyword in node.keywords)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = node.args.args + node.args.kwonlyargs + node.args.posonlyargs
        return any(argument.arg == "commit" for argument in arguments)
    return False


def scan(source: str) -> tuple[list[int], list[int]]:
    """The lines that end a transaction, and the lines with a `commit=` flag."""
    tree = ast.parse(source)
    ends = sorted(node.lineno for node in ast.walk(tree) if _ends_a_transaction(node))
    flags = sorted(node.lineno for node in ast.walk(tree) if _commit_flags(node))
    return ends, flags


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_only_entry_points_and_workers_end_a_transaction():
    outside = {}
    for name, source in _modules():
        ends, _ = scan(source)
        if ends and name not in ALLOWED:
            outside[name] = ends
    assert outside == {}


def test_no_commit_parameter_is_left():
    flagged = {name: flags for name, source in _modules() if (flags := scan(source)[1])}
    assert flagged == {}


def test_every_allowed_module_still_exists_and_ends_a_transaction():
    """An allow-list entry whose module no longer commits is a door left open: it goes."""
    sources = dict(_modules())
    assert {name for name in ALLOWED if name not in sources or not scan(sources[name])[0]} == set()


def test_the_scan_finds_what_it_forbids():
    source = (
        "def save(row, *, commit=True):\n"
        "    db.session.add(row)\n"
        "    if commit:\n"
        "        db.session.commit()\n"
        "def undo():\n"
        "    db.session.rollback()\n"
        "save(1, commit=False)\n"
    )
    assert scan(source) == ([4, 6], [1, 7])
    assert scan("db.session.flush()\nrow.committed = True\n") == ([], [])
