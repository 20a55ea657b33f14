"""The full state of one meeting as one reader may see it, consistent with the seq it carries."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

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
# Personal part key -> common(meeting): what that part's every participant view is cut from (the meeting's
# actions by agency), read once per seq with the shared parts and passed to the part as its third argument.
PERSONAL_COMMON: dict[str, Callable] = {}
COMMON = "_common"  # where the shared parts keep those (never sent)
# Event kind -> the one part it changes in a participant's view (attendance.board: the counts): the shared
# parts built at an earlier seq are brought forward by reading that part alone.
REFRESHED_BY: dict[str, str] = {}

# What every participant's snapshot at one seq has in common (meetcore.live.snapshot.build_snapshot), so that
# a mass join reads it once, not once per participant: meeting id -> (seq, built at, parts).
# A participant sees what every participant sees, and what it sees changes only through numbered events,
# which move the seq; SHARED_SECONDS bounds how long a change made without one (none is known) could wait.
_shared: dict[int, tuple[int, float, dict]] = {}
SHARED_KEPT = 8
SHARED_SECONDS = 2.0
# The snapshot's meeting, read afresh (the check-in's commit expired it): built once, not per join (runs O).
_MEETINGS = Meeting.__table__
_LAST_SEQ = sa.select(_MEETINGS.c.last_seq).where(_MEETINGS.c.id == sa.bindparam("meeting_id"))
_MEETING_AFRESH = (
    sa.select(Meeting)
    .where(Meeting.id == sa.bindparam("meeting_id"))
    .execution_options(populate_existing=True)
)


def snapshot_part(
    key: str, *, personal: bool = False, refreshed_by: tuple[str, ...] = (), common: Callable | None = None
):
    """Register `function(meeting, actor)` as the snapshot's part `key`. `refreshed_by` names the event
    kinds that change this part and no other part of a participant's view. A personal part may name its
    `common(meeting)`: read once per seq like the shared parts, and given to each participant's part as
    `function(meeting, actor, common)` (staff, who read their own snapshot, get
    `function(meeting, actor)`)."""

    def register(function: Callable) -> Callable:
        SNAPSHOT_PARTS[key] = function
        if personal:
            PERSONAL_PARTS.add(key)
            if common is not None:
                PERSONAL_COMMON[key] = common
        REFRESHED_BY.update(dict.fromkeys(refreshed_by, key))
        return function

    return register


def _repeatable_read() -> None:
    """PostgreSQL: every query of the snapshot sees the same committed state as last_seq does."""
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@dataclass(frozen=True)
class MeetingAtSeq:
    """What a participant's snapshot knows of its meeting before it reads any part: its id and seq. A
    personal part with a `common` is given this, not the Meeting: it cuts its view from the common."""

    id: int
    last_seq: int


def build_snapshot(meeting_id: int, actor, *, known_seq: int | None = None) -> dict:
    """The meeting as `actor` sees it, read in one consistent read. Called at the start of a transaction
    (the join command commits its check-in first), so that PostgreSQL's REPEATABLE READ applies to it;
    it writes nothing, and the entry point ends its transaction.

    `known_seq`: a seq of the meeting this participant will get every event after (its check-in's, read
    under the meeting's lock with the connection in the rooms already). When what every participant sees at
    that seq is known, the snapshot is that, at that seq, and reads nothing: most joins of a mass join."""
    if _is_participant(actor) and known_seq is not None and _shared_at(meeting_id, known_seq) is not None:
        return _participants_snapshot(MeetingAtSeq(meeting_id, known_seq), actor)
    _repeatable_read()
    if _is_participant(actor):
        # The seq alone, as a plain row: a participant who joins at a seq whose shared parts are known reads
        # no Meeting; NoResultFound as the Meeting's read gave it.
        at = MeetingAtSeq(meeting_id, db.session.execute(_LAST_SEQ, {"meeting_id": meeting_id}).scalar_one())
        return _participants_snapshot(at, actor)
    meeting = _afresh(meeting_id)
    return {"last_seq": meeting.last_seq, **_parts(meeting, actor, SNAPSHOT_PARTS.keys())}


def _participants_snapshot(at: MeetingAtSeq, actor) -> dict:
    state = {"last_seq": at.last_seq, **_shared_parts(at, actor)}
    commons = state.pop(COMMON)
    for key in PERSONAL_PARTS:
        part = SNAPSHOT_PARTS[key]
        state[key] = part(at, actor, commons[key]) if key in commons else part(_afresh(at.id), actor)
    return state


def _afresh(meeting_id: int) -> Meeting:
    return db.session.scalars(_MEETING_AFRESH, {"meeting_id": meeting_id}).one()


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


def _shared_parts(at: MeetingAtSeq, actor) -> dict:
    """The parts every participant sees alike at the meeting's seq: read by the first participant to join
    at that seq, reused by the others (read-only: the join answers with them, nothing changes them). Parts
    read at an earlier seq are brought forward when the events since changed only refreshable parts (the
    board's publications, while people join) or were the staff's (a participant's view does not move)."""
    now, seq = time.monotonic(), at.last_seq
    found = _shared.get(at.id)
    if found is not None and now - found[1] <= SHARED_SECONDS:
        built_seq, built_at, parts = found
        if built_seq == seq:
            return parts
        stale = _parts_changed_since(at.id, built_seq, seq) if built_seq < seq else None
        if stale is not None:
            meeting = _afresh(at.id)
            parts = {**parts, **{key: SNAPSHOT_PARTS[key](meeting, actor) for key in stale}}
            _keep(at.id, (seq, built_at, parts))  # the first read's age still bounds it
            return parts
    meeting = _afresh(at.id)
    parts = _parts(meeting, actor, [k for k in SNAPSHOT_PARTS if k not in PERSONAL_PARTS])
    parts[COMMON] = {key: common(meeting) for key, common in PERSONAL_COMMON.items()}
    _keep(at.id, (seq, now, parts))
    return parts


def _shared_at(meeting_id: int, seq: int) -> dict | None:
    """The shared parts at exactly this seq, when this process knows them (and they are young enough)."""
    found = _shared.get(meeting_id)
    if found is not None and found[0] == seq and time.monotonic() - found[1] <= SHARED_SECONDS:
        return found[2]
    return None


def _keep(meeting_id: int, entry: tuple[int, float, dict]) -> None:
    if meeting_id not in _shared and len(_shared) >= SHARED_KEPT:
        _shared.clear()
    _shared[meeting_id] = entry


def _parts_changed_since(meeting_id: int, after_seq: int, seq: int) -> set[str] | None:
    """The parts of a participant's view the events (after_seq, seq] changed, when each changed one
    refreshable part or was the staff's only; None when any other event came (all is read again). A staff
    event shows participants nothing, but a roster change among them moves the counts without an event
    of theirs (the known gap of tests/live/test_every_change.py): it refreshes every refreshable part."""
    from meetcore.eventlog.kinds import kind_named
    from meetcore.eventlog.models import MeetingEvent

    kinds = db.session.scalars(
        sa.select(MeetingEvent.kind)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > after_seq, MeetingEvent.seq <= seq)
        .distinct()
    ).all()
    stale: set[str] = set()
    for kind in kinds:
        if kind in REFRESHED_BY:
            stale.add(REFRESHED_BY[kind])
        elif kind_named(kind).staff_only:
            stale.update(REFRESHED_BY.values())
        else:
            return None
    return stale
