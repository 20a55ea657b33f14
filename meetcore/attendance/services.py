"""Attendance: the only writers of Attendance intervals, and the readers that derive who was there.

Intervals
---------
A seat's browser that joins its meeting over Socket.IO is checked in: one Attendance row (kind "self" or
"substitute", the identity the person confirmed, address and user agent) per connection and seat, closed
(left_at) when that connection ends. A provincial hall's roll call opens and closes rows of kind "site"
(meetcore.attendance.sites). A seat is present while any of its rows is open. Rows are kept forever: they
are the decree's traffic data (the connection log) as well as the attendance record.

Connection ids are "<process id>:<Socket.IO sid>": Socket.IO ids are unique within one server process only,
and the prefix says which process holds the connection.

Crashes
-------
A process killed with SIGKILL never sees its connections end. Every process that holds connections keeps a
ServerProcess row and beats it every MEETCORE_HEARTBEAT_SECONDS; any process's heartbeat (and
``meetcore attendance sweep``) closes the open intervals of processes whose beat stopped three intervals ago,
at their last beat (the latest moment they are known to have been alive). A heartbeat also closes its own
intervals whose connection the Socket.IO server no longer knows (a disconnect whose handler failed).
Nothing about a connection lives only in one process's memory.

The live board
--------------
Presence changes come in bursts (600 provinces' officials joining within a minute, a site ticking eight
roles). The numbered events that tell clients about them are coalesced per meeting: at most one publication
per MEETCORE_BOARD_INTERVAL_MS, and all of its state is in the meeting's AttendanceBoard row (what was last
published, when, and whether a change waits), so any process can make the next publication:

* a change arriving when the last publication is older than the interval is published at once, in the
  change's own transaction;
* otherwise the board is marked pending and the process that made the change makes sure it has a timer for
  the meeting that publishes when the interval is over (``publish_owed``); a heartbeat publishes what a dead
  process's timer owed.

A publication compares the seats present now with those last published and records one event,
"attendance.board": the counts (everyone) and every seat whose presence changed (its "seats", staff only).
Attendance rows, not events, are the record of who came and went.
"""

from __future__ import annotations

import copy
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import lazy_gettext as _l

from meetcore.actors import SEAT_SESSION_KEY, SeatActor, SiteActor
from meetcore.attendance.models import AttendanceBoard, ServerProcess
from meetcore.auth.permissions import require_staff
from meetcore.database import utcnow
from meetcore.directory.models import Province, Role
from meetcore.errors import DomainError, NotFound, PermissionDenied
from meetcore.eventlog.models import MeetingEvent
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db, socketio
from meetcore.live.connections import PROCESS_ID, connection_key, forget_lost_connections
from meetcore.live.timers import OwedTimers
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import Page
from meetcore.seats.models import Attendance, Seat
from meetcore.seats.services import present_seats

log = logging.getLogger(__name__)

# Attendance is recorded from the roster's making until the meeting ends (before the start: the waiting room).
ATTENDING_STATUSES = ("draft", "scheduled", "live")
CONNECTION_KINDS = ("self", "substitute")
MISSED_BEATS = 3
TIMER_SLACK = timedelta(milliseconds=20)


# --- settings ------------------------------------------------------------------------------------------


def late_grace() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("MEETCORE_LATE_GRACE_MINUTES") or 15))


def board_interval() -> timedelta:
    value = current_app.config.get("MEETCORE_BOARD_INTERVAL_MS")
    return timedelta(milliseconds=int(500 if value is None else value))


def heartbeat_interval() -> float:
    value = current_app.config.get("MEETCORE_HEARTBEAT_SECONDS")
    return float(30 if value is None else value)


# --- connections ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """Where an interval comes from: a Socket.IO connection, or the roll call of a site or the secretariat."""

    connection_id: str | None
    remote_addr: str | None = None
    user_agent: str | None = None
    attendee_name: str | None = None
    attendee_position: str | None = None
    as_substitute: bool = False


def _clip(value, length: int) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text[:length] or None


def client_address(environ: dict) -> tuple[str | None, str | None]:
    """The remote address and user agent of a request or a Socket.IO connection's handshake."""
    return _clip(environ.get("REMOTE_ADDR"), 64), _clip(environ.get("HTTP_USER_AGENT"), 500)


def seat_connection(actor: SeatActor, sid: str, environ: dict) -> Connection:
    remote_addr, user_agent = client_address(environ or {})
    return Connection(
        connection_id=connection_key(sid),
        remote_addr=remote_addr,
        user_agent=user_agent,
        attendee_name=_clip(actor.attendee_name, 200),
        attendee_position=_clip(actor.attendee_position, 250),
        as_substitute=bool(actor.as_substitute),
    )


# --- locking and the seat --------------------------------------------------------------------------------


def seat_of(meeting: Meeting, seat_id) -> Seat:
    seat = db.session.get(Seat, seat_id) if isinstance(seat_id, int) else None
    if seat is None or seat.meeting_id != meeting.id:
        raise NotFound(_l("Seat %(id)s is not on the roster of this meeting.", id=seat_id))
    return seat


def _open_intervals(**where) -> sa.Select:
    query = sa.select(Attendance).where(Attendance.left_at.is_(None))
    for name, value in where.items():
        query = query.where(getattr(Attendance, name) == value)
    return query.execution_options(populate_existing=True)


# --- checking in and out -------------------------------------------------------------------------------


def _require_live_link(actor: SeatActor) -> None:
    """A browser that confirmed its identity through a personal link is let in only while that link is live:
    the secretariat withdraws a link (say, the invitee changed) and the browsers behind it stop joining."""
    stored = session.get(SEAT_SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("seat_id") != actor.seat_id or not stored.get("link"):
        return  # not this session's identity (a link token, checked when the connection was made)
    require_live_seat_link(actor.seat_id, str(stored["link"]))


def require_live_seat_link(seat_id: int, link_hash: str) -> None:
    """PermissionDenied (reason link_withdrawn) unless the seat's link with that hash is still live."""
    from meetcore.seats.models import SeatLink

    link = db.session.scalar(
        sa.select(SeatLink).where(SeatLink.token_hash == link_hash, SeatLink.seat_id == seat_id)
    )
    if link is None or link.revoked_at is not None or link.expires_at <= utcnow():
        raise PermissionDenied(
            _l("The personal link you came through has been withdrawn or has expired. Open the newest link "
               "the secretariat sent you."),
            details={"reason": "link_withdrawn"},
        )  # fmt: skip


def _require_confirmed_identity(actor: SeatActor, meeting: Meeting) -> None:
    """A meeting that asks for the identity code admits only browsers that went through the identity check
    (the confirmed identity is in their session); a bare link token does not do."""
    if not meeting.requires_identity_code:
        return
    stored = session.get(SEAT_SESSION_KEY)
    if (
        not isinstance(stored, dict)
        or stored.get("seat_id") != actor.seat_id
        or stored.get("meeting_id") != meeting.id
    ):
        raise PermissionDenied(
            _l("This meeting asks everyone to confirm who they are first. Open your personal link in this "
               "browser and complete the identity check."),
            details={"reason": "identity_check_required"},
        )  # fmt: skip


def connection_joined(actor, meeting: Meeting, sid: str, environ: dict) -> Attendance | None:
    """Called when a connection joins a meeting's rooms: a seat's connection is checked in (once per
    connection, however often it joins). Staff and site operators are not seats: nothing is recorded for
    them. No interval is opened for a meeting that has ended or was cancelled."""
    ensure_heartbeat()
    if not isinstance(actor, SeatActor) or isinstance(actor, SiteActor):
        return None
    if actor.meeting_id != meeting.id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    if meeting.status not in ATTENDING_STATUSES:
        return None
    try:
        _require_live_link(actor)
        _require_confirmed_identity(actor, meeting)
        return check_in(seat_of(meeting, actor.seat_id), via=seat_connection(actor, sid, environ))
    except DomainError:  # refused: out of the room it was just put in
        from flask_socketio import leave_room

        from meetcore.live.rooms import participants_room

        leave_room(participants_room(meeting.id))
        raise


def check_in(seat: Seat, *, via: Connection) -> Attendance:
    """Open the seat's interval for this connection (one per connection and seat: joining again does
    nothing)."""
    meeting = lock_meeting(seat.meeting_id)
    existing = db.session.scalars(
        _open_intervals(seat_id=seat.id, connection_id=via.connection_id).where(
            Attendance.kind.in_(CONNECTION_KINDS)
        )
    ).first()
    if existing is not None:
        db.session.commit()
        return existing
    now = utcnow()
    _beat(now)
    interval = Attendance(
        meeting_id=meeting.id,
        seat_id=seat.id,
        kind="substitute" if via.as_substitute else "self",
        connection_id=via.connection_id,
        attendee_name=via.attendee_name,
        attendee_position=via.attendee_position,
        remote_addr=via.remote_addr,
        user_agent=via.user_agent,
        joined_at=now,
    )
    db.session.add(interval)
    db.session.flush()
    delay = presence_changed(meeting, now)
    db.session.commit()
    publish_later(meeting.id, delay)
    return interval


def check_out(connection_id: str, *, at: datetime | None = None) -> list[Attendance]:
    """Close every open interval of the connection (it ended); returns them."""
    meeting_ids = db.session.scalars(
        sa.select(Attendance.meeting_id)
        .where(Attendance.connection_id == connection_id, Attendance.left_at.is_(None))
        .distinct()
    ).all()
    db.session.rollback()
    closed: list[Attendance] = []
    for meeting_id in meeting_ids:
        try:
            meeting = lock_meeting(meeting_id)
        except NotFound:
            db.session.rollback()
            continue
        now = at or utcnow()
        rows = db.session.scalars(_open_intervals(meeting_id=meeting_id, connection_id=connection_id)).all()
        for row in rows:
            row.left_at = max(now, row.joined_at)
        delay = presence_changed(meeting, now) if rows else None
        db.session.commit()
        publish_later(meeting_id, delay)
        closed.extend(rows)
    return closed


def connection_left(sid: str) -> list[Attendance]:
    """Called when a Socket.IO connection of this process ends."""
    return check_out(connection_key(sid))


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
    })  # fmt: skip
    board.published = {str(seat_id): kind for seat_id, kind in current.items()}
    board.published_at = now


def publish_owed(meeting_id: int) -> float | None:
    """Publish the meeting's presence if a publication is owed and due. Returns the seconds to wait when one
    is owed but not yet due, else None."""
    now = utcnow()
    try:
        meeting = lock_meeting(meeting_id)
    except NotFound:
        db.session.rollback()
        return None
    board = db.session.get(AttendanceBoard, meeting_id, populate_existing=True)
    if board is None or board.pending_since is None:
        db.session.rollback()
        return None
    due_at = (board.published_at or now) + board_interval()
    if due_at - now > TIMER_SLACK:
        db.session.rollback()
        return (due_at - now).total_seconds()
    _publish(meeting, board, now)
    db.session.commit()
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
    db.session.rollback()
    done = 0
    for meeting_id in overdue:
        if publish_owed(meeting_id) is None:
            done += 1
    return done


# --- server processes: heartbeat and sweep ---------------------------------------------------------------


def _beat(now: datetime) -> None:
    """This process is alive: its row is created on its first connection, and beaten by later ones and by the
    heartbeat (one upsert: the heartbeat and a check-in may beat at the same moment)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ServerProcess)
    # Never backwards: a beat computed earlier may commit after a later one.
    latest = sa.case((ServerProcess.heartbeat_at > now, ServerProcess.heartbeat_at), else_=now)
    db.session.execute(
        insert.values(id=PROCESS_ID, hostname=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
                      heartbeat_at=now)
        .on_conflict_do_update(index_elements=[ServerProcess.id], set_={"heartbeat_at": latest})
    )  # fmt: skip


def _close(rows: list[Attendance], at: datetime) -> set[int]:
    for row in rows:
        row.left_at = max(at, row.joined_at)
    return {row.meeting_id for row in rows}


def _republish(meeting_ids: set[int], now: datetime) -> None:
    for meeting_id in sorted(meeting_ids):
        try:
            meeting = lock_meeting(meeting_id)
        except NotFound:
            db.session.rollback()
            continue
        delay = presence_changed(meeting, now)
        db.session.commit()
        publish_later(meeting_id, delay)


@dataclass
class Sweep:
    processes: list[str] = field(default_factory=list)
    closed: int = 0


def sweep_stale_connections(now: datetime | None = None) -> Sweep:
    """Close the open connection intervals of processes whose heartbeat stopped (or that left no row), at
    their last heartbeat; forget those processes. Safe to run in several processes at once."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=heartbeat_interval() * MISSED_BEATS)
    alive = dict(db.session.execute(sa.select(ServerProcess.id, ServerProcess.heartbeat_at)).all())
    beating = {pid for pid, beat in alive.items() if beat >= stale_before} | {PROCESS_ID}
    # Only the intervals of processes that stopped beating are read: a beat stays cheap however many
    # connections the live processes hold.
    rows = db.session.scalars(
        sa.select(Attendance).where(
            Attendance.left_at.is_(None),
            Attendance.kind.in_(CONNECTION_KINDS),
            Attendance.joined_at < stale_before,
            sa.or_(
                Attendance.connection_id.is_(None),
                sa.and_(*(Attendance.connection_id.not_like(f"{pid}:%") for pid in sorted(beating))),
            ),
        )
    ).all()
    result = Sweep(processes=sorted(pid for pid, beat in alive.items() if beat < stale_before))
    touched: set[int] = set()
    for row in rows:
        last_beat = alive.get((row.connection_id or "").partition(":")[0])
        touched |= _close([row], last_beat or row.joined_at)
        result.closed += 1
    if result.processes:
        db.session.execute(sa.delete(ServerProcess).where(ServerProcess.id.in_(result.processes)))
    forget_lost_connections(beating, stale_before)
    db.session.commit()
    if touched:
        log.warning("closed %s attendance intervals of stopped processes %s", result.closed, result.processes)
        _republish(touched, now)
    return result


def close_finished_roll_calls(now: datetime | None = None) -> int:
    """A provincial hall's ticks end with the meeting: close the open site intervals of meetings that have
    ended (at their end) or were cancelled."""
    now = now or utcnow()
    rows = db.session.scalars(
        sa.select(Attendance)
        .join(Meeting, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.kind == "site", Attendance.left_at.is_(None), Meeting.status.not_in(ATTENDING_STATUSES)
        )
    ).all()
    ended: dict[int, datetime] = {}
    for row in rows:
        if row.meeting_id not in ended:
            ended[row.meeting_id] = meeting_times(db.session.get(Meeting, row.meeting_id)).ended_at or now
        _close([row], ended[row.meeting_id])
    db.session.commit()
    _republish(set(ended), now)
    return len(rows)


def close_lost_connections(now: datetime | None = None) -> int:
    """Close this process's intervals whose connection the Socket.IO server no longer has."""
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    now = now or utcnow()
    own = db.session.execute(
        sa.select(Attendance.id, Attendance.connection_id).where(
            Attendance.left_at.is_(None), Attendance.connection_id.like(f"{PROCESS_ID}:%")
        )
    ).all()  # plain rows: only the lost ones are loaded as entities
    lost_ids = [
        row.id for row in own if not server.manager.is_connected(row.connection_id.partition(":")[2], "/")
    ]
    lost = db.session.scalars(_open_intervals().where(Attendance.id.in_(lost_ids))).all() if lost_ids else []
    touched = _close(lost, now)
    db.session.commit()
    _republish(touched, now)
    return len(lost)


def heartbeat(now: datetime | None = None) -> None:
    """One beat: this process is alive; stale connections of dead processes are closed; overdue board
    publications are made."""
    now = now or utcnow()
    _beat(now)
    db.session.commit()
    close_lost_connections(now)
    sweep_stale_connections(now)
    close_finished_roll_calls(now)
    publish_all_owed(now)


_heartbeat: dict[str, bool] = {"started": False}


def ensure_heartbeat() -> None:
    """Start this process's heartbeat (once). Not under TESTING: tests beat by hand."""
    app = current_app._get_current_object()
    if _heartbeat["started"] or app.testing or heartbeat_interval() <= 0:
        return
    _heartbeat["started"] = True
    socketio.start_background_task(_heartbeat_loop, app)


def _heartbeat_loop(app) -> None:
    with app.app_context():
        interval = heartbeat_interval()
    first = True
    while True:
        if not first:
            socketio.sleep(interval)
        first = False
        try:
            with app.app_context():
                heartbeat()
        except Exception:
            log.exception("attendance heartbeat failed")
            with app.app_context():
                db.session.rollback()


# --- who was there: derived statuses -------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingTimes:
    """When the meeting was put in session and ended (from its event log), and the references that make a
    seat late or early: the later of the planned and the actual start, the earlier of the planned and the
    actual end."""

    start_at: datetime
    end_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def late_after(self) -> datetime | None:
        if self.started_at is None:
            return None
        return max(self.start_at, self.started_at)

    @property
    def early_before(self) -> datetime:
        return min(self.end_at, self.ended_at) if self.ended_at is not None else self.end_at


def meeting_times(meeting: Meeting) -> MeetingTimes:
    rows = db.session.execute(
        sa.select(MeetingEvent.kind, sa.func.min(MeetingEvent.created_at))
        .where(
            MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind.in_(("meeting.started", "meeting.ended"))
        )
        .group_by(MeetingEvent.kind)
    ).all()
    found = dict(rows)

    def aware(value):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    return MeetingTimes(meeting.start_at, meeting.end_at, aware(found.get("meeting.started")),
                        aware(found.get("meeting.ended")))  # fmt: skip


@dataclass
class Attendee:
    name: str | None
    position: str | None
    as_substitute: bool


@dataclass
class SeatAttendance:
    """How one seat attended: its status (present / substitute / absent), whether it came late or left early,
    who sat in it, and its intervals."""

    seat: Seat
    status: str
    present_now: str | None  # the kind holding it now, or None
    late: bool = False
    left_early: bool = False
    first_joined_at: datetime | None = None
    last_left_at: datetime | None = None
    attendees: list[Attendee] = field(default_factory=list)
    intervals: list[Attendance] = field(default_factory=list)

    @property
    def absence_reason(self) -> str | None:
        return self.seat.absence_reason if self.status == "absent" else None

    @property
    def flags(self) -> list[str]:
        """The statuses a list shows, e.g. ["substitute", "late"]."""
        marks = [self.status]
        if self.late:
            marks.append("late")
        if self.left_early:
            marks.append("left_early")
        return marks


def _overlaps(row: Attendance, times: MeetingTimes, now: datetime) -> bool:
    if times.started_at is None:
        return True  # not in session yet: the waiting room counts
    window_end = times.ended_at or now
    return row.joined_at <= window_end and (row.left_at is None or row.left_at >= times.started_at)


def derive(seat: Seat, rows: list[Attendance], times: MeetingTimes, now: datetime) -> SeatAttendance:
    """The status of one seat from its intervals and the meeting's times."""
    open_kinds = {row.kind for row in rows if row.left_at is None}
    present_now = next((kind for kind in ("self", "substitute", "site") if kind in open_kinds), None)
    relevant = [row for row in rows if _overlaps(row, times, now)]
    if not relevant:
        return SeatAttendance(seat=seat, status="absent", present_now=present_now, intervals=rows)
    in_person = any(row.kind in ("self", "site") for row in relevant)
    first = min(row.joined_at for row in relevant)
    still_there = any(row.left_at is None for row in relevant)
    last = None if still_there else max(row.left_at for row in relevant)
    grace = late_grace()
    late = times.late_after is not None and first > times.late_after + grace
    left_early = (
        last is not None
        and times.started_at is not None
        and last < times.early_before - grace
        and (times.ended_at is None or last < times.ended_at)
    )
    attendees: dict[tuple, Attendee] = {}
    for row in relevant:
        key = (row.attendee_name, row.attendee_position, row.kind == "substitute")
        attendees.setdefault(key, Attendee(*key))
    return SeatAttendance(
        seat=seat,
        status="present" if in_person else "substitute",
        present_now=present_now,
        late=late,
        left_early=left_early,
        first_joined_at=first,
        last_left_at=last,
        attendees=list(attendees.values()),
        intervals=rows,
    )


def seat_statuses(meeting: Meeting, *, by, now: datetime | None = None) -> list[SeatAttendance]:
    """Every seat of the meeting with its derived status, in roster order (central seats first, then region,
    province and role)."""
    require_staff(by)
    from meetcore.seats.services import ordered_seats

    now = now or utcnow()
    times = meeting_times(meeting)
    seats = ordered_seats(meeting, by=by)
    by_seat: dict[int, list[Attendance]] = {}
    for row in db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(Attendance.joined_at)
    ):
        by_seat.setdefault(row.seat_id, []).append(row)
    return [derive(seat, by_seat.get(seat.id, []), times, now) for seat in seats]


def status_counts(statuses: list[SeatAttendance]) -> dict[str, int]:
    result = {"seats": len(statuses), "present": 0, "substitute": 0, "absent": 0, "late": 0, "left_early": 0}
    for entry in statuses:
        result[entry.status] += 1
        result["late"] += entry.late
        result["left_early"] += entry.left_early
    return result


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


# --- the connection log (traffic data) -------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionEntry:
    interval: Attendance
    province: Province | None
    role: Role
    seat_name: str | None

    @property
    def duration(self) -> timedelta | None:
        if self.interval.left_at is None:
            return None
        return self.interval.left_at - self.interval.joined_at


def _log_query(meeting: Meeting):
    return (
        sa.select(Attendance, Province, Role, Seat.name)
        .join(Seat, Attendance.seat_id == Seat.id)
        .join(Role, Seat.role_id == Role.id)
        .outerjoin(Province, Seat.province_id == Province.id)
        .where(Attendance.meeting_id == meeting.id)
    )


def connection_log(meeting: Meeting, *, by, page: int = 1, per_page: int = 50) -> Page:
    """The meeting's attendance intervals, newest first, with address and user agent."""
    require_staff(by)
    total = (
        db.session.scalar(sa.select(sa.func.count(Attendance.id)).where(Attendance.meeting_id == meeting.id))
        or 0
    )
    rows = db.session.execute(
        _log_query(meeting)
        .order_by(Attendance.joined_at.desc(), Attendance.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=[ConnectionEntry(*row) for row in rows], total=total, page=page, per_page=per_page)


def all_connections(meeting: Meeting, *, by) -> Iterator[ConnectionEntry]:
    """Every interval of the meeting, oldest first, read in batches (for the CSV export)."""
    require_staff(by)
    result = db.session.execute(
        _log_query(meeting).order_by(Attendance.joined_at, Attendance.id).execution_options(yield_per=500)
    )
    for row in result:
        yield ConnectionEntry(*row)


# --- the meeting's attendance settings -------------------------------------------------------------------


def update_settings(meeting: Meeting, data, *, by) -> Meeting:
    """Turn the identity code on or off for the meeting (the secretariat, until the meeting ends)."""
    from meetcore.attendance.schemas import AttendanceSettingsInput
    from meetcore.auth.permissions import require_editor
    from meetcore.errors import Conflict
    from meetcore.schemas import load_input

    require_editor(by)
    values = load_input(AttendanceSettingsInput(), data)
    meeting = lock_meeting(meeting.id)
    if meeting.status not in ATTENDING_STATUSES:
        raise Conflict(_l("The attendance settings of a meeting that has ended or was cancelled are closed."))
    required = values["requires_identity_code"]
    if meeting.requires_identity_code != required:
        meeting.requires_identity_code = required
        record_event(meeting, "attendance.settings", {"requires_identity_code": required}, by=by)
    db.session.commit()
    return meeting
