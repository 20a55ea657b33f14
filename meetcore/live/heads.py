"""`live.head {meeting_id, last_seq}`: this process tells its own clients the newest seq of each meeting they
follow, once the message queue is back after an outage (issue 20, meetcore.live.queue).

Pub/sub keeps nothing: an event published while Redis was down or frozen never reaches the other
processes' clients, and without a later change they would show the old state indefinitely. A client whose
last_seq is below the head joins again with it and replays what it missed from the event log (the reconnect
rule, docs/protocol.md). Not an event of the log: it changes no state and carries no seq of its own. Sent
straight to this process's clients, never through the queue: each process knows which meetings its own
clients follow, and the queue is the part that just failed.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from flask import Flask

from meetcore.extensions import db, socketio
from meetcore.live.rooms import audience_rooms, staff_room
from meetcore.meetings.models import Meeting
from meetcore.transaction import unit_of_work

log = logging.getLogger(__name__)

HEAD = "live.head"  # the Socket.IO message name (docs/protocol.md, static/src/live-connection.js)
_MEETING_ROOM = re.compile(r"meeting:(\d+):(?:staff|participants|halls)\Z")


def meetings_followed_here() -> set[int]:
    """The meetings whose rooms hold a client of this process."""
    manager = getattr(socketio.server, "manager", None)
    rooms = (manager.rooms.get("/") if manager else None) or {}
    found = (_MEETING_ROOM.match(name) for name in list(rooms) if isinstance(name, str) and rooms.get(name))
    return {int(match.group(1)) for match in found if match}


def announce_heads() -> int:
    """Send every meeting's head to this process's clients of it (in an app context); how many meetings."""
    ids = meetings_followed_here()
    if not ids:
        return 0
    with unit_of_work():  # a read only, as a unit of work of its own: ended now, not at the task's end
        heads = db.session.execute(sa.select(Meeting.id, Meeting.last_seq).where(Meeting.id.in_(ids))).all()
    for meeting_id, last_seq in heads:
        head = {"meeting_id": meeting_id, "last_seq": last_seq}
        rooms = [staff_room(meeting_id), *audience_rooms(meeting_id)]
        socketio.emit(HEAD, head, to=rooms, ignore_queue=True)
    return len(heads)


def announce_soon(app: Flask) -> None:
    """From the queue's listener: announce in a task of its own, so that the listener goes on reading."""
    socketio.start_background_task(_announce_in, app)


def _announce_in(app: Flask) -> None:
    try:
        with app.app_context():
            told = announce_heads()
        log.info("message queue back: told this process's clients the head of %s meetings", told)
    except Exception:  # a database that is down too: the clients catch up at the next event or reconnect
        log.exception("telling the clients the meetings' heads failed")
