"""The floor of a live meeting: the only writers of FloorRequest and FloorSettings rows.

Seats ask for the floor and wait in the order they asked; the chair (or the secretariat) gives the floor
to one of them at a time, can set a time limit per turn, and takes the floor back. Every change takes the
meeting row's lock first, so two grants pressed at once are served one after the other, and appends one
MeetingEvent whose payload carries the whole resulting floor (`floor_state`): a client replaces its copy
with it, so applying an event twice, or after a snapshot, gives the same screen.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from meetcore import signals, transaction
from meetcore.actors import SeatActor
from meetcore.auth.permissions import require_staff
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.floor.models import (
    MAX_TIME_LIMIT,
    MIN_TIME_LIMIT,
    OPEN_STATES,
    FloorRequest,
    FloorSettings,
)
from meetcore.floor.schemas import LIMIT_SCOPES, NOTE_MAX
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()  # grant_floor without a time limit: the meeting's default applies

CLOSED_MESSAGES = {
    "done": _l("This turn has already ended."),
    "withdrawn": _l("This request was withdrawn."),
    "revoked": _l("This request was taken off the queue or its turn was ended by the chair."),
}


# --- reading -------------------------------------------------------------------------------------------


def _open_requests(meeting_id: int) -> list[FloorRequest]:
    """The holder and the queue, in the order the seats asked, read fresh from the database."""
    return list(
        db.session.scalars(
            sa.select(FloorRequest)
            .options(joinedload(FloorRequest.seat).joinedload(Seat.province),
                     joinedload(FloorRequest.seat).joinedload(Seat.role))
            .where(FloorRequest.meeting_id == meeting_id, FloorRequest.state.in_(OPEN_STATES))
            .order_by(FloorRequest.requested_at, FloorRequest.id)
            .execution_options(populate_existing=True)
        ).unique()
    )  # fmt: skip


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _seat_part(seat: Seat) -> dict:
    from meetcore.seats.services import seat_label

    province, role = seat.province, seat.role
    return {
        "seat_id": seat.id,
        "province": None if province is None else {
            "code": province.code, "name_th": province.name_th, "name_en": province.name_en,
            "region": province.region,
        },
        "role": {
            "code": role.code, "title_th": role.title_th, "title_en": role.title_en,
            "short_th": role.short_th, "short_en": role.short_en,
        },
        "label": {"th": seat_label(province, role, "th"), "en": seat_label(province, role, "en")},
    }  # fmt: skip


def _entry(request: FloorRequest) -> dict:
    return {
        "request_id": request.id,
        **_seat_part(request.seat),
        "attendee_name": request.attendee_name,
        "attendee_position": request.attendee_position,
        "note": request.note,
        "requested_at": _iso(request.requested_at),
    }


def _holder(request: FloorRequest) -> dict:
    limit = request.time_limit_seconds
    ends_at = request.granted_at + timedelta(seconds=limit) if limit is not None else None
    return {
        **_entry(request),
        "granted_at": _iso(request.granted_at),
        "time_limit_seconds": limit,
        "ends_at": _iso(ends_at),
    }


def default_time_limit(meeting_id: int) -> int | None:
    settings = db.session.get(FloorSettings, meeting_id, populate_existing=True)
    return settings.default_time_limit_seconds if settings is not None else None


def floor_state(meeting_id: int) -> dict:
    """Who holds the floor, who waits (position 1 first) and the default limit of the next turns.

    Names come in Thai and English both, so that every reader gets the same state whatever their language.
    """
    rows = _open_requests(meeting_id)
    holder = next((row for row in rows if row.state == "granted"), None)
    queue = [row for row in rows if row.state == "queued"]
    return {
        "holder": _holder(holder) if holder is not None else None,
        "queue": [{"position": n, **_entry(row)} for n, row in enumerate(queue, start=1)],
        "default_time_limit_seconds": default_time_limit(meeting_id),
    }


# --- checks --------------------------------------------------------------------------------------------


def _lock_live_meeting(meeting_id: int) -> Meeting:
    """The meeting under its row lock (concurrent floor changes queue behind it), refused unless it is in
    session."""
    meeting = lock_meeting(meeting_id)
    if meeting.status != "live":
        raise Conflict(
            _l("The floor is open only while the meeting is in session."), details={"status": meeting.status}
        )
    return meeting


def _check_meeting_of(by, meeting: Meeting) -> None:
    """A participant (a seat's link or a provincial site's screen) acts only in its own meeting; anyone
    else must be staff (admin, secretariat, chair)."""
    if isinstance(by, SeatActor):
        if by.meeting_id != meeting.id:
            raise PermissionDenied(_l("This link belongs to another meeting."))
    else:
        require_staff(by)


def _own_seat_id(by) -> int | None:
    """The seat a participant's personal link stands for; None for a site's screen or a staff account."""
    return by.seat_id if isinstance(by, SeatActor) else None


def _check_acts_for(by, seat: Seat, own_seat_message) -> None:
    """A seat's link acts for that seat only; a provincial site (a participant holding no seat of its own,
    meetcore.live.actors.SiteActor) for the seats of its province; staff for any seat."""
    if not isinstance(by, SeatActor):
        return
    if by.seat_id is not None:
        if seat.id != by.seat_id:
            raise PermissionDenied(own_seat_message)
        return
    province_id = getattr(by, "province_id", None)
    if province_id is None or seat.province_id != province_id:
        raise PermissionDenied(_l("A provincial site can act only for the seats of its own province."))


def _roster_attendee(seat: Seat) -> tuple[str | None, str | None]:
    """Who sits in the seat as the roster knows it: the recorded substitute, or else the invitee."""
    if seat.rsvp == "substitute" and seat.substitute_name:
        return seat.substitute_name, seat.substitute_position
    return seat.name, seat.position


def _check_time_limit(seconds) -> None:
    if seconds is None:
        return
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not (MIN_TIME_LIMIT <= seconds <= MAX_TIME_LIMIT)
    ):
        raise InvalidInput(
            _l("A time limit is from %(min)s to %(max)s seconds, or none.", min=MIN_TIME_LIMIT,
               max=MAX_TIME_LIMIT),
            field="time_limit_seconds",
        )  # fmt: skip


def _seat_of_meeting(meeting: Meeting, seat_id: int) -> Seat:
    seat = db.session.scalars(
        sa.select(Seat)
        .options(joinedload(Seat.province), joinedload(Seat.role))
        .where(Seat.id == seat_id, Seat.meeting_id == meeting.id)
    ).first()
    if seat is None:
        raise NotFound(_l("Seat %(id)s is not on the roster of this meeting.", id=seat_id), field="seat_id")
    return seat


def _request_of_meeting(meeting: Meeting, request_id: int) -> FloorRequest:
    request = db.session.scalars(
        sa.select(FloorRequest)
        .where(FloorRequest.id == request_id, FloorRequest.meeting_id == meeting.id)
        .execution_options(populate_existing=True)
    ).first()
    if request is None:
        raise NotFound(
            _l("Request %(id)s for the floor does not exist in this meeting.", id=request_id),
            field="request_id",
        )
    return request


def _check_open(request: FloorRequest) -> None:
    if not request.is_open:
        raise Conflict(
            CLOSED_MESSAGES[request.state], details={"request_id": request.id, "state": request.state}
        )


def _open_request_of_seat(meeting_id: int, seat_id: int) -> FloorRequest | None:
    return db.session.scalars(
        sa.select(FloorRequest)
        .where(
            FloorRequest.meeting_id == meeting_id,
            FloorRequest.seat_id == seat_id,
            FloorRequest.state.in_(OPEN_STATES),
        )
        .execution_options(populate_existing=True)
    ).first()


def _holder_of(meeting_id: int) -> FloorRequest | None:
    return db.session.scalars(
        sa.select(FloorRequest)
        .where(FloorRequest.meeting_id == meeting_id, FloorRequest.state == "granted")
        .execution_options(populate_existing=True)
    ).first()


def _flush_or_conflict(message) -> None:
    """Flush; a partial unique index hit (a change made by someone else at the same moment) is a Conflict."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None  # the entry point rolls back


CHANGED_MEANWHILE = _l("Someone else changed the floor at the same moment. Look again and retry.")


def _record(meeting: Meeting, kind: str, payload: dict, *, by, seat: Seat | None = None) -> None:
    """Append the event carrying the resulting floor (the entry point commits)."""
    _flush_or_conflict(CHANGED_MEANWHILE)
    acting_seat = seat if _own_seat_id(by) is not None else None  # a seat acting through its own link
    record_event(meeting, kind, {**payload, "floor": floor_state(meeting.id)}, by=by, seat=acting_seat)
    db.session.flush()
    if kind in ("floor.granted", "floor.revoked", "floor.withdrawn"):
        # Once committed: who lost the floor stops publishing.
        transaction.after_commit(signals.floor_changed.send, meeting, kind=kind, by=by)


def _user_id(by) -> int | None:
    return None if isinstance(by, SeatActor) else getattr(by, "id", None)  # participants are no accounts


# --- changing ------------------------------------------------------------------------------------------


def request_floor(
    meeting: Meeting, *, seat_id: int | None = None, note: str | None = None, by
) -> FloorRequest:
    """Put a seat in the queue. A seat asks for itself (seat_id may be left out); a provincial site for
    one of its province's seats; the staff for any seat."""
    _check_meeting_of(by, meeting)
    own_seat_message = _l("You can ask for the floor only for your own seat.")
    if seat_id is None:
        seat_id = _own_seat_id(by)
        if seat_id is None:
            raise InvalidInput(_l("Choose the seat that asks for the floor."), field="seat_id")
    elif _own_seat_id(by) not in (None, seat_id):
        raise PermissionDenied(own_seat_message)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(_l("The note is at most %(n)s characters long.", n=NOTE_MAX), field="note")
    meeting = _lock_live_meeting(meeting.id)
    seat = _seat_of_meeting(meeting, seat_id)
    _check_acts_for(by, seat, own_seat_message)
    existing = _open_request_of_seat(meeting.id, seat.id)
    if existing is not None:
        message = (
            _l("This seat holds the floor already.")
            if existing.state == "granted"
            else _l("This seat has asked for the floor already and is waiting in the queue.")
        )
        raise Conflict(message, details={"request_id": existing.id, "state": existing.state})
    if _own_seat_id(by) is not None:  # as the person confirmed on joining (a substitute names themself)
        name, position = by.attendee_name, by.attendee_position
    else:
        name, position = _roster_attendee(seat)
    request = FloorRequest(
        meeting_id=meeting.id,
        seat_id=seat.id,
        state="queued",
        attendee_name=name,
        attendee_position=position,
        note=note,
        requested_at=utcnow(),
    )
    db.session.add(request)
    _flush_or_conflict(_l("This seat has asked for the floor already."))
    _record(meeting, "floor.requested", {"request_id": request.id, "seat_id": seat.id}, by=by, seat=seat)
    return request


def withdraw_floor(meeting: Meeting, *, request_id: int | None = None, by) -> FloorRequest:
    """The seat withdraws its request, or yields the floor when it holds it (the turn is then done).

    A seat may leave request_id out (its own open request); a site and the staff name the request.
    """
    _check_meeting_of(by, meeting)
    own_seat_id = _own_seat_id(by)
    if request_id is None and own_seat_id is None:
        raise InvalidInput(_l("Choose the request to withdraw."), field="request_id")
    meeting = _lock_live_meeting(meeting.id)
    if request_id is None:
        request = _open_request_of_seat(meeting.id, own_seat_id)
        if request is None:
            raise Conflict(_l("You have not asked for the floor."))
    else:
        request = _request_of_meeting(meeting, request_id)
        _check_acts_for(by, request.seat, _l("You can withdraw only your own request."))
        _check_open(request)
    request.state = "withdrawn" if request.state == "queued" else "done"
    request.ended_at = utcnow()
    _record(meeting, "floor.withdrawn",
            {"request_id": request.id, "seat_id": request.seat_id, "state": request.state},
            by=by, seat=request.seat)  # fmt: skip
    return request


def grant_floor(
    meeting: Meeting,
    *,
    request_id: int | None = None,
    seat_id: int | None = None,
    time_limit_seconds=UNSET,
    by,
) -> FloorRequest:
    """Give the floor to a request, to a seat (its waiting request, or a new one when it has none), or,
    naming neither, to the first in the queue. Whoever held the floor before has their turn ended (done).

    time_limit_seconds: UNSET takes the meeting's default; None means no limit.
    """
    require_staff(by)
    if request_id is not None and seat_id is not None:
        raise InvalidInput(_l("Give either a request or a seat, not both."), field="request_id")
    if time_limit_seconds is not UNSET:
        _check_time_limit(time_limit_seconds)
    meeting = _lock_live_meeting(meeting.id)
    now = utcnow()
    # Read everything before changing anything (a query would flush a half-made change).
    previous = _holder_of(meeting.id)
    limit = default_time_limit(meeting.id) if time_limit_seconds is UNSET else time_limit_seconds
    if request_id is not None:
        target = _request_of_meeting(meeting, request_id)
        _check_open(target)
    elif seat_id is not None:
        seat = _seat_of_meeting(meeting, seat_id)
        target = _open_request_of_seat(meeting.id, seat.id)
        if target is None:  # the chair calls on a seat that had not asked
            name, position = _roster_attendee(seat)
            target = FloorRequest(
                meeting_id=meeting.id,
                seat_id=seat.id,
                state="queued",
                attendee_name=name,
                attendee_position=position,
                requested_at=now,
            )
            db.session.add(target)
    else:
        target = next((row for row in _open_requests(meeting.id) if row.state == "queued"), None)
        if target is None:
            raise Conflict(_l("Nobody is waiting for the floor."))
    if target.state == "granted":
        raise Conflict(_l("This seat holds the floor already."), details={"request_id": target.id})

    if previous is not None:
        previous.state = "done"
        previous.ended_at = now
        _flush_or_conflict(CHANGED_MEANWHILE)  # the old turn ends before the new one starts
    target.state = "granted"
    target.granted_at = now
    target.granted_by = _user_id(by)
    target.time_limit_seconds = limit
    _flush_or_conflict(CHANGED_MEANWHILE)
    payload = {
        "request_id": target.id,
        "seat_id": target.seat_id,
        "time_limit_seconds": target.time_limit_seconds,
        "previous": None
        if previous is None
        else {"request_id": previous.id, "seat_id": previous.seat_id, "state": previous.state},
    }
    _record(meeting, "floor.granted", payload, by=by)
    return target


def revoke_floor(meeting: Meeting, *, request_id: int | None = None, by) -> FloorRequest:
    """The chair ends the current turn (no request_id) or takes a named request off the queue or the floor."""
    require_staff(by)
    meeting = _lock_live_meeting(meeting.id)
    if request_id is None:
        request = _holder_of(meeting.id)
        if request is None:
            raise Conflict(_l("Nobody holds the floor."))
    else:
        request = _request_of_meeting(meeting, request_id)
        _check_open(request)
    was = request.state
    request.state = "revoked"
    request.ended_at = utcnow()
    _record(meeting, "floor.revoked",
            {"request_id": request.id, "seat_id": request.seat_id, "was": was}, by=by)  # fmt: skip
    return request


def set_time_limit(meeting: Meeting, seconds: int | None, *, scope: str = "turn", by) -> Meeting:
    """scope "turn": the current turn's limit, counted from when it was granted (so the chair can give the
    speaker more time, or less); scope "default": what the next turns get when granted without a limit."""
    require_staff(by)
    _check_time_limit(seconds)
    if scope not in LIMIT_SCOPES:
        raise InvalidInput(
            _l("The time limit applies to the current turn or to the next turns."), field="scope"
        )
    meeting = _lock_live_meeting(meeting.id)
    request_id = None
    if scope == "turn":
        holder = _holder_of(meeting.id)
        if holder is None:
            raise Conflict(_l("Nobody holds the floor; set the limit for the next turns instead."))
        if holder.time_limit_seconds == seconds:
            return meeting  # nothing changes (the entry point's commit releases the lock)
        holder.time_limit_seconds = seconds
        request_id = holder.id
    else:
        settings = db.session.get(FloorSettings, meeting.id, populate_existing=True)
        if (settings.default_time_limit_seconds if settings is not None else None) == seconds:
            return meeting  # nothing changes (the entry point's commit releases the lock)
        if settings is None:
            settings = FloorSettings(meeting_id=meeting.id)
            db.session.add(settings)
        settings.default_time_limit_seconds = seconds
    _record(meeting, "floor.limit_set", {"scope": scope, "seconds": seconds, "request_id": request_id}, by=by)
    return meeting


def close_floor(meeting: Meeting, *, by) -> bool:
    """Close the floor of a meeting that is ending: the turn is done, waiting requests are taken off.

    For end_meeting to call inside its own transaction, after taking the meeting's lock. Records
    "floor.closed" when anything was open.
    """
    rows = _open_requests(meeting.id)
    if not rows:
        return False
    now = utcnow()
    for row in rows:
        row.state = "done" if row.state == "granted" else "revoked"
        row.ended_at = now
    db.session.flush()
    payload = {"request_ids": [row.id for row in rows], "floor": floor_state(meeting.id)}
    record_event(meeting, "floor.closed", payload, by=by)
    return True


@signals.meeting_ending.connect
def _close_floor_of_ending_meeting(meeting: Meeting, *, by) -> None:
    close_floor(meeting, by=by)
