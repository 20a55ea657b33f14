"""The served process's connections: Nagle's algorithm off, so a command's acknowledgement is not held
back behind the event sent just before it."""

from __future__ import annotations

import socket

import pytest
from gevent import pywsgi

from meetcore.live.serving import NoDelayHandler


@pytest.fixture()
def accepted():
    """A real TCP connection on the loopback: the server's end of it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()):
            connection, address = listener.accept()
            with connection:
                yield connection, address


def test_each_served_connection_has_nagle_off(accepted, monkeypatch):
    connection, address = accepted
    served = []
    monkeypatch.setattr(pywsgi.WSGIHandler, "handle", lambda self: served.append(self.socket))
    assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    NoDelayHandler(connection, address, server=None).handle()
    assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    assert served == [connection]  # and then served as any connection


def test_the_run_command_serves_with_it_in_gevent_mode(app_ctx, monkeypatch):
    import gc

    from meetcore.extensions import socketio
    from meetcore.live import heap

    calls = []
    monkeypatch.setattr(socketio, "async_mode", "gevent")
    monkeypatch.setattr(socketio, "run", lambda app, **options: calls.append(options))
    monkeypatch.setattr(heap, "enable", lambda: None)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # not the test process's heap
    result = app_ctx.test_cli_runner().invoke(args=["run", "--port", "5999"])
    assert result.exit_code == 0, result.output
    [options] = calls
    assert options["handler_class"] is NoDelayHandler and options["port"] == 5999
