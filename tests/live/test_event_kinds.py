"""One list of event kinds (issue 19): the server declares every kind it may write, with who may read it
(meetcore/eventlog/kinds.py); the browser applies exactly those (static/src/live-state.js's HANDLERS),
so a kind added on one side and forgotten on the other fails here, not on a meeting day."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from meetcore.eventlog.kinds import KINDS, kind_named
from meetcore.live.rooms import for_participants, for_site, for_staff
from tests.clock import NOW

LIVE_STATE = Path(__file__).resolve().parents[2] / "static" / "src" / "live-state.js"


def _browser_kinds() -> set[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the README's setup installs it with npm)")
    script = f"import {{ KNOWN_KINDS }} from {json.dumps(LIVE_STATE.as_uri())};" \
             "process.stdout.write(JSON.stringify(KNOWN_KINDS));"  # fmt: skip
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    return set(json.loads(done.stdout))


def test_the_browser_applies_every_kind_the_server_declares_and_no_other():
    assert _browser_kinds() == set(KINDS) | {"redacted"}


def _message(kind: str, payload: dict) -> dict:
    return {"meeting_id": 1, "seq": 5, "kind": kind, "payload": payload, "at": NOW.isoformat()}


def test_who_reads_what_is_declared_not_guessed_from_the_name():
    assert for_participants(_message("seats.updated", {"seat_id": 1}))["kind"] == "redacted"
    circulated = for_participants(_message("minutes.circulated", {"recipients": ["a@example.org"]}))
    assert circulated["payload"] == {}  # the addresses the minutes went to are the staff's
    board = for_participants(_message("attendance.board", {"totals": {}, "seats": [{"seat_id": 1}]}))
    assert board["payload"] == {"totals": {}}
    agenda = _message("agenda.current", {"item_id": 1, "previous": []})
    assert for_participants(agenda) is agenda


def test_a_halls_part_is_read_by_that_provinces_halls_alone():
    """The board's "sites" (each province's seats, ticks and attendees): a hall reads its own province's
    part as "site"; another province's hall, a participant and the staff read none of it."""
    part = {"province_code": "TH-50", "seats": [{"seat_id": 3, "ticked": True, "name": "ก"}]}
    board = _message("attendance.board", {"totals": {}, "seats": [{"seat_id": 3}], "sites": {"TH-50": part}})
    assert for_site(board, "TH-50")["payload"] == {"totals": {}, "site": part}
    assert for_site(board, "TH-90")["payload"] == {"totals": {}}
    assert for_participants(board)["payload"] == {"totals": {}}
    assert for_staff(board)["payload"] == {"totals": {}, "seats": [{"seat_id": 3}]}
    assert board["payload"]["sites"] == {"TH-50": part}  # the stored event is left as it is
    agenda = _message("agenda.current", {"item_id": 1, "previous": []})
    assert for_site(agenda, "TH-50") is agenda and for_staff(agenda) is agenda


def test_a_kind_no_one_declared_is_the_staffs():
    """An event written by a later version and read back by this one: participants get it redacted."""
    assert kind_named("votes.cast").staff_only
    assert for_participants(_message("votes.cast", {"choice": "yes"}))["kind"] == "redacted"
