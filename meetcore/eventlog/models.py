"""The append-only, numbered log of everything that changed in one meeting."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, utcnow
from meetcore.extensions import db


class MeetingEvent(db.Model):
    __tablename__ = "meeting_events"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "seq"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_seat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seats.id", ondelete="SET NULL"))
    # The part of the system that acted ("system:cli", meetcore.actors.SystemActor), when no
    # account or seat did: a system row is never an anonymous one.
    actor_name: Mapped[str | None] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
