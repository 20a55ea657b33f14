"""The video room of each meeting: which Janus server it was placed on (the placement survives restarts),
its room id and secret, and the recordings turned into playable files after the meeting."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, utcnow
from meetcore.extensions import db


class VideoRoom(db.Model):
    """One Janus VideoRoom per meeting. open while closed_at is NULL; the load of a server is the number
    of its open rooms."""

    __tablename__ = "video_rooms"
    __table_args__ = (sa.Index("ix_video_rooms_server_open", "server_url", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    server_url: Mapped[str] = mapped_column(sa.String(500))
    janus_room_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    secret: Mapped[str] = mapped_column(sa.String(100))  # the room's secret: server side only
    record: Mapped[bool] = mapped_column(default=False)
    rec_dir: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recordings_processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class VideoRecording(db.Model):
    """One playable file made by janus-pp-rec from one publisher's recorded stream."""

    __tablename__ = "video_recordings"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "file_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(10))  # audio | video
    publisher: Mapped[str | None] = mapped_column(sa.String(200))  # the publisher's display name
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VideoEndpoint(db.Model):
    """One endpoint (the studio of an account, a seat, a provincial hall) in one meeting's video: which
    page holds its video session now (a second tab or a new device takes it over: the older page learns it
    was superseded), and what the chair stopped at Janus (audio muted, video stopped)."""

    __tablename__ = "video_endpoints"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(sa.String(40))  # e.g. "seat-12", "studio-3"
    session: Mapped[str | None] = mapped_column(sa.String(40))  # the page that holds it now
    # What let that page in (meetcore.video.services.credential_for): its withdrawal kicks the page.
    credential: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    audio_muted: Mapped[bool] = mapped_column(default=False)
    video_stopped: Mapped[bool] = mapped_column(default=False)
    # Its line, as its page last measured it (meetcore.video.quality), and when the staff last heard of it.
    quality: Mapped[dict | None] = mapped_column(sa.JSON)
    quality_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quality_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecordingBuild(db.Model):
    """The one playable file of a meeting's session, composed by the recording worker from the pieces:
    queued → processing (claimed under a lease that the worker renews with each progress report, so a
    worker that died is taken over when its lease runs out) → done or failed. One row per meeting, so that
    building twice gives one file. The chapters (agenda items) are kept here as well as in the file."""

    __tablename__ = "video_recording_builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued|processing|done|failed
    progress: Mapped[int] = mapped_column(default=0)  # percent of the session composed
    claimed_by: Mapped[str | None] = mapped_column(sa.String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the lease, renewed with progress
    attempts: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(sa.String(300))
    duration_seconds: Mapped[float | None] = mapped_column(sa.Float)
    chapters: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{item_id, title, start, end}] seconds
    error: Mapped[str | None] = mapped_column(sa.Text)
    seats_may_watch: Mapped[bool] = mapped_column(default=False)  # the secretariat's choice, per meeting
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
