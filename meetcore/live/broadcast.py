"""Broadcast after commit: events recorded in a transaction are sent only once it has committed, in seq
order; a rolled-back transaction sends nothing. Through Redis when several processes share the load."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db, socketio
from meetcore.live.rooms import for_participants, participants_room, staff_room

OUTGOING = "meetcore.outgoing_events"


def wire_event(event) -> dict:
    """The shape of one MeetingEvent on the wire (docs/protocol.md)."""
    return {
        "meeting_id": event.meeting_id,
        "seq": event.seq,
        "kind": event.kind,
        "payload": event.payload or {},
        "at": event.created_at.isoformat() if event.created_at else None,
    }


def queue_for_broadcast(session, event) -> None:
    session.info.setdefault(OUTGOING, []).append(wire_event(event))


def _after_commit(session) -> None:
    outgoing = session.info.pop(OUTGOING, None)
    for message in outgoing or ():
        emit_event(message)


def emit_event(message: dict) -> None:
    meeting_id = message["meeting_id"]
    public = for_participants(message)
    if public is message:
        socketio.emit("event", message, to=[staff_room(meeting_id), participants_room(meeting_id)])
    else:
        socketio.emit("event", message, to=staff_room(meeting_id))
        socketio.emit("event", public, to=participants_room(meeting_id))


def _after_rollback(session) -> None:
    session.info.pop(OUTGOING, None)


def install() -> None:
    if not sa.event.contains(db.session, "after_commit", _after_commit):
        sa.event.listen(db.session, "after_commit", _after_commit)
        sa.event.listen(db.session, "after_rollback", _after_rollback)
