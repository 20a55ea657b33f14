"""A connection closed while another transaction's events are being sent (Engine.IO closes a connection
whose ping timed out when something is sent to it, and runs the disconnect handler right there) is still
forgotten and its attendance closed: the handler's unit of work runs apart, not in the emitting
transaction's committed session (seen at 2,000 connections on a loaded server: every such disconnect
failed with "This session is in 'committed' state", docs/performance.md, "Votes")."""

# ruff: noqa: F811  (the fixtures imported below are the test's arguments)
from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db, socketio
from tests.floor.conftest import in_session, live, scheduled, seat_socket, seats, staff_socket  # noqa: F401
from tests.live.browsers import wait_until
from tests.polls.conftest import command, item  # noqa: F401


def _rows(seat_id: int) -> tuple[int, int]:
    """(live connections, open attendance intervals) of the seat, read afresh."""
    from meetcore.attendance.models import Attendance
    from meetcore.live.models import LiveConnection

    db.session.rollback()
    connections = db.session.scalar(
        sa.select(sa.func.count()).select_from(LiveConnection).where(LiveConnection.seat_id == seat_id)
    )
    intervals = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attendance)
        .where(Attendance.seat_id == seat_id, Attendance.left_at.is_(None))
    )
    return connections, intervals


def test_a_connection_closed_during_an_emit_is_forgotten_apart(
    in_session, seats, item, seat_socket, staff_socket, monkeypatch, caplog
):
    from meetcore.live import broadcast
    from meetcore.live.models import LiveConnection

    seat = seats["cm_sd"]
    seat_socket(seat)
    assert _rows(seat.id) == (1, 1)
    sid = db.session.scalar(sa.select(LiveConnection.id).where(LiveConnection.seat_id == seat.id))
    sid = sid.partition(":")[2]
    secretariat = staff_socket("secretariat", in_session)

    emit = broadcast.emit_event
    closed = []

    def emit_then_close(message):
        emit(message)
        if not closed:  # as Engine.IO does on a send to a connection whose ping has timed out
            closed.append(sid)
            socketio.server.disconnect(sid, namespace="/")

    monkeypatch.setattr(broadcast, "emit_event", emit_then_close)
    ack = command(secretariat, "poll.prepare", in_session, item_id=item.id, question="เห็นชอบหรือไม่")
    assert ack["ok"], ack
    assert closed == [sid]
    wait_until(lambda: _rows(seat.id) == (0, 0), timeout=10, message="the connection forgotten apart")
    assert "committed' state" not in caplog.text
