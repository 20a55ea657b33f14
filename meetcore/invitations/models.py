"""Calendar invitations: the meeting's calendar identity, one row per invited address, the replies read
back from calendar clients, and personal calendar feeds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db

INVITATION_STATUSES = ("active", "cancelled")
ATTENDEE_KINDS = ("invitee", "substitute")
# iCalendar PARTSTAT values an attendee of a VEVENT can have (RFC 5545 3.2.12).
PARTSTATS = ("NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED")
# applied; stale (answers an older SEQUENCE, or is older than the answer recorded); duplicate (the same
# message again); refused (it does not speak for its sender, or names a SEQUENCE never sent to them);
# delegation_request (a DELEGATED to an address outside the roster, waiting for the secretariat) and
# delegation_approved (the secretariat handed the seat over); the rest change nothing either.
REPLY_OUTCOMES = (
    "applied", "stale", "unknown_uid", "not_invited", "malformed", "unsupported",
    "refused", "duplicate", "delegation_request", "delegation_approved",
)  # fmt: skip
FEED_KINDS = ("person", "agency")


class MeetingCalendar(db.Model):
    """The calendar identity of one meeting: its UID and SEQUENCE, created when invitations first go out.

    SEQUENCE is raised (UPDATE ... RETURNING) on every significant change sent to invitees: new time,
    place or title, cancellation, a seat withdrawn or handed to a substitute.
    """

    __tablename__ = "invitation_calendars"
    __table_args__ = (sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),)

    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Invitation(db.Model):
    """One invited address of one seat: the invitee, or the substitute the seat was handed to.

    A seat has at most one active invitation at a time (its current attendee); earlier ones stay, cancelled,
    so that their RSVP links still explain what happened. The RSVP token is derived from ``secret`` and the
    application's key (nothing that opens the page is stored).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        sa.Index("ix_invitations_meeting_status", "meeting_id", "status"),
        sa.Index("ix_invitations_meeting_email", "meeting_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    # NULL once the seat is taken off the roster (the invitation, cancelled, is kept for the record).
    seat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seats.id", ondelete="SET NULL"), index=True)
    attendee: Mapped[str] = mapped_column(choice_type(*ATTENDEE_KINDS, name="invitation_attendee"))
    email: Mapped[str] = mapped_column(sa.String(254))  # stored lower-case
    name: Mapped[str | None] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(250))
    locale: Mapped[str] = mapped_column(sa.String(8), default="th")
    status: Mapped[str] = mapped_column(
        choice_type(*INVITATION_STATUSES, name="invitation_status"), default="active"
    )
    partstat: Mapped[str] = mapped_column(
        choice_type(*PARTSTATS, name="invitation_partstat"), default="NEEDS-ACTION"
    )
    sequence: Mapped[int] = mapped_column(default=0)  # the SEQUENCE of the last message sent to this address
    secret: Mapped[str] = mapped_column(sa.String(32))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the answer now recorded was given: the DTSTAMP of the calendar reply (never later than its
    # arrival), or the time of the reply page's answer. An older calendar reply does not overwrite it.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(sa.Text)  # the note of the last calendar reply
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Invitation {self.id} seat={self.seat_id} {self.email} {self.status}>"


class CalendarReply(db.Model):
    """Every iTIP reply read from the organizer's mailbox, with what was done with it (the log)."""

    __tablename__ = "invitation_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(250), index=True)
    sender: Mapped[str | None] = mapped_column(sa.String(254))
    uid: Mapped[str | None] = mapped_column(sa.String(255))
    attendee: Mapped[str | None] = mapped_column(sa.String(254))
    partstat: Mapped[str | None] = mapped_column(sa.String(20))
    sequence: Mapped[int | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(choice_type(*REPLY_OUTCOMES, name="reply_outcome"))
    detail: Mapped[str | None] = mapped_column(sa.Text)  # the reason in English, for the log
    # Why, as a code and its values (meetcore.invitations.reply_reasons), shown in the reader's language.
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    reason_args: Mapped[list | None] = mapped_column(sa.JSON)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id", ondelete="SET NULL"))
    digest: Mapped[str | None] = mapped_column(sa.String(64), index=True)  # SHA-256 of the calendar parts
    dtstamp: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(sa.Text)
    delegated_to: Mapped[str | None] = mapped_column(sa.String(254))
    delegate_name: Mapped[str | None] = mapped_column(sa.String(200))
    # A delegation request the secretariat approved.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class CalendarFeed(db.Model):
    """A personal (one address) or agency iCalendar subscription feed; the URL's token is derived from
    ``secret`` and the application's key."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'person' AND email IS NOT NULL) OR (kind = 'agency' AND agency_id IS NOT NULL)",
            name="feed_has_subject",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice_type(*FEED_KINDS, name="feed_kind"))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)  # lower-case
    agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    secret: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency = relationship("Agency")
