"""The outbox: every e-mail MeetCore sends, written in the same transaction as the change that causes it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db

# pending → claimed (a sender took it into its batch) → sending (its SMTP transaction has begun) → sent;
# a 4xx answer puts it back to pending with a later next_attempt_at, a 5xx answer (or too many 4xx) makes it
# failed; the secretariat's "resend" puts a failed message back to pending. A calendar message still pending
# when a newer one for the same invitee is written becomes superseded (never sent). See docs/mail.md.
OUTBOX_STATUSES = ("pending", "claimed", "sending", "sent", "failed", "superseded")
MESSAGE_KINDS = ("invitation", "update", "cancellation", "withdrawal", "reminder", "notice")
# Messages that carry the meeting's calendar (a METHOD and a SEQUENCE): a newer one replaces an older one.
CALENDAR_KINDS = ("invitation", "update", "cancellation", "withdrawal")


class OutboxMessage(db.Model):
    """One e-mail to one recipient, built once: ``body`` holds the exact bytes every attempt sends."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_mail_outbox_meeting_status", "meeting_id", "status"),
        sa.Index("ix_mail_outbox_meeting_recipient", "meeting_id", "recipient"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="SET NULL"))
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(choice_type(*MESSAGE_KINDS, name="mail_kind"))
    sender: Mapped[str] = mapped_column(sa.String(254))  # SMTP envelope MAIL FROM
    recipient: Mapped[str] = mapped_column(sa.String(254))  # SMTP envelope RCPT TO
    recipient_name: Mapped[str | None] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(500))
    # Stable for the row: a retry carries the same Message-ID, so a duplicate is recognisable.
    message_id: Mapped[str] = mapped_column(sa.String(250), unique=True)
    # The calendar's SEQUENCE, for calendar messages (invitation, update, cancellation, withdrawal): at the
    # moment it is handed to SMTP a message must still be the newest for its meeting (UID) and recipient.
    sequence: Mapped[int | None] = mapped_column()
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # Set for messages that must exist at most once (e.g. "reminder:<invitation>:<start>:<offset>").
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(
        choice_type(*OUTBOX_STATUSES, name="outbox_status"), default="pending"
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.recipient} {self.status}>"
