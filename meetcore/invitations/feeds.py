"""Invitations, the calendar feeds: issuing and withdrawing subscription addresses, of a person (by e-mail)
or of an agency (its seats in every meeting). The documents they open are read in invitations.util."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.errors import NotFound
from meetcore.extensions import db
from meetcore.invitations.models import CalendarFeed
from meetcore.invitations.schemas import FeedInput
from meetcore.invitations.tokens import new_secret
from meetcore.invitations.util import _resolve_feed, feed_url, rsvp_for_token
from meetcore.schemas import load_input


def _feed_for(kind: str, *, email: str | None = None, agency_id: int | None = None) -> CalendarFeed:
    query = sa.select(CalendarFeed).where(CalendarFeed.kind == kind, CalendarFeed.revoked_at.is_(None))
    query = (
        query.where(CalendarFeed.email == email)
        if kind == "person"
        else query.where(CalendarFeed.agency_id == agency_id)
    )
    feed = db.session.scalars(query.order_by(CalendarFeed.id)).first()
    if feed is None:
        feed = CalendarFeed(kind=kind, email=email, agency_id=agency_id, secret=new_secret())
        db.session.add(feed)
        db.session.flush()
    return feed


def personal_feed_url(token: str | None) -> str:
    """The subscription address of every meeting the holder of this reply link is invited to."""
    rsvp = rsvp_for_token(token)
    feed = _feed_for("person", email=rsvp.invitation.email)
    db.session.flush()
    return feed_url(feed)


def issue_feed(data: dict, *, by) -> str:
    """The subscription address of a person (by e-mail) or of an agency (its seats in every meeting)."""
    from meetcore.directory.models import Agency

    require_editor(by)
    values = load_input(FeedInput(), data)
    if values.get("agency_id") is not None:
        if db.session.get(Agency, values["agency_id"]) is None:
            raise NotFound(_l("Agency %(id)s does not exist.", id=values["agency_id"]))
        feed = _feed_for("agency", agency_id=values["agency_id"])
    else:
        feed = _feed_for("person", email=values["email"].lower())
    db.session.flush()
    return feed_url(feed)


def revoke_feed(token: str, *, by) -> None:
    """Withdraw a subscription address (a new one can be issued afterwards)."""
    require_editor(by)
    feed = _resolve_feed(token)
    feed.revoked_at = utcnow()
    db.session.flush()
