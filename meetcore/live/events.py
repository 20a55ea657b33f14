"""Socket.IO handlers: thin. Authenticate the connection, validate each payload, call one service, and
acknowledge {ok, error: {code, message}} only after the change has committed."""

from __future__ import annotations

import functools
import logging

from flask import current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_socketio import (
    ConnectionRefusedError,  # noqa: A004  (python-socketio's, which carries data)
    join_room,
)
from marshmallow import fields, validate

from meetcore import transaction
from meetcore.actors import SEAT_SESSION_KEY, SeatActor, SiteActor
from meetcore.errors import DomainError, NotFound, PermissionDenied
from meetcore.eventlog.services import begin_command, events_since, seq_after_commit
from meetcore.extensions import db, socketio
from meetcore.live import connections, heap, receipts, seat_connections
from meetcore.live.actors import actor_for_connection
from meetcore.live.broadcast import closed_while_connecting, emitting_after_commit, wire_event
from meetcore.live.connections import connection_ended, forget_connection, remember_connection
from meetcore.live.rooms import for_site, for_staff, halls_room, participants_room, site_room, staff_room
from meetcore.live.snapshot import build_snapshot
from meetcore.meetings.models import Meeting
from meetcore.operations.metrics import connection_left, join_counted, observed_command
from meetcore.schemas import InputSchema, load_input

log = logging.getLogger(__name__)
ACTOR_KEY = "live_actor"
INTERNAL_ERROR = _l("Something went wrong on our side; your last action was not saved. Try again.")

# name -> (schema class, function(actor, values) -> dict): every command a client may send.
COMMANDS: dict[str, tuple] = {}
# name -> its Socket.IO handler (validated, acknowledged), for a command carried by the connect (join).
HANDLERS: dict = {}
JOINED = "joined"  # the answer to a join carried by the connect
THE_CONNECTIONS = object()  # a command's actor: the one its connection was let in as, checked again


def _remember(actor, auth) -> None:
    """Keep who is on this connection (its Socket.IO session) and what let them in (LiveConnection, so that
    ending that access closes the connection, meetcore.live.connections). A seat's row waits for its
    check-in (_remember_joined_seat); meanwhile this process's memory knows it (seat_connections)."""
    if isinstance(actor, SiteActor):
        session[ACTOR_KEY] = {"kind": "site", **actor.as_dict()}
        access = {"site_link_id": actor.site_link_id}
    elif isinstance(actor, SeatActor):
        link = _link_of(actor, auth)
        session[ACTOR_KEY] = {"kind": "seat", **actor.as_dict(), **link}
        seat_connections.add(request.sid, actor.seat_id, link.get("link"))
        return
    elif current_user.is_authenticated and current_user.id == actor.id:  # signed in: ends with the session
        # The locale too, so that an error can be answered in it without reading the user again.
        session[ACTOR_KEY] = {"kind": "user", "id": actor.id, "session_token": actor.session_token,
                              "locale": actor.locale}  # fmt: skip
        access = {"user_id": actor.id, "session_token": actor.session_token}
    else:  # an API token
        from meetcore.tokenlinks import hash_token

        session[ACTOR_KEY] = {"kind": "user", "id": actor.id}
        access = {"user_id": actor.id, "api_token_hash": hash_token(auth["api_token"])}
    remember_connection(request.sid, **access)


def _signed_out(user, stored: dict) -> bool:
    """A connection made with a session cookie ends with that session (sign-out, a new password)."""
    return "session_token" in stored and stored["session_token"] != user.session_token


def _link_of(actor: SeatActor, auth) -> dict:
    """The personal link a seat's connection came through (its hash): the confirmed identity's, or the
    token's. A hall's link is part of its actor already."""
    stored = session.get(SEAT_SESSION_KEY)
    if isinstance(stored, dict) and stored.get("seat_id") == actor.seat_id and stored.get("link"):
        return {"link": stored["link"]}
    if isinstance(auth, dict) and isinstance(auth.get("seat_token"), str):
        from meetcore.tokenlinks import hash_token

        return {"link": hash_token(auth["seat_token"])}
    return {}


def _require_live_link(stored: dict) -> None:
    """A seat's or hall's connection acts only while the link it came through is live (issue 13: a revoked
    link's open connection could still ask for the floor). Read from the database, so on every process."""
    if stored["kind"] == "site":
        from meetcore.attendance.models import SiteLink
        from meetcore.attendance.sites import SITE_LINKS

        SITE_LINKS.require_live(db.session.get(SiteLink, stored.get("site_link_id")))
    elif stored.get("link"):
        from meetcore.attendance.services import require_live_seat_link

        require_live_seat_link(stored.get("seat_id"), stored["link"])


def current_actor():
    from meetcore.auth.models import User

    stored = session.get(ACTOR_KEY) or {}
    if stored.get("kind") in ("seat", "site"):
        _require_live_link(stored)
        actor_class = SiteActor if stored["kind"] == "site" else SeatActor
        return actor_class(**{k: v for k, v in stored.items() if k not in ("kind", "link", "row")})
    user = db.session.get(User, stored.get("id")) if stored.get("kind") == "user" else None
    if user is None or not user.active or _signed_out(user, stored):
        raise PermissionDenied(_l("Your session has ended. Reload the page and sign in again."))
    return user


@socketio.on("connect")
def on_connect(auth=None):
    if connections.stopping.is_set():  # accepted just before this process closed its port: go elsewhere
        return False
    try:
        with transaction.unit_of_work():  # connecting is an entry point: the connection row commits here
            actor = actor_for_connection(auth)
            _remember(actor, auth)
    except DomainError as error:
        refusal = error.as_dict()  # the client's connect_error: {message, data: {code, message}}
        raise ConnectionRefusedError(refusal["message"], refusal) from None
    heap.connections_changed(heap.connection_count())
    joining = isinstance(auth, dict) and "join" in auth
    answer = _join_with_the_connect(actor, auth["join"]) if joining else None
    if _gone_while_connecting(request.sid):
        # python-socketio has no disconnect for a connection still connecting: forgotten here as a
        # disconnect would (or a seat checked in by its join would stay present), and refused, so that the
        # rooms forget it too. Nothing yields from here until python-socketio counts it connected.
        _connection_ended(request.sid, socketio.server.rooms(request.sid), heap.connection_count())
        return False
    if answer is not None:
        socketio.emit(JOINED, answer, to=request.sid, ignore_queue=True)  # to this connection only, here
    return None


def _join_with_the_connect(actor, payload) -> dict:
    """A connect that carries its join (auth.join, docs/protocol.md) is answered with a `joined` message
    holding what the `join` command would acknowledge, sent before the connection is confirmed (the client
    library holds it until then). Per join, one message each way, one request context and one read of the
    link fewer (issue 18): the actor is the one the connect has just let in; a close that came meanwhile
    (a withdrawn link) is its connect's to carry out (_gone_while_connecting). A refused join leaves the
    connection open, as a refused `join` command does."""
    return HANDLERS["join"](payload, actor=actor)


def _gone_while_connecting(sid: str) -> bool:
    """Whether the connection ended while it connected (its Engine.IO connection closed: its pings went
    unanswered while a join held its reader), or a close came for it meanwhile (meetcore.live.broadcast)."""
    server = socketio.server
    ended = server.manager.eio_sid_from_sid(sid, request.namespace or "/") not in server.environ
    return closed_while_connecting(sid) or ended


@socketio.on("disconnect")
def on_disconnect(reason=None) -> None:
    """The connection ended (closed by either side, lost, or timed out): it is forgotten, and the domains
    that keep something per connection hear of it (attendance closes its intervals). A process that is
    stopping ends all of its connections' records at once (meetcore.live.serving)."""
    if connections.stopping.is_set():
        return
    sid = request.sid
    rooms, remaining = socketio.server.rooms(sid), heap.connection_count() - 1  # this one is still counted
    if emitting_after_commit():
        # Closed by Engine.IO while another transaction's events were being sent (its ping timed out): that
        # transaction's session is committed and must not be reused; the connection is forgotten apart.
        app = current_app._get_current_object()
        socketio.start_background_task(_connection_ended_apart, app, sid, rooms, remaining)
        return
    _connection_ended(sid, rooms, remaining)


def _connection_ended_apart(app, sid: str, rooms: list, remaining: int) -> None:
    with app.app_context():
        _connection_ended(sid, rooms, remaining)


def _connection_ended(sid: str, rooms: list, remaining: int) -> None:
    connection_left(rooms)
    seat_connections.discard(sid)
    try:
        with transaction.unit_of_work():  # an entry point of its own
            forget_connection(sid)
    except Exception:  # never break the server's own disconnect handling; the heartbeat forgets it later
        log.exception("forgetting live connection %s failed", sid)
    connection_ended.send(sid)  # each receiver is its own unit of work
    heap.connections_changed(remaining)


class UnknownEvent(DomainError):
    code = "unknown_event"


@socketio.on("*")
def on_unknown_event(name, data=None) -> dict:
    """Every event no command handles, lifecycle names a client emitted included: an error, no change."""
    log.info("unknown live event %r from %s", str(name)[:80], request.sid)
    error = UnknownEvent(_l("MeetCore does not know this message; nothing was changed. Reload the page."))
    return {"ok": False, "error": error.as_dict()}


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


@socketio.on("payload_too_large")
def on_payload_too_large(*_args) -> dict:
    """A command bigger than a command may be (meetcore.live.setup.PACKET_LIMIT), answered unread."""
    error = PayloadTooLarge(_l("This message is too large (at most 256 KB); nothing was changed."))
    return {"ok": False, "error": error.as_dict()}


def acknowledged(function, *, command: str | None = None, claim_first: bool = True):
    """Run a command as one transaction and turn its outcome into the acknowledgement: committed before
    the acknowledgement is returned (so an acknowledged change is durable and its events are on their
    way), refused on a DomainError, discarded on anything else or when the commit itself fails. A
    `command` named here is carried out once per client_id (meetcore.live.receipts): its receipt is stored
    in the same transaction as its change, so both commit, with the answer, or neither does. Other
    handlers ignore a client_id."""

    @functools.wraps(function)
    def handler(data=None, *, actor=THE_CONNECTIONS):
        """`actor`: who the connect carrying this command has just let in (its access checked a moment
        ago); by default the connection's, its access checked again (current_actor)."""
        begin_command()
        try:
            data, client_id = receipts.split_client_id(data)
            actor = current_actor() if actor is THE_CONNECTIONS else actor
            if command and client_id:
                answer = receipts.run_once(actor, client_id, command, lambda: _answer(function(actor, data)),
                                           claim_first=claim_first)  # fmt: skip
            else:
                answer = _answer(function(actor, data))
        except DomainError as error:
            transaction.refuse()
            return {"ok": False, "error": error.as_dict()}
        except Exception:
            transaction.discard()
            log.exception("live command %s failed", function.__name__)
            return internal_error()
        try:
            transaction.commit()
        except Exception:
            transaction.discard()
            log.exception("live command %s failed to commit", function.__name__)
            return internal_error()
        return answer

    return observed_command(handler)  # counted, timed and given a command id for its log lines


def _answer(result: dict | None) -> dict:
    return {"ok": True, **(result or {})}


def internal_error() -> dict:
    """The answer to a command that failed unexpectedly, told with what is at hand: whatever failed (the
    database included) is not asked again to choose the language, or the command would go unanswered."""
    from flask_babel import force_locale

    from meetcore.i18n.setup import locale_at_hand

    with force_locale(locale_at_hand((session.get(ACTOR_KEY) or {}).get("locale"))):
        return {"ok": False, "error": {"code": "internal_error", "message": str(INTERNAL_ERROR)}}


def live_command(name: str, schema: type[InputSchema], *, changes: bool = True, asks_janus: bool = False):
    """Register `function(actor, values)` as the handler of client event `name`, its payload validated by
    `schema` (the same schema documents it in docs/protocol.md). A command that `changes` something is
    carried out once per client_id; one that only reads (join, a sync) simply runs again. A command that
    `asks_janus` before it writes claims its receipt with its change, not before: no write waits for Janus
    (meetcore.live.receipts)."""

    def register(function):
        validator = schema()  # built once: a marshmallow schema keeps nothing of one load for the next

        @functools.partial(acknowledged, command=name if changes else None, claim_first=not asks_janus)
        def run(actor, data):
            return function(actor, load_input(validator, data))

        run.__name__ = function.__name__
        COMMANDS[name] = (schema, function)
        HANDLERS[name] = run
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
    events = [wire_event(event) for event in events_since(meeting.id, last_seq, limit=missing)]
    if not isinstance(actor, SeatActor):
        return [for_staff(e) for e in events]
    # A hall reads its province's parts; a seat's participant (no province) the participants' copy.
    province_code = actor.province_code if isinstance(actor, SiteActor) else None
    return [for_site(e, province_code) for e in events]


def _enter_rooms(meeting_id: int, actor) -> None:
    """Staff, a seat's participant, or a hall (the halls' room, counted, and its province's)."""
    if isinstance(actor, SiteActor):
        join_counted(halls_room(meeting_id))
        if actor.province_code:
            join_room(site_room(meeting_id, actor.province_code))
    elif isinstance(actor, SeatActor):
        join_counted(participants_room(meeting_id))
    else:
        join_counted(staff_room(meeting_id))


def _remember_joined_seat(actor) -> bool:
    """A seat's connection's row (LiveConnection), written with its first check-in: in the join's
    transaction, not the connect's (one commit fewer per join). Whether it was written here."""
    stored = session.get(ACTOR_KEY) or {}
    if not isinstance(actor, SeatActor) or isinstance(actor, SiteActor) or stored.get("row"):
        return False
    remember_connection(request.sid, seat_id=actor.seat_id, seat_link_hash=stored.get("link"))
    return True


@live_command("join", JoinInput, changes=False)
def join(actor, values: dict) -> dict:
    from meetcore.attendance.services import checks_in, connection_joined  # a seat's connection is attendance

    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    if not checks_in(actor):
        meeting_for(actor, meeting_id)  # a meeting that does not exist is refused (the check-in reads it)
    # Enter the rooms first: an event committed while we read is then either in what we send or
    # delivered after it (the client drops seq it already has).
    _enter_rooms(meeting_id, actor)
    first_join = _remember_joined_seat(actor)
    checked_in_at = connection_joined(actor, meeting_id, request.sid, request.environ, first=first_join)
    # The check-in commits before the snapshot is read: the snapshot is one consistent read of its own,
    # which starts a fresh transaction (meetcore.live.snapshot), or none when what every participant sees
    # at the seq the check-in locked is known already.
    transaction.commit()
    if first_join:
        session[ACTOR_KEY]["row"] = True
    if values["last_seq"] is not None:
        meeting = meeting_for(actor, meeting_id)  # read afresh: the commit expired what was read
        events = _replay(meeting, actor, values["last_seq"])
        if events is not None:
            return {"mode": "replay", "events": events, "last_seq": meeting.last_seq}
    # The check-in's own publication of the board, if it made one, is in the snapshot: the joiner sees itself.
    known_seq = seq_after_commit(meeting_id) or checked_in_at
    return {"mode": "snapshot", "snapshot": build_snapshot(meeting_id, actor, known_seq=known_seq)}
