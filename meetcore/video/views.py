"""HTTP side of the video domain: a browser's join settings (tokens minted per request; a new page takes its
endpoint over; fresh tokens for a running session; screen sharing),
Debian's janus.js and adapter.js, the secretariat's list of recordings, and the meeting's composed recording
with its chapters (the staff; the seats when the secretariat allows it)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from meetcore.errors import DomainError, NotFound
from meetcore.extensions import csrf, db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import get_meeting
from meetcore.transaction import refuse
from meetcore.video import floor_watch, playback, services, sessions, sharing
from meetcore.video import recordings as recording_files

bp = Blueprint("video", __name__)


@bp.app_template_global("config_video_enabled")
def _video_enabled() -> bool:
    """For templates/video/_panel.html (imported macros see globals only)."""
    return services.video_enabled()


@bp.app_template_global("recording_for_seats")
def _recording_for_seats(meeting: Meeting) -> bool:
    """For the participant page: the meeting's recording is built and its seats may watch it."""
    return playback.seats_may_watch(meeting)


# Debian's packages libjs-janus-gateway, libjs-webrtc-adapter and libjs-pdf: served from where apt put them.
BROWSER_LIBRARIES = {
    "janus.js": Path("/usr/share/javascript/janus-gateway/janus.js"),
    "adapter.js": Path("/usr/share/javascript/webrtc-adapter/adapter.js"),
    # libjs-pdf: the projector renders agenda documents in the browser (issue 16, item 4)
    "pdf.js": Path("/usr/share/javascript/pdf/build/pdf.js"),
    "pdf.worker.js": Path("/usr/share/javascript/pdf/build/pdf.worker.js"),
}


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    return meeting


def _error(error: DomainError):
    refuse()
    return jsonify({"ok": False, "error": error.as_dict()}), error.status


def _asking_actor(body: dict):
    from meetcore.live.actors import actor_for_connection

    return actor_for_connection({"site_token": body["site_token"]} if body.get("site_token") else None)


def _answer(call):
    """Run one service call for the account, seat or site asking; its JSON answer, never cached. The
    request (its entry point, meetcore.transaction.install_http) commits what the call changed (a
    takeover); a refusal rolls back."""
    body = request.get_json(silent=True) or {}
    try:
        answer = call(_asking_actor(body), body)
    except DomainError as error:
        return _error(error)
    response = jsonify({"ok": True, **answer})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/video/<int:meeting_id>/join")
@csrf.exempt  # mints short-lived tokens; a provincial hall proves itself with its site token
def join(meeting_id: int):
    """The join settings of the account, seat (session) or provincial site (site_token) asking; a seat's or
    hall's new page takes its video over from an older one."""
    floor_watch.ensure_floor_watch()  # the background check of the floor (and of withdrawn links), once
    return _answer(lambda actor, body: {"video": sessions.join_video(
        _meeting(meeting_id), by=actor, session=body.get("session"))})  # fmt: skip


@bp.post("/video/<int:meeting_id>/status")
@csrf.exempt  # reads only
def status(meeting_id: int):
    """May the asking page publish now, and does it still hold its video? (Asked when the floor changes,
    and when Janus kicked one of its participants.)"""
    return _answer(lambda actor, body: sessions.session_status(
        _meeting(meeting_id), by=actor, session=body.get("session")))  # fmt: skip


@bp.post("/video/<int:meeting_id>/claim")
@csrf.exempt  # takes over only the asker's own endpoint, proven as for join
def claim(meeting_id: int):
    """The page is about to publish: its endpoint's publisher elsewhere is kicked first."""
    return _answer(lambda actor, body: sessions.claim_publishing(
        _meeting(meeting_id), by=actor, session=body.get("session")))  # fmt: skip


@bp.post("/video/<int:meeting_id>/share")
@csrf.exempt  # checks only; the asker is proven as for join
def share(meeting_id: int):
    """The page is about to share its screen: may it (the studio, the floor holder), and under which id."""
    return _answer(lambda actor, body: sharing.start_share(
        _meeting(meeting_id), by=actor, session=body.get("session")))  # fmt: skip


@bp.post("/video/<int:meeting_id>/token")
@csrf.exempt  # reads only (mints a short-lived token for the asker's running session)
def token(meeting_id: int):
    """A fresh Janus token for the page's running Janus session (make-before-break)."""
    return _answer(lambda actor, body: sessions.refresh_token(
        _meeting(meeting_id), by=actor, session=body.get("session")))  # fmt: skip


def pdfjs_urls() -> dict[str, str]:
    """Debian's pdf.js and its worker, which the projector loads when a document is first shown."""
    return {"pdfjs": url_for("video.library", name="pdf.js"),
            "pdf_worker": url_for("video.library", name="pdf.worker.js")}  # fmt: skip


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
    rows = recording_files.list_recordings(meeting, by=current_user)
    return render_template("video/recordings.html", meeting=meeting, recordings=rows,
                           names=recording_files.publisher_names(rows),
                           room=services.room_of(meeting))  # fmt: skip


@bp.get("/meetings/<int:meeting_id>/recordings/<int:recording_id>")
@login_required
def recording(meeting_id: int, recording_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    path = recording_files.recording_file(meeting, recording_id, by=current_user)
    return send_file(path, as_attachment=True, download_name=path.name)


def _watcher():
    """The account, or the seat of a personal link (its confirmed session), asking to watch."""
    from meetcore.live.actors import actor_for_connection

    return actor_for_connection(None)


@bp.get("/meetings/<int:meeting_id>/recording")
def watch(meeting_id: int):
    """The playback page: the composed recording, its chapters (the agenda) and each item's minutes."""
    meeting, watcher = _meeting(meeting_id), _watcher()
    build = playback.recording_build(meeting, by=watcher)
    ready = build is not None and build.state == "done"
    return render_template("video/playback.html", meeting=meeting, build=build, ready=ready,
                           staff=getattr(watcher, "role", None) in playback.STAFF_ROLES,
                           may_decide=getattr(watcher, "role", None) in ("admin", "secretariat"),
                           minutes=playback.chapter_minutes(meeting, build) if ready else {})  # fmt: skip


@bp.get("/meetings/<int:meeting_id>/recording/status")
def watch_status(meeting_id: int):
    """The build's state and progress, which the playback page asks for until the file is ready."""
    build = playback.recording_build(_meeting(meeting_id), by=_watcher())
    response = jsonify({"state": build.state if build else None, "progress": build.progress if build else 0})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/meetings/<int:meeting_id>/recording.webm")
def watch_file(meeting_id: int):
    """The file, after the same check as the page (nginx sends it when MEETCORE_ACCEL_REDIRECT_PREFIX is
    set); a player's range requests are answered."""
    path = playback.recording_path(_meeting(meeting_id), by=_watcher())
    response = send_file(path, mimetype="video/webm", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/meetings/<int:meeting_id>/recording/chapters.vtt")
def watch_chapters(meeting_id: int):
    build = playback.recording_build(_meeting(meeting_id), by=_watcher())
    if build is None or build.state != "done":
        raise NotFound()
    return Response(playback.chapters_vtt(build), mimetype="text/vtt", headers={"Cache-Control": "no-store"})


@bp.post("/meetings/<int:meeting_id>/recording/seats")
@login_required
def watch_by_seats(meeting_id: int):
    """The secretariat lets the meeting's seats watch the recording, or stops them."""
    playback.allow_seats_to_watch(_meeting(meeting_id), request.form.get("allowed") == "1", by=current_user)
    return redirect(url_for("video.watch", meeting_id=meeting_id))
