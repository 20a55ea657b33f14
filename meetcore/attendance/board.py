"""The live board: presence changes published as numbered "attendance.board" events, coalesced per meeting
(see the package's docstring), and the counts participants are shown."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from meetcore import transaction
from meetcore.actors import SYSTEM_ATTENDANCE
from meetcore.attendance.models import AttendanceBoard
from meetcore.attendance.policy import TIMER_SLACK, board_interval, heartbeat_interval
from meetcore.database import utcnow
from meetcore.directory.models import Province, Role
from meetcore.errors import NotFound
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.live.timers import OwedTimers
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Attendance, Seat

log = logging.getLogger(__name__)


def present_seats(meeting: Meeting) -> dict[int, str]:
    """Seat id → attendance kind of every seat with an open interval (joined, not left); one query."""
    present: dict[int, str] = {}
    rows = db.session.execute(
        sa.select(Attendance.seat_id, Attendance.kind)
        .where(Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None))
        .order_by(Attendance.joined_at)
    )
    for seat_id, kind in rows:
        # The invitee in person outranks a substitute, who outranks the provincial hall's check-in.
        if present.get(seat_id) != "self" and (kind == "self" or present.get(seat_id) != "substitute"):
            present[seat_id] = kind
    return present


# --- publishing presence (coalesced) ---------------------------------------------------------------------


def _board_row(meeting_id: int) -> AttendanceBoard:
    """The meeting's board row, created on first use (under the meeting's lock, so never twice)."""
    board = db.session.get(AttendanceBoard, meeting_id, populate_existing=True)
    if board is None:
        board = AttendanceBoard(meeting_id=meeting_id, published={})
        db.session.add(board)
        db.session.flush()
    return board


def presence_changed(meeting: Meeting, now: datetime) -> float | None:
    """Under the meeting's lock: publish now if the last publication is old enough, else mark one owed.
    Returns the seconds until an owed publication is due, or None."""
    board = _board_row(meeting.id)
    interval = board_interval()
    if board.published_at is None or now - board.published_at >= interval:
        _publish(meeting, board, now)
        return None
    if board.pending_since is None:
        board.pending_since = now
    return max((board.published_at + interval - now).total_seconds(), 0.0)


@dataclass(frozen=True)
class SeatFacts:
    seat_id: int
    province_code: str | None
    region: str | None
    role_code: str


def seat_facts(meeting_id: int) -> list[SeatFacts]:
    rows = db.session.execute(
        sa.select(Seat.id, Province.code, Province.region, Role.code)
        .join(Role, Seat.role_id == Role.id)
        .outerjoin(Province, Seat.province_id == Province.id)
        .where(Seat.meeting_id == meeting_id)
    )
    return [SeatFacts(seat_id, code, region, role_code) for seat_id, code, region, role_code in rows]


def _blank() -> dict:
    return {"seats": 0, "present": 0, "substitute": 0, "absent": 0}


def presence_class(kind: str | None) -> str:
    """How a seat counts: present (in person or checked in by its site), substitute, or absent."""
    if kind is None:
        return "absent"
    return "substitute" if kind == "substitute" else "present"


def counts(facts: list[SeatFacts], present: dict[int, str]) -> dict:
    """Seats, present, substitute and absent (present + substitute + absent = seats) for the whole
    meeting, the central seats, each region, each province and each role."""
    result = {"totals": _blank(), "central": _blank(), "regions": {}, "provinces": {}, "roles": {}}
    for fact in facts:
        status = presence_class(present.get(fact.seat_id))
        tallies = [result["totals"], result["roles"].setdefault(fact.role_code, _blank())]
        if fact.province_code is None:
            tallies.append(result["central"])
        else:
            tallies.append(result["regions"].setdefault(fact.region, _blank()))
            tallies.append(result["provinces"].setdefault(fact.province_code, _blank()))
        for tally in tallies:
            tally["seats"] += 1
            tally[status] += 1
    return result


def _publish(meeting: Meeting, board: AttendanceBoard, now: datetime) -> None:
    current = present_seats(meeting)
    previous = {int(seat_id): kind for seat_id, kind in (board.published or {}).items()}
    board.pending_since = None
    changed = sorted(seat_id for seat_id in current.keys() | previous.keys()
                     if current.get(seat_id) != previous.get(seat_id))  # fmt: skip
    if not changed:
        return
    facts = seat_facts(meeting.id)
    before, after = counts(facts, previous), counts(facts, current)
    provinces = {
        code: tally for code, tally in after["provinces"].items() if before["provinces"].get(code) != tally
    }
    # One numbered event per publication: its "seats" (who changed) reach the staff only (its staff_fields
    # in meetcore.eventlog.kinds), so participants get one delivery, not a count and a placeholder.
    record_event(meeting, "attendance.board", {
        **after,
        "provinces": provinces,
        "seats": [
            {"seat_id": seat_id, "present": seat_id in current, "kind": current.get(seat_id)}
            for seat_id in changed
        ],
    }, by=SYSTEM_ATTENDANCE)  # fmt: skip
    board.published = {str(seat_id): kind for seat_id, kind in current.items()}
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
    due_at = (board.published_at or now) + board_interval()
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
            AttendanceBoard.pending_since < now - board_interval() - timedelta(seconds=heartbeat_interval()),
        )
    ).all()
    done = 0
    for meeting_id in overdue:  # a worker's steps: one meeting's lock at a time
        with transaction.unit_of_work():
            if publish_owed(meeting_id) is None:
                done += 1
    return done


# --- the live snapshot's part ----------------------------------------------------------------------------


# Participants' counts by (meeting, publication time, roster version): derived, any process can rebuild them,
# so a mass join does not tally the roster once per participant.
_published_counts: dict[tuple, dict] = {}
PUBLISHED_COUNTS_KEPT = 64


def _roster_version(meeting_id: int) -> tuple:
    return tuple(db.session.execute(
        sa.select(sa.func.count(Seat.id), sa.func.max(Seat.id)).where(Seat.meeting_id == meeting_id)
    ).one())  # fmt: skip


def published_counts(meeting_id: int) -> dict:
    """The counts of the board's last publication: exactly what a participant's event stream has said up to
    the snapshot's seq (the next attendance.board brings what is pending)."""
    board = db.session.get(AttendanceBoard, meeting_id, populate_existing=True)
    published = board.published if board is not None else {}
    key = (meeting_id, board.published_at if board is not None else None, _roster_version(meeting_id))
    found = _published_counts.get(key)
    if found is None:
        present = {int(seat_id): kind for seat_id, kind in (published or {}).items()}
        found = counts(seat_facts(meeting_id), present)
        if len(_published_counts) >= PUBLISHED_COUNTS_KEPT:
            _published_counts.clear()
        _published_counts[key] = found
    return copy.deepcopy(found)
