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


def board_interval() -> timedelta:
    value = current_app.config.get("MEETCORE_BOARD_INTERVAL_MS")
    return timedelta(milliseconds=int(500 if value is None else value))


def heartbeat_interval() -> float:
    value = current_app.config.get("MEETCORE_HEARTBEAT_SECONDS")
    return float(10 if value is None else value)
