"""Invitations, the reading side (as Indico's util.py): who a seat's invitation goes to, the meeting's
calendar row, the active invitations, the plan and overview the console shows, the RSVP page's view of an
invitation and the calendar feed documents. Nothing here writes a row; the operations (sending, answers,
reminders, feeds) build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from meetcore.auth.models import User
from meetcore.auth.permissions import require_staff
from meetcore.database import utcnow
from meetcore.errors import DomainError
from meetcore.extensions import db
from meetcore.invitations import calendar as ical
from meetcore.invitations.messages import RSVP_PURPOSE, rsvp_url
from meetcore.invitations.models import CalendarFeed, CalendarReply, Invitation, MeetingCalendar
from meetcore.invitations.tokens import make_token, token_matches, token_row_id
from meetcore.mail.message import mail_host, public_url
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat

# Invitations go out for meetings that are scheduled or running; a draft is not announced yet, and an
# ended, certified or cancelled meeting takes no new invitees.
SENDABLE_STATUSES = ("scheduled", "live")
FEED_PURPOSE = "feed"
FEED_PAST = timedelta(days=180)


# --- who a seat's invitation goes to ----------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    kind: str  # invitee or substitute
    email: str  # lower-case
    name: str | None
    position: str | None


def current_attendee(seat: Seat) -> Attendee | None:
    """The substitute once the seat is handed to one with an e-mail address, else the invitee (if any)."""
    if seat.rsvp == "substitute" and seat.substitute_email:
        return Attendee(
            "substitute",
            seat.substitute_email.strip().lower(),
            seat.substitute_name,
            seat.substitute_position,
        )
    if seat.email:
        return Attendee("invitee", seat.email.strip().lower(), seat.name, seat.position)
    return None


# --- the meeting's calendar identity ----------------------------------------------------------------------


def meeting_calendar(meeting: Meeting) -> MeetingCalendar | None:
    return db.session.get(MeetingCalendar, meeting.id)


# --- languages and the rows a round goes to ---------------------------------------------------------------


def _locale_of(locale: str | None) -> str:
    return "en" if (locale or "").startswith("en") else "th"


def _locales_for(emails: list[str]) -> dict[str, str]:
    """The language of the accounts that have these addresses, where one is set (the invitee's language)."""
    if not emails:
        return {}
    rows = db.session.execute(
        sa.select(sa.func.lower(User.email), User.locale).where(
            sa.func.lower(User.email).in_(emails), User.locale.is_not(None)
        )
    ).all()
    return {email: locale for email, locale in rows}


def _seats_query():
    return sa.select(Seat).options(joinedload(Seat.province), joinedload(Seat.role))


def _active_invitations(meeting: Meeting) -> list[tuple[Invitation, Seat | None]]:
    rows = db.session.execute(
        sa.select(Invitation, Seat)
        .outerjoin(Seat, Seat.id == Invitation.seat_id)
        .options(joinedload(Seat.province), joinedload(Seat.role))
        .where(Invitation.meeting_id == meeting.id, Invitation.status == "active")
        .order_by(Invitation.id)
    ).all()
    return [(invitation, seat) for invitation, seat in rows]


def _default_locale() -> str:
    from flask import current_app

    return current_app.config["BABEL_DEFAULT_LOCALE"]


# --- what sending invitations would do -------------------------------------------------------------------


@dataclass
class InvitationPlan:
    """What "send invitations" would do now."""

    meeting: Meeting
    to_invite: list[Seat]
    invited: int  # seats that already have an active invitation
    without_email: list[Seat]
    total: int

    @property
    def count(self) -> int:
        return len(self.to_invite)


def plan_invitations(meeting: Meeting, *, by) -> InvitationPlan:
    require_staff(by)
    return _plan(meeting)


def _plan(meeting: Meeting) -> InvitationPlan:
    seats = (
        db.session.scalars(_seats_query().where(Seat.meeting_id == meeting.id).order_by(Seat.id))
        .unique()
        .all()
    )
    invited = set(
        db.session.scalars(
            sa.select(Invitation.seat_id).where(
                Invitation.meeting_id == meeting.id,
                Invitation.status == "active",
                Invitation.seat_id.is_not(None),
            )
        )
    )
    to_invite, without_email = [], []
    for seat in seats:
        if seat.id in invited:
            continue
        (to_invite if current_attendee(seat) else without_email).append(seat)
    return InvitationPlan(
        meeting=meeting,
        to_invite=to_invite,
        invited=len(invited),
        without_email=without_email,
        total=len(seats),
    )


# --- the console's overview of one meeting -----------------------------------------------------------------


@dataclass
class InvitationOverview:
    plan: InvitationPlan
    calendar: MeetingCalendar | None
    partstats: dict[str, int]
    rsvps: dict[str, int]
    replies: list[CalendarReply]


def invitation_overview(meeting: Meeting, *, by) -> InvitationOverview:
    require_staff(by)
    partstats = dict(
        db.session.execute(
            sa.select(Invitation.partstat, sa.func.count())
            .where(Invitation.meeting_id == meeting.id, Invitation.status == "active")
            .group_by(Invitation.partstat)
        ).all()
    )
    rsvps = dict(
        db.session.execute(
            sa.select(Seat.rsvp, sa.func.count()).where(Seat.meeting_id == meeting.id).group_by(Seat.rsvp)
        ).all()
    )
    replies = db.session.scalars(
        sa.select(CalendarReply)
        .where(CalendarReply.meeting_id == meeting.id)
        .order_by(CalendarReply.id.desc())
        .limit(50)
    ).all()
    return InvitationOverview(
        plan=_plan(meeting),
        calendar=meeting_calendar(meeting),
        partstats=partstats,
        rsvps=rsvps,
        replies=list(replies),
    )


# --- RSVP through the personal reply page (no sign-in: the token is the authority) -----------------------


class RsvpLinkUnknown(DomainError):
    code = "rsvp_link_unknown"
    status = 404
    default_message = _l(
        "This reply link is not valid. Open the whole address from your invitation e-mail, or ask the "
        "secretariat."
    )


@dataclass
class Rsvp:
    invitation: Invitation
    seat: Seat | None
    meeting: Meeting
    answers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def handed_over(self) -> bool:
        """The invitee sent a substitute, who now holds the invitation."""
        return (
            self.invitation.attendee == "invitee"
            and self.invitation.status == "cancelled"
            and self.seat is not None
            and self.seat.rsvp == "substitute"
        )


def _allowed_answers(invitation: Invitation, seat: Seat | None, meeting: Meeting) -> tuple[str, ...]:
    if seat is None or meeting.status not in SENDABLE_STATUSES:
        return ()
    if invitation.status == "active":
        return (
            ("accept", "decline", "substitute") if invitation.attendee == "invitee" else ("accept", "decline")
        )
    attendee = current_attendee(seat)
    if invitation.attendee == "invitee" and attendee is not None and attendee.kind == "substitute":
        return ("accept",)  # take the seat back from the substitute
    return ()


def rsvp_for_token(token: str | None) -> Rsvp:
    row_id = token_row_id(token)
    invitation = db.session.get(Invitation, row_id) if row_id is not None else None
    if invitation is None or not token_matches(token, RSVP_PURPOSE, invitation.id, invitation.secret):
        raise RsvpLinkUnknown()
    return rsvp_for_invitation(invitation)


def rsvp_for_invitation(invitation: Invitation) -> Rsvp:
    seat = (
        db.session.scalars(_seats_query().where(Seat.id == invitation.seat_id)).first()
        if invitation.seat_id is not None
        else None
    )
    meeting = db.session.scalars(
        sa.select(Meeting).options(joinedload(Meeting.series)).where(Meeting.id == invitation.meeting_id)
    ).one()
    return Rsvp(invitation, seat, meeting, _allowed_answers(invitation, seat, meeting))


# --- calendar feed documents (invitations.feeds issues and withdraws their addresses) --------------------


class FeedUnknown(DomainError):
    code = "feed_unknown"
    status = 404
    default_message = _l("This calendar address is not valid, or it has been withdrawn.")


def feed_url(feed: CalendarFeed) -> str:
    return public_url("invitations.feed", token=make_token(FEED_PURPOSE, feed.id, feed.secret))


def _resolve_feed(token: str | None) -> CalendarFeed:
    row_id = token_row_id(token)
    feed = db.session.get(CalendarFeed, row_id) if row_id is not None else None
    if (
        feed is None
        or feed.revoked_at is not None
        or not token_matches(token, FEED_PURPOSE, feed.id, feed.secret)
    ):
        raise FeedUnknown()
    return feed


def _feed_event(meeting: Meeting, uid: str, sequence: int, url: str | None, config) -> ical.EventData:
    from flask_babel import gettext as _

    lines = [meeting.series.name]
    if meeting.chair_name:
        lines.append(f"{_('Chair')}: {meeting.chair_name}")
    if meeting.video_conference:
        lines.append(_("and by video conference"))
    if url:
        lines.append(url)
    return ical.EventData(
        uid=uid,
        sequence=sequence,
        start=meeting.start_at,
        end=meeting.end_at,
        summary=_("%(title)s No. %(number)s", title=meeting.title, number=meeting.number_label),
        dtstamp=utcnow(),
        organizer=ical.Party(config["MEETCORE_MAIL_ORGANIZER"], meeting.series.organizer or None),
        timezone=config["BABEL_DEFAULT_TIMEZONE"],
        status="CANCELLED" if meeting.status == "cancelled" else "CONFIRMED",
        location=meeting.venue,
        description="\n".join(lines),
        url=url,
        last_modified=meeting.updated_at,
    )


def feed_calendar(token: str | None) -> bytes:
    """The iCalendar subscription document a feed token opens."""
    from flask import current_app

    feed = _resolve_feed(token)
    config = current_app.config
    since = utcnow() - FEED_PAST
    events: list[ical.EventData] = []
    if feed.kind == "person":
        rows = db.session.execute(
            sa.select(Invitation, Meeting, MeetingCalendar)
            .join(Meeting, Meeting.id == Invitation.meeting_id)
            .join(MeetingCalendar, MeetingCalendar.meeting_id == Meeting.id)
            .options(joinedload(Meeting.series))
            .where(
                Invitation.email == feed.email,
                Meeting.end_at >= since,
                sa.or_(Invitation.status == "active", Meeting.status == "cancelled"),
            )
            .order_by(Meeting.start_at, Invitation.id)
        ).all()
        seen: set[int] = set()
        for invitation, meeting, calendar in rows:
            if meeting.id in seen:
                continue
            seen.add(meeting.id)
            url = rsvp_url(invitation) if invitation.status == "active" else None
            events.append(_feed_event(meeting, calendar.uid, calendar.sequence, url, config))
        name = feed.email
    else:
        agency = feed.agency
        seat_match = Seat.role_id == agency.role_id
        seat_match &= (
            Seat.province_id == agency.province_id if agency.province_id else Seat.province_id.is_(None)
        )
        rows = db.session.execute(
            sa.select(Meeting, MeetingCalendar)
            .outerjoin(MeetingCalendar, MeetingCalendar.meeting_id == Meeting.id)
            .options(joinedload(Meeting.series))
            .where(
                Meeting.id.in_(sa.select(Seat.meeting_id).where(seat_match)),
                Meeting.status != "draft",
                Meeting.end_at >= since,
            )
            .order_by(Meeting.start_at)
        ).all()
        host = mail_host()
        for meeting, calendar in rows:
            uid = calendar.uid if calendar is not None else ical.meeting_uid(meeting.id, host)
            sequence = calendar.sequence if calendar is not None else 0
            events.append(_feed_event(meeting, uid, sequence, None, config))
        name = agency.name_th
    return ical.feed(events, name=f"MeetCore: {name}", timezone=config["BABEL_DEFAULT_TIMEZONE"])
