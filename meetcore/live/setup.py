"""Socket.IO wiring: one server per process, websocket only, Redis between processes when configured."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from flask import Flask

from meetcore.extensions import socketio


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
)


def import_handlers() -> None:
    """Every domain's socket handlers register themselves (and their COMMANDS entry) when imported."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def init_live(app: Flask) -> None:
    from meetcore.eventlog import services as eventlog
    from meetcore.live import broadcast

    import_handlers()
    socketio.init_app(
        app,
        async_mode=app.config["MEETCORE_ASYNC_MODE"],
        message_queue=app.config["MEETCORE_REDIS_URL"],
        channel=app.config["MEETCORE_SOCKETIO_CHANNEL"],
        transports=["websocket"],
        cors_allowed_origins=_allowed_origins(app),
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=256 * 1024,
    )
    broadcast.install()
    eventlog.install()
