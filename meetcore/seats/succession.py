"""A new meeting's roster taken from the previous meeting of its series (issue 15, 4d): the same seats
(province × role), with or without their invitees' names and addresses, but none of that meeting's
replies, substitutes, absences, invitations or links, which belong to the sitting they were made for.
In the caller's transaction (flush only): the entry point commits."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.auth.permissions import require_editor
from meetcore.errors import Conflict
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat
from meetcore.seats.services import _check_roster_open

# What is copied of the person invited to a seat when the invitees are kept.
INVITEE_FIELDS = ("person_id", "name", "position", "email")


def seat_count(meeting: Meeting) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Seat.meeting_id == meeting.id)) or 0


def copy_roster(meeting: Meeting, source: Meeting, *, keep_invitees: bool = True, by) -> list[int]:
    """Seat `meeting` as `source` was seated; only into an empty roster, so nothing is ever doubled.
    Returns the new seats' ids."""
    require_editor(by)
    _check_roster_open(meeting)
    if seat_count(meeting):
        raise Conflict(_l("This meeting has seats already: the previous roster is copied only into an "
                          "empty roster."))  # fmt: skip
    seats = db.session.scalars(sa.select(Seat).where(Seat.meeting_id == source.id).order_by(Seat.id)).all()
    created = [
        Seat(meeting_id=meeting.id, province_id=seat.province_id, role_id=seat.role_id, rsvp="pending",
             **({name: getattr(seat, name) for name in INVITEE_FIELDS} if keep_invitees else {}))
        for seat in seats
    ]  # fmt: skip
    db.session.add_all(created)
    db.session.flush()
    ids = [seat.id for seat in created]
    if ids:
        record_event(meeting, "seats.added", {"seat_ids": ids, "copied_from": source.id, "skipped": 0,
                                              "invitees_kept": keep_invitees}, by=by)  # fmt: skip
    return ids
