"""Getting in and staying counted: the attendance intervals, provincial site links, identity checks, the live
board's published state, and the server processes that hold connections."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.directory.models import Province
from meetcore.extensions import db
from meetcore.seats.models import Seat

ATTENDANCE_KINDS = ("self", "substitute", "site")


class Attendance(db.Model):
    """One join/leave interval of one seat over one connection (or one roll-call tick). Kept forever."""

    __tablename__ = "attendance"
    __table_args__ = (
        sa.CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="leaves_after_join"),
        sa.Index("ix_attendance_meeting_seat", "meeting_id", "seat_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(choice_type(*ATTENDANCE_KINDS, name="attendance_kind"))
    connection_id: Mapped[str | None] = mapped_column(sa.String(64))
    attendee_name: Mapped[str | None] = mapped_column(sa.String(200))
    attendee_position: Mapped[str | None] = mapped_column(sa.String(250))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the heartbeat sweep closed it (its process stopped beating), not the connection's end; the
    # process, if it was alive after all and still holds the connection, opens it again.
    swept_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    seat: Mapped[Seat] = relationship()


class SiteLink(db.Model):
    """The link of a provincial hall (ห้องประชุมศาลากลางจังหวัด): its operator ticks which of the province's
    seats are in the room. Only the token's SHA-256 is kept."""

    __tablename__ = "site_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id", ondelete="RESTRICT"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    province: Mapped[Province] = relationship()


class IdentityChallenge(db.Model):
    """One identity check that waits for the one-time code e-mailed to the seat's address.

    The identity the person declared waits here (not in any process's memory) until the code is entered;
    only a keyed hash of the code is kept.
    """

    __tablename__ = "identity_challenges"
    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))  # where the code went
    code_salt: Mapped[str] = mapped_column(sa.String(32))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    attendee_name: Mapped[str] = mapped_column(sa.String(200))
    attendee_position: Mapped[str] = mapped_column(sa.String(250))
    as_substitute: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AttendanceBoard(db.Model):
    """What the live board of a meeting was last told, so that bursts of changes are published at most once
    per interval by whichever process comes next (see meetcore.attendance.services)."""

    __tablename__ = "attendance_boards"

    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    # seat id (as text) -> attendance kind of every seat present at the last publication
    published: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # the seats ticked by a roll call at the last publication (sorted ids), so that one knows which
    # provinces' halls to tell of a tick on a seat held in person too (no presence change); None: before
    # it was kept
    published_ticks: Mapped[list | None] = mapped_column(sa.JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while a change waits for the next publication.
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ServerProcess(db.Model):
    """An app process that holds Socket.IO connections, and when it last said it was alive. Its connections'
    attendance intervals are closed by any other process once its heartbeat stops (a crash, SIGKILL)."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    hostname: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The app's clock, like the attendance times: what a dead process's intervals are closed at.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The database's clock at the same beat: liveness is judged by it, so hosts whose clocks disagree (or an
    # app clock that jumps) judge alike. No default: only the database may say what time it is there.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Closing a connection's intervals (every disconnect) and the crash sweep look for open rows by connection id;
# the rows are kept forever, so the index holds the open ones only.
ix_attendance_open_connection = sa.Index(
    "ix_attendance_open_connection",
    Attendance.connection_id,
    sqlite_where=Attendance.left_at.is_(None),
    postgresql_where=Attendance.left_at.is_(None),
)
# A process that was judged stopped but still holds its connections looks for the intervals the sweep closed
# (meetcore.attendance.processes.reopen_swept_intervals): the index holds those only, a handful at most.
ix_attendance_swept_connection = sa.Index(
    "ix_attendance_swept_connection",
    Attendance.connection_id,
    sqlite_where=Attendance.swept_at.is_not(None),
    postgresql_where=Attendance.swept_at.is_not(None),
)
