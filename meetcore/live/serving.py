"""The served process's connections (gevent's WSGI server, as `meetcore run` starts it)."""

from __future__ import annotations

import socket

from gevent import pywsgi


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
