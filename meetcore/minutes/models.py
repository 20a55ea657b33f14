"""Minutes text per agenda item, the CRDT update log behind it, and the decisions (มติที่ประชุม) taken."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, utcnow
from meetcore.extensions import db


class MinutesBlock(db.Model):
    __tablename__ = "minutes_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), unique=True
    )
    # The plain text of the document, derived from it after every update.
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # The collaborative document's state (CRDT updates merged into one Yjs v1 update) up to the last
    # compaction; the updates since then are the rows of MinutesUpdate.
    crdt_state: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # Changes with every accepted update: a process that kept the block's document in memory
    # (minutes.crdt.DocumentCache) uses it only while the row still carries the revision it left.
    revision: Mapped[int | None] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # What readers (participants) were last sent in a "minutes.text" event, and when. Readers get the
    # text at most every MINUTES_TEXT_INTERVAL; text_pending_since marks a block whose newer text still
    # waits for its turn (so a trailing publish is owed, whichever process makes it).
    published_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    text_pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class MinutesUpdate(db.Model):
    """One Yjs v1 update accepted into a block since its last compaction, in the order accepted."""

    __tablename__ = "minutes_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes_blocks.id", ondelete="CASCADE"), index=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text)
    # Seat ids present when the decision was taken.
    present_seat_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
