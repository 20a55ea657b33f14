"""Checking in and out: the only writers of a connection's attendance intervals, and the meeting's
attendance setting (the identity code). The package's docstring (meetcore/attendance/__init__.py) says how
attendance works as a whole."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_app_context, session
from flask_babel import lazy_gettext as _l

from meetcore import transaction
from meetcore.actors import SEAT_SESSION_KEY, SeatActor, SiteActor
from meetcore.attendance import board
from meetcore.attendance.models import Attendance
from meetcore.attendance.policy import ATTENDING_STATUSES, CONNECTION_KINDS
from meetcore.attendance.processes import beat_unless_recent, ensure_heartbeat, open_intervals
from meetcore.database import utcnow
from meetcore.errors import DomainError, NotFound, PermissionDenied
from meetcore.eventlog.services import lock_meeting, lock_meeting_row, record_event
from meetcore.extensions import db
from meetcore.live.connections import connection_key
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import set_identity_code_required
from meetcore.seats.models import Seat
from meetcore.tokenlinks import is_live

log = logging.getLogger(__name__)


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
    # A connection that has not checked in before (its first join): it has no interval to look for.
    first: bool = False


def _clip(value, length: int) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text[:length] or None


def client_address(environ: dict) -> tuple[str | None, str | None]:
    """The remote address and user agent of a request or a Socket.IO connection's handshake."""
    return _clip(environ.get("REMOTE_ADDR"), 64), _clip(environ.get("HTTP_USER_AGENT"), 500)


def seat_connection(actor: SeatActor, sid: str, environ: dict, *, first: bool = False) -> Connection:
    remote_addr, user_agent = client_address(environ or {})
    return Connection(
        first=first,
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


# --- checking in and out -------------------------------------------------------------------------------


def _require_live_link(actor: SeatActor) -> None:
    """A browser that confirmed its identity through a personal link is let in only while that link is live:
    the secretariat withdraws a link (say, the invitee changed) and the browsers behind it stop joining."""
    stored = session.get(SEAT_SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("seat_id") != actor.seat_id or not stored.get("link"):
        return  # not this session's identity (a link token, checked when the connection was made)
    require_live_seat_link(actor.seat_id, str(stored["link"]))


def require_live_seat_link(seat_id: int, link_hash: str) -> None:
    """PermissionDenied (reason link_withdrawn) unless the seat's link with that hash is still live. The
    seat's meeting comes with it, as a plain row: a check-in that follows in the same command
    (_seat_on_roster) reads no more. Kept in the command's app context (flask.g) meanwhile."""
    link = db.session.execute(_link_with_its_seat(), {"token_hash": link_hash, "seat_id": seat_id}).first()
    if link is None or not is_live(link):
        raise PermissionDenied(
            _l("The personal link you came through has been withdrawn or has expired. Open the newest link "
               "the secretariat sent you."),
            details={"reason": "link_withdrawn"},
        )  # fmt: skip
    seat_read_with_its_link(seat_id, link.meeting_id)


def seat_read_with_its_link(seat_id: int, meeting_id: int) -> None:
    """The seat's live link and the seat's meeting were read a moment ago in this app context (a command's
    link check, or a connect through a link token that joins at once): a check-in that follows in the same
    context (_seat_on_roster) reads the seat no more."""
    if has_app_context():
        g.meetcore_seat_on_roster = (seat_id, meeting_id)


@functools.cache
def _link_with_its_seat() -> sa.Select:
    """A seat's link by its hash, with its seat's meeting: built once (every command of a seat's connection
    runs it)."""
    from meetcore.seats.links import SEAT_LINKS

    links, seats = SEAT_LINKS.model.__table__, Seat.__table__
    return SEAT_LINKS.columns_query(seats.c.meeting_id, join=(seats, links.c.seat_id == seats.c.id)).where(
        links.c.seat_id == sa.bindparam("seat_id")
    )


def _seat_on_roster(meeting, seat_id) -> int:
    """The seat's id, once it is known to be on the meeting's roster: this command's link check read that
    already (require_live_seat_link), or the seat is read now (seat_of)."""
    checked = g.pop("meetcore_seat_on_roster", None) if has_app_context() else None
    if checked == (seat_id, meeting.id):
        return seat_id
    return seat_of(meeting, seat_id).id


def _require_confirmed_identity(actor: SeatActor, meeting) -> None:
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


def checks_in(actor) -> bool:
    """A seat's participant: its connection is attendance (staff and site operators are not seats)."""
    return isinstance(actor, SeatActor) and not isinstance(actor, SiteActor)


def connection_joined(actor, meeting_id: int, sid: str, environ: dict, *, first: bool = False) -> int | None:
    """Called when a connection joins a meeting's rooms: a seat's connection is checked in (once per
    connection, however often it joins), the meeting read once, under its lock (NotFound if there is
    none). Staff and site operators are not seats: nothing is recorded or read for them. No interval is
    opened for a meeting that has ended or was cancelled. `first`: the connection has not joined before
    (the caller's transaction then writes what a second first join would collide with: its
    live_connections row, meetcore.live.events), so there is no interval of its own to look for. Returns
    the meeting's seq as the lock found it (None when nothing was checked in): every event after it is
    numbered after this transaction, and reaches the connection's rooms."""
    ensure_heartbeat()
    if not checks_in(actor):
        return None
    if actor.meeting_id != meeting_id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    try:
        meeting = lock_meeting_row(meeting_id)
        if meeting.status not in ATTENDING_STATUSES:
            return None
        _require_live_link(actor)
        _require_confirmed_identity(actor, meeting)
        via = seat_connection(actor, sid, environ, first=first)
        _check_in(meeting, _seat_on_roster(meeting, actor.seat_id), via=via)
        return meeting.last_seq
    except DomainError:  # refused: out of the room it was just put in
        from flask_socketio import leave_room

        from meetcore.live.rooms import participants_room

        leave_room(participants_room(meeting_id))
        raise


def check_in(seat: Seat, *, via: Connection) -> None:
    """Open the seat's interval for this connection (one per connection and seat: joining again does
    nothing)."""
    _check_in(lock_meeting(seat.meeting_id), seat.id, via=via)


def _check_in(meeting, seat_id: int, *, via: Connection) -> None:
    """check_in() with the seat's meeting locked already (the Meeting, or lock_meeting_row's row)."""
    if not via.first:
        existing = db.session.scalars(
            open_intervals(seat_id=seat_id, connection_id=via.connection_id).where(
                Attendance.kind.in_(CONNECTION_KINDS)
            )
        ).first()
        if existing is not None:
            return  # (the entry point's commit releases the lock)
    now = utcnow()
    beat_unless_recent(now)
    db.session.execute(_OPEN_INTERVAL, {
        "meeting_id": meeting.id, "seat_id": seat_id, "kind": "substitute" if via.as_substitute else "self",
        "connection_id": via.connection_id, "attendee_name": via.attendee_name,
        "attendee_position": via.attendee_position, "remote_addr": via.remote_addr,
        "user_agent": via.user_agent, "joined_at": now,
    })  # fmt: skip
    delay = board.presence_changed(meeting, now)
    db.session.flush()
    transaction.after_commit(board.publish_later, meeting.id, delay)


# One plain INSERT, not an object flushed by the unit of work: every participant's join runs it, and nothing
# reads the new interval back in this transaction but by query.
_OPEN_INTERVAL = sa.insert(Attendance.__table__)


def check_out(connection_id: str, *, at: datetime | None = None) -> list[Attendance]:
    """Close every open interval of the connection (it ended); returns them."""
    meeting_ids = db.session.scalars(
        sa.select(Attendance.meeting_id)
        .where(Attendance.connection_id == connection_id, Attendance.left_at.is_(None))
        .distinct()
        .order_by(Attendance.meeting_id)  # the meetings' locks always taken in one order
    ).all()
    closed: list[Attendance] = []
    for meeting_id in meeting_ids:
        try:
            meeting = lock_meeting(meeting_id)
        except NotFound:
            continue
        now = at or utcnow()
        rows = db.session.scalars(open_intervals(meeting_id=meeting_id, connection_id=connection_id)).all()
        for row in rows:
            row.left_at = max(now, row.joined_at)
        delay = board.presence_changed(meeting, now) if rows else None
        db.session.flush()
        transaction.after_commit(board.publish_later, meeting_id, delay)
        closed.extend(rows)
    return closed


def connection_left(sid: str) -> list[Attendance]:
    """Called when a Socket.IO connection of this process ends."""
    return check_out(connection_key(sid))


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
    if set_identity_code_required(meeting, required):
        record_event(meeting, "attendance.settings", {"requires_identity_code": required}, by=by)
    db.session.flush()
    return meeting
