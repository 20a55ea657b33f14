"""The served process's connections (gevent's WSGI server, as `meetcore run` starts it)."""

from __future__ import annotations

import logging
import os
import signal
import socket

import gevent
from flask import Flask
from gevent import pywsgi

log = logging.getLogger(__name__)


class NoDelayHandler(pywsgi.WSGIHandler):
    """Each connection with Nagle's algorithm off (TCP_NODELAY).

    A command's event and then its acknowledgement are two small websocket frames. With Nagle on, the
    second waits until the client acknowledges the first, which Linux delays by up to 40 ms: every
    secretariat command would be acknowledged some 40 ms late (48 ms in bench/live_fanout.py's drivers).
    """

    def handle(self):
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not TCP (a Unix socket): nothing to turn off
            pass
        return super().handle()


def stop_on_sigterm(app: Flask) -> None:
    """SIGTERM (systemd's stop, a rolling restart) stops the process cleanly: the domains hear that it is
    stopping (attendance ends its connections' intervals now, not at its last heartbeat), then the server
    stops and its pages reconnect to another process. Without this, Python's default would end it at once."""
    from meetcore import signals
    from meetcore.extensions import db, socketio
    from meetcore.live.connections import PROCESS_ID

    def stop() -> None:
        try:
            with app.app_context():
                signals.process_stopping.send(PROCESS_ID)
                db.session.remove()
        except Exception:  # noqa: BLE001  (stopping goes on: the others' heartbeat sweeps what is left)
            log.exception("stopping: the domains' clean-up failed")
        try:
            socketio.stop()
        finally:
            os._exit(0)  # nothing else of this process may outlive the server (background greenlets)

    gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(stop))
