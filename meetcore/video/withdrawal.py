"""A withdrawn credential leaves the video (issue 16): a seat's personal link, a hall's link, an account's
sign-in. Its live connections are closed by the service that withdrew it (meetcore.live.connections); here,
after that change has committed, its Janus side goes too:

* its room token (services._room_token is bound to the endpoint *and* the credential) leaves the room's ACL,
  so nothing can join again with what that page was given;
* when a page of that credential holds the endpoint (VideoEndpoint.credential), the endpoint's participants
  are kicked: its publisher, its shared screen, its listeners. A page of another credential (the seat's new
  link, which took the video over) stays;
* no fresh credentials: services.endpoint_of refuses a withdrawn seat link, a hall's link is refused when its
  token is read, a signed-out account is not signed in.

Janus down at that moment: logged; the floor watch (floor_watch.check_open_rooms) kicks a withdrawn
holder's participants once Janus answers, and its page leaves Janus anyway when its signed token expires
(VIDEO_TOKEN_TTL), since it gets no fresh one. Janus only, never inside a write (docs/transactions.md).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from meetcore import signals
from meetcore.errors import DomainError
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.video import services
from meetcore.video.janus_api import JanusError
from meetcore.video.models import VideoEndpoint, VideoRoom
from meetcore.video.sessions import LISTENER_PREFIX, kick_endpoint, open_room

log = logging.getLogger(__name__)

# The kind of a withdrawn credential -> the endpoint kind it let in, and that kind's publisher ids.
ENDPOINT_KINDS = {"seat": ("seat", services.SEAT_BASE), "site": ("site", services.SITE_BASE),
                  "account": ("studio", services.STUDIO_BASE)}  # fmt: skip


def shut_out(meeting: Meeting, endpoint: services.Endpoint, credentials: list[str]) -> list[int]:
    """Take these credentials' room tokens out of the room's ACL, and kick the endpoint's participants when
    a page of one of them holds it (the studio: always, every page of the account signed out at once).
    Returns the kicked participant ids."""
    room = open_room(meeting)
    if room is None or not credentials:
        return []
    tokens = [services._room_token(room, endpoint.key, credential) for credential in credentials]
    services.janus_server(room.server_url).videoroom({"request": "allowed", "room": room.janus_room_id,
        "secret": room.secret, "action": "remove", "allowed": tokens})  # fmt: skip
    holder = db.session.scalar(
        sa.select(VideoEndpoint.credential).where(
            VideoEndpoint.meeting_id == meeting.id, VideoEndpoint.endpoint == endpoint.key
        )
    )
    if holder not in credentials and endpoint.kind != "studio":
        return []
    return kick_endpoint(meeting, endpoint, listeners=True)


def _endpoint(kind: str, owner_id: int) -> services.Endpoint:
    endpoint_kind, base = ENDPOINT_KINDS[kind]
    return services.Endpoint(endpoint_kind, f"{endpoint_kind}-{owner_id}", base + owner_id, display="")


def _meetings_with_video(meeting: Meeting | None) -> list[Meeting]:
    """The meeting; or (None: an account's sign-in, good in every meeting) every meeting with an open room."""
    if meeting is not None:
        return [meeting]
    return list(db.session.scalars(sa.select(Meeting).join(VideoRoom, VideoRoom.meeting_id == Meeting.id)
                                    .where(VideoRoom.closed_at.is_(None))))  # fmt: skip


@signals.access_withdrawn.connect
def _shut_out(meeting: Meeting | None, *, kind: str, owner_id: int, credentials: list, by) -> None:
    """After the withdrawal has committed (its own unit of work); never raises."""
    if not services.video_enabled():
        return
    endpoint = _endpoint(kind, owner_id)
    names = [services.credential_for(kind, value) for value in credentials]
    for each in _meetings_with_video(meeting):
        try:
            shut_out(each, endpoint, names)
        except (JanusError, DomainError) as error:
            log.warning("video: withdrawn %s of meeting %s still in its room at Janus: %s",
                        endpoint.key, each.id, error)  # fmt: skip


# --- the net under it: the floor watch's round ------------------------------------------------------------


def withdrawn_holders(meeting: Meeting) -> list[tuple[str, str]]:
    """(endpoint key, credential) of the seats and halls whose video is held by a page of a withdrawn link:
    a look-up by key per link (none in a quiet round, where no holder's link was withdrawn)."""
    from meetcore.attendance.models import SiteLink
    from meetcore.seats.models import SeatLink

    named = sa.func.substr(VideoEndpoint.credential, len("seat-link-") + 1)  # as long as "site-link-"
    holders = sa.select(VideoEndpoint.endpoint, VideoEndpoint.credential).where(
        VideoEndpoint.meeting_id == meeting.id
    )
    seats = holders.join(SeatLink, SeatLink.token_hash == named).where(
        VideoEndpoint.credential.startswith("seat-link-"), SeatLink.revoked_at.is_not(None)
    )
    hall_links = sa.and_(SiteLink.meeting_id == meeting.id, sa.cast(SiteLink.id, sa.String) == named)
    sites = holders.join(SiteLink, hall_links).where(  # compared as text: a seat's credential is no number
        VideoEndpoint.credential.startswith("site-link-"), SiteLink.revoked_at.is_not(None)
    )
    return [tuple(row) for row in db.session.execute(sa.union_all(seats, sites))]


def shut_out_withdrawn(meeting: Meeting) -> list[int]:
    """One round of the floor watch for one meeting: the withdrawn holders still in its room are shut out
    (Janus is asked only when there is one). Returns the kicked participant ids."""
    holders = withdrawn_holders(meeting)
    if not holders:
        return []
    participants = services.participants(meeting)
    present = {participant.get("id") for participant in participants}
    displays = [str(participant.get("display") or "") for participant in participants]
    kicked = []
    for key, credential in holders:
        kind, _, owner = key.partition("-")
        endpoint = _endpoint(kind, int(owner))
        listening = any(display.startswith(f"{LISTENER_PREFIX}{key}:") for display in displays)
        if listening or endpoint.publisher_id in present or services.share_id(endpoint) in present:
            kicked += shut_out(meeting, endpoint, [credential])
    return kicked
