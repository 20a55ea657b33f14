"""The live board: presence changes published as numbered "attendance.board" events, coalesced per meeting
(see the package's docstring), and the counts participants are shown."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from meetcore import signals, transaction
from meetcore.actors import SYSTEM_ATTENDANCE
from meetcore.attendance.halls import hall_parts, provinces_with_halls
from meetcore.attendance.models import Attendance, AttendanceBoard
from meetcore.attendance.policy import BOARD_SLOWEST, TIMER_SLACK, board_interval, heartbeat_interval
from meetcore.database import utcnow
from meetcore.directory.models import Province, Role
from meetcore.errors import NotFound
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.live.timers import OwedTimers
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat

log = logging.getLogger(__name__)


def present_seats(meeting: Meeting) -> dict[int, str]:
    """Seat id → attendance kind of every seat with an open interval (joined, not left); one query."""
    return open_presence(meeting.id)[0]


def open_presence(meeting_id: int) -> tuple[dict[int, str], set[int]]:
    """Seat id → attendance kind of every seat with an open interval, and the seats ticked by a roll call
    (an open "site" interval); one query."""
    present: dict[int, str] = {}
    ticked: set[int] = set()
    rows = db.session.execute(
        sa.select(Attendance.seat_id, Attendance.kind)
        .where(Attendance.meeting_id == meeting_id, Attendance.left_at.is_(None))
        .order_by(Attendance.joined_at)
    )
    for seat_id, kind in rows:
        if kind == "site":
            ticked.add(seat_id)
        # The invitee in person outranks a substitute, who outranks the provincial hall's check-in.
        if present.get(seat_id) != "self" and (kind == "self" or present.get(seat_id) != "substitute"):
            present[seat_id] = kind
    return present, ticked


# --- publishing presence (coalesced) ---------------------------------------------------------------------


def _board_row(meeting_id: int) -> AttendanceBoard:
    """The meeting's board row, created on first use (under the meeting's lock, so never twice)."""
    board = db.session.get(AttendanceBoard, meeting_id, populate_existing=True)
    if board is None:
        board = AttendanceBoard(meeting_id=meeting_id, published={})
        db.session.add(board)
        db.session.flush()
    return board


def presence_changed(meeting, now: datetime) -> float | None:
    """Under the meeting's lock: publish now if the last publication is old enough, else mark one owed.
    Returns the seconds until an owed publication is due, or None. ``meeting``: the Meeting, or the plain
    row of eventlog's lock_meeting_row (a participant's check-in; read whole only when it publishes).

    The board's times are read, and a publication marked owed, by plain statements: every check-in does this,
    and publishes at most once an interval."""
    db.session.flush()  # a board the caller's ORM objects changed is read as changed
    times = db.session.execute(_BOARD_TIMES, {"meeting_id": meeting.id}).first()
    if times is None or times.published_at is None:
        interval = None
    else:
        interval = board_interval(_published_size(meeting.id, times.published_at))
    if interval is None or now - times.published_at >= interval:
        whole = meeting if isinstance(meeting, Meeting) else lock_meeting(meeting.id)  # the lock is held
        _publish(whole, _board_row(meeting.id), now)
        return None
    if times.pending_since is None:
        db.session.execute(_OWE_PUBLICATION, {"board": meeting.id, "now": now})
    return max((times.published_at + interval - now).total_seconds(), 0.0)


_BOARDS = AttendanceBoard.__table__
_BOARD_TIMES = sa.select(_BOARDS.c.published_at, _BOARDS.c.pending_since).where(
    _BOARDS.c.meeting_id == sa.bindparam("meeting_id")
)
_OWE_PUBLICATION = (
    sa.update(_BOARDS)
    .where(_BOARDS.c.meeting_id == sa.bindparam("board"))
    .values(pending_since=sa.bindparam("now"))
)
# How many seats the board's last publication showed present (its interval grows with them), by meeting:
# (that publication's time, the count). Read again, whole, only when a newer publication is found.
_published_sizes: dict[int, tuple[datetime, int]] = {}


def _published_size(meeting_id: int, published_at: datetime) -> int:
    known = _published_sizes.get(meeting_id)
    if known is not None and known[0] == published_at:
        return known[1]
    published = db.session.execute(
        sa.select(_BOARDS.c.published).where(_BOARDS.c.meeting_id == meeting_id)
    ).scalar_one()
    if len(_published_sizes) >= 64:
        _published_sizes.clear()
    size = len(published or {})
    _published_sizes[meeting_id] = (published_at, size)
    return size


@dataclass(frozen=True)
class SeatFacts:
    seat_id: int
    province_code: str | None
    region: str | None
    role_code: str


def _blank() -> dict:
    return {"seats": 0, "present": 0, "substitute": 0, "absent": 0}


def presence_class(kind: str | None) -> str:
    """How a seat counts: present (in person or checked in by its site), substitute, or absent."""
    if kind is None:
        return "absent"
    return "substitute" if kind == "substitute" else "present"


def _tally(group: dict, name) -> dict:
    tally = group.get(name)
    if tally is None:
        tally = group[name] = _blank()
    return tally


def counts(facts: list[SeatFacts], present: dict[int, str]) -> dict:
    """Seats, present, substitute and absent (present + substitute + absent = seats) for the whole
    meeting, the central seats, each region, each province and each role."""
    result = {"totals": _blank(), "central": _blank(), "regions": {}, "provinces": {}, "roles": {}}
    totals, central, regions, provinces, roles = result.values()
    for fact in facts:
        status = presence_class(present.get(fact.seat_id))
        if fact.province_code is None:
            tallies = (totals, _tally(roles, fact.role_code), central)
        else:
            tallies = (totals, _tally(roles, fact.role_code), _tally(regions, fact.region),
                       _tally(provinces, fact.province_code))  # fmt: skip
        for tally in tallies:
            tally["seats"] += 1
            tally[status] += 1
    return result


# Counts by (meeting, its roster's facts, who is present): derived from rows every process reads, so that a
# mass join does not tally the roster again for each participant's snapshot and each publication (the
# tally before a publication is the one the previous publication made). Shared: copied out (_copied).
_tallies: dict[tuple, dict] = {}
TALLIES_KEPT = 64


def _fact_rows(meeting_id: int) -> tuple:
    # Plain tuples, not Rows: the key of _tallies is compared by value, and a Row compares field by field
    # in Python (542 seats: a millisecond per lookup).
    return tuple(map(tuple, db.session.execute(
        sa.select(Seat.id, Province.code, Province.region, Role.code)
        .join(Role, Seat.role_id == Role.id)
        .outerjoin(Province, Seat.province_id == Province.id)
        .where(Seat.meeting_id == meeting_id)
        .order_by(Seat.id)
    )))  # fmt: skip


def tallied(meeting_id: int, present: dict[int, str], rows: tuple | None = None) -> dict:
    """counts() of the meeting's roster (its fact rows, read now unless given) with `present`: a copy."""
    rows = _fact_rows(meeting_id) if rows is None else rows
    key = (meeting_id, rows, frozenset(present.items()))
    found = _tallies.get(key)
    if found is None:
        found = counts([SeatFacts(*row) for row in rows], present)
        if len(_tallies) >= TALLIES_KEPT:
            _tallies.clear()
        _tallies[key] = found
    return _copied(found)


def _copied(result: dict) -> dict:
    """counts()'s shape copied (two levels of dicts of ints), far cheaper than copy.deepcopy."""
    return {
        key: dict(value) if key in ("totals", "central") else {name: dict(t) for name, t in value.items()}
        for key, value in result.items()
    }


def _publish(meeting: Meeting, board: AttendanceBoard, now: datetime, *, roster: frozenset[str] | None = None,
             sites: frozenset[str] = frozenset(), by=SYSTEM_ATTENDANCE) -> None:  # fmt: skip
    """Record the board's next publication, if anything changed: the presence or the roll-call ticks since
    the last one, or the roster (``roster``: the codes of the provinces whose seats were added or removed;
    their tallies are named, null when the province has no seat left, so that readers drop it), or what a
    hall shows of a seat (``sites``: the codes of the provinces whose seats' attendees changed). The halls of
    the provinces whose seats changed get their province's seats (the event's "sites", one part each,
    meetcore.attendance.halls)."""
    current, ticked = open_presence(meeting.id)
    previous = {int(seat_id): kind for seat_id, kind in (board.published or {}).items()}
    previous_ticks = set(board.published_ticks or ())
    board.pending_since = None
    changed = sorted(seat_id for seat_id in current.keys() | previous.keys()
                     if current.get(seat_id) != previous.get(seat_id))  # fmt: skip
    # A tick on a seat whose holder is also there in person changes no presence, only what its hall shows.
    ticks_changed = ticked ^ previous_ticks
    if not changed and not ticks_changed and roster is None and not sites:
        return
    rows = _fact_rows(meeting.id)
    province_of = {row[0]: row[1] for row in rows}
    touched = {province_of.get(seat_id) for seat_id in (*changed, *ticks_changed)} | set(roster or ()) | sites
    touched.discard(None)
    halls = touched & provinces_with_halls(meeting.id) if touched else set()
    board.published_ticks = sorted(ticked)
    if not changed and roster is None and not halls:
        return  # nothing anyone reads moved (a tick where no hall follows, a central seat's attendee)
    before, after = tallied(meeting.id, previous, rows), tallied(meeting.id, current, rows)
    provinces = {
        code: tally for code, tally in after["provinces"].items() if before["provinces"].get(code) != tally
    }
    provinces.update({code: after["provinces"].get(code) for code in roster or ()})
    # One numbered event per publication: its "seats" (who changed) reach the staff only (its staff_fields
    # in meetcore.eventlog.kinds), so participants get one delivery, not a count and a placeholder; its
    # "sites" reach each province's halls alone (its site_field).
    payload = {
        **after,
        "provinces": provinces,
        "seats": [
            {"seat_id": seat_id, "present": seat_id in current, "kind": current.get(seat_id)}
            for seat_id in changed
        ],
    }
    if halls:
        payload["sites"] = hall_parts(meeting.id, halls, current, ticked)
    record_event(meeting, "attendance.board", payload, by=by)
    board.published = {str(seat_id): kind for seat_id, kind in current.items()}
    if changed or ticks_changed:  # the interval paces presence; a console change leaves it as it was
        board.published_at = now


def publish_owed(meeting_id: int) -> float | None:
    """Publish the meeting's presence if a publication is owed and due. Returns the seconds to wait when one
    is owed but not yet due, else None."""
    now = utcnow()
    try:
        meeting = lock_meeting(meeting_id)
    except NotFound:
        return None
    board = db.session.get(AttendanceBoard, meeting_id, populate_existing=True)
    if board is None or board.pending_since is None:
        return None  # (the caller's step ends its transaction, releasing the lock)
    due_at = (board.published_at or now) + board_interval(len(board.published or {}))
    if due_at - now > TIMER_SLACK:
        return (due_at - now).total_seconds()
    _publish(meeting, board, now)
    db.session.flush()
    return None


# One publication timer per meeting and process (meetcore.live.timers); what is owed is in the database.
_timers = OwedTimers(lambda meeting_id: publish_owed(meeting_id), "publishing the attendance board of")


def publish_later(meeting_id: int, delay: float | None) -> None:
    if delay is not None:
        _timers.ensure((meeting_id,), delay)


def publish_all_owed(now: datetime | None = None) -> int:
    """Publish every board whose publication is overdue (its process's timer died with it)."""
    now = now or utcnow()
    overdue = db.session.scalars(
        sa.select(AttendanceBoard.meeting_id).where(
            AttendanceBoard.pending_since.is_not(None),
            AttendanceBoard.pending_since
            < now - board_interval() * BOARD_SLOWEST - timedelta(seconds=heartbeat_interval()),
        )
    ).all()
    done = 0
    for meeting_id in overdue:  # a worker's steps: one meeting's lock at a time
        with transaction.unit_of_work():
            if publish_owed(meeting_id) is None:
                done += 1
    return done


@signals.roster_changed.connect
def roster_changed(meeting: Meeting, *, province_ids, by) -> None:
    """Seats were added to or removed from the roster (in the change's transaction): the board is published
    now, uncoalesced (a console change, not a burst), so every reader's tallies count the new roster; the
    presence owed meanwhile goes with it."""
    ids = [province_id for province_id in province_ids if province_id is not None]  # None: a central seat
    codes = frozenset(db.session.scalars(sa.select(Province.code).where(Province.id.in_(ids))))
    _publish(meeting, _board_row(meeting.id), utcnow(), roster=codes, by=by)
    db.session.flush()


@signals.seat_attendee_changed.connect
def seat_attendee_changed(seat: Seat, *, by) -> None:
    """A seat's attendee changed (a new name, a substitute): the halls of its province are told now,
    uncoalesced (a console change), with the presence owed meanwhile."""
    if seat.province_id is None:
        return  # a central seat: no hall shows it
    code = db.session.scalar(sa.select(Province.code).where(Province.id == seat.province_id))
    meeting = db.session.get(Meeting, seat.meeting_id)
    _publish(meeting, _board_row(meeting.id), utcnow(), sites=frozenset({code}), by=by)
    db.session.flush()


# --- the live snapshot's part ----------------------------------------------------------------------------


def published_presence(meeting_id: int) -> dict[int, str]:
    """The board's last publication: seat id -> attendance kind. Exactly what the meeting's event stream has
    said up to a snapshot's seq (the next attendance.board brings what is pending)."""
    board = db.session.get(AttendanceBoard, meeting_id, populate_existing=True)
    published = (board.published if board is not None else None) or {}
    return {int(seat_id): kind for seat_id, kind in published.items()}
