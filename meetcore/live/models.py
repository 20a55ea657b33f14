"""The live connections open now, and what let each one in: so that ending that access (a sign-out, a new
password, a deactivated account, a withdrawn seat or hall link, a seat handed to a substitute) closes them at
once, on whichever process holds them (meetcore.live.connections)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, utcnow
from meetcore.extensions import db


class LiveConnection(db.Model):
    """One open Socket.IO connection. The row goes when the connection ends, or with its process's crash."""

    __tablename__ = "live_connections"

    # "process:sid", as in Attendance.connection_id.
    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    process_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # An account: through a signed-in session (its session token then) or an API token (its hash).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_token: Mapped[str | None] = mapped_column(sa.String(64))
    api_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # A seat, through one of its personal links (the link's hash); or a provincial hall, through its link.
    seat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), index=True)
    seat_link_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    site_link_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("site_links.id", ondelete="CASCADE"), index=True
    )


class CommandReceipt(db.Model):
    """A live command that carried a client-chosen `client_id` and was carried out, with its answer: a retry
    of the same id (the acknowledgement was lost) gets that answer again instead of a second change
    (meetcore.live.receipts). Written in the command's own transaction; purged after a day."""

    __tablename__ = "command_receipts"
    __table_args__ = (sa.UniqueConstraint("actor_key", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who sent it ("user:5", "seat:12", "site:3"): one person's ids never answer another's commands.
    actor_key: Mapped[str] = mapped_column(sa.String(40))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    command: Mapped[str] = mapped_column(sa.String(64))
    # The acknowledgement as sent; null only while the command runs in the transaction that claimed it.
    answer: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
