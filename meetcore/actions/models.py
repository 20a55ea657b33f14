"""Action items (ข้อสั่งการ) and their per-agency assignments."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.auth.models import User
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
    # The latest progress report's note and time (the whole history is ProgressReport).
    last_note: Mapped[str | None] = mapped_column(sa.Text)
    last_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    action_item: Mapped[ActionItem] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship()


# --- following actions up after the meeting (issue 6) -------------------------------------------------------

PROGRESS_STATUSES = ("open", "in_progress", "done")


class FocalPoint(db.Model):
    """An account that reports for one agency (ผู้ประสานงานของหน่วยงาน): a participant account, linked here
    rather than by a new role, so the users table (and its CHECK constraint) stays as it is."""

    __tablename__ = "agency_focal_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    agency: Mapped[Agency] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AgencyLink(db.Model):
    """A link that opens one agency's assignments without signing in; only the token's SHA-256 is kept."""

    __tablename__ = "agency_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency: Mapped[Agency] = relationship()


class ProgressReport(db.Model):
    """One progress report on one assignment, kept for ever: the assignment's history."""

    __tablename__ = "action_progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_assignments.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(choice_type(*PROGRESS_STATUSES, name="progress_status"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who reported: an account (a focal point, or the secretariat on the agency's behalf) or an agency link.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency_links.id", ondelete="SET NULL"))
    reporter_name: Mapped[str | None] = mapped_column(sa.String(200))
    # An attachment lives under instance/ (meetcore.actions.attachments); here its name, type and size.
    attachment_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    attachment_name: Mapped[str | None] = mapped_column(sa.String(255))
    attachment_type: Mapped[str | None] = mapped_column(sa.String(120))
    attachment_size: Mapped[int | None] = mapped_column()
    attachment_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    assignment: Mapped[ActionAssignment] = relationship()
    user: Mapped[User | None] = relationship()


class ActionReminder(db.Model):
    """A reminder stage handled for one assignment and one due date: each is sent once."""

    __tablename__ = "action_reminders"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "stage", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("action_assignments.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(sa.String(20))  # "before-7d", "before-1d", "overdue"
    due_date: Mapped[date]
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActionCarryOver(db.Model):
    """An open action brought to a later meeting of the series, under its "เรื่องสืบเนื่อง" section."""

    __tablename__ = "action_carry_overs"
    __table_args__ = (sa.UniqueConstraint("action_item_id", "meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    action_item: Mapped[ActionItem] = relationship()
