"""Meeting series and meetings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db

MEETING_STATUSES = ("draft", "scheduled", "live", "ended", "certified", "cancelled")


class Series(db.Model):
    """A standing committee or recurring meeting (คณะ / ชื่อการประชุม)."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    organizer: Mapped[str | None] = mapped_column(sa.String(300))


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.UniqueConstraint("series_id", "year_be", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]  # ครั้งที่ N/...
    year_be: Mapped[int]  # .../2560
    title: Mapped[str] = mapped_column(sa.String(300))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue: Mapped[str | None] = mapped_column(sa.String(300))
    chair_name: Mapped[str | None] = mapped_column(sa.String(200))
    chair_position: Mapped[str | None] = mapped_column(sa.String(300))
    chair_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(sa.Text)
    video_conference: Mapped[bool] = mapped_column(default=True)
    # The e-meeting decree's identity check by a one-time code e-mailed to the seat (meetcore.attendance).
    requires_identity_code: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(
        choice_type(*MEETING_STATUSES, name="meeting_status"), default="draft"
    )
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Last MeetingEvent seq handed out; bumped in the same transaction as the event it numbers.
    last_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    series: Mapped[Series] = relationship()

    @property
    def number_label(self) -> str:
        return f"{self.number}/{self.year_be}"

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.number_label}>"
