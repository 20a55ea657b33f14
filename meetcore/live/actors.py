"""Who is on the other end of a live connection: a signed-in account or a seat through its personal link."""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from meetcore.errors import PermissionDenied, Unauthenticated

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


def seat_actor_from_token(token: str) -> SeatActor:
    from meetcore.seats.services import seat_for_link

    seat = seat_for_link(token)
    return SeatActor(
        seat_id=seat.id, meeting_id=seat.meeting_id, attendee_name=seat.name, attendee_position=seat.position
    )


def actor_for_connection(auth: dict | None):
    """The connecting account (session cookie) or seat (confirmed identity in the session, or a token)."""
    from meetcore.auth.permissions import STAFF

    user = current_user._get_current_object() if current_user and current_user.is_authenticated else None
    if user is not None and (user.role in STAFF or not session.get(SEAT_SESSION_KEY)):
        return user  # staff act as staff; a non-staff account with no confirmed seat is refused later
    if isinstance(auth, dict) and isinstance(auth.get("site_token"), str):  # a provincial hall's screen
        from meetcore.attendance.sites import site_actor_from_token

        return site_actor_from_token(auth["site_token"])
    stored = session.get(SEAT_SESSION_KEY)
    if isinstance(stored, dict) and {"seat_id", "meeting_id"} <= stored.keys():
        return SeatActor(**{k: stored.get(k) for k in SeatActor.__dataclass_fields__ if k in stored})
    auth = auth if isinstance(auth, dict) else {}
    if isinstance(auth.get("seat_token"), str):
        return seat_actor_from_token(auth["seat_token"])
    if isinstance(auth.get("api_token"), str):  # scripts and other services act as an account
        from meetcore.auth.services import user_for_api_token

        user = user_for_api_token(auth["api_token"])
        if user is not None:
            return user
    raise Unauthenticated()


def require_seat_of(actor, meeting_id: int) -> SeatActor:
    if not isinstance(actor, SeatActor) or actor.meeting_id != meeting_id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    return actor
