"""The seat roster of a meeting and its personal join links. (Attendance intervals are the attendance
package's: meetcore.attendance.models.Attendance.)"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.directory.models import Person, Province, Role
from meetcore.extensions import db

RSVP_STATES = ("pending", "accepted", "declined", "substitute")


class Seat(db.Model):
    """One expected attendee of one meeting: (province or central, role) → invited person."""

    __tablename__ = "seats"
    __table_args__ = (
        # One seat per (meeting, province, role); central seats have no province, so a partial index
        # keeps them unique per (meeting, role) too.
        sa.UniqueConstraint("meeting_id", "province_id", "role_id"),
        sa.Index(
            "uq_seats_meeting_central_role",
            "meeting_id",
            "role_id",
            unique=True,
            sqlite_where=sa.text("province_id IS NULL"),
            postgresql_where=sa.text("province_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provinces.id", ondelete="RESTRICT"))
    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id", ondelete="RESTRICT"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    # The invitee as named on this meeting's roster (a person's details can change between meetings).
    name: Mapped[str | None] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(250))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    substitute_name: Mapped[str | None] = mapped_column(sa.String(200))
    substitute_position: Mapped[str | None] = mapped_column(sa.String(250))
    substitute_email: Mapped[str | None] = mapped_column(sa.String(254))
    rsvp: Mapped[str] = mapped_column(choice_type(*RSVP_STATES, name="rsvp_state"), default="pending")
    absence_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    province: Mapped[Province | None] = relationship()
    role: Mapped[Role] = relationship()
    person: Mapped[Person | None] = relationship()


class SeatLink(db.Model):
    """A personal join link for one seat of one meeting; only the token's SHA-256 is kept."""

    __tablename__ = "seat_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The invitation that carried the link, when one did: withdrawing that invitation (the seat handed to a
    # substitute, a corrected address) withdraws the link with it.
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )

    seat: Mapped[Seat] = relationship()
