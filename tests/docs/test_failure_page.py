"""docs/failure.md points every line at its test: each test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_test_the_failure_page_names_exists():
    page = (ROOT / "docs" / "failure.md").read_text(encoding="utf-8")
    named = re.findall(r"(tests/[\w/]+\.py)::(\w+)", page)
    assert len(named) >= 10
    missing = [f"{file}::{name}" for file, name in named if name not in _test_names(ROOT / file)]
    assert missing == []
