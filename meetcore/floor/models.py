"""The floor of a live meeting: who asked to speak, in which order, and who holds the floor now."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db
from meetcore.seats.models import Seat

# queued → granted → done | revoked; queued → withdrawn | revoked.
#   done: the turn ended because the speaker yielded or the chair gave the floor to the next speaker;
#   revoked: the chair took the floor back, or took a request off the queue;
#   withdrawn: the seat (or the staff for it) withdrew its request before it was granted.
FLOOR_STATES = ("queued", "granted", "done", "withdrawn", "revoked")
OPEN_STATES = ("queued", "granted")
MIN_TIME_LIMIT = 30
MAX_TIME_LIMIT = 3600

_OPEN = "state IN ('queued', 'granted')"
_GRANTED = "state = 'granted'"


class FloorRequest(db.Model):
    """One request of one seat to speak, and, once granted, its turn."""

    __tablename__ = "floor_requests"
    __table_args__ = (
        # At most one open request per seat, and at most one speaker per meeting.
        sa.Index(
            "uq_floor_requests_open_seat",
            "meeting_id",
            "seat_id",
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        ),
        sa.Index(
            "uq_floor_requests_one_holder",
            "meeting_id",
            unique=True,
            sqlite_where=sa.text(_GRANTED),
            postgresql_where=sa.text(_GRANTED),
        ),
        sa.Index("ix_floor_requests_meeting_state", "meeting_id", "state", "requested_at"),
        sa.CheckConstraint(
            f"time_limit_seconds IS NULL OR time_limit_seconds BETWEEN {MIN_TIME_LIMIT} AND {MAX_TIME_LIMIT}",
            name="time_limit_range",
        ),
        sa.CheckConstraint(
            "state NOT IN ('granted', 'done') OR granted_at IS NOT NULL", name="turn_has_grant_time"
        ),
        sa.CheckConstraint(f"NOT ({_OPEN}) OR ended_at IS NULL", name="open_has_no_end"),
        sa.CheckConstraint(f"{_OPEN} OR ended_at IS NOT NULL", name="closed_has_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(choice_type(*FLOOR_STATES, name="floor_state"), default="queued")
    # Who asked, as they confirmed their identity on joining (a substitute names themself).
    attendee_name: Mapped[str | None] = mapped_column(sa.String(200))
    attendee_position: Mapped[str | None] = mapped_column(sa.String(250))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_limit_seconds: Mapped[int | None]
    granted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    seat: Mapped[Seat] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class FloorSettings(db.Model):
    """Per meeting: the time limit a new turn gets when the chair grants it without naming one."""

    __tablename__ = "floor_settings"
    __table_args__ = (
        sa.CheckConstraint(
            "default_time_limit_seconds IS NULL OR default_time_limit_seconds "
            f"BETWEEN {MIN_TIME_LIMIT} AND {MAX_TIME_LIMIT}",
            name="default_time_limit_range",
        ),
    )

    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    default_time_limit_seconds: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
