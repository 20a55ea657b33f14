"""The floor enforced at Janus continuously (issue 16): every few seconds each process compares the
participants of every open room with the floor and kicks whoever publishes (or joined as a seat's or a
hall's publisher) without it, whatever way it got there: a page that missed the floor change, a second
device, a client that talks to Janus directly; and the pages of withdrawn links still there (a Janus that
was down when the link was withdrawn, meetcore.video.withdrawal). Enforcing after each floor change
(services.floor_changed) and after each withdrawal stays the fast path; this is the net under it.

Several app processes may all run the check: a kick is idempotent (Janus answers 428 for one that left).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from meetcore import signals
from meetcore.errors import DomainError
from meetcore.extensions import db, socketio
from meetcore.meetings.models import Meeting
from meetcore.transaction import unit_of_work
from meetcore.video import services, withdrawal
from meetcore.video.janus_api import JanusError
from meetcore.video.models import VideoRoom

log = logging.getLogger(__name__)

_watch: dict[str, bool] = {"started": False}


def check_interval() -> float:
    return float(current_app.config.get("MEETCORE_VIDEO_FLOOR_CHECK_SECONDS") or 0)


def check_open_rooms() -> dict[int, list[int]]:
    """One round: {meeting id: participant ids kicked} over the open rooms of live meetings. A Janus that
    cannot be reached is logged and passed over; the next round tries again."""
    if not services.video_enabled():
        return {}
    with unit_of_work():  # one round, a worker's step (it reads only): ended, so the next sees fresh rows
        return _check_round()


def _check_round() -> dict[int, list[int]]:
    meeting_ids = db.session.scalars(
        sa.select(VideoRoom.meeting_id)
        .join(Meeting, Meeting.id == VideoRoom.meeting_id)
        .where(VideoRoom.closed_at.is_(None), Meeting.status == "live")
    ).all()
    kicked = {}
    for meeting_id in meeting_ids:
        meeting = db.session.get(Meeting, meeting_id)
        try:
            ids = services.enforce_floor(meeting) + withdrawal.shut_out_withdrawn(meeting)
        except (JanusError, DomainError) as error:
            log.warning("video: floor check of meeting %s: %s", meeting_id, error)
            continue
        if ids:
            log.info("video: meeting %s: kicked %s (no floor, or a withdrawn link)", meeting_id, ids)
            kicked[meeting_id] = ids
    return kicked


def ensure_floor_watch() -> None:
    """Start this process's floor check (once). Not under TESTING: tests run check_open_rooms by hand."""
    app = current_app._get_current_object()
    if _watch["started"] or app.testing or check_interval() <= 0:
        return
    _watch["started"] = True
    socketio.start_background_task(_loop, app)


def _loop(app) -> None:
    with app.app_context():
        interval = check_interval()
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                check_open_rooms()
        except Exception:  # noqa: BLE001  (logged; the loop must outlive one bad round)
            log.exception("video: floor check failed")
        finally:
            with app.app_context():
                db.session.remove()


@signals.meeting_started.connect
def _watch_the_floor(meeting: Meeting, *, by) -> None:
    ensure_floor_watch()
