"""The connection quality of each endpoint (issue 16, item 5): every live page measures its line with the
browser's getStats (static/src/video-quality.js) and reports it every few seconds as a small live command;
the secretariat's console shows each site's quality live (good / weak / bad, with the figures), so it
knows which province is struggling before it says so.

A report is the endpoint's own: the command names no seat, the connection's actor is the endpoint (a raw
client cannot report for another seat). The latest report is kept on the endpoint's VideoEndpoint row;
the staff-only event "video.quality" (carrying the endpoint's resulting quality) is written when the level
changes, or at most every ANNOUNCE_SECONDS otherwise, so 76 provinces reporting every 5 s do not flood the
meeting's log.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.auth.permissions import STAFF
from meetcore.database import utcnow
from meetcore.errors import Conflict, DomainError
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.video import services, sessions
from meetcore.video.models import VideoEndpoint

MIN_INTERVAL_SECONDS = 2
ANNOUNCE_SECONDS = 15
# Thresholds of the levels: what a video call still bears (weak), and where speech breaks up (bad).
WEAK = {"loss": 0.03, "rtt_ms": 300}
BAD = {"loss": 0.10, "rtt_ms": 800}
LEVELS = ("good", "weak", "bad")


class TooOften(DomainError):
    code = "too_often"
    status = 429
    default_message = _l("The connection quality is reported at most once every %(n)s seconds.",
                         n=MIN_INTERVAL_SECONDS)  # fmt: skip


def level_of(figures: dict) -> str:
    """good / weak / bad from the packet loss and the round-trip time (the bitrate depends on what is
    received, audio only or video, so it is shown but does not grade the line)."""
    rtt = figures.get("rtt_ms") or 0
    if figures["loss"] >= BAD["loss"] or rtt >= BAD["rtt_ms"]:
        return "bad"
    if figures["loss"] >= WEAK["loss"] or rtt >= WEAK["rtt_ms"]:
        return "weak"
    return "good"


def _quality_out(endpoint: services.Endpoint, figures: dict, at) -> dict:
    return {"endpoint": endpoint.key, "kind": endpoint.kind, "display": endpoint.display,
            "level": level_of(figures), **figures, "at": at.isoformat()}  # fmt: skip


def report_quality(meeting: Meeting, figures: dict, *, by) -> dict:
    """Keep the asking endpoint's line quality (validated figures: bitrate_in, bitrate_out, loss, rtt_ms,
    audio_only); announce it to the staff when its level changed or the last announcement is old."""
    endpoint = services.endpoint_of(by, meeting)  # a staff account, or a seat or site of this meeting
    if meeting.status != "live":
        raise Conflict(_l("The connection quality is reported while the meeting is in session."))
    now = utcnow()
    row = sessions._row(meeting, endpoint.key, create=True)
    db.session.flush()
    row = db.session.execute(
        sa.select(VideoEndpoint).where(VideoEndpoint.id == row.id).with_for_update()
    ).scalar_one()  # two pages of one endpoint (a takeover in progress): one report at a time
    if row.quality_at is not None and now - row.quality_at < timedelta(seconds=MIN_INTERVAL_SECONDS):
        raise TooOften()
    previous = row.quality or {}
    quality = _quality_out(endpoint, figures, now)
    row.quality, row.quality_at = quality, now
    stale = row.quality_announced_at is None or now - row.quality_announced_at >= timedelta(
        seconds=ANNOUNCE_SECONDS
    )
    changed = previous.get("level") != quality["level"] or previous.get("audio_only") != figures["audio_only"]
    if stale or changed:
        row.quality_announced_at = now
        record_event(meeting, "video.quality", {"endpoint": endpoint.key, "quality": quality}, by=by)
    db.session.flush()
    return quality


def quality_board(meeting: Meeting, *, reader) -> dict[str, dict] | None:
    """Every endpoint's latest quality, by endpoint key, for the staff; None for anyone else."""
    if getattr(reader, "role", None) not in STAFF:
        return None
    rows = db.session.scalars(
        sa.select(VideoEndpoint).where(
            VideoEndpoint.meeting_id == meeting.id, VideoEndpoint.quality_at.is_not(None)
        )
    )
    return {row.endpoint: row.quality for row in rows if row.quality}
