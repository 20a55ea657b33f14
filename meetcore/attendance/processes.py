"""The app processes that hold connections: each one's heartbeat, and closing the intervals of those that
stopped (a crash, SIGKILL) or lost a connection without noticing.

A worker (issue 19): each step below (a beat, a sweep, the republication of one meeting's board) is a unit
of work of its own, committed or rolled back once, so that one meeting's trouble never holds up the rest."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetcore.attendance import board
from meetcore.attendance.models import ServerProcess
from meetcore.attendance.policy import ATTENDING_STATUSES, CONNECTION_KINDS, MISSED_BEATS, heartbeat_interval
from meetcore.attendance.statuses import meeting_times
from meetcore.database import utcnow
from meetcore.errors import NotFound
from meetcore.eventlog.services import lock_meeting
from meetcore.extensions import db, socketio
from meetcore.live.connections import PROCESS_ID, forget_lost_connections
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Attendance
from meetcore.transaction import discard, unit_of_work

log = logging.getLogger(__name__)


def open_intervals(**where) -> sa.Select:
    query = sa.select(Attendance).where(Attendance.left_at.is_(None))
    for name, value in where.items():
        query = query.where(getattr(Attendance, name) == value)
    return query.execution_options(populate_existing=True)



# --- server processes: heartbeat and sweep ---------------------------------------------------------------


def beat(now: datetime) -> None:
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
    their last heartbeat; forget those processes. Safe to run in several processes at once."""
    now = now or utcnow()
    with unit_of_work():  # the intervals closed and the processes forgotten commit together
        result, touched = _sweep(now)
    if touched:
        log.warning("closed %s attendance intervals of stopped processes %s", result.closed, result.processes)
        _republish(touched, now)
    return result


def _sweep(now: datetime) -> tuple[Sweep, set[int]]:
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
        row.id for row in own if not server.manager.is_connected(row.connection_id.partition(":")[2], "/")
    ]
    lost = db.session.scalars(open_intervals().where(Attendance.id.in_(lost_ids))).all() if lost_ids else []
    return _close(lost, now), len(lost)


def heartbeat(now: datetime | None = None) -> None:
    """One beat: this process is alive; stale connections of dead processes are closed; overdue board
    publications are made."""
    now = now or utcnow()
    with unit_of_work():
        beat(now)
    close_lost_connections(now)
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
                heartbeat()
        except Exception:  # each step has ended its own transaction; the next beat tries again
            log.exception("attendance heartbeat failed")
            with app.app_context():
                discard()
