"""The video domain's rooms: the only writer of VideoRoom rows, and the code that talks to Janus about rooms,
endpoints and the floor (recordings: meetcore.video.recordings; a page's session, takeover and the chair's
moderation: meetcore.video.sessions; screen sharing: meetcore.video.sharing).

* one VideoRoom per meeting, created when the meeting goes live (idempotent: a restarted app, or a
  restarted Janus, finds or re-creates the same room on the same server) and destroyed when it ends;
* placement: each meeting on the least loaded Janus (fewest open rooms), kept in the table;
* browsers get Janus's signed tokens (short-lived, VideoRoom only) and a room token that the room's ACL
  (`allowed`) admits, bound to the endpoint and to the credential that let the page in (a seat's personal
  link, a hall's link, an account's sign-in): withdrawing that credential takes its token out of the ACL
  (meetcore.video.withdrawal) and no other; the admin key and the room secret stay on the server;
* the floor is enforced at Janus: after every floor change, publishers that may not publish are kicked;

Endpoints (who is on the other end of a browser's video): the studio (a staff account), a seat (a personal
link), or a provincial site (one hall carrying all the roles checked in there). Each endpoint publishes under
a fixed Janus participant id, so the app knows whom to kick.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from meetcore import signals
from meetcore.actors import SYSTEM_VIDEO
from meetcore.auth.permissions import STAFF, require_staff
from meetcore.database import holds_write_locks, utcnow
from meetcore.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.transaction import unit_of_work
from meetcore.video.janus_api import JanusError, JanusServer, signed_token
from meetcore.video.models import VideoRoom

log = logging.getLogger(__name__)

# Janus participant ids of publishing endpoints; listeners (every page's handle that only receives the
# room's events) get ids chosen by Janus, which must never publish.
SEAT_BASE = 1_000_000_000
SITE_BASE = 2_000_000_000
STUDIO_BASE = 3_000_000_000
ENDPOINT_END = 4_000_000_000
# An endpoint's shared screen publishes as a second participant: its id shifted by SHARE_SHIFT (a seat's
# share is 5e9 + seat id, a studio's 7e9 + user id), so the floor check knows whose share it is.
SHARE_SHIFT = 4_000_000_000
ENDED = ("ended", "certified", "cancelled")  # meeting statuses after which there is no more video
ROOM_PUBLISHERS = 20  # the studio, the floor holder, and a margin for hand-overs and reconnects


class VideoUnavailable(DomainError):
    code = "video_unavailable"
    status = 503
    default_message = _l("The video server cannot be reached. The meeting goes on without video.")


# --- settings ---------------------------------------------------------------------------------------------


def _config(name: str):
    return current_app.config.get("MEETCORE_" + name)


def janus_urls() -> list[str]:
    return [url.strip() for url in (_config("JANUS_URLS") or "").split(",") if url.strip()]


def video_enabled() -> bool:
    return bool(janus_urls())


def _token_secret() -> str:
    secret = _config("JANUS_TOKEN_SECRET")
    if not secret:
        raise VideoUnavailable(_l("Video is not configured on this server."))
    return secret


def janus_server(url: str) -> JanusServer:
    return JanusServer(
        url,
        token_secret=_token_secret(),
        admin_key=_config("JANUS_ADMIN_KEY"),
        api_secret=_config("JANUS_API_SECRET"),
        before_request=outside_write_transaction,
    )


class JanusInsideWriteTransaction(RuntimeError):
    """A call to Janus while the transaction holds the database's write lock: a bug (docs/transactions.md)."""


def outside_write_transaction() -> None:
    """No command waits for Janus while its transaction has written: SQLite's one write lock (PostgreSQL's
    row locks) would be held for the whole round trip, seconds when Janus is slow, the HTTP timeout when it
    is down, and every other writer would wait or fail. Janus is asked before the first write, or after the
    commit. A breach fails under test and is logged in production (the call still goes on)."""
    if not holds_write_locks(db.session()):  # the scoped session's own Session
        return
    if current_app.testing:
        raise JanusInsideWriteTransaction("a call to Janus inside a write transaction")
    log.error("video: a call to Janus inside a write transaction", stack_info=True)


def public_url(server_url: str) -> str:
    """The address browsers use for this server: JANUS_PUBLIC_URL's entry at the server's position in
    JANUS_URLS (the last entry serves the rest); default the server's own address."""
    urls = janus_urls()
    public = [url.strip() for url in (_config("JANUS_PUBLIC_URL") or "").split(",") if url.strip()]
    if not public:
        return server_url
    index = urls.index(server_url) if server_url in urls else len(public) - 1
    return public[min(index, len(public) - 1)]


# --- rooms ------------------------------------------------------------------------------------------------


def room_of(meeting: Meeting) -> VideoRoom | None:
    return db.session.scalar(sa.select(VideoRoom).where(VideoRoom.meeting_id == meeting.id))


def server_loads() -> dict[str, int]:
    """Open rooms per configured server (0 for a server with none)."""
    counts = dict(
        db.session.execute(
            sa.select(VideoRoom.server_url, sa.func.count(VideoRoom.id))
            .where(VideoRoom.closed_at.is_(None))
            .group_by(VideoRoom.server_url)
        ).all()
    )
    return {url: counts.get(url, 0) for url in janus_urls()}


def _recordings_root() -> Path:
    configured = _config("VIDEO_RECORDINGS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "recordings"


def _create_at_janus(room: VideoRoom, meeting: Meeting) -> bool:
    """Make the room at its Janus; False when it was there already."""
    body = {
        "request": "create",
        "room": room.janus_room_id,
        "admin_key": _config("JANUS_ADMIN_KEY"),
        "secret": room.secret,
        "description": f"meeting {meeting.id}",
        "permanent": False,
        "is_private": True,
        "publishers": ROOM_PUBLISHERS,
        "bitrate": 1_024_000,
        "fir_freq": 10,
        "audiocodec": "opus",
        "videocodec": "vp8",
        "notify_joining": False,
        "audiolevel_event": True,
        "audio_active_packets": 50,
        "audio_level_average": int(_config("VIDEO_TALKING_LEVEL") or 40),
        "allowed": [_room_token(room, "service")],
    }
    if room.record:
        Path(room.rec_dir).mkdir(parents=True, exist_ok=True)
        body.update(record=True, rec_dir=room.rec_dir)
    try:
        janus_server(room.server_url).videoroom(body)
    except JanusError as error:
        if error.code != 427:  # 427: the room exists already (another process, or an earlier call)
            raise
        return False
    return True


def _new_room(meeting: Meeting, server_url: str) -> VideoRoom:
    room_id = secrets.randbelow(2**52 - 1_000_000) + 1_000_000
    record = bool(_config("VIDEO_RECORD"))
    return VideoRoom(
        meeting_id=meeting.id,
        server_url=server_url,
        janus_room_id=room_id,
        secret=secrets.token_urlsafe(24),
        record=record,
        rec_dir=str(_recordings_root() / str(meeting.id)) if record else None,
    )


def create_room(meeting: Meeting) -> VideoRoom | None:
    """The meeting's open room, created at Janus when needed. Idempotent: the row (its server, room id and
    secret) is kept, so after a restart of the app or of Janus the same room is found or made again.
    None when video is off (no Janus configured, or the meeting has no video conference)."""
    if not video_enabled() or not meeting.video_conference:
        return None
    room = room_of(meeting)
    if room is not None:
        if room.is_open:
            _create_at_janus(room, meeting)
        return room
    loads = server_loads()
    order = sorted(loads, key=lambda url: (loads[url], janus_urls().index(url)))
    last_error: JanusError | None = None
    for server_url in order:  # the least loaded first; an unreachable server is passed over
        room = _new_room(meeting, server_url)
        try:
            _create_at_janus(room, meeting)
        except JanusError as error:
            if error.code != 0:
                raise
            last_error = error
            log.warning("video: %s unreachable, placing meeting %s elsewhere", server_url, meeting.id)
            continue
        db.session.add(room)
        try:
            db.session.commit()
        except IntegrityError:  # another process placed this meeting at the same moment: keep theirs
            db.session.rollback()
            _destroy_at_janus(room)
            return room_of(meeting)
        return room
    raise VideoUnavailable() from last_error


def _destroy_at_janus(room: VideoRoom) -> None:
    try:
        janus_server(room.server_url).videoroom(
            {"request": "destroy", "room": room.janus_room_id, "secret": room.secret, "permanent": False}
        )
    except JanusError as error:
        if error.code not in (426,):  # 426: no such room (Janus restarted, or destroyed already)
            raise


def close_room(meeting: Meeting) -> VideoRoom | None:
    """Destroy the meeting's room at Janus and mark it closed (recordings.meeting_ended then turns its
    recordings into files)."""
    room = room_of(meeting)
    if room is None or not room.is_open:
        return room
    try:
        _destroy_at_janus(room)
    except JanusError:
        log.warning("video: could not destroy room %s of meeting %s", room.janus_room_id, meeting.id)
    room.closed_at = utcnow()
    db.session.flush()  # the caller commits: meeting_ended's unit of work, or `meetcore video` commands
    return room


def meeting_went_live(meeting: Meeting) -> None:
    """After start_meeting commits. Video trouble never stops a meeting: it is logged, and the pages retry."""
    try:
        with unit_of_work():  # a reaction after the commit is a unit of work of its own
            create_room(meeting)
    except (JanusError, DomainError) as error:
        log.warning("video: no room for meeting %s yet: %s", meeting.id, error)


def meeting_ended(meeting: Meeting) -> None:
    """After end_meeting commits."""
    try:
        with unit_of_work():  # a reaction after the commit is a unit of work of its own
            close_room(meeting)
    except (JanusError, DomainError, OSError) as error:
        log.warning("video: closing the room of meeting %s: %s", meeting.id, error)


def restore_rooms(server_url: str) -> list[int]:
    """A Janus server came back (or this process sees it for the first time): the open rooms of the live
    meetings placed on it are made again (Janus keeps rooms in memory only), the floor is enforced there, and
    the browsers are told to reconnect their media ("video.restored"): by the process that made a room again,
    not by those that found it there. Returns the meetings whose room was made again. Flushes; the caller
    commits."""
    from meetcore.eventlog.services import record_event

    rooms = db.session.scalars(
        sa.select(VideoRoom)
        .join(Meeting, Meeting.id == VideoRoom.meeting_id)
        .where(VideoRoom.server_url == server_url, VideoRoom.closed_at.is_(None), Meeting.status == "live")
        .order_by(VideoRoom.meeting_id)
    ).all()
    made_again = []
    for room in rooms:  # Janus first, for every room: no call to Janus after this transaction's first write
        meeting = db.session.get(Meeting, room.meeting_id)
        if _create_at_janus(room, meeting):
            floor_changed(meeting)  # nobody is in the new room yet; whoever comes back meets the floor
            made_again.append((room, meeting))
    for room, meeting in made_again:
        record_event(meeting, "video.restored", {"room": room.janus_room_id, "at": utcnow().isoformat()},
                     by=SYSTEM_VIDEO)  # fmt: skip
    db.session.flush()
    restored = [meeting.id for _room, meeting in made_again]
    if restored:
        log.warning("video: %s came back; rooms of meetings %s made again", server_url, restored)
    return restored


# --- endpoints and tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    kind: str  # studio | seat | site
    key: str  # e.g. "seat-12"
    publisher_id: int
    display: str
    credential: str = ""  # what let the page in (credential_for); "" for none known (the service's own)


def studio_endpoint(user) -> Endpoint:
    return Endpoint("studio", f"studio-{user.id}", STUDIO_BASE + user.id, user.display_name or user.email)


def seat_endpoint(seat) -> Endpoint:
    from meetcore.seats.services import seat_label

    label = seat_label(seat.province, seat.role, "th") if seat.role is not None else f"seat {seat.id}"
    return Endpoint("seat", f"seat-{seat.id}", SEAT_BASE + seat.id, label)


def site_endpoint(province) -> Endpoint:
    return Endpoint("site", f"site-{province.id}", SITE_BASE + province.id, province.name_th)


def credential_for(kind: str, value) -> str:
    """The name of one credential in room tokens and VideoEndpoint.credential: a seat's personal link (its
    hash), a hall's link (its id), or an account's sign-in (its session token, hashed: not kept twice)."""
    if kind == "account":
        return "session-" + hashlib.sha256(str(value).encode()).hexdigest()[:32]
    return f"{kind}-link-{value}"


def credential_of(actor) -> str:
    """What let the asking page in: the credential its room token is bound to ("" when none is known)."""
    from meetcore.actors import SeatActor, SiteActor

    if isinstance(actor, SiteActor):
        return credential_for("site", actor.site_link_id)
    if isinstance(actor, SeatActor):
        return credential_for("seat", actor.link) if actor.link else ""
    token = getattr(actor, "session_token", None)
    return credential_for("account", token) if token else ""


def endpoint_of(actor, meeting: Meeting) -> Endpoint:
    """The endpoint a staff account, a seat or a provincial site is, in this meeting, with the credential
    that let it in. A seat whose personal link has been withdrawn is refused (its video ends with it)."""
    from meetcore.actors import SeatActor, SiteActor
    from meetcore.directory.models import Province
    from meetcore.seats.models import Seat

    if isinstance(actor, SeatActor) and actor.meeting_id != meeting.id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    if isinstance(actor, SiteActor):  # its link was checked when its token was read
        endpoint = site_endpoint(db.session.get(Province, actor.province_id))
    elif isinstance(actor, SeatActor):
        if actor.link:  # the join page's session outlives the link: the link decides, on every request
            from meetcore.attendance.services import require_live_seat_link

            require_live_seat_link(actor.seat_id, actor.link)
        endpoint = seat_endpoint(db.session.get(Seat, actor.seat_id))
    else:
        require_staff(actor)
        endpoint = studio_endpoint(actor)
    return replace(endpoint, credential=credential_of(actor))


def entitled_publisher_ids(meeting: Meeting) -> set[int]:
    """Endpoint ids other than the studio's that may publish now: the floor holder's seat (from its own
    device), and the provincial hall of its province when the hall's roll call has the seat in the room
    (one hall is one endpoint carrying every role checked in there)."""
    from meetcore.attendance.models import Attendance
    from meetcore.floor.models import FloorRequest
    from meetcore.seats.models import Seat

    holder = db.session.execute(
        sa.select(Seat.id, Seat.province_id)
        .join(FloorRequest, FloorRequest.seat_id == Seat.id)
        .where(FloorRequest.meeting_id == meeting.id, FloorRequest.state == "granted")
    ).first()
    if holder is None:
        return set()
    ids = {SEAT_BASE + holder.id}
    at_the_hall = db.session.scalar(
        sa.select(Attendance.id)
        .where(
            Attendance.meeting_id == meeting.id,
            Attendance.seat_id == holder.id,
            Attendance.kind == "site",
            Attendance.left_at.is_(None),
        )
        .limit(1)
    )
    if holder.province_id is not None and at_the_hall is not None:
        ids.add(SITE_BASE + holder.province_id)
    return ids


def share_id(endpoint: Endpoint) -> int:
    """The Janus participant id under which this endpoint shares its screen."""
    return endpoint.publisher_id + SHARE_SHIFT


def share_owner(participant_id: int) -> int | None:
    """The endpoint id whose shared screen this participant id is; None for any other participant."""
    if SHARE_SHIFT + SEAT_BASE <= participant_id < SHARE_SHIFT + ENDPOINT_END:
        return participant_id - SHARE_SHIFT
    return None


def may_publish(endpoint: Endpoint, meeting: Meeting) -> bool:
    return endpoint.kind == "studio" or endpoint.publisher_id in entitled_publisher_ids(meeting)


def _room_token(room: VideoRoom, endpoint_key: str, credential: str = "") -> str:
    """The room ACL token of one endpoint through one credential: derived (HMAC), so every app process
    computes the same one, and the revocation of that credential can take it out of the ACL again."""
    message = f"{room.janus_room_id}:{endpoint_key}:{credential}".encode()
    return hmac.new(_token_secret().encode(), message, hashlib.sha256).hexdigest()[:40]


def turn_credentials(endpoint_key: str, ttl: int) -> list[dict]:
    """TURN REST API credentials (coturn use-auth-secret): username "expiry:endpoint", password
    base64(HMAC-SHA1(secret, username))."""
    urls = [url.strip() for url in (_config("TURN_URLS") or "").split(",") if url.strip()]
    secret = _config("TURN_SECRET")
    if not urls or not secret:
        return []
    username = f"{int(time.time()) + ttl}:{endpoint_key}"
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return [{"urls": urls, "username": username, "credential": password}]


def mint_token(
    meeting: Meeting, seat=None, *, endpoint: Endpoint | None = None, ttl: int | None = None
) -> dict:
    """Janus credentials of one endpoint of the meeting's open room: a signed Janus token (VideoRoom only,
    valid `ttl` seconds) and the endpoint's room token, added to the room's ACL. For a seat, or any endpoint.
    """
    room = room_of(meeting)
    if room is None or not room.is_open:
        room = create_room(meeting) if meeting.status == "live" else None
    if room is None or not room.is_open:
        raise Conflict(_l("There is no video in this meeting now."))
    if endpoint is None:
        if seat is None:
            raise InvalidInput(_l("Choose the seat."), field="seat_id")
        endpoint = seat_endpoint(seat)
    ttl = ttl or int(_config("VIDEO_TOKEN_TTL") or 3600)
    room_token = _room_token(room, endpoint.key, endpoint.credential)
    server = janus_server(room.server_url)
    try:
        server.videoroom({"request": "allowed", "room": room.janus_room_id, "secret": room.secret,
                          "action": "add", "allowed": [room_token]})  # fmt: skip
    except JanusError as error:
        if error.code == 426:  # Janus restarted and lost the room: make it again, then admit the endpoint
            _create_at_janus(room, meeting)
            server.videoroom({"request": "allowed", "room": room.janus_room_id, "secret": room.secret,
                              "action": "add", "allowed": [room_token]})  # fmt: skip
        else:
            raise VideoUnavailable() from error
    token = signed_token(_token_secret(), ttl)
    return {
        "server": public_url(room.server_url),
        "server_url": room.server_url,
        "room": room.janus_room_id,
        "token": token,
        "room_token": room_token,
        "expires_at": datetime.fromtimestamp(int(token.split(",", 1)[0]), UTC).isoformat(),
        "endpoint": endpoint.key,
        "publisher_id": endpoint.publisher_id,
        "display": endpoint.display,
        "ice_servers": turn_credentials(endpoint.key, ttl),
    }


def join_config(meeting: Meeting, *, by) -> dict:
    """What a browser needs to join the meeting's video, for the account, seat or site `by`."""
    endpoint = endpoint_of(by, meeting)
    if not video_enabled() or not meeting.video_conference:
        return {"enabled": False}
    if meeting.status != "live":  # "ended": the page says the meeting is over and stops asking
        return {"enabled": True, "live": False, "ended": meeting.status in ENDED}
    try:
        credentials = mint_token(meeting, endpoint=endpoint)
    except JanusError as error:
        raise VideoUnavailable() from error
    credentials.pop("server_url")  # the app's loopback address of Janus's HTTP API stays on the server
    return {
        "enabled": True,
        "live": True,
        **credentials,
        "kind": endpoint.kind,
        "may_publish": may_publish(endpoint, meeting),
        "may_moderate": getattr(by, "role", None) in STAFF,
        "endpoint_ids": {"seat": SEAT_BASE, "site": SITE_BASE, "studio": STUDIO_BASE, "end": ENDPOINT_END,
                         "share": SHARE_SHIFT},
    }


def publish_status(meeting: Meeting, *, by) -> dict:
    """Whether the account, seat or site `by` may publish now: what pages ask when the floor changes
    (cheap: no token, no call to Janus)."""
    endpoint = endpoint_of(by, meeting)
    return {"live": meeting.status == "live", "may_publish": may_publish(endpoint, meeting)}


# --- the floor at Janus -----------------------------------------------------------------------------------


def participants(meeting: Meeting) -> list[dict]:
    """Janus's listparticipants of the meeting's room ([] when it has no open room)."""
    room = room_of(meeting)
    if room is None or not room.is_open:
        return []
    return _participants_in(room)


def _participants_in(room: VideoRoom) -> list[dict]:
    answer = janus_server(room.server_url).videoroom(
        {"request": "listparticipants", "room": room.janus_room_id}
    )
    return list(answer.get("participants") or [])


def publishers_by_server() -> dict[str, int]:
    """The participants publishing at Janus in the open rooms, by server (for /metrics), as each server
    tells them. A room whose server does not answer is left out and logged: its server still counts in the
    open rooms, and /healthz says it is down."""
    counts: dict[str, int] = {}
    for room in db.session.scalars(sa.select(VideoRoom).where(VideoRoom.closed_at.is_(None))):
        try:
            publishing = sum(1 for one in _participants_in(room) if one.get("publisher"))
        except JanusError as error:
            log.warning("counting the publishers of room %s at %s failed: %s", room.id, room.server_url,
                        error)  # fmt: skip
            continue
        counts[room.server_url] = counts.get(room.server_url, 0) + publishing
    return counts


def enforce_floor(meeting: Meeting) -> list[int]:
    """Kick every participant that may not publish now: seats and sites whose turn is over (whether they
    are publishing or only joined as that endpoint), their shared screens, and any other non-studio
    participant that publishes.
    Returns the kicked participant ids."""
    room = room_of(meeting)
    if room is None or not room.is_open:
        return []
    entitled = entitled_publisher_ids(meeting)
    unentitled = []
    for participant in participants(meeting):
        pid = participant.get("id")
        if not isinstance(pid, int):
            continue
        owner = share_owner(pid)  # a shared screen may stay exactly as long as its owner may publish
        if STUDIO_BASE <= (owner or pid) < ENDPOINT_END or (owner or pid) in entitled:
            continue
        if SEAT_BASE <= pid < STUDIO_BASE or owner is not None or participant.get("publisher"):
            unentitled.append(pid)
    return kick(room, unentitled)


def kick(room: VideoRoom, participant_ids: list[int]) -> list[int]:
    """Remove these participants from the room at Janus; returns those kicked (one that left meanwhile is
    not an error)."""
    server = janus_server(room.server_url)
    kicked = []
    for pid in participant_ids:
        try:
            server.videoroom({"request": "kick", "room": room.janus_room_id, "secret": room.secret,
                              "id": pid})  # fmt: skip
            kicked.append(pid)
        except JanusError as error:
            if error.code != 428:  # 428: it left meanwhile
                raise
    return kicked


def floor_changed(meeting: Meeting) -> None:
    """After a floor change commits (meetcore.floor.services): enforce it at Janus; never raises."""
    try:
        if video_enabled():
            enforce_floor(meeting)
    except (JanusError, DomainError) as error:
        log.warning("video: floor of meeting %s not enforced at Janus: %s", meeting.id, error)


# --- reactions to the meeting and the floor (meetcore.signals): after their commit --------------------------


@signals.meeting_started.connect
def _open_room(meeting: Meeting, *, by) -> None:
    meeting_went_live(meeting)


@signals.floor_changed.connect
def _enforce_floor(meeting: Meeting, *, kind, by) -> None:
    floor_changed(meeting)
