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

    def get_environ(self):
        """A websocket's connection ends with it. pywsgi would go on reading it for a next HTTP request and
        take the client's last frames for one (its closing handshake among them, logged as an "Invalid HTTP
        method"): the client then waited in vain for the server's answer to its close, 3 s with
        python-socketio's client, before it gave up. Decided here, before the application runs, not after
        it returns: a method around the websocket's whole life cost every connection ~4 KiB of stack."""
        environ = super().get_environ()
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True
        return environ


def stop_on_sigterm(app: Flask) -> None:
    """SIGTERM (systemd's stop, a rolling restart) stops the process cleanly: its connections are closed (the
    pages reconnect to another process), the domains hear that it is stopping (attendance ends those
    connections' intervals at that moment, not at its last heartbeat), then the server stops. Without this,
    Python's default would end it at once."""
    from meetcore import signals
    from meetcore.database import utcnow
    from meetcore.extensions import db, socketio
    from meetcore.live import connections

    def stop() -> None:
        # The pages first, the record after: their intervals end when they lost this process, the moment
        # they start to reconnect elsewhere, however long the record's writing takes on a loaded machine.
        # Written first, a departure of a reconnect's length looked as long as the writing and the reconnect.
        left_at = utcnow()
        connections.stopping.set()  # the disconnect handlers leave the record to process_stopping
        try:
            _close_the_port(socketio.wsgi_server)
            socketio.server.eio.disconnect()
        except Exception:  # noqa: BLE001  (the server's stop closes what is left)
            log.exception("stopping: closing the connections failed")
        try:
            with app.app_context():
                signals.process_stopping.send(connections.PROCESS_ID, at=left_at)
                db.session.remove()
        except Exception:  # noqa: BLE001  (stopping goes on: the others' heartbeat sweeps what is left)
            log.exception("stopping: the domains' clean-up failed")
        try:
            socketio.stop()
        finally:
            os._exit(0)  # nothing else of this process may outlive the server (background greenlets)

    gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(stop))


def _close_the_port(server: pywsgi.WSGIServer) -> None:
    """New connections refused at once (a page's reconnect goes to another process, not into a backlog
    nobody reads), the server still running: its `close()` would end `serve_forever`, and the process with
    it, before the record is written."""
    server.stop_accepting()
    server.socket.close()
