"""Watching the Janus servers from each app process, so that a restarted Janus gets its rooms back without
waiting for a page to ask.

Janus keeps rooms in memory only: after a restart a live meeting has no room, and the floor cannot be
enforced there ("No such room"). Each app process holds one Janus session per configured server and keeps it
alive every MEETCORE_JANUS_WATCH_SECONDS. While the session answers, the server has not restarted. When it
stops answering (the server restarted: "no such session"; or it is down), the watcher makes a new session as
soon as the server answers again, and then restores the open rooms of the live meetings placed on it
(meetcore.video.services.restore_rooms: the room again, the floor, and "video.restored" for the browsers).
A process seeing a server for the first time (its start) restores too: the rooms are found there, and
nothing is told.
"""

from __future__ import annotations

import logging

from flask import current_app

from meetcore.actors import SYSTEM_VIDEO, act_as_system
from meetcore.extensions import socketio
from meetcore.transaction import discard, unit_of_work
from meetcore.video import services
from meetcore.video.janus_api import JanusError

log = logging.getLogger(__name__)


class JanusWatch:
    """This process's sessions at the Janus servers, and what a round of checks restores."""

    def __init__(self):
        self.sessions: dict[str, int] = {}

    def returned(self, url: str) -> bool:
        """Whether the server answers now on a new session (it restarted, came back, or is seen for the
        first time); False while the old session lives, or while the server is down."""
        server = services.janus_server(url)
        session = self.sessions.get(url)
        if session is not None:
            try:
                server.keepalive(session)
                return False
            except JanusError:
                del self.sessions[url]
        try:
            self.sessions[url] = server.create_session()
        except JanusError:
            return False  # down: nothing to restore until it answers
        return True

    def check(self) -> list[int]:
        """One round over the configured servers: the meetings whose room was made again. Each server's
        restoration is a unit of work of its own (a worker's step)."""
        restored = []
        for url in services.janus_urls():
            if not self.returned(url):
                continue
            try:
                with unit_of_work():
                    restored += services.restore_rooms(url)
            except JanusError as error:  # it went away again (rolled back): the next round starts over
                self.sessions.pop(url, None)
                log.warning("video: restoring the rooms of %s: %s", url, error)
        return restored


def watch_interval() -> float:
    return float(current_app.config.get("MEETCORE_JANUS_WATCH_SECONDS") or 0)


def start_janus_watch(app) -> bool:
    """Start this process's watcher (a background task); not without Janus or with an interval of 0."""
    with app.app_context():
        interval = watch_interval() if services.video_enabled() else 0
    if interval <= 0:
        return False
    socketio.start_background_task(_watch_loop, app, interval)
    return True


def _watch_loop(app, interval: float) -> None:
    watch = JanusWatch()
    while True:
        try:
            with app.app_context():
                act_as_system(SYSTEM_VIDEO)
                watch.check()
        except Exception:  # noqa: BLE001  (logged; the next round tries again)
            log.exception("video: watching the Janus servers")
            with app.app_context():
                discard()
        socketio.sleep(interval)
