"""Prometheus metrics of this process (prometheus_client). With PROMETHEUS_MULTIPROC_DIR set (every
process of one machine pointing at the same empty folder, deploy/env/meetcore.env) each process writes its
values there and any process's /metrics answers for all of them; without it, for itself.

Below every domain (it imports no part of MeetCore): the live command wrapper, the broadcast, the mail
sender and the reply ingest each call one function here."""

from __future__ import annotations

import functools
import glob
import os
import socket
import time
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client import multiprocess as _multiprocess

from meetcore.operations.logs import new_id, set_log_id

PROCESS = f"{socket.gethostname()}:{os.getpid()}"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

CONNECTIONS = Gauge("meetcore_live_connections", "Live connections in a meeting, per app process",
                    ["meeting", "process"], multiprocess_mode="livesum")  # fmt: skip
COMMANDS = Counter("meetcore_live_commands", "Live commands answered, by command and outcome",
                   ["command", "outcome"])  # fmt: skip
COMMAND_SECONDS = Histogram("meetcore_live_command_seconds", "Time from a live command to its answer",
                            ["command"], buckets=LATENCY_BUCKETS)  # fmt: skip
BROADCAST_DELAY = Histogram("meetcore_broadcast_delay_seconds",
                            "Time from a meeting event's recording to its broadcast", buckets=LATENCY_BUCKETS)
MAIL = Counter("meetcore_mail_messages", "Outbox messages the sender tried, by result", ["result"])
REPLIES = Counter("meetcore_calendar_replies", "Calendar replies read, by outcome", ["outcome"])
HTTP_REQUESTS = Counter("meetcore_http_requests", "HTTP requests answered, by status class", ["status"])
HTTP_SECONDS = Histogram("meetcore_http_request_seconds", "Time to answer an HTTP request",
                         buckets=LATENCY_BUCKETS)  # fmt: skip
POOL_CHECKED_OUT = Gauge("meetcore_db_pool_checked_out", "Database connections in use, per app process",
                         ["process"], multiprocess_mode="livesum")  # fmt: skip
POOL_SIZE = Gauge("meetcore_db_pool_size", "Database connection pool size, per app process", ["process"],
                  multiprocess_mode="liveall")  # fmt: skip


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def forget_dead_processes() -> None:
    """The live gauges of processes that have ended (a restart, a crash) stop counting: their files go."""
    folder = multiprocess_dir()
    if not folder:
        return
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        pid = int(path.rpartition("_")[2].removesuffix(".db"))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _multiprocess.mark_process_dead(pid, folder)
        except PermissionError:  # alive, another user's
            pass


# --- hooks called from the domains -----------------------------------------------------------------------


def observed_command(handler):
    """Wrap a live command's handler: it gets a command id for its log lines, and its answer is counted."""

    @functools.wraps(handler)
    def run(*args, **kwargs):
        set_log_id(new_id())
        started = time.perf_counter()
        answer = handler(*args, **kwargs)
        command = run.__name__  # read now: live_command names the handler after wrapping it
        COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)
        error = (answer or {}).get("error") if isinstance(answer, dict) else None
        outcome = "ok" if not error else ("error" if error.get("code") == "internal_error" else "refused")
        COMMANDS.labels(command, outcome).inc()
        return answer

    return run


def join_counted(room: str) -> None:
    """Join this connection to a meeting's room (flask_socketio.join_room), counted once per connection.
    Whether it is in already is asked of the room (flask_socketio.rooms() walks every room of the server,
    one per connection: a join's cost would grow with the meeting)."""
    from flask import request
    from flask_socketio import join_room

    from meetcore.extensions import socketio

    members = socketio.server.manager.rooms.get(request.namespace or "/", {}).get(room)
    if members is None or request.sid not in members:
        meeting = str(room).split(":")[1]
        CONNECTIONS.labels(meeting, PROCESS).inc()
    join_room(room)


def connection_left(rooms) -> None:
    """A connection ended: it leaves the meetings whose rooms it was in (meeting:<id>:<audience>)."""
    for room in rooms or ():
        parts = str(room).split(":")
        if len(parts) == 3 and parts[0] == "meeting":
            CONNECTIONS.labels(parts[1], PROCESS).dec()


def event_broadcast(message: dict) -> None:
    at = message.get("at")
    if at:
        recorded = datetime.fromisoformat(at)
        recorded = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
        BROADCAST_DELAY.observe(max(0.0, (datetime.now(UTC) - recorded).total_seconds()))


def mail_batch_done(report) -> None:
    for result in ("sent", "deferred", "failed"):
        count = getattr(report, result, 0)
        if count:
            MAIL.labels(result).inc(count)


def reply_read(outcome: str) -> None:
    REPLIES.labels(outcome).inc()
