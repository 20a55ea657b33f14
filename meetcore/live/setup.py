"""Socket.IO wiring: one server per process, websocket only, Redis between processes when configured."""

from __future__ import annotations

import functools
import importlib
import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from flask.sessions import SecureCookieSessionInterface
from socketio import packet as socketio_packet

from meetcore.extensions import socketio

log = logging.getLogger(__name__)


def _allowed_origins(app: Flask) -> list[str]:
    base = urlsplit(app.config["MEETCORE_BASE_URL"])
    origins = {f"{base.scheme}://{base.netloc}"}
    host, port = app.config["MEETCORE_HOST"], app.config["MEETCORE_PORT"]
    origins |= {f"http://{host}:{port}", f"http://127.0.0.1:{port}", f"http://localhost:{port}"}
    return sorted(origins)


HANDLER_MODULES = (
    "meetcore.live.events",
    "meetcore.meetings.events",
    "meetcore.agenda.events",
    "meetcore.attendance.events",
    "meetcore.floor.events",
    "meetcore.minutes.events",
    "meetcore.actions.events",
    "meetcore.polls.live",
    "meetcore.video.events",
)


def import_handlers() -> None:
    """Every domain's socket handlers register themselves (and their COMMANDS entry) when imported."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)


# Names a client can emit that Socket.IO would hand to a lifecycle handler (a seat's emitted "disconnect"
# took it off the attendance board while it stayed connected, issue 13), or to the catch-all as its own.
LIFECYCLE_EVENTS = frozenset({"connect", "connect_error", "disconnect", "*"})
REFUSED_PREFIX = "refused:"
# What one command may carry; a bigger packet (up to what Engine.IO accepts at all) is answered with a
# payload_too_large error instead of being read. Bigger frames than TRANSPORT_LIMIT close the connection.
PACKET_LIMIT = 256 * 1024
TRANSPORT_LIMIT = 2 * 1024 * 1024
TOO_LARGE = "payload_too_large"  # the internal event an oversized command becomes
_oversized: set[str] = set()  # Engine.IO sids whose packet being handled now was oversized


def refuse_lifecycle_names(server) -> None:
    """Client events named like a lifecycle event (or not named by a string) never reach those handlers:
    they are renamed out of the way, so that the catch-all handler answers them as unknown events."""
    handle_event = server._handle_event

    def guarded(eio_sid, namespace, id, data):
        name = data[0] if data else None
        if name == TOO_LARGE and eio_sid in _oversized:
            _oversized.discard(eio_sid)
            return handle_event(eio_sid, namespace, id, data)
        if not isinstance(name, str) or name in LIFECYCLE_EVENTS or name == TOO_LARGE or name.startswith(
            REFUSED_PREFIX
        ):
            data = [f"{REFUSED_PREFIX}{name}", *data[1:]] if data else [f"{REFUSED_PREFIX}"]
        return handle_event(eio_sid, namespace, id, data)

    server._handle_event = guarded


def drop_malformed_packets(server) -> None:
    """A packet that cannot be decoded (broken framing, JSON nested past the parser's depth, a number with
    thousands of digits) is dropped with one line in the log, not a traceback (issue 13); the connection
    stays."""
    handle_message = server._handle_eio_message

    def guarded(eio_sid, data):
        if isinstance(data, (str, bytes)) and len(data) > PACKET_LIMIT:
            data = _refusal_of_oversized(eio_sid, data)
            if data is None:
                return None
        try:
            return handle_message(eio_sid, data)
        except (ValueError, TypeError, RecursionError, KeyError, IndexError) as error:
            log.warning("dropped a malformed packet from %s: %s", eio_sid, type(error).__name__)

    server._handle_eio_message = guarded
    server.eio.on("message", guarded)  # Engine.IO keeps the handler it was given at start-up


def _refusal_of_oversized(eio_sid: str, data: str | bytes) -> str | None:
    """An oversized event packet, unread: the same acknowledgement id asking for the payload_too_large
    answer (meetcore.live.events), or None (dropped, logged) when it wants no acknowledgement."""
    head = data[:64].decode("latin-1") if isinstance(data, bytes) else data[:64]
    namespace, ack_id = "", ""
    if head.startswith("2"):  # a Socket.IO EVENT packet (Engine.IO took off its own "4")
        rest = head[1:]
        if rest.startswith("/"):
            namespace, _, rest = rest.partition(",")
            namespace += ","
        ack_id = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    log.warning("refused a packet of %d bytes from %s", len(data), eio_sid)
    if not ack_id:
        return None
    _oversized.add(eio_sid)
    return f'2{namespace}{ack_id}["{TOO_LARGE}"]'


class JSONPacket(socketio_packet.Packet):
    """Socket.IO packets as MeetCore sends them: JSON, never binary attachments (docs/protocol.md). The
    library walks every payload it sends, item by item, looking for bytes: for a join's snapshot that walk
    cost more than encoding it. A payload with bytes in it now fails to encode (TypeError) instead of
    going out as a binary event. What clients send is read as before."""

    @classmethod
    def data_is_binary(cls, data) -> bool:
        return False


class LiveSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, but for a live connection's events after its first: Flask opens the cookie
    session anew for every event's request context (parsing the cookies, checking the signature), only for
    Flask-SocketIO to put the connection's own copy in its place (kept in the environ since the first
    event). That copy is what the event gets either way, so it is given at once (issue 18: a join's two
    events paid for the cookie twice)."""

    def open_session(self, app: Flask, request):
        kept = request.environ.get("saved_session")
        if kept is not None:
            return kept
        return super().open_session(app, request)


def _placeholder_interval(app: Flask) -> float:
    """Seconds within which the participants' placeholders of staff-only events go as one (read each time:
    the setting may change while the app runs, in tests). The app of the delivery's own context when it
    has one: the Socket.IO server is the extension's, made by the last app initialised in this process,
    which in a test process need not be the app that runs the command (a test then read another app's
    interval, 1 s, and a burst that took longer on a loaded machine was cut in two)."""
    config = current_app.config if has_app_context() else app.config
    value = config.get("MEETCORE_PLACEHOLDER_INTERVAL_MS")
    return int(1000 if value is None else value) / 1000


def _client_manager(app: Flask) -> dict:
    """Socket.IO's client manager: ours, which coalesces the participants' placeholders
    (meetcore.live.placeholders), and with Redis set the queue between processes (meetcore.live.queue)."""
    from meetcore.live.broadcast import asked_by_another_process
    from meetcore.live.heads import announce_soon
    from meetcore.live.placeholders import LocalManager
    from meetcore.live.queue import MessageQueue

    interval = functools.partial(_placeholder_interval, app)
    url = app.config["MEETCORE_REDIS_URL"]
    if not url:
        return {"client_manager": LocalManager(interval)}
    channel, timeout_ms = app.config["MEETCORE_SOCKETIO_CHANNEL"], app.config["MEETCORE_REDIS_TIMEOUT_MS"]
    recovered = functools.partial(announce_soon, app)  # tell this process's clients the heads
    return {"client_manager": MessageQueue(url, channel, timeout_ms, on_recovery=recovered,
                                           placeholder_interval=interval,
                                           on_request=asked_by_another_process)}  # fmt: skip


def init_live(app: Flask) -> None:
    from meetcore.eventlog import services as eventlog
    from meetcore.live import broadcast

    import_handlers()
    socketio.init_app(
        app,
        async_mode=app.config["MEETCORE_ASYNC_MODE"],
        **_client_manager(app),
        transports=["websocket"],
        cors_allowed_origins=_allowed_origins(app),
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=TRANSPORT_LIMIT,
        serializer=JSONPacket,
    )
    app.session_interface = LiveSessionInterface()
    refuse_lifecycle_names(socketio.server)
    drop_malformed_packets(socketio.server)
    broadcast.install()
    eventlog.install()
