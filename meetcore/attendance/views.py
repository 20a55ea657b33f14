"""Getting in (the identity check behind a seat's link, a provincial site's roll call page) and the console's
attendance pages (statuses, identity-code setting, site links, the connection log and its CSV export).

Thin: load → check → call one service → render. The CLI (`meetcore sites ...`, `meetcore attendance ...`)
is registered with the blueprint.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from meetcore.actors import SEAT_SESSION_KEY
from meetcore.attendance import identity, policy, services, site_sheet, sites
from meetcore.attendance.connection_log import all_connections, connection_log
from meetcore.attendance.labels import attendance_status_label, interval_kind_label
from meetcore.attendance.statuses import meeting_times, seat_statuses, status_counts
from meetcore.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from meetcore.extensions import db
from meetcore.i18n.dates import to_local
from meetcore.link_limits import link_limit
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import get_meeting
from meetcore.polls.strings import poll_strings
from meetcore.seats.links import SeatLinkExpired, SeatLinkRevoked, SeatLinkUnknown
from meetcore.seats.services import seat_label
from meetcore.transaction import refuse
from meetcore.video.strings import projector_strings
from meetcore.video.views import pdfjs_urls

bp = Blueprint("attendance", __name__, cli_group=None)

# The code this browser waits for: {"id": challenge id, "seat_id": seat id}.
CHALLENGE_SESSION_KEY = "identity_challenge"
LINK_ERRORS = (SeatLinkUnknown, SeatLinkRevoked, SeatLinkExpired, identity.MeetingClosed)
SITE_ERRORS = (sites.SiteLinkUnknown, sites.SiteLinkRevoked, sites.SiteLinkExpired)
LOG_PAGE_SIZE = 50


def live_page_url(meeting_id: int) -> str:
    """The participant's live page (meetcore.live.views)."""
    return url_for("live.participant", meeting_id=meeting_id)


@bp.context_processor
def _helpers() -> dict:
    return {
        "attendance_status_label": attendance_status_label,
        "interval_kind_label": interval_kind_label,
        "seat_label": seat_label,
    }


def _private(response: Response) -> Response:
    # The address carries a token: keep it out of caches, other sites' Referer headers and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page(template: str, status: int = 200, **context) -> Response:
    return _private(Response(render_template(template, **context), status=status))


def _refused(error: DomainError) -> Response:
    refuse()
    return _page("attendance/link_refused.html", status=error.status, message=error.message)


# --- the identity check --------------------------------------------------------------------------------


def _challenge_id(seat_id: int) -> int | None:
    stored = session.get(CHALLENGE_SESSION_KEY)
    if isinstance(stored, dict) and stored.get("seat_id") == seat_id and isinstance(stored.get("id"), int):
        return stored["id"]
    return None


def _identity_defaults(check: identity.IdentityCheck) -> dict:
    """What the form shows first: the identity this browser confirmed already, else the invitee's."""
    seat = check.seat
    stored = session.get(SEAT_SESSION_KEY)
    if isinstance(stored, dict) and stored.get("seat_id") == seat.id:
        return {
            "attending": "substitute" if stored.get("as_substitute") else "self",
            "attendee_name": stored.get("attendee_name") or "",
            "attendee_position": stored.get("attendee_position") or "",
        }
    if seat.rsvp == "substitute" and seat.substitute_name:
        return {
            "attending": "substitute",
            "attendee_name": seat.substitute_name,
            "attendee_position": seat.substitute_position or "",
        }
    return {"attending": "self", "attendee_name": seat.name or "", "attendee_position": seat.position or ""}


def _confirmed(confirmed: identity.ConfirmedIdentity) -> Response:
    session[SEAT_SESSION_KEY] = confirmed.session_value()
    session.pop(CHALLENGE_SESSION_KEY, None)
    return _private(redirect(live_page_url(confirmed.meeting_id)))


def _identity_form(check, form: dict, status: int = 200, error_field: str | None = None) -> Response:
    stored = session.get(SEAT_SESSION_KEY)
    confirmed = isinstance(stored, dict) and stored.get("seat_id") == check.seat.id
    return _page("attendance/identity.html", status=status, seat=check.seat, meeting=check.meeting,
                 requires_code=check.requires_code, form=form, error_field=error_field,
                 confirmed=confirmed, live_url=live_page_url(check.meeting.id))  # fmt: skip


@bp.route("/join/<token>/identity", methods=["GET", "POST"])
@link_limit()
def identity_check(token: str):
    """Confirm name and position, myself or as a substitute; then the code, where the meeting asks for it."""
    try:
        check = identity.open_identity_check(token)
    except LINK_ERRORS as error:
        return _refused(error)
    if request.method == "GET":
        return _identity_form(check, _identity_defaults(check))
    fields = ("attending", "attendee_name", "attendee_position")
    data = {name: request.form.get(name, "") for name in fields if name in request.form}
    try:
        client = services.client_address(request.environ)
        result = identity.confirm_identity(
            token, data, client=client, challenge_id=_challenge_id(check.seat.id)
        )
    except LINK_ERRORS as error:
        return _refused(error)
    except (InvalidInput, identity.CodeNotSent, identity.TooManyCodes) as error:
        refuse()
        flash(str(error.message), "error")
        return _identity_form(check, {**_identity_defaults(check), **data}, error.status, error.field)
    if isinstance(result, identity.ConfirmedIdentity):
        return _confirmed(result)
    session[CHALLENGE_SESSION_KEY] = {"id": result.challenge.id, "seat_id": check.seat.id}
    if result.sent_now:
        flash(_("A code has been sent to %(address)s.", address=result.masked_email), "success")
    return _private(redirect(url_for("attendance.identity_code", token=token)))


def _code_page(check, challenge, status: int = 200, error_field: str | None = None) -> Response:
    return _page("attendance/code.html", status=status, seat=check.seat, meeting=check.meeting,
                 challenge=challenge, masked_email=identity.masked_email(check.seat.email),
                 error_field=error_field)  # fmt: skip


@bp.route("/join/<token>/identity/code", methods=["GET", "POST"])
@link_limit("30 per minute")
def identity_code(token: str):
    try:
        check = identity.open_identity_check(token)
        challenge_id = _challenge_id(check.seat.id)
        challenge = identity.pending_challenge(check.seat, challenge_id)
    except LINK_ERRORS as error:
        return _refused(error)
    if request.method == "GET":
        if challenge is None:
            flash(_("Fill in your name and position; the code is sent after that."), "info")
            return _private(redirect(url_for("attendance.identity_check", token=token)))
        return _code_page(check, challenge)
    try:
        confirmed = identity.verify_code(token, challenge_id, {"code": request.form.get("code", "")})
    except LINK_ERRORS as error:
        return _refused(error)
    except (InvalidInput, identity.CodeExpired, identity.CodeLocked) as error:
        refuse()
        flash(str(error.message), "error")
        return _code_page(check, challenge, error.status, error.field or "code")
    return _confirmed(confirmed)


@bp.post("/join/<token>/identity/code/resend")
@link_limit("10 per minute")
def resend_code(token: str):
    try:
        check = identity.open_identity_check(token)
        sent = identity.resend_code(
            token, _challenge_id(check.seat.id), client=services.client_address(request.environ)
        )
    except LINK_ERRORS as error:
        return _refused(error)
    except (identity.CodeExpired, identity.CodeNotSent, identity.TooManyCodes) as error:
        refuse()
        flash(str(error.message), "error")
        return _private(redirect(url_for("attendance.identity_code", token=token)))
    session[CHALLENGE_SESSION_KEY] = {"id": sent.challenge.id, "seat_id": check.seat.id}
    flash(_("A new code has been sent to %(address)s.", address=sent.masked_email), "success")
    return _private(redirect(url_for("attendance.identity_code", token=token)))


# --- a provincial site's roll call -----------------------------------------------------------------------


# The Socket.IO browser client, where the live pages vendor it; without it the site page is a plain form.
SOCKETIO_CLIENT = "dist/socket.io.min.js"
HALL_LIVE_SCRIPT = "dist/site-live.js"


def _socketio_client() -> str | None:
    path = Path(current_app.static_folder or "") / SOCKETIO_CLIENT
    return url_for("static", filename=SOCKETIO_CLIENT) if path.is_file() else None


def _site_page(token: str, link, meeting: Meeting, status: int = 200) -> Response:
    return _page("attendance/site.html", status=status, token=token, link=link, meeting=meeting,
                 seats=sites.site_seats(meeting, link.province_id), socketio_client=_socketio_client(),
                 open=meeting.status in policy.ATTENDING_STATUSES,
                 live_config=_hall_live_config(token, meeting))  # fmt: skip


def _hall_pdf_url(token: str) -> str:
    """Where the hall's projector fetches a document: the page puts the document's id for {document_id}."""
    return url_for("agenda.hall_document_pdf", token=token, document_id=0).removesuffix("/0/pdf") + (
        "/{document_id}/pdf"
    )


def _hall_live_config(token: str, meeting: Meeting) -> dict | None:
    """The hall's live parts (static/src/site-live.js): its votes (meetcore/polls), each role ticked present
    voting, and the projector (meetcore/video/projector.py), which it follows."""
    if not (Path(current_app.static_folder or "") / HALL_LIVE_SCRIPT).is_file():
        return None
    locale = "en" if str(get_locale() or "th").startswith("en") else "th"
    return {"meeting_id": meeting.id, "site_token": token, "locale": locale,
            "script": url_for("static", filename=HALL_LIVE_SCRIPT),
            "urls": {**pdfjs_urls(), "projector_pdf": _hall_pdf_url(token)},
            "strings": {**poll_strings(), **projector_strings()}}  # fmt: skip


@bp.route("/site/<token>", methods=["GET", "POST"])
@link_limit()
def site(token: str):
    """The provincial hall's roll call: tick the roles in the room. Works as a plain form; with Socket.IO
    each tick is sent at once (site.roll_call)."""
    try:
        link = sites.site_for_link(token)
    except SITE_ERRORS as error:
        return _refused(error)
    meeting = db.session.get(Meeting, link.meeting_id)
    if request.method == "GET":
        return _site_page(token, link, meeting)
    remote_addr, user_agent = services.client_address(request.environ)
    via = services.Connection(connection_id=None, remote_addr=remote_addr, user_agent=user_agent)
    try:
        actor = sites.site_actor_from_token(token)
        data = {"present": request.form.getlist("present")}
        changed = sites.apply_roll_call(meeting, data, by=actor, via=via)
    except SITE_ERRORS as error:
        return _refused(error)
    except (InvalidInput, Conflict, PermissionDenied) as error:
        refuse()
        flash(str(error.message), "error")
        return _site_page(token, link, meeting, status=error.status)
    if changed:
        message = ngettext(
            "The roll call has been saved: %(num)s seat changed.",
            "The roll call has been saved: %(num)s seats changed.",
            changed,
        )
        flash(message, "success")
    else:
        flash(_("The roll call is as it was; nothing changed."), "info")
    return _private(redirect(url_for("attendance.site", token=token)))


# --- the console -------------------------------------------------------------------------------------


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


@bp.get("/meetings/<int:meeting_id>/attendance")
@login_required
def overview(meeting_id: int):
    """Every seat's status (present, by substitute, late, left early, absent with reason) and the settings."""
    meeting = get_meeting(meeting_id, by=current_user)
    statuses = seat_statuses(meeting, by=current_user)
    return render_template("attendance/overview.html", meeting=meeting, statuses=statuses,
                           totals=status_counts(statuses), times=meeting_times(meeting),
                           grace=policy.late_grace())  # fmt: skip


@bp.post("/meetings/<int:meeting_id>/attendance/settings")
@login_required
def settings(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    required = request.form.get("requires_identity_code") in ("1", "on", "true")
    try:
        meeting = services.update_settings(meeting, {"requires_identity_code": required}, by=current_user)
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return redirect(url_for("attendance.overview", meeting_id=meeting_id))
    if meeting.requires_identity_code:
        flash(_("Participants now confirm their identity with a code e-mailed to their seat."), "success")
    else:
        flash(_("Participants now confirm their identity without a code."), "success")
    return redirect(url_for("attendance.overview", meeting_id=meeting_id))


@bp.get("/meetings/<int:meeting_id>/attendance/connections")
@login_required
def connections(meeting_id: int):
    """The connection log (the decree's traffic data): every interval with address and user agent."""
    meeting = get_meeting(meeting_id, by=current_user)
    page = connection_log(meeting, by=current_user, page=_int_arg("page", 1), per_page=LOG_PAGE_SIZE)
    return render_template("attendance/connections.html", meeting=meeting, page=page)


def _local_iso(value: datetime | None) -> str:
    return to_local(value).isoformat(timespec="seconds") if value is not None else ""


def _csv_rows(meeting: Meeting) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield "\ufeff" + line([
        _("Joined"), _("Left"), _("Seconds"), _("Province code"), _("Seat"), _("Invitee"), _("Kind"),
        _("Attendee"), _("Attendee position"), _("Address"), _("User agent"), _("Connection"),
    ])  # fmt: skip
    for entry in all_connections(meeting, by=current_user):
        row = entry.interval
        duration = entry.duration
        yield line([
            _local_iso(row.joined_at), _local_iso(row.left_at),
            int(duration.total_seconds()) if duration is not None else "",
            entry.province.code if entry.province else "", seat_label(entry.province, entry.role),
            entry.seat_name or "", interval_kind_label(row.kind), row.attendee_name or "",
            row.attendee_position or "", row.remote_addr or "", row.user_agent or "", row.connection_id or "",
        ])  # fmt: skip


@bp.get("/meetings/<int:meeting_id>/attendance/connections.csv")
@login_required
def connections_csv(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    rows = list(_csv_rows(meeting))  # read inside the request (the session ends with it)
    response = Response(rows, mimetype="text/csv")
    filename = f"connections-meeting-{meeting.id}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _sites_page(meeting, *, new_link: str | None = None, new_province=None, status: int = 200):
    page = render_template("attendance/sites.html", meeting=meeting,
                           overview=sites.site_overview(meeting, by=current_user), new_link=new_link,
                           new_province=new_province)  # fmt: skip
    response = Response(page, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/meetings/<int:meeting_id>/sites")
@login_required
def site_links(meeting_id: int):
    """Provincial sites: issue a roll-call link per province, withdraw links."""
    return _sites_page(get_meeting(meeting_id, by=current_user))


@bp.post("/meetings/<int:meeting_id>/sites")
@login_required
def issue_site_link(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        issued = sites.issue_site_link(
            meeting, {"province_code": request.form.get("province_code", "")}, by=current_user
        )
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return _sites_page(meeting, status=error.status)
    url = url_for("attendance.site", token=issued.token, _external=True)
    return _sites_page(meeting, new_link=url, new_province=issued.link.province)


@bp.post("/meetings/<int:meeting_id>/sites/sheet")
@login_required
def issue_site_sheet(meeting_id: int):
    """Every province's site link at once (or one province's again: ``province_code``), as a printable
    sheet with its CSV; each province's earlier links are withdrawn."""
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        rows = site_sheet.issue_sheet(meeting, by=current_user,
                                      province_code=request.form.get("province_code") or None)  # fmt: skip
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return _sites_page(meeting, status=error.status)

    def link_url(token: str) -> str:
        return url_for("attendance.site", token=token, _external=True)

    page = render_template("attendance/site_sheet.html", meeting=meeting, rows=rows, link_url=link_url,
                           csv_text=site_sheet.sheet_csv(rows, link_url))  # fmt: skip
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"  # the links are shown once
    return response


@bp.post("/meetings/<int:meeting_id>/sites/<province_code>/revoke")
@login_required
def revoke_site_links(meeting_id: int, province_code: str):
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        count = sites.revoke_site_links(meeting, province_code, by=current_user)
    except InvalidInput as error:
        refuse()
        flash(str(error.message), "error")
        return redirect(url_for("attendance.site_links", meeting_id=meeting_id))
    flash(ngettext("%(num)s site link has been withdrawn.", "%(num)s site links have been withdrawn.", count),
          "success")  # fmt: skip
    return redirect(url_for("attendance.site_links", meeting_id=meeting_id))
