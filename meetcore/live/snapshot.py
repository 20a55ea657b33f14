"""The full state of one meeting as one reader may see it, consistent with the seq it carries."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from meetcore.agenda.tree import agenda_state
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import meeting_state

# Other domains add their part of the state (floor, attendance, minutes, ...) here:
# part(meeting, actor) -> JSON-able value, stored under its key.
SNAPSHOT_PARTS: dict[str, Callable] = {}
# The keys of parts that differ from one participant's seat to another's (its agency's actions): never shared.
PERSONAL_PARTS: set[str] = set()

# What every participant's snapshot at one seq has in common (meetcore.live.snapshot.build_snapshot), so that
# a mass join reads it once per seq, not once per participant: (meeting id, seq) -> (built at, parts).
# A participant sees what every participant sees, and what it sees changes only through numbered events,
# which move the seq; SHARED_SECONDS bounds how long a change made without one (none is known) could wait.
_shared: dict[tuple[int, int], tuple[float, dict]] = {}
SHARED_KEPT = 8
SHARED_SECONDS = 2.0


def snapshot_part(key: str, *, personal: bool = False):
    def register(function: Callable) -> Callable:
        SNAPSHOT_PARTS[key] = function
        if personal:
            PERSONAL_PARTS.add(key)
        return function

    return register


def _repeatable_read() -> None:
    """PostgreSQL: every query of the snapshot sees the same committed state as last_seq does."""
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def build_snapshot(meeting_id: int, actor) -> dict:
    """The meeting as `actor` sees it, read in one consistent read. Called at the start of a transaction
    (the join command commits its check-in first), so that PostgreSQL's REPEATABLE READ applies to it;
    it writes nothing, and the entry point ends its transaction."""
    _repeatable_read()
    meeting = db.session.scalars(
        sa.select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    ).one()
    if _is_participant(actor):
        state = {"last_seq": meeting.last_seq, **_shared_parts(meeting, actor)}
        for key in PERSONAL_PARTS:
            state[key] = SNAPSHOT_PARTS[key](meeting, actor)
        return state
    return {"last_seq": meeting.last_seq, **_parts(meeting, actor, SNAPSHOT_PARTS.keys())}


def _parts(meeting: Meeting, actor, keys) -> dict:
    state = {
        "meeting": meeting_state(meeting),
        "agenda": agenda_state(meeting.id),  # the agenda is everyone's: no part of its own
    }
    for key in keys:
        state[key] = SNAPSHOT_PARTS[key](meeting, actor)
    return state


def _is_participant(actor) -> bool:
    """A seat's participant (a provincial hall's screen sees its own seats: not shared)."""
    from meetcore.actors import SeatActor, SiteActor

    return isinstance(actor, SeatActor) and not isinstance(actor, SiteActor)


def _shared_parts(meeting: Meeting, actor) -> dict:
    """The parts every participant sees alike at the meeting's seq: read by the first participant to join
    at that seq, reused by the others (read-only: the join answers with them, nothing changes them)."""
    key, now = (meeting.id, meeting.last_seq), time.monotonic()
    found = _shared.get(key)
    if found is not None and now - found[0] <= SHARED_SECONDS:
        return found[1]
    parts = _parts(meeting, actor, [k for k in SNAPSHOT_PARTS if k not in PERSONAL_PARTS])
    if len(_shared) >= SHARED_KEPT:
        _shared.clear()
    _shared[key] = (now, parts)
    return parts
