"""The bare python-socketio baseline of bench/live_fanout.py: the same Socket.IO stack as `meetcore run`
(python-socketio in gevent mode on gevent's pywsgi, websocket only through simple-websocket, the same ping
settings, TCP_NODELAY on every connection as meetcore.live.serving sets it, gc.freeze() after start-up and
the same heap policy as the rooms grow, meetcore.live.heap) with no application around it.

    join {staff?}         enter the "staff" or the "participants" room; acknowledges {ok: true}; or carried
                          by the connect (auth.join), answered by a `joined` message, as MeetCore does
    broadcast {seq, ...}  emit the payload as it came, as an "event" message, to both rooms (the way
                          meetcore.live.broadcast emits a public event); acknowledges {ok: true, seq}

No database, no authentication, no validation: what is left is python-socketio's own cost of delivering
one message to every connection of a room.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402

from meetcore.live import heap  # noqa: E402
from meetcore.live.serving import NoDelayHandler  # noqa: E402

ROOMS = ["staff", "participants"]


def health(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def build() -> socketio.WSGIApp:
    sio = socketio.Server(
        async_mode="gevent",
        transports=["websocket"],
        cors_allowed_origins="*",
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=256 * 1024,
    )

    @sio.on("connect")
    def connect(sid, environ, auth=None):
        heap.connections_changed(len(sio.eio.sockets))
        if isinstance(auth, dict) and "join" in auth:  # the join carried by the connect, as MeetCore's
            sio.emit("joined", join(sid, auth["join"]), to=sid)

    @sio.on("disconnect")
    def disconnect(sid, reason=None):
        heap.connections_changed(len(sio.eio.sockets) - 1)

    @sio.on("join")
    def join(sid, data=None):
        staff = isinstance(data, dict) and bool(data.get("staff"))
        sio.enter_room(sid, ROOMS[0] if staff else ROOMS[1])
        return {"ok": True}

    @sio.on("broadcast")
    def broadcast(sid, data=None):
        sio.emit("event", data, to=ROOMS)
        return {"ok": True, "seq": data.get("seq") if isinstance(data, dict) else None}

    return socketio.WSGIApp(sio, wsgi_app=health)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = build()
    gc.collect()
    gc.freeze()
    heap.enable()
    pywsgi.WSGIServer(("127.0.0.1", args.port), app, log=None, handler_class=NoDelayHandler).serve_forever()


if __name__ == "__main__":
    main()
