"""Who acts, when it is not a signed-in account: a seat through its personal link, or a provincial hall's
screen through its site link. Plain values below every domain (the services check them); which one a live
connection is, is decided in meetcore.live.actors."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from meetcore.errors import PermissionDenied

# Where the join page keeps the identity a participant confirmed (the Flask session cookie, signed).
SEAT_SESSION_KEY = "seat_access"


@dataclass(frozen=True)
class SeatActor:
    """A participant acting for one seat of one meeting. Never a staff member: require_staff refuses it."""

    seat_id: int
    meeting_id: int
    attendee_name: str | None = None
    attendee_position: str | None = None
    as_substitute: bool = False
    role: str = "seat"
    is_authenticated: bool = True
    id: None = None  # not an account: the event log records the seat instead

    def as_dict(self) -> dict:
        return {
            "seat_id": self.seat_id,
            "meeting_id": self.meeting_id,
            "attendee_name": self.attendee_name,
            "attendee_position": self.attendee_position,
            "as_substitute": self.as_substitute,
        }


@dataclass(frozen=True)
class SiteActor(SeatActor):
    """The operator of a provincial hall's screen, through the province's site link (meetcore.attendance).

    A participant, so that everything telling participants from staff treats it as one; it holds no seat
    of its own (seat_id is None) and may tick the roll call of its province's seats.
    """

    province_id: int | None = None
    site_link_id: int | None = None
    role: str = "site"

    def as_dict(self) -> dict:
        return {**super().as_dict(), "province_id": self.province_id, "site_link_id": self.site_link_id}


def require_seat_of(actor, meeting_id: int) -> SeatActor:
    if not isinstance(actor, SeatActor) or actor.meeting_id != meeting_id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    return actor
