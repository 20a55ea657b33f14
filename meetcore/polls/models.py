"""The tables of polls. What a secret poll keeps is shaped so that no row links a seat to its choice:

- PollSeat says THAT a seat may vote and whether it has; it has no timestamp, and for a secret poll no
  choice, name or position (those columns stay NULL);
- PollTally is one counter per option; every vote rewrites all the poll's counters in one statement, so
  no counter's row version (PostgreSQL's xmin) tells which option the last voter chose.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetcore.database import UTCDateTime, choice_type, utcnow
from meetcore.extensions import db

POLL_STATES = ("draft", "open", "closed")
MAX_OPTIONS = 20
QUESTION_MAX = 500
OPTION_MAX = 200


class Poll(db.Model):
    __tablename__ = "polls"
    __table_args__ = (
        sa.CheckConstraint("max_choices >= 1", name="max_choices_positive"),
        # A running tally of a secret poll, shown after each vote, would tell what that voter chose.
        sa.CheckConstraint("NOT (secret AND results_live)", name="secret_has_no_live_results"),
        sa.CheckConstraint("state = 'draft' OR opened_at IS NOT NULL", name="opened_has_time"),
        sa.CheckConstraint("state <> 'closed' OR closed_at IS NOT NULL", name="closed_has_time"),
        sa.Index("ix_polls_meeting_state", "meeting_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(sa.String(QUESTION_MAX))
    options: Mapped[list] = mapped_column(sa.JSON)  # the options' labels, in order
    max_choices: Mapped[int] = mapped_column(default=1)
    secret: Mapped[bool] = mapped_column(default=False)
    results_live: Mapped[bool] = mapped_column(default=False)  # the staff see the tally while it runs
    role_codes: Mapped[list | None] = mapped_column(sa.JSON)  # None: every role present may vote
    state: Mapped[str] = mapped_column(choice_type(*POLL_STATES, name="poll_state"), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Fixed when it opens: the entitled seats, and the meeting's quorum then (seats present of the roster).
    entitled_count: Mapped[int | None]
    present_count: Mapped[int | None]
    roster_count: Mapped[int | None]
    voted_count: Mapped[int] = mapped_column(default=0)


class PollSeat(db.Model):
    """One seat entitled to vote in one poll (fixed when the poll opens), and whether it has voted."""

    __tablename__ = "poll_seats"

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), primary_key=True)
    voted: Mapped[bool] = mapped_column(default=False)
    # How many ballots the seat has cast (a change is one more): a secret ballot's receipt names it.
    ballot_version: Mapped[int] = mapped_column(default=0)
    # Open polls only: what was chosen and by whom (the attendee confirmed on joining, or the roster's).
    choices: Mapped[list | None] = mapped_column(sa.JSON)
    voter_name: Mapped[str | None] = mapped_column(sa.String(200))
    voter_position: Mapped[str | None] = mapped_column(sa.String(250))


class PollTally(db.Model):
    """The count of one option of one poll."""

    __tablename__ = "poll_tallies"
    __table_args__ = (sa.CheckConstraint("count >= 0", name="count_not_negative"),)

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    option_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)
