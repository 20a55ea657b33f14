"""Who is on the other end of a live connection: a signed-in account or a seat through its personal link."""

from __future__ import annotations

from flask import session
from flask_login import current_user

from meetcore import transaction
from meetcore.actors import SEAT_SESSION_KEY, SeatActor
from meetcore.errors import Unauthenticated


def seat_actor_from_token(token: str) -> SeatActor:
    from meetcore.seats.links import seat_actor_for_link

    return seat_actor_for_link(token)


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
        from meetcore.attendance.services import seat_read_with_its_link

        transaction.reads_only()  # a seat's connect writes nothing: its row comes with its check-in
        actor = seat_actor_from_token(auth["seat_token"])
        seat_read_with_its_link(actor.seat_id, actor.meeting_id)  # a join with the connect reads no more
        return actor
    if isinstance(auth.get("api_token"), str):  # scripts and other services act as an account
        from meetcore.auth.services import user_for_api_token

        user = user_for_api_token(auth["api_token"])
        if user is not None:
            return user
    raise Unauthenticated()
