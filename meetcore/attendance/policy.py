"""How attendance is counted: which meeting statuses record it, which kinds of interval a connection opens,
and the timings (grace for late arrivals, the board's publication interval, the heartbeat)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

log = logging.getLogger(__name__)


# Attendance is recorded from the roster's making until the meeting ends (before the start: the waiting room).
ATTENDING_STATUSES = ("draft", "scheduled", "live")
CONNECTION_KINDS = ("self", "substitute")
MISSED_BEATS = 3
TIMER_SLACK = timedelta(milliseconds=20)


# --- settings ------------------------------------------------------------------------------------------


def late_grace() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("MEETCORE_LATE_GRACE_MINUTES") or 15))


BOARD_SLOWEST = 10  # the board's interval grows with the room up to this many times the setting


def board_interval(present: int = 0) -> timedelta:
    """The least time between two publications of a board with `present` seats present: the setting, once
    per MEETCORE_BOARD_SEATS_PER_INTERVAL seats, at most BOARD_SLOWEST times the setting. A publication goes
    to everyone in the room, so its cost grows with the room: so does the interval, which keeps the board's
    share of the server's time the same whatever the room's size (staff see a big room's board a little
    later, and the counts stay exact)."""
    value = current_app.config.get("MEETCORE_BOARD_INTERVAL_MS")
    per_interval = current_app.config.get("MEETCORE_BOARD_SEATS_PER_INTERVAL")
    per_interval = int(250 if per_interval is None else per_interval)
    scale = min(max(present / per_interval, 1.0), BOARD_SLOWEST) if per_interval > 0 else 1.0
    return timedelta(milliseconds=int(500 if value is None else value) * scale)


def heartbeat_interval() -> float:
    value = current_app.config.get("MEETCORE_HEARTBEAT_SECONDS")
    return float(10 if value is None else value)
