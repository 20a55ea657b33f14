"""HTTP side of the video domain: a browser's join settings (tokens minted per request), the chair's mute,
Debian's janus.js and adapter.js, and the secretariat's list of recordings."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, jsonify, render_template, request, send_file
from flask_login import current_user, login_required

from meetcore.errors import DomainError, InvalidInput, NotFound
from meetcore.extensions import csrf, db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import get_meeting
from meetcore.transaction import refuse
from meetcore.video import services

bp = Blueprint("video", __name__)


@bp.app_template_global("config_video_enabled")
def _video_enabled() -> bool:
    """For templates/video/_panel.html (imported macros see globals only)."""
    return services.video_enabled()


# Debian's packages libjs-janus-gateway and libjs-webrtc-adapter: served from where apt put them.
BROWSER_LIBRARIES = {
    "janus.js": Path("/usr/share/javascript/janus-gateway/janus.js"),
    "adapter.js": Path("/usr/share/javascript/webrtc-adapter/adapter.js"),
}


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    return meeting


def _error(error: DomainError):
    refuse()
    return jsonify({"ok": False, "error": error.as_dict()}), error.status


@bp.post("/video/<int:meeting_id>/join")
@csrf.exempt  # reads only (mints short-lived tokens); a provincial hall proves itself with its site token
def join(meeting_id: int):
    """The join settings of the account, seat (session) or provincial site (site_token) asking."""
    from meetcore.live.actors import actor_for_connection

    body = request.get_json(silent=True) or {}
    try:
        actor = actor_for_connection({"site_token": body["site_token"]} if body.get("site_token") else None)
        config = services.join_config(_meeting(meeting_id), by=actor)
    except DomainError as error:
        return _error(error)
    response = jsonify({"ok": True, "video": config})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/video/<int:meeting_id>/status")
@csrf.exempt  # reads only
def status(meeting_id: int):
    """May the asking account, seat or site publish now? (Asked when the floor changes.)"""
    from meetcore.live.actors import actor_for_connection

    body = request.get_json(silent=True) or {}
    try:
        actor = actor_for_connection({"site_token": body["site_token"]} if body.get("site_token") else None)
        answer = services.publish_status(_meeting(meeting_id), by=actor)
    except DomainError as error:
        return _error(error)
    response = jsonify({"ok": True, **answer})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/video/<int:meeting_id>/mute")
@login_required
def mute(meeting_id: int):
    """The chair (or the secretariat) mutes or unmutes a publisher's streams at Janus."""
    body = request.get_json(silent=True) or {}
    try:
        publisher_id = body.get("publisher_id")
        if not isinstance(publisher_id, int):
            raise InvalidInput(field="publisher_id")
        services.mute_publisher(_meeting(meeting_id), publisher_id, list(body.get("mids") or []),
                                mute=bool(body.get("mute", True)), by=current_user)  # fmt: skip
    except DomainError as error:
        return _error(error)
    return jsonify({"ok": True})


@bp.get("/video/lib/<name>")
def library(name: str):
    path = BROWSER_LIBRARIES.get(name)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/javascript", max_age=3600)


@bp.get("/meetings/<int:meeting_id>/recordings")
@login_required
def recordings(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    rows = services.list_recordings(meeting, by=current_user)
    return render_template("video/recordings.html", meeting=meeting, recordings=rows,
                           names=services.publisher_names(rows),
                           room=services.room_of(meeting))  # fmt: skip


@bp.get("/meetings/<int:meeting_id>/recordings/<int:recording_id>")
@login_required
def recording(meeting_id: int, recording_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    path = services.recording_file(meeting, recording_id, by=current_user)
    return send_file(path, as_attachment=True, download_name=path.name)
