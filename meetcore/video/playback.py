"""Watching a meeting's composed recording (issue 16, item 6): who may (the staff; the meeting's seats when
the secretariat allows it), its file, its chapters as WebVTT, and the minutes of each chapter's item."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.actors import SeatActor
from meetcore.auth.permissions import require_editor, require_signed_in
from meetcore.errors import Conflict, NotFound, PermissionDenied
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import MinutesBlock
from meetcore.video.models import RecordingBuild
from meetcore.video.services import room_of

STAFF_ROLES = ("admin", "secretariat", "chair")


def _build(meeting: Meeting) -> RecordingBuild | None:
    return db.session.scalar(sa.select(RecordingBuild).where(RecordingBuild.meeting_id == meeting.id))


def recording_build(meeting: Meeting, *, by) -> RecordingBuild | None:
    """The meeting's build (its state and progress) for whoever may watch it; None before the meeting ends."""
    require_signed_in(by)
    build = _build(meeting)
    if getattr(by, "role", None) in STAFF_ROLES:
        return build
    if (
        isinstance(by, SeatActor)
        and by.meeting_id == meeting.id
        and build is not None
        and build.seats_may_watch
    ):
        return build
    raise PermissionDenied(_l("The recording of this meeting is for the secretariat and the chair only."))


def seats_may_watch(meeting: Meeting) -> bool:
    """Whether the recording is ready and the secretariat lets the meeting's seats watch it."""
    build = _build(meeting)
    return build is not None and build.state == "done" and build.seats_may_watch


def recording_path(meeting: Meeting, *, by) -> Path:
    """The composed file, for whoever may watch it, once it is built."""
    build = recording_build(meeting, by=by)
    room = room_of(meeting)
    if build is None or build.state != "done" or room is None or not room.rec_dir:
        raise NotFound(_l("The recording of this meeting is not ready yet."))
    path = Path(room.rec_dir) / build.file_name
    if not path.is_file():
        raise NotFound(_l("The recording's file is no longer there."))
    return path


def allow_seats_to_watch(meeting: Meeting, allowed: bool, *, by) -> RecordingBuild:
    """The secretariat's choice: may the meeting's seats (their personal links) watch its recording?"""
    require_editor(by)
    build = _build(meeting)
    if build is None:
        raise Conflict(_l("This meeting has no recording yet."))
    build.seats_may_watch = bool(allowed)
    db.session.flush()
    return build


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    )


def chapters_vtt(build: RecordingBuild) -> str:
    """The chapters as a WebVTT chapters track: one cue per agenda item, its id the item's id."""
    lines = ["WEBVTT", ""]
    for chapter in build.chapters or []:
        title = " ".join(str(chapter["title"]).replace("-->", "→").split())
        lines += [
            f"item-{chapter['item_id']}",
            f"{_timestamp(chapter['start'])} --> {_timestamp(chapter['end'])}",
            title,
            "",
        ]
    return "\n".join(lines)


def chapter_minutes(meeting: Meeting, build: RecordingBuild) -> dict[int, str]:
    """The minutes text of each chapter's agenda item (empty when none was written)."""
    item_ids = [chapter["item_id"] for chapter in build.chapters or []]
    rows = db.session.execute(
        sa.select(MinutesBlock.agenda_item_id, MinutesBlock.text).where(
            MinutesBlock.meeting_id == meeting.id, MinutesBlock.agenda_item_id.in_(item_ids)
        )
    )
    texts = dict(rows.all())
    return {item_id: texts.get(item_id) or "" for item_id in item_ids}
