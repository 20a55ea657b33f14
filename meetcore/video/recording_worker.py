"""The recording worker: composes each ended meeting's pieces into one playable file (issue 16, item 6).

A meeting's RecordingBuild row is queued when the meeting ends. A worker claims it with one conditional
UPDATE (queued, or processing under a lease nobody renewed for MEETCORE_VIDEO_RECORDING_LEASE_SECONDS), so
two workers never build the same meeting at once; it renews the lease with every progress report, and a
worker that finds its lease taken stops its ffmpeg. A worker that dies leaves the row `processing`: the next
worker takes it over when the lease runs out and builds it again from the start; a worker asked to stop
(SIGTERM: a restart) puts its build back in the queue at once. The file is written under
a temporary name and renamed into place (meeting-<id>.webm in the room's recordings folder), so building
twice leaves one file, and a reader never sees half of one.

Where it runs: the process that ended the meeting starts it beside the request
(process_recordings_later, below) unless MEETCORE_VIDEO_RECORDING_IN_APP=0, and
`meetcore video compose --loop` runs it as a service of its own. docs/recordings.md has the costs.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from meetcore import signals
from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.transaction import unit_of_work
from meetcore.video.composition import (
    Layout,
    NothingToCompose,
    chair_studios,
    chapters_metadata,
    compose_command,
    read_session,
    session_pieces,
)
from meetcore.video.models import RecordingBuild, VideoRecording
from meetcore.video.recordings import process_recordings
from meetcore.video.services import meeting_ended, room_of
from meetcore.workers import claim_first, drain, run_rounds

log = logging.getLogger(__name__)

REPORT_EVERY = 2.0  # seconds between two progress reports (each renews the lease)


class ComposeFailed(Exception):
    """ffmpeg ended with an error (its last lines are the message)."""


class LeaseLost(Exception):
    """Another worker took the build over: this one stops."""


class WorkerStopping(Exception):
    """The worker was asked to stop (SIGTERM, Ctrl-C): its build goes back to the queue."""


# --- the queue (a service: flushes; the caller commits) --------------------------------------------------


def queue_build(meeting: Meeting, *, again: bool = False) -> RecordingBuild:
    """The meeting's build, queued if it has none; `again` queues a finished or failed one once more."""
    build = db.session.scalar(sa.select(RecordingBuild).where(RecordingBuild.meeting_id == meeting.id))
    if build is None:
        build = RecordingBuild(meeting_id=meeting.id, state="queued", progress=0, attempts=0, chapters=[])
        db.session.add(build)
    elif again and build.state in ("done", "failed"):
        build.state, build.progress, build.error = "queued", 0, None
    db.session.flush()
    return build


def lease_seconds() -> int:
    return int(current_app.config.get("MEETCORE_VIDEO_RECORDING_LEASE_SECONDS") or 120)


def _claimable():
    stale = utcnow() - timedelta(seconds=lease_seconds())
    return sa.or_(
        RecordingBuild.state == "queued",
        sa.and_(RecordingBuild.state == "processing", RecordingBuild.claimed_at < stale),
    )


def claim_next(token: str, meeting_id: int | None = None) -> int | None:
    """One build claimed for this worker (committed at once), or None when nothing waits."""
    claim = {"state": "processing", "claimed_by": token, "claimed_at": utcnow(), "progress": 0, "error": None,
             "attempts": RecordingBuild.attempts + 1}  # fmt: skip
    only = None if meeting_id is None else RecordingBuild.meeting_id == meeting_id
    return claim_first(RecordingBuild, _claimable(), claim, only)


def _ours(build_id: int, token: str):
    return sa.update(RecordingBuild).where(
        RecordingBuild.id == build_id,
        RecordingBuild.claimed_by == token,
        RecordingBuild.state == "processing",
    )


def _report(build_id: int, token: str, **values) -> bool:
    """Write the build's progress (or outcome) if it is still this worker's; False when it is not."""
    with unit_of_work():
        return db.session.execute(_ours(build_id, token).values(**values)).rowcount == 1


# --- one build ----------------------------------------------------------------------------------------


def _layout(config) -> Layout:
    width, _, height = str(config["MEETCORE_VIDEO_RECORDING_SIZE"]).partition("x")
    return Layout(int(width) // 2 * 2, int(height) // 2 * 2, int(config["MEETCORE_VIDEO_RECORDING_FPS"]))


def _encoder(config) -> list[str]:
    """VP8 in real-time mode on one thread (libvpx's own threads spin on a busy machine), Opus audio."""
    return [
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-threads",
        "1",
        "-b:v",
        str(config["MEETCORE_VIDEO_RECORDING_BITRATE"]),
        "-c:a",
        "libopus",
        "-b:a",
        "48k",
    ]


def probe_duration(path: Path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return float(result.stdout.strip())


def run_ffmpeg(command: list[str], duration: float, report, stopping=None) -> None:
    """Run the composition, calling report(percent) every REPORT_EVERY seconds (report False: the lease is
    lost, stop) and stopping() at each of ffmpeg's progress lines (twice a second; True: the worker stops)."""
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        reported = time.monotonic()
        try:
            for line in process.stdout:
                if stopping is not None and stopping():
                    raise WorkerStopping()
                key, _, value = line.strip().partition("=")
                if key != "out_time_us" or not value.isdigit() or time.monotonic() - reported < REPORT_EVERY:
                    continue
                reported = time.monotonic()
                if not report(min(99, int(int(value) / 1e6 / duration * 100))):
                    raise LeaseLost()
        except BaseException:  # this worker stops (lease lost, SIGTERM): its ffmpeg stops with it
            process.kill()
            process.wait()
            raise
        code = process.wait()
        if code != 0:
            errors.seek(0)
            raise ComposeFailed(errors.read()[-2000:] or f"ffmpeg exited with {code}")


def _plan(build_id: int):
    """The meeting's pieces made playable (janus-pp-rec, once) and what to compose from them."""
    with unit_of_work():
        build = db.session.get(RecordingBuild, build_id)
        meeting = db.session.get(Meeting, build.meeting_id)
        room = room_of(meeting)
        if room is None or not room.rec_dir:
            raise NothingToCompose("the meeting's video was not recorded")
        process_recordings(meeting)
        session = read_session(meeting)
        rows = list(
            db.session.scalars(sa.select(VideoRecording).where(VideoRecording.meeting_id == meeting.id))
        )
        pieces = session_pieces(session, rows, Path(room.rec_dir), chair_studios(meeting, rows))
        if not pieces:
            raise NothingToCompose("no recorded piece lies within the session")
        return meeting.id, Path(room.rec_dir), session, pieces


def build_recording(app: Flask, build_id: int, token: str, stop=None) -> None:
    """Compose one claimed build; its row ends done, failed, (lease lost) someone else's, or (the worker
    asked to stop: SIGTERM) queued again for the next worker."""
    part = None

    def report(percent: int) -> bool:
        return _report(build_id, token, progress=percent, claimed_at=utcnow())

    try:
        meeting_id, folder, session, pieces = _plan(build_id)
        target = folder / f"meeting-{meeting_id}.webm"
        for left in folder.glob(f".meeting-{meeting_id}.*"):  # what a worker that died left half-written
            left.unlink(missing_ok=True)
        part = folder / f".meeting-{meeting_id}.{token}.part"
        metadata = folder / f".meeting-{meeting_id}.{token}.chapters"
        metadata.write_text(chapters_metadata(session.chapters), encoding="utf-8")
        command = compose_command(session, pieces, _layout(app.config), metadata, part, _encoder(app.config))
        try:
            run_ffmpeg(command, session.duration, report, stop.is_set if stop is not None else None)
        finally:
            metadata.unlink(missing_ok=True)
        os.replace(part, target)  # the same name each time: building again replaces, never adds
        _report(
            build_id,
            token,
            state="done",
            progress=100,
            file_name=target.name,
            claimed_by=None,
            duration_seconds=probe_duration(target),
            finished_at=utcnow(),
            chapters=[chapter.as_dict() for chapter in session.chapters],
        )
    except LeaseLost:
        log.warning("video: recording build %s was taken over by another worker", build_id)
    except Exception as error:  # noqa: BLE001  (kept on the row: the recordings page shows it)
        if stop is not None and stop.is_set():  # a stop (SIGTERM reaches ffmpeg too): not the build's fault
            log.info("video: recording build %s put back in the queue: the worker stops", build_id)
            _report(build_id, token, state="queued", progress=0, claimed_by=None, claimed_at=None)
            return
        log.exception("video: recording build %s failed", build_id)
        _report(
            build_id, token, state="failed", error=str(error)[:2000], claimed_by=None, finished_at=utcnow()
        )
    finally:
        if part is not None:
            part.unlink(missing_ok=True)


def run_once(app: Flask, *, meeting_id: int | None = None, stop: threading.Event | None = None) -> int:
    """Build every recording waiting (or only this meeting's); the number built or failed."""
    return drain(app, lambda token: claim_next(token, meeting_id),
                 lambda build_id, token: build_recording(app, build_id, token, stop), stop)  # fmt: skip


def run_forever(app: Flask, *, interval: float | None = None, stop: threading.Event | None = None) -> None:
    """`meetcore video compose --loop`: a round every interval; a failing round is logged, not fatal."""
    interval = interval if interval is not None else float(app.config["MEETCORE_VIDEO_RECORDING_INTERVAL"])
    stop = stop or threading.Event()
    run_rounds(lambda: run_once(app, stop=stop), interval, "recording worker", stop)


# --- after the meeting ---------------------------------------------------------------------------------


def process_recordings_later(meeting: Meeting) -> None:
    """janus-pp-rec can take minutes after a long meeting: it runs beside the request (a greenlet, or a
    thread in threading mode), so ending the meeting is acknowledged at once. Should this process die
    first, the room keeps recordings_processed_at NULL and `meetcore video recordings` does it. Then the
    meeting's one composed file is queued, and built here too unless MEETCORE_VIDEO_RECORDING_IN_APP=0
    (`meetcore video compose --loop` builds it, and takes over a build this process left unfinished)."""
    from meetcore.extensions import socketio

    app = current_app._get_current_object()

    def run(meeting_id: int) -> None:
        with app.app_context():
            try:
                with unit_of_work():  # the background task is its own entry point
                    meeting = db.session.get(Meeting, meeting_id)
                    process_recordings(meeting)
                    queue_build(meeting)  # the one file; `meetcore video compose` too
            except Exception:  # noqa: BLE001  (logged; a background task has nobody else to tell)
                log.exception("video: recordings of meeting %s", meeting_id)
                return
            finally:
                db.session.remove()
        if app.config.get("MEETCORE_VIDEO_RECORDING_IN_APP"):
            run_once(app, meeting_id=meeting_id)

    socketio.start_background_task(run, meeting.id)


@signals.meeting_ended.connect
def _close_room(meeting: Meeting, *, by) -> None:
    """After end_meeting commits: the room is closed at Janus, then its recordings become files."""
    meeting_ended(meeting)
    room = room_of(meeting)
    if room is not None and room.record and not room.is_open and room.recordings_processed_at is None:
        process_recordings_later(meeting)
