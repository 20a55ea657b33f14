"""The video domain's recordings: Janus's .mjr files (one per publisher's stream) turned into playable files
with janus-pp-rec after the meeting, listed for the secretariat. The only writer of VideoRecording rows."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.errors import NotFound
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.video.models import VideoRecording
from meetcore.video.services import (
    SEAT_BASE,
    SITE_BASE,
    STUDIO_BASE,
    room_of,
    seat_endpoint,
    share_owner,
    site_endpoint,
    studio_endpoint,
)

log = logging.getLogger(__name__)

EXTENSIONS = {"vp8": "webm", "vp9": "webm", "av1": "webm", "h264": "mkv", "opus": "opus", "g711": "wav"}


def _header(path: Path) -> dict:
    result = subprocess.run(["janus-pp-rec", "-j", str(path)], capture_output=True, text=True, timeout=60)
    for line in reversed(result.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return {}


def _publisher_label(file_name: str) -> str | None:
    """The endpoint that published a recording, from Janus's file name (videoroom-ROOM-user-ID-...):
    "studio-3", "seat-12", "site-40", or "share-seat-12" for the screen that endpoint shared
    (services.share_id)."""
    parts = file_name.split("-")
    if "user" in parts:
        try:
            pid = int(parts[parts.index("user") + 1])
        except (IndexError, ValueError):
            return None
        owner = share_owner(pid)
        prefix = "share-" if owner is not None else ""
        pid = owner if owner is not None else pid
        for base, kind in ((STUDIO_BASE, "studio"), (SITE_BASE, "site"), (SEAT_BASE, "seat")):
            if base <= pid < base + 1_000_000_000:
                return f"{prefix}{kind}-{pid - base}"
    return None


def process_recordings(meeting: Meeting) -> list[VideoRecording]:
    """Turn the room's .mjr files into playable files (janus-pp-rec) next to them, and list them."""
    room = room_of(meeting)
    if room is None or not room.rec_dir or shutil.which("janus-pp-rec") is None:
        return []
    made = []
    known = set(db.session.scalars(sa.select(VideoRecording.file_name).where(
        VideoRecording.meeting_id == meeting.id)))  # fmt: skip
    for source in sorted(Path(room.rec_dir).glob("*.mjr")):
        header = _header(source)
        codec = str(header.get("c") or "")
        extension = EXTENSIONS.get(codec)
        if extension is None:
            continue
        target = source.with_suffix("." + extension)
        if target.name in known:
            continue
        subprocess.run(["janus-pp-rec", str(source), str(target)], capture_output=True, timeout=3600)
        if not target.exists() or target.stat().st_size == 0:
            continue
        started = header.get("s") or header.get("u")
        recording = VideoRecording(
            meeting_id=meeting.id,
            file_name=target.name,
            kind="video" if header.get("t") == "v" else "audio",
            publisher=_publisher_label(source.name),
            started_at=datetime.fromtimestamp(started / 1_000_000, UTC) if started else None,
            size_bytes=target.stat().st_size,
        )
        db.session.add(recording)
        made.append(recording)
    room.recordings_processed_at = utcnow()
    db.session.flush()  # the caller commits: the background task, or `meetcore video recordings`
    return made


def list_recordings(meeting: Meeting, *, by) -> list[VideoRecording]:
    require_editor(by)
    return list(db.session.scalars(
        sa.select(VideoRecording).where(VideoRecording.meeting_id == meeting.id)
        .order_by(VideoRecording.started_at, VideoRecording.file_name)))  # fmt: skip


def publisher_names(recordings: list[VideoRecording]) -> dict[str, str]:
    """ "studio-3", "seat-12", "site-40" → the account's, the seat's or the province's name; "share-seat-12"
    → that name, as its shared screen."""
    from meetcore.auth.models import User
    from meetcore.directory.models import Province
    from meetcore.seats.models import Seat

    names = {}
    keys = {row.publisher for row in recordings if row.publisher}
    for key in keys | {key.removeprefix("share-") for key in keys if key.startswith("share-")}:
        kind, _, number = key.partition("-")
        if not number.isdigit():
            continue
        if kind == "studio" and (user := db.session.get(User, int(number))) is not None:
            names[key] = studio_endpoint(user).display
        elif kind == "seat" and (seat := db.session.get(Seat, int(number))) is not None:
            names[key] = seat_endpoint(seat).display
        elif kind == "site" and (province := db.session.get(Province, int(number))) is not None:
            names[key] = site_endpoint(province).display
    for key in keys:
        owner = names.get(key.removeprefix("share-"))
        if key.startswith("share-") and owner:
            names[key] = gettext("%(name)s (shared screen)", name=owner)
    return names


def recording_file(meeting: Meeting, recording_id: int, *, by) -> Path:
    require_editor(by)
    recording = db.session.get(VideoRecording, recording_id)
    room = room_of(meeting)
    if recording is None or recording.meeting_id != meeting.id or room is None or not room.rec_dir:
        raise NotFound()
    path = Path(room.rec_dir) / recording.file_name
    if not path.is_file():
        raise NotFound(_l("The recording's file is no longer there."))
    return path
