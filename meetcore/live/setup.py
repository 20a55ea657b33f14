"""Socket.IO wiring: one server per process, websocket only, Redis between processes when configured."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from meetcore.extensions import socketio


def _allowed_origins(app: Flask) -> list[str]:
    base = urlsplit(app.config["MEETCORE_BASE_URL"])
    origins = {f"{base.scheme}://{base.netloc}"}
    host, port = app.config["MEETCORE_HOST"], app.config["MEETCORE_PORT"]
    origins |= {f"http://{host}:{port}", f"http://127.0.0.1:{port}", f"http://localhost:{port}"}
    return sorted(origins)


def init_live(app: Flask) -> None:
    from meetcore.actions import events as action_events  # noqa: F401
    from meetcore.agenda import events as agenda_events  # noqa: F401  (handlers register themselves)
    from meetcore.attendance import events as attendance_events  # noqa: F401
    from meetcore.floor import events as floor_events  # noqa: F401
    from meetcore.live import broadcast, events  # noqa: F401
    from meetcore.meetings import events as meeting_events  # noqa: F401
    from meetcore.minutes import events as minutes_events  # noqa: F401

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
