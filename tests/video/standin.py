"""A Janus stand-in on loopback (tests/video/test_janus_outside_writes.py): the HTTP API's sessions and the
VideoRoom requests the app makes, answered at once; or one request held until the test releases it (a slow
Janus); or every request refused as by a Janus that is down. It keeps the rooms, the participants and the
requests it was asked, so that a test can look at what the app did at Janus."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_SECONDS = 60  # a held request is answered at the latest then, so that a failing test ends


class JanusStandIn:
    def __init__(self):
        self.rooms: set[int] = set()
        self.participants: list[dict] = []
        self.requests: list[str] = []  # the VideoRoom requests, in order
        self.bodies: list[dict] = []  # and their bodies
        self.sessions: set[int] = set()
        self.down = False
        self.hold: tuple[str, int] | None = None  # (request, its n-th time): held until released
        self.held = threading.Event()
        self.release = threading.Event()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/janus"

    def restart(self) -> None:
        """As a restarted Janus: its rooms and sessions are gone."""
        with self._lock:
            self.rooms.clear()
            self.sessions.clear()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, message: dict) -> dict:
        parts = [part for part in path.split("/") if part][1:]  # after "janus"
        kind = message.get("janus")
        if not parts and kind == "create":
            return self._new_session()
        if len(parts) == 1 and int(parts[0]) not in self.sessions:
            return {"janus": "error", "error": {"code": 458, "reason": "No such session"}}
        if len(parts) == 1:
            if kind == "destroy":
                self.sessions.discard(int(parts[0]))
            data = {"id": next(self._ids)} if kind == "attach" else {}
            return {"janus": "success", "data": data}
        body = message.get("body") or {}
        return {"janus": "success", "plugindata": {"plugin": "janus.plugin.videoroom",
                                                   "data": self._videoroom(body)}}  # fmt: skip

    def _new_session(self) -> dict:
        session = next(self._ids)
        self.sessions.add(session)
        return {"janus": "success", "data": {"id": session}}

    def _videoroom(self, body: dict) -> dict:
        request = body.get("request")
        with self._lock:
            self.requests.append(request)
            self.bodies.append(body)
            times = self.requests.count(request)
        if self.hold == (request, times):
            self.held.set()
            self.release.wait(HOLD_SECONDS)
        room = body.get("room")
        if request == "create":
            if room in self.rooms:
                return {"videoroom": "event", "error_code": 427, "error": "Room exists"}
            self.rooms.add(room)
            return {"videoroom": "created", "room": room}
        if room not in self.rooms:
            return {"videoroom": "event", "error_code": 426, "error": "No such room"}
        if request == "listparticipants":
            return {"videoroom": "participants", "room": room, "participants": list(self.participants)}
        if request == "kick":
            kept = [p for p in self.participants if p["id"] != body.get("id")]
            if len(kept) == len(self.participants):
                return {"videoroom": "event", "error_code": 428, "error": "No such user"}
            self.participants = kept
        return {"videoroom": "success"}


def _handler(stand_in: JanusStandIn):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            message = json.loads(self.rfile.read(length) or b"{}")
            if stand_in.down:  # as a Janus that is down behind its proxy: no answer of Janus's
                self.send_error(503)
                return
            payload = json.dumps(stand_in.answer(self.path, message)).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the app gave up waiting (its HTTP timeout): nobody to answer
                pass

        def log_message(self, *_args):  # quiet
            pass

    return Handler
