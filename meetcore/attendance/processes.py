"""The app processes that hold connections: each one's heartbeat, and closing the intervals of those that
stopped (a crash, SIGKILL) or lost a connection without noticing.

A process is judged stopped when its last beat is older than MISSED_BEATS heartbeats on the database's
clock. Silence alone is not proof: while the database is down nobody can beat, so after an outage every
process looks stopped to the first one back. A process therefore judges others only once it has itself
beaten without a gap for MISSED_BEATS heartbeats (counted from its start, and again from its recovery
after any failed or late beat): by then every live process has beaten too. And a process that was judged
stopped all the same (cut off from the database alone) opens again the intervals of the connections it
still holds.

A worker (issue 19): each step below (a beat, a sweep, the republication of one meeting's board, a clean
leave) is a unit of work of its own, committed or rolled back once, so that one meeting's trouble never
holds up the rest.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetcore import signals
from meetcore.actors import SYSTEM_HEARTBEAT, act_as_system
from meetcore.attendance import board
from meetcore.attendance.models import Attendance, ServerProcess
from meetcore.attendance.policy import ATTENDING_STATUSES, CONNECTION_KINDS, MISSED_BEATS, heartbeat_interval
from meetcore.attendance.statuses import meeting_times
from meetcore.database import utcnow
from meetcore.errors import NotFound
from meetcore.eventlog.services import lock_meeting
from meetcore.extensions import db, socketio
from meetcore.live.broadcast import held_here
from meetcore.live.connections import (
    PROCESS_ID,
    forget_lost_connections,
    forget_process_connections,
)
from meetcore.live.receipts import purge_receipts
from meetcore.meetings.models import Meeting
from meetcore.transaction import discard, unit_of_work

log = logging.getLogger(__name__)


def open_intervals(**where) -> sa.Select:
    query = sa.select(Attendance).where(Attendance.left_at.is_(None))
    for name, value in where.items():
        query = query.where(getattr(Attendance, name) == value)
    return query.execution_options(populate_existing=True)



# --- server processes: heartbeat and sweep ---------------------------------------------------------------


def database_now() -> datetime:
    """The database's clock (UTC): every process judges liveness by this one clock."""
    if db.session.get_bind().dialect.name == "postgresql":
        value = db.session.scalar(sa.text("SELECT statement_timestamp() AT TIME ZONE 'UTC'"))
    else:  # SQLite reads the host's clock, the same for every process on it
        text = db.session.scalar(sa.text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
        value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC)


# time.monotonic() when this process last beat, in a transaction that committed (None: not yet).
_last_beat: dict[str, float | None] = {"at": None}


def beat_unless_recent(now: datetime) -> None:
    """A check-in's beat: its process's row must exist when the interval commits, or a sweep would take the
    interval for a dead process's. Left out within one heartbeat of a committed beat (two statements of
    every join): the row a beat leaves is swept only after MISSED_BEATS heartbeats of silence."""
    at = _last_beat["at"]
    if at is None or time.monotonic() - at >= heartbeat_interval():
        beat(now)


def forget_last_beat() -> None:
    """Tests empty the tables under a running process: its row is gone, whatever it remembers."""
    _last_beat["at"] = None


def _beat_committed(at: float) -> None:
    _last_beat["at"] = max(at, _last_beat["at"] or at)


def beat(now: datetime) -> None:
    """This process is alive: its row is created on its first connection, and beaten by later ones and by the
    heartbeat (one upsert: the heartbeat and a check-in may beat at the same moment)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from meetcore.transaction import after_commit

    after_commit(_beat_committed, time.monotonic())  # the beat's moment, known once it has committed

    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ServerProcess)
    seen = database_now()
    # Never backwards: a beat computed earlier may commit after a later one.
    latest = sa.case((ServerProcess.heartbeat_at > now, ServerProcess.heartbeat_at), else_=now)
    latest_seen = sa.case((ServerProcess.seen_at > seen, ServerProcess.seen_at), else_=seen)
    db.session.execute(
        insert.values(id=PROCESS_ID, hostname=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
                      heartbeat_at=now, seen_at=seen)
        .on_conflict_do_update(index_elements=[ServerProcess.id],
                               set_={"heartbeat_at": latest, "seen_at": latest_seen})
    )  # fmt: skip


@dataclass
class Steadiness:
    """Since when this process has beaten without a gap (time.monotonic()): it judges others only after
    MISSED_BEATS heartbeats of that. A failed beat, or one that came late (a database that hung rather than
    refused), starts the count again."""

    since: float | None = None
    last: float | None = None

    def beaten(self, at: float, interval: float) -> None:
        if self.last is None or at - self.last > 2 * interval:
            self.since = at
        self.last = at

    def lost(self) -> None:
        self.since = self.last = None

    def judges_others(self, at: float, interval: float) -> bool:
        return self.since is not None and at - self.since >= interval * MISSED_BEATS


steadiness = Steadiness()


def _close(rows: list[Attendance], at: datetime, *, swept: datetime | None = None) -> set[int]:
    for row in rows:
        row.left_at = max(at, row.joined_at)
        row.swept_at = swept
    return {row.meeting_id for row in rows}


def _republish(meeting_ids: set[int], now: datetime) -> None:
    for meeting_id in sorted(meeting_ids):
        try:
            with unit_of_work():  # one meeting's board per step
                delay = board.presence_changed(lock_meeting(meeting_id), now)
        except NotFound:  # deleted meanwhile
            continue
        board.publish_later(meeting_id, delay)


@dataclass
class Sweep:
    processes: list[str] = field(default_factory=list)
    closed: int = 0


def sweep_stale_connections(now: datetime | None = None) -> Sweep:
    """Close the open connection intervals of processes whose heartbeat stopped (or that left no row), at
    their last heartbeat; forget those processes. Safe to run in several processes at once.

    Judges by the age of each beat on the database's clock, now: the heartbeat calls it only once this
    process has been beating steadily (see Steadiness)."""
    now = now or utcnow()
    with unit_of_work():  # the intervals closed and the processes forgotten commit together
        result, touched = _sweep(now)
    if touched:
        log.warning("closed %s attendance intervals of stopped processes %s", result.closed, result.processes)
        _republish(touched, now)
    return result


def _sweep(now: datetime) -> tuple[Sweep, set[int]]:
    window = timedelta(seconds=heartbeat_interval() * MISSED_BEATS)
    stale_before = now - window  # app clock, as the intervals' times: for rows whose process left no row
    seen_before = database_now() - window
    known = db.session.execute(sa.select(ServerProcess.id, ServerProcess.heartbeat_at, ServerProcess.seen_at))
    alive, stopped = {}, set()
    for pid, last_beat, seen in known:
        alive[pid] = last_beat
        if seen < seen_before and pid != PROCESS_ID:
            stopped.add(pid)
    beating = (set(alive) - stopped) | {PROCESS_ID}
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
    result = Sweep(processes=sorted(stopped))
    touched: set[int] = set()
    for row in rows:
        # Its last beat is the last moment its process is known to have been alive.
        last_beat = alive.get((row.connection_id or "").partition(":")[0])
        touched |= _close([row], last_beat or row.joined_at, swept=now)
        result.closed += 1
    if result.processes:
        db.session.execute(sa.delete(ServerProcess).where(ServerProcess.id.in_(result.processes)))
    forget_lost_connections(beating, stale_before)
    return result, touched


def close_finished_roll_calls(now: datetime | None = None) -> int:
    """A provincial hall's ticks end with the meeting: close the open site intervals of meetings that have
    ended (at their end) or were cancelled."""
    now = now or utcnow()
    with unit_of_work():
        ended, closed = _close_roll_calls(now)
    _republish(set(ended), now)
    return closed


def _close_roll_calls(now: datetime) -> tuple[dict[int, datetime], int]:
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
    return ended, len(rows)


def close_lost_connections(now: datetime | None = None) -> int:
    """Close this process's intervals whose connection the Socket.IO server no longer has."""
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    now = now or utcnow()
    with unit_of_work():
        touched, closed = _close_lost(server, now)
    _republish(touched, now)
    return closed


def _close_lost(server, now: datetime) -> tuple[set[int], int]:
    own = db.session.execute(
        sa.select(Attendance.id, Attendance.connection_id).where(
            Attendance.left_at.is_(None), Attendance.connection_id.like(f"{PROCESS_ID}:%")
        )
    ).all()  # plain rows: only the lost ones are loaded as entities
    lost_ids = [
        row.id for row in own if not held_here(server, row.connection_id.partition(":")[2])
    ]
    lost = db.session.scalars(open_intervals().where(Attendance.id.in_(lost_ids))).all() if lost_ids else []
    return _close(lost, now), len(lost)


def reopen_swept_intervals(now: datetime | None = None) -> int:
    """This process was judged stopped (cut off from the database for longer than the sweep waits, say) while
    it still held its connections: the intervals the sweep closed of those it holds are opened again, as if
    never closed, since their participants never left. Those of connections that ended meanwhile stay closed
    at this process's last beat before it was judged."""
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    now = now or utcnow()
    with unit_of_work():
        held = _reopen_swept(server)
    if held:
        log.warning("opened again %s attendance intervals that the sweep had closed: this process was judged "
                    "stopped while it held their connections", len(held))  # fmt: skip
        _republish({row.meeting_id for row in held}, now)
    return len(held)


def _reopen_swept(server) -> list[Attendance]:
    swept = db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.swept_at.is_not(None), Attendance.connection_id.like(f"{PROCESS_ID}:%"))
        .execution_options(populate_existing=True)
    ).all()
    held = [row for row in swept if held_here(server, row.connection_id.partition(":")[2])]
    for row in swept:
        row.swept_at = None  # settled either way
    for row in held:
        row.left_at = None
    return held


def leave_process(now: datetime | None = None) -> int:
    """This process stops on purpose (SIGTERM: a rolling restart): the intervals of the connections it holds
    end now, when their pages lose it and reconnect elsewhere, not at its last beat as after a crash (that
    would count each seat away for up to a heartbeat longer than its reconnect). Its row goes, so nobody
    judges it; the boards are published by the next beat of another process (board.publish_all_owed).
    One unit of work: the intervals closed, the row gone and the boards owed commit together."""
    now = now or utcnow()
    with unit_of_work():
        return _leave(now)


def _leave(now: datetime) -> int:
    held = (Attendance.left_at.is_(None), Attendance.kind.in_(CONNECTION_KINDS),
            Attendance.connection_id.like(f"{PROCESS_ID}:%"))  # fmt: skip
    # The meetings' locks first, then their rows: the order of a departure's check-out (and every other
    # writer's). Taken after the rows, a page's check-out still running when SIGTERM came held the meeting
    # and waited for a row this held: PostgreSQL broke the deadlock by failing one of the two.
    meetings = _lock_meetings(db.session.scalars(
        sa.select(Attendance.meeting_id).where(*held).distinct().order_by(Attendance.meeting_id)
    ).all())  # fmt: skip
    rows = db.session.scalars(open_intervals().where(*held)).all()
    touched = _close(rows, now)
    db.session.execute(sa.delete(ServerProcess).where(ServerProcess.id == PROCESS_ID))
    forget_process_connections(PROCESS_ID)
    for meeting_id in sorted(touched):
        # A meeting whose first interval here committed after that read is locked now: rare, and late.
        board.presence_changed(meetings.get(meeting_id) or lock_meeting(meeting_id), now)
    return len(rows)


def _lock_meetings(meeting_ids: list[int]) -> dict:
    locked = {}
    for meeting_id in meeting_ids:  # in id order, as check_out takes them
        try:
            locked[meeting_id] = lock_meeting(meeting_id)
        except NotFound:  # deleted meanwhile
            continue
    return locked


@signals.process_stopping.connect
def _process_stopping(_process_id, at: datetime | None = None, **_kwargs) -> None:
    closed = leave_process(at)
    log.info("stopping: closed %s attendance intervals of this process's connections", closed)


def heartbeat(now: datetime | None = None) -> None:
    """One beat: this process is alive; intervals it still holds are opened again if another process judged
    it stopped; stale connections of dead processes are closed once this process has beaten steadily for
    MISSED_BEATS heartbeats; overdue board publications are made."""
    now = now or utcnow()
    interval = heartbeat_interval()
    with unit_of_work():
        beat(now)
        purge_receipts(now)  # the live commands' receipts of yesterday (meetcore.live.receipts)
    steadiness.beaten(time.monotonic(), interval)
    reopen_swept_intervals(now)
    close_lost_connections(now)
    if steadiness.judges_others(time.monotonic(), interval):
        sweep_stale_connections(now)
    close_finished_roll_calls(now)
    board.publish_all_owed(now)


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
                act_as_system(SYSTEM_HEARTBEAT)
                heartbeat()
        except Exception:  # each step has ended its own transaction; the next beat tries again
            steadiness.lost()  # judge nobody until this process has beaten steadily again
            log.exception("attendance heartbeat failed")
            with app.app_context():
                discard()
