"""The official minutes of a meeting (รายงานการประชุม): their state, signatories and amendments.

The text itself is the meeting's own data (minutes blocks, decisions, attendance); these rows hold what
the document adds: who took and who checked the minutes, how attendance lists are grouped, and the life
draft → circulated → certified, after which corrections are amendments, never silent edits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db

MINUTES_STATES = ("draft", "circulated", "certified")
GROUPINGS = ("roster", "province", "role")


class OfficialMinutes(db.Model):
    __tablename__ = "official_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(
        choice_type(*MINUTES_STATES, name="official_minutes_state"), default="draft"
    )
    # ผู้จดรายงานการประชุม and ผู้ตรวจรายงานการประชุม, as they sign the document.
    recorder_name: Mapped[str | None] = mapped_column(sa.String(200))
    recorder_position: Mapped[str | None] = mapped_column(sa.String(250))
    reviewer_name: Mapped[str | None] = mapped_column(sa.String(200))
    reviewer_position: Mapped[str | None] = mapped_column(sa.String(250))
    # Attendance lists: in roster order, or under a heading per province or per role.
    grouping: Mapped[str] = mapped_column(choice_type(*GROUPINGS, name="minutes_grouping"), default="roster")
    # ผู้เข้าร่วมประชุม who hold no seat: one "name, position" per line.
    other_attendees: Mapped[str | None] = mapped_column(sa.Text)
    circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    circulated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    comments_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The next meeting's agenda item "รับรองรายงานการประชุม" at which they were certified.
    certified_at_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    amendments: Mapped[list[MinutesAmendment]] = relationship(
        order_by="MinutesAmendment.id", cascade="all, delete-orphan", back_populates="minutes"
    )


class MinutesAmendment(db.Model):
    """A correction to certified minutes: what was corrected, by whom and when. Never edited or deleted."""

    __tablename__ = "minutes_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        sa.ForeignKey("official_minutes.id", ondelete="CASCADE"), index=True
    )
    # The agenda item corrected, or none for the whole document.
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    minutes: Mapped[OfficialMinutes] = relationship(back_populates="amendments")
