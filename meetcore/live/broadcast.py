"""Broadcast after commit: events recorded in a transaction are sent only once it has committed, in seq
order; a rolled-back transaction sends nothing. Through Redis when several processes share the load."""

from __future__ import annotations

import contextvars

import sqlalchemy as sa

from meetcore.extensions import db, socketio
from meetcore.live import seat_connections
from meetcore.live.rooms import (
    audience_rooms,
    for_participants,
    for_site,
    for_staff,
    participants_room,
    province_codes,
    site_parts,
    site_room,
    staff_room,
)
from meetcore.operations.metrics import event_broadcast

OUTGOING = "meetcore.outgoing_events"
CLOSING = "meetcore.connections_to_close"
CUTTING = "meetcore.seat_connections_to_cut"
# The message queue's messages of ours (meetcore.live.queue): "close your connections of these seats", and
# "close these connections of yours".
CUT_REQUEST = "meetcore.cut"
CLOSE_REQUEST = "meetcore.close"
# True while a committed transaction's events are being emitted (meetcore.live.events.on_disconnect).
_EMITTING = contextvars.ContextVar("meetcore_emitting_after_commit", default=False)


def wire_event(event) -> dict:
    """The shape of one MeetingEvent on the wire (docs/protocol.md); "by" names the system when it acted."""
    message = {
        "meeting_id": event.meeting_id,
        "seq": event.seq,
        "kind": event.kind,
        "payload": event.payload or {},
        "at": event.created_at.isoformat() if event.created_at else None,
    }
    if event.actor_name:
        message["by"] = event.actor_name
    return message


def queue_for_broadcast(session, event) -> None:
    session.info.setdefault(OUTGOING, []).append(wire_event(event))


def close_after_commit(session, connection_keys) -> None:
    """These live connections (attendance connection keys, "process:sid") are closed once the transaction
    has committed, on whichever process holds them (through the message queue when there is one)."""
    session.info.setdefault(CLOSING, []).extend(connection_keys)


def cut_after_commit(session, *, seat_ids=(), link_hashes=()) -> None:
    """Every connection of these seats, or through these links, is closed once the transaction has
    committed, on every process, whether it has joined or not (meetcore.live.seat_connections: one that has
    not joined has no row for close_after_commit to find)."""
    session.info.setdefault(CUTTING, []).append({"seat_ids": list(seat_ids), "links": list(link_hashes)})


def emitting_after_commit() -> bool:
    """Whether this code runs inside the emit of a committed transaction's events: Engine.IO closes a
    connection whose ping has timed out when something is sent to it, and runs its disconnect handler
    right there, where the session is the committed transaction's."""
    return _EMITTING.get()


def _after_commit(session) -> None:
    outgoing = session.info.pop(OUTGOING, None)
    token = _EMITTING.set(True)
    try:
        for message in outgoing or ():
            emit_event(message)
    finally:
        _EMITTING.reset(token)
    closing = session.info.pop(CLOSING, None)
    if closing:  # apart from this transaction: a local disconnect runs its handler, which writes
        socketio.start_background_task(_close_everywhere, [key.partition(":")[2] for key in closing])
    cutting = session.info.pop(CUTTING, None)
    if cutting:
        socketio.start_background_task(_cut_everywhere, cutting)


# This process's connections that a close came for while they were still connecting.
_CLOSED_WHILE_CONNECTING: set[str] = set()


def held_here(server, sid: str) -> bool:
    """Whether this process's Socket.IO server holds the connection: connected, or still connecting. A
    connect that carries its join checks its seat in before python-socketio counts it connected
    (meetcore.live.events): a heartbeat or a close in between must not take it for gone."""
    manager = server.manager
    return manager.is_connected(sid, "/") or manager.is_pre_connected(sid, "/")


def _close_everywhere(sids: list[str]) -> None:
    """Close these connections on whichever process holds them: here, and through the message queue as a
    request of ours (python-socketio's own disconnect through the queue does nothing to a connection still
    connecting there)."""
    tell_others = getattr(socketio.server.manager, "tell_others", None)  # only the message queue has one
    if tell_others is not None:
        tell_others(CLOSE_REQUEST, {"sids": sids})
    close_here(sids)


def close_here(sids) -> None:
    """Close those of these connections that this process holds. One still connecting is closed by its
    connect, which refuses it at its end (closed_while_connecting): python-socketio would do nothing."""
    manager = socketio.server.manager
    for sid in sids:
        if manager.is_pre_connected(sid, "/"):
            _CLOSED_WHILE_CONNECTING.add(sid)
        elif manager.is_connected(sid, "/"):
            socketio.server.disconnect(sid, namespace="/", ignore_queue=True)


def closed_while_connecting(sid: str) -> bool:
    """Whether a close came for this connection while it was connecting (asked once, by its connect)."""
    if sid not in _CLOSED_WHILE_CONNECTING:
        return False
    _CLOSED_WHILE_CONNECTING.discard(sid)
    return True


def _cut_everywhere(cuts: list[dict]) -> None:
    tell_others = getattr(socketio.server.manager, "tell_others", None)  # only the message queue has one
    for cut in cuts:
        if tell_others is not None:
            tell_others(CUT_REQUEST, cut)
        cut_here(cut)


def cut_here(cut: dict) -> None:
    """Close this process's seat connections that a cut names (this process's, or another's through the
    message queue)."""
    sids = seat_connections.matching(cut.get("seat_ids") or (), cut.get("links") or ())
    if sids:
        close_here(sids)


def asked_by_another_process(method: str, request: dict) -> None:
    """A message of ours from another process, through the message queue (meetcore.live.queue)."""
    if method == CUT_REQUEST:
        cut_here(request)
    elif method == CLOSE_REQUEST:
        close_here(request.get("sids") or ())


def emit_event(message: dict) -> None:
    """To the staff whole and to participants and halls as they may read it; the client manager delivers
    the participants' placeholders of a burst as one (meetcore.live.placeholders)."""
    meeting_id = message["meeting_id"]
    event_broadcast(message)
    parts = site_parts(message)
    if parts:
        _emit_with_site_parts(message, parts)
        return
    public = for_participants(message)
    if public is message:
        socketio.emit("event", message, to=[staff_room(meeting_id), *audience_rooms(meeting_id)])
    else:
        socketio.emit("event", message, to=staff_room(meeting_id))
        socketio.emit("event", public, to=audience_rooms(meeting_id))


def _emit_with_site_parts(message: dict, parts: dict) -> None:
    """A message with a part for some provinces' halls: each of those halls gets its own copy (one small
    emit per province), every other hall and the participants the participants' copy in one emit."""
    meeting_id = message["meeting_id"]
    socketio.emit("event", for_staff(message), to=staff_room(meeting_id))
    others = [site_room(meeting_id, code) for code in province_codes() if code not in parts]
    socketio.emit("event", for_participants(message), to=[participants_room(meeting_id), *others])
    for code in sorted(parts):
        socketio.emit("event", for_site(message, code), to=site_room(meeting_id, code))


def _after_rollback(session) -> None:
    session.info.pop(OUTGOING, None)
    session.info.pop(CLOSING, None)
    session.info.pop(CUTTING, None)


def install() -> None:
    if not sa.event.contains(db.session, "after_commit", _after_commit):
        sa.event.listen(db.session, "after_commit", _after_commit)
        sa.event.listen(db.session, "after_rollback", _after_rollback)
