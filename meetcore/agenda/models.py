"""The agenda: an ordered tree of items per meeting."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db

ITEM_STATES = ("pending", "current", "done")


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"
    __table_args__ = (
        # Target of the composite foreign key below.
        sa.UniqueConstraint("id", "meeting_id", name="uq_agenda_items_id_meeting"),
        # A parent must belong to the same meeting: the database refuses a cross-meeting tree.
        sa.ForeignKeyConstraint(
            ["parent_id", "meeting_id"],
            ["agenda_items.id", "agenda_items.meeting_id"],
            name="fk_agenda_items_parent_same_meeting",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
        sa.Index("ix_agenda_items_meeting_parent_position", "meeting_id", "parent_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    # Which Thai standard section (1..6) a top-level item is, when it is one.
    section: Mapped[int | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    presenter: Mapped[str | None] = mapped_column(sa.String(300))
    duration_minutes: Mapped[int | None] = mapped_column()
    state: Mapped[str] = mapped_column(choice_type(*ITEM_STATES, name="agenda_item_state"), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgendaDocument(db.Model):
    """A document of one agenda item (a report, slides, a draft resolution) for everyone in the meeting."""

    __tablename__ = "agenda_documents"
    __table_args__ = (
        # The item must be of the same meeting: the database refuses a document filed across meetings.
        sa.ForeignKeyConstraint(
            ["agenda_item_id", "meeting_id"],
            ["agenda_items.id", "agenda_items.meeting_id"],
            name="fk_agenda_documents_item_same_meeting",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.Index("ix_agenda_documents_item_position", "agenda_item_id", "position"),
        sa.Index("ix_agenda_documents_pdf_state", "pdf_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The PDF made of an office file after the upload (meetcore/agenda/conversion_worker.py): "pending"
    # until a worker made it, then "ready" or "failed"; NULL for a PDF itself or a file never converted.
    # A worker claims a pending row under a lease (claimed_by, claimed_at) that nobody else takes over
    # before it runs out.
    pdf_state: Mapped[str | None] = mapped_column(sa.String(16))
    pdf_claimed_by: Mapped[str | None] = mapped_column(sa.String(32))
    pdf_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pdf_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
