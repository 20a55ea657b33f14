"""Live side of attendance: the snapshot's "attendance" part, the site.roll_call command, and closing a
connection's intervals when it ends. Thin: validate, call one service, acknowledge."""

from __future__ import annotations

import logging

from flask import request

from meetcore import transaction
from meetcore.actors import SeatActor
from meetcore.attendance import services, sites
from meetcore.attendance.schemas import RollCallInput
from meetcore.live.connections import connection_ended, connection_key
from meetcore.live.events import live_command, meeting_for
from meetcore.live.snapshot import snapshot_part

log = logging.getLogger(__name__)


@snapshot_part("attendance", refreshed_by=("attendance.board",))
def attendance_part(meeting, actor) -> dict:
    return sites.snapshot_state(meeting, actor)


def _via(actor) -> services.Connection:
    remote_addr, user_agent = services.client_address(request.environ)
    return services.Connection(
        connection_id=connection_key(request.sid),
        remote_addr=remote_addr,
        user_agent=user_agent,
        attendee_name=actor.attendee_name if isinstance(actor, SeatActor) else None,
    )


@live_command("site.roll_call", RollCallInput)
def roll_call(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    result = sites.roll_call(meeting, values["seat_id"], values["present"], by=actor, via=_via(actor))
    return {
        "seat_id": result.seat_id,
        "present": result.present,
        "changed": result.changed,
        "seq": result.seq,
    }


@connection_ended.connect
def close_attendance(sid: str) -> None:
    """The connection ended: its attendance intervals are closed."""
    try:
        with transaction.unit_of_work():  # an entry point of its own (the disconnect)
            services.connection_left(sid)
    except Exception:  # never break the server's disconnect handling; the heartbeat closes them later
        log.exception("closing the attendance of connection %s failed", sid)
