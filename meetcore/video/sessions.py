"""The same person in two places, and credentials kept fresh (issue 16).

* A page's video session: every page that joins the video gets a session id. A seat or a provincial hall
  has one session at a time: the newest page takes it over, and the server kicks the older page's Janus
  participants (its listener and its publisher) before the new page joins, so Janus never answers
  "already exists". The older page learns that it was superseded when it asks (its participants were
  kicked) and stops. A staff account may watch from several tabs; only its studio publisher is taken
  over (by the tab that starts publishing last).
* Tokens: a page asks for a fresh signed Janus token before its token expires and uses it on the same
  Janus session (make-before-break: nothing is reconnected, no media drops).
* The chair mutes a publisher's audio or stops its video at Janus (moderate); what was stopped is kept per
  endpoint and announced as a live event, so every page shows it.
* A credential withdrawn (a seat's link, a hall's link, an account's sign-in): its page leaves the video
  (meetcore.video.withdrawal).

The state lives in VideoEndpoint rows (every app process sees the same), never in memory.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.auth.permissions import require_staff
from meetcore.database import utcnow
from meetcore.errors import Conflict, DomainError, InvalidInput, NotFound
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.video import services
from meetcore.video.janus_api import JanusError, signed_token
from meetcore.video.models import VideoEndpoint, VideoRoom

log = logging.getLogger(__name__)

LISTENER_PREFIX = "listen:"
MEDIA_KINDS = ("audio", "video")


class VideoSuperseded(DomainError):
    code = "video_superseded"
    status = 409
    default_message = _l(
        "This meeting's video is now open in another tab or on another device, so it stopped here."
    )


def listener_display(endpoint: services.Endpoint, session: str) -> str:
    """The display name of a page's listener at Janus: which endpoint and session it belongs to, so that
    the server can find (and kick) the listeners of a superseded page."""
    return f"{LISTENER_PREFIX}{endpoint.key}:{session}"


def _row(meeting: Meeting, key: str, *, create: bool = False) -> VideoEndpoint | None:
    row = db.session.scalar(
        sa.select(VideoEndpoint).where(VideoEndpoint.meeting_id == meeting.id, VideoEndpoint.endpoint == key)
    )
    if row is None and create:
        row = VideoEndpoint(meeting_id=meeting.id, endpoint=key, audio_muted=False, video_stopped=False)
        db.session.add(row)
    return row


def open_room(meeting: Meeting) -> VideoRoom | None:
    room = services.room_of(meeting)
    return room if room is not None and room.is_open else None


def kick_endpoint(meeting: Meeting, endpoint: services.Endpoint, *, listeners: bool) -> list[int]:
    """Kick the endpoint's publisher (its fixed id) and, with `listeners` (a whole page taken over), its
    shared screen and every listener of its pages."""
    room = open_room(meeting)
    if room is None:
        return []
    prefix = f"{LISTENER_PREFIX}{endpoint.key}:"
    ids = [
        participant["id"]
        for participant in services.participants(meeting)
        if participant.get("id") == endpoint.publisher_id
        or (listeners and participant.get("id") == services.share_id(endpoint))
        or (listeners and str(participant.get("display") or "").startswith(prefix))
    ]
    return services.kick(room, ids)


def _take_over(meeting: Meeting, endpoint: services.Endpoint, session: str, *, listeners: bool) -> None:
    # Janus first, the row after: a write transaction held open across HTTP calls to Janus would keep
    # SQLite's write lock while this greenlet waits, and other writers of the process would time out.
    try:
        kick_endpoint(meeting, endpoint, listeners=listeners)
    except JanusError as error:
        raise services.VideoUnavailable() from error
    row = _row(meeting, endpoint.key, create=True)
    row.session = session
    row.credential = endpoint.credential
    row.claimed_at = utcnow()
    db.session.flush()


def is_superseded(meeting: Meeting, endpoint: services.Endpoint, session: str | None) -> bool:
    row = _row(meeting, endpoint.key)
    return row is not None and row.session is not None and row.session != session


def check_session(session) -> str | None:
    if session is None:
        return None
    if not isinstance(session, str) or not 8 <= len(session) <= 40 or not session.isalnum():
        raise InvalidInput(field="session")
    return session


def join_video(meeting: Meeting, *, by, session=None) -> dict:
    """The join settings (services.join_config) with this page's session. A seat's or hall's page that
    asks again with an older session (it reconnects after a loss) is told it was superseded; a page with
    no session (a new tab, a reload) takes the endpoint over."""
    session = check_session(session)
    config = services.join_config(meeting, by=by)
    if not config.get("live"):
        return config
    endpoint = services.endpoint_of(by, meeting)
    if endpoint.kind != "studio":
        if session is not None and is_superseded(meeting, endpoint, session):
            raise VideoSuperseded()
        session = session or secrets.token_hex(8)
        _take_over(meeting, endpoint, session, listeners=True)
    else:
        session = session or secrets.token_hex(8)
    return {**config, "session": session, "listen_display": listener_display(endpoint, session)}


def claim_publishing(meeting: Meeting, *, by, session) -> dict:
    """A page is about to publish: its endpoint's publisher elsewhere (the studio in another tab, a seat's
    earlier page) is kicked first, so that the page's join with the endpoint's id is not refused."""
    session = check_session(session)
    if session is None:
        raise InvalidInput(field="session")
    endpoint = services.endpoint_of(by, meeting)
    if meeting.status != "live":
        raise Conflict(_l("There is no video in this meeting now."))
    if endpoint.kind != "studio":
        if is_superseded(meeting, endpoint, session):
            raise VideoSuperseded()
        return {"may_publish": services.may_publish(endpoint, meeting)}
    _take_over(meeting, endpoint, session, listeners=False)
    return {"may_publish": True}


def session_status(meeting: Meeting, *, by, session=None) -> dict:
    """May this page publish now, and does it still hold its endpoint (asked when the floor changes, and
    when Janus kicked one of the page's participants)?"""
    session = check_session(session)
    answer = services.publish_status(meeting, by=by)
    endpoint = services.endpoint_of(by, meeting)
    elsewhere = session is not None and is_superseded(meeting, endpoint, session)
    answer["superseded"] = elsewhere and endpoint.kind != "studio"
    answer["publishing_elsewhere"] = elsewhere
    answer["ended"] = meeting.status in services.ENDED
    return answer


def refresh_token(meeting: Meeting, *, by, session=None) -> dict:
    """A fresh signed Janus token for a page's running Janus session (make-before-break)."""
    session = check_session(session)
    endpoint = services.endpoint_of(by, meeting)
    if meeting.status != "live" or open_room(meeting) is None:
        raise Conflict(_l("There is no video in this meeting now."))
    if endpoint.kind != "studio" and is_superseded(meeting, endpoint, session):
        raise VideoSuperseded()
    ttl = int(services._config("VIDEO_TOKEN_TTL") or 3600)
    token = signed_token(services._token_secret(), ttl)
    expires_at = datetime.fromtimestamp(int(token.split(",", 1)[0]), UTC)
    return {"token": token, "expires_at": expires_at.isoformat()}


# --- the chair stops a publisher's audio or video ---------------------------------------------------------


def endpoint_key_of(publisher_id: int) -> str | None:
    for base, kind in ((services.STUDIO_BASE, "studio"), (services.SITE_BASE, "site"),
                       (services.SEAT_BASE, "seat")):  # fmt: skip
        if base <= publisher_id < base + 1_000_000_000:
            return f"{kind}-{publisher_id - base}"
    return None


def moderation_state(meeting_id: int) -> dict:
    """{publisher id: {audio_muted, video_stopped}} of the endpoints the chair stopped something of."""
    rows = db.session.scalars(
        sa.select(VideoEndpoint).where(
            VideoEndpoint.meeting_id == meeting_id,
            sa.or_(VideoEndpoint.audio_muted.is_(True), VideoEndpoint.video_stopped.is_(True)),
        )
    )
    return {str(_publisher_id(row.endpoint)): _moderation(row) for row in rows}


def _publisher_id(key: str) -> int:
    kind, _, number = key.partition("-")
    base = {"studio": services.STUDIO_BASE, "site": services.SITE_BASE, "seat": services.SEAT_BASE}[kind]
    return base + int(number)


def _moderation(row: VideoEndpoint) -> dict:
    return {"audio_muted": bool(row.audio_muted), "video_stopped": bool(row.video_stopped)}


def moderate(meeting: Meeting, publisher_id: int, kind: str, mids: list[str], *, mute: bool, by) -> dict:
    """Mute (or unmute) a publisher's audio, or stop (or let again) its video, at Janus; kept and
    announced to every page (live event video.moderated)."""
    require_staff(by)
    key = endpoint_key_of(publisher_id) if isinstance(publisher_id, int) else None
    if key is None:
        raise InvalidInput(_l("Choose a participant who sends video."), field="publisher_id")
    if kind not in MEDIA_KINDS:
        raise InvalidInput(field="kind")
    if not mids or not all(isinstance(mid, str) and 0 < len(mid) < 20 for mid in mids):
        raise InvalidInput(_l("Choose the streams to mute."), field="mids")
    room = open_room(meeting)
    if meeting.status != "live" or room is None:
        raise Conflict(_l("There is no video in this meeting now."))
    # Janus first, the row after: nothing this command writes (its receipt included, asks_janus in
    # meetcore.video.events) may hold the database's write lock while Janus answers (docs/transactions.md).
    server = services.janus_server(room.server_url)
    try:
        for mid in mids:
            server.videoroom({"request": "moderate", "room": room.janus_room_id, "secret": room.secret,
                              "id": publisher_id, "mid": mid, "mute": bool(mute)})  # fmt: skip
    except JanusError as error:
        if error.code in (428, 453):  # no such participant; no such mid (it stopped publishing)
            raise NotFound(_l("This participant has left the video.")) from error
        raise services.VideoUnavailable() from error
    row = _row(meeting, key, create=True)
    if kind == "audio":
        row.audio_muted = bool(mute)
    else:
        row.video_stopped = bool(mute)
    db.session.flush()
    payload = {"publisher_id": publisher_id, "endpoint": key, **_moderation(row),
               "moderation": moderation_state(meeting.id)}  # fmt: skip
    record_event(meeting, "video.moderated", payload, by=by)
    return payload
