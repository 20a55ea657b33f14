"""Action items (ข้อสั่งการ) and their per-agency assignments."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.directory.models import Agency, Role
from meetcore.extensions import db

ASSIGNMENT_STATUSES = ("open", "in_progress", "done", "cancelled")


class ActionItem(db.Model):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # Set when the item was given to a role across provinces ("every พมจ.").
    fan_out_role_id: Mapped[int | None] = mapped_column(sa.ForeignKey("roles.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Withdrawn by the secretariat (its open assignments are cancelled with it); kept for the record.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assignments: Mapped[list[ActionAssignment]] = relationship(
        back_populates="action_item", cascade="all, delete-orphan"
    )
    fan_out_role: Mapped[Role | None] = relationship()


class ActionAssignment(db.Model):
    __tablename__ = "action_assignments"
    __table_args__ = (sa.UniqueConstraint("action_item_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(
        choice_type(*ASSIGNMENT_STATUSES, name="assignment_status"), default="open"
    )
    due_date: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    action_item: Mapped[ActionItem] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship()
