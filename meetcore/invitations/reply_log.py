"""The reply log for the secretariat: every calendar reply read from the organizer's mailbox, including the
ones no meeting's page shows (an unknown UID, an unreadable message: stored without a meeting), with what was
done with each and why."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from meetcore.auth.permissions import require_editor
from meetcore.extensions import db
from meetcore.invitations.models import REPLY_OUTCOMES, CalendarReply
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import Page

# Replies that changed nothing and that nobody has dealt with: someone should look at them.
ATTENTION = "attention"
SETTLED = ("applied", "duplicate", "delegation_approved")
OUTCOME_FILTERS = (ATTENTION, *REPLY_OUTCOMES)


@dataclass
class LoggedReply:
    reply: CalendarReply
    meeting_title: str | None


def _filtered(query, *, outcome: str | None, address: str | None, unmatched: bool):
    if outcome == ATTENTION:
        query = query.where(CalendarReply.outcome.not_in(SETTLED))
    elif outcome in REPLY_OUTCOMES:
        query = query.where(CalendarReply.outcome == outcome)
    if address:
        pattern = f"%{address.strip().lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(CalendarReply.sender).like(pattern),
                   sa.func.lower(CalendarReply.attendee).like(pattern))
        )  # fmt: skip
    if unmatched:
        query = query.where(CalendarReply.meeting_id.is_(None))
    return query


def list_reply_log(
    *, by, outcome: str | None = None, address: str | None = None, unmatched: bool = False, page: int = 1,
    per_page: int = 50,
) -> Page:  # fmt: skip
    """Every calendar reply, newest first, with its meeting's title when it matched one. ``outcome``: one
    of REPLY_OUTCOMES, or ATTENTION (all that changed nothing and were not dealt with); ``address``: part of
    the sender's or the attendee's address; ``unmatched``: only those that matched no meeting. Admins and
    the secretariat only (the log holds outside addresses and what they tried)."""
    require_editor(by)
    query = _filtered(
        sa.select(CalendarReply, Meeting.title).outerjoin(Meeting, Meeting.id == CalendarReply.meeting_id),
        outcome=outcome, address=address, unmatched=unmatched,
    )  # fmt: skip
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(CalendarReply.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(items=[LoggedReply(reply, title) for reply, title in rows], total=total, page=page,
                per_page=per_page)  # fmt: skip
