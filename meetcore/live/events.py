"""Socket.IO handlers: thin. Authenticate the connection, validate each payload, call one service, and
acknowledge {ok, error: {code, message}} only after the change has committed."""

from __future__ import annotations

import functools
import logging

from flask import current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_socketio import join_room
from marshmallow import fields, validate

from meetcore.errors import DomainError, NotFound, PermissionDenied
from meetcore.eventlog.services import events_since
from meetcore.extensions import db, socketio
from meetcore.live import heap
from meetcore.live.actors import SeatActor, SiteActor, actor_for_connection
from meetcore.live.broadcast import wire_event
from meetcore.live.rooms import for_participants, participants_room, staff_room
from meetcore.live.snapshot import build_snapshot
from meetcore.meetings.models import Meeting
from meetcore.schemas import InputSchema, load_input

log = logging.getLogger(__name__)
ACTOR_KEY = "live_actor"
INTERNAL_ERROR = _l("Something went wrong on our side; your last action was not saved. Try again.")

# name -> (schema class, function(actor, values) -> dict): every command a client may send.
COMMANDS: dict[str, tuple] = {}


def _remember(actor) -> None:
    if isinstance(actor, SeatActor):
        session[ACTOR_KEY] = {"kind": "site" if isinstance(actor, SiteActor) else "seat", **actor.as_dict()}
    elif current_user.is_authenticated and current_user.id == actor.id:  # signed in: ends with the session
        session[ACTOR_KEY] = {"kind": "user", "id": actor.id, "session_token": actor.session_token}
    else:  # an API token
        session[ACTOR_KEY] = {"kind": "user", "id": actor.id}


def _signed_out(user, stored: dict) -> bool:
    """A connection made with a session cookie ends with that session (sign-out, a new password)."""
    return "session_token" in stored and stored["session_token"] != user.session_token


def current_actor():
    from meetcore.auth.models import User

    stored = session.get(ACTOR_KEY) or {}
    if stored.get("kind") in ("seat", "site"):
        actor_class = SiteActor if stored["kind"] == "site" else SeatActor
        return actor_class(**{k: v for k, v in stored.items() if k != "kind"})
    user = db.session.get(User, stored.get("id")) if stored.get("kind") == "user" else None
    if user is None or not user.active or _signed_out(user, stored):
        raise PermissionDenied(_l("Your session has ended. Reload the page and sign in again."))
    return user


@socketio.on("connect")
def on_connect(auth=None):
    try:
        actor = actor_for_connection(auth)
    except DomainError as error:
        db.session.rollback()
        raise ConnectionRefusedError(error.as_dict()) from None
    _remember(actor)
    heap.connections_changed(heap.connection_count())


class UnknownEvent(DomainError):
    code = "unknown_event"


@socketio.on("*")
def on_unknown_event(name, data=None) -> dict:
    """Every event no command handles, lifecycle names a client emitted included: an error, no change."""
    log.info("unknown live event %r from %s", str(name)[:80], request.sid)
    error = UnknownEvent(_l("MeetCore does not know this message; nothing was changed. Reload the page."))
    return {"ok": False, "error": error.as_dict()}


def acknowledged(function):
    """Run a command and turn its outcome into the acknowledgement (the app context's teardown ends the
    database session, as for an HTTP request)."""

    @functools.wraps(function)
    def handler(data=None):
        try:
            result = function(current_actor(), data)
            return {"ok": True, **(result or {})}
        except DomainError as error:
            db.session.rollback()
            return {"ok": False, "error": error.as_dict()}
        except Exception:
            db.session.rollback()
            log.exception("live command %s failed", function.__name__)
            return {"ok": False, "error": {"code": "internal_error", "message": str(INTERNAL_ERROR)}}

    return handler


def live_command(name: str, schema: type[InputSchema]):
    """Register `function(actor, values)` as the handler of client event `name`, its payload validated by
    `schema` (the same schema documents it in docs/protocol.md)."""

    def register(function):
        @acknowledged
        def run(actor, data):
            return function(actor, load_input(schema(), data))

        run.__name__ = function.__name__
        COMMANDS[name] = (schema, function)
        socketio.on_event(name, run)
        return function

    return register


# --- joining a meeting: snapshot or replay ---------------------------------------------------------------


class JoinInput(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    last_seq = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))


def allowed_meeting_id(actor, meeting_id: int) -> int:
    """The meeting a command names, once the actor may act in it at all: a seat's link only in its own
    meeting, anyone else only as staff. Nothing is read: the service that acts reads the meeting under its
    lock, and refuses one that does not exist."""
    from meetcore.auth.permissions import require_staff

    if isinstance(actor, SeatActor):
        if actor.meeting_id != meeting_id:
            raise PermissionDenied(_l("This link belongs to another meeting."))
    else:
        require_staff(actor)
    return meeting_id


def meeting_for(actor, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, allowed_meeting_id(actor, meeting_id))
    if meeting is None:
        raise NotFound(_l("Meeting %(id)s does not exist.", id=meeting_id))
    return meeting


def _replay(meeting: Meeting, actor, last_seq: int) -> list[dict] | None:
    """The events after last_seq this reader may see, or None when a fresh snapshot is the answer."""
    if last_seq > meeting.last_seq:
        return None  # the client knows of events we never wrote: it is confused, start over
    missing = meeting.last_seq - last_seq
    if missing > current_app.config["MEETCORE_REPLAY_LIMIT"]:
        return None
    staff = not isinstance(actor, SeatActor)
    events = [wire_event(event) for event in events_since(meeting.id, last_seq, limit=missing)]
    return events if staff else [for_participants(e) for e in events]


@live_command("join", JoinInput)
def join(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    # Enter the rooms first: an event committed while we read is then either in what we send or
    # delivered after it (the client drops seq it already has).
    join_room(participants_room(meeting.id) if isinstance(actor, SeatActor) else staff_room(meeting.id))
    from meetcore.attendance.services import connection_joined  # a seat's connection is attendance

    connection_joined(actor, meeting, request.sid, request.environ)
    if values["last_seq"] is not None:
        events = _replay(meeting, actor, values["last_seq"])
        if events is not None:
            return {"mode": "replay", "events": events, "last_seq": meeting.last_seq}
    return {"mode": "snapshot", "snapshot": build_snapshot(meeting.id, actor)}
