"""The seat roster and the attendance board of a meeting, and the invitee's landing page of a join link.

Thin: load → check → call one service → render. The chair sees roster and board read-only.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from meetcore.attendance.matrix import board as attendance_board
from meetcore.auth.permissions import can_edit, require_editor
from meetcore.directory.models import REGIONS
from meetcore.directory.reference import DEFAULT_PROVINCIAL_ROLES
from meetcore.directory.services import list_roles, provinces_by_region
from meetcore.errors import Conflict, InvalidInput
from meetcore.link_limits import link_limit
from meetcore.meetings.services import get_meeting
from meetcore.seats import links, roster_io, services
from meetcore.seats.labels import SEAT_STATUSES, region_label, rsvp_label, seat_status_label
from meetcore.seats.models import RSVP_STATES
from meetcore.transaction import refuse

bp = Blueprint("seats", __name__)

SEAT_FORM_FIELDS = (
    "province_code", "role_code", "name", "position", "email",
    "substitute_name", "substitute_position", "substitute_email", "rsvp", "absence_reason",
)  # fmt: skip
ROSTER_PAGE_SIZE = 100


@bp.context_processor
def _seat_helpers() -> dict:
    return {
        "region_label": region_label,
        "seat_status_label": seat_status_label,
        "rsvp_label": rsvp_label,
        "seat_label": services.seat_label,
    }


def _locale() -> str:
    return "en" if str(get_locale() or "th").startswith("en") else "th"


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


# --- the roster ------------------------------------------------------------------------------------------


def _roster_filters() -> dict:
    region = request.args.get("region") or None
    if region not in (*REGIONS, "none"):
        region = None
    return {
        "q": (request.args.get("q") or "").strip() or None,
        "region": region,
        "role": (request.args.get("role") or "").strip() or None,
    }


def _render_roster(meeting, *, status: int = 200, add_form=None, import_errors=None, error_field=None):
    filters = _roster_filters()
    page = services.list_roster(
        meeting,
        by=current_user,
        page=_int_arg("page", 1),
        per_page=ROSTER_PAGE_SIZE,
        locale=_locale(),
        **filters,
    )
    roles = list_roles()
    editable = can_edit(current_user) and services.roster_is_open(meeting)
    context = {
        "meeting": meeting,
        "page": page,
        "filters": filters,
        "counts": services.roster_counts(meeting, by=current_user),
        "roles": roles,
        "regions": REGIONS,
        "editable": editable,
        "details_editable": can_edit(current_user) and services.details_are_open(meeting),
        "rsvp_labels": {state: rsvp_label(state) for state in RSVP_STATES},
        "import_errors": import_errors,
        "error_field": error_field,
    }
    if editable:
        context["provinces_by_region"] = provinces_by_region(locale=_locale())
        context["add_form"] = add_form or {
            "provinces_mode": "all",
            "roles": [role.code for role in DEFAULT_PROVINCIAL_ROLES],
            "central_roles": [],
            "region": "",
            "provinces": [],
        }
    return render_template("seats/roster.html", **context), status


@bp.get("/meetings/<int:meeting_id>/roster")
@login_required
def roster(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    return _render_roster(meeting)


def add_form_to_input(form) -> dict:
    """The add-seats form (all / a region / picked provinces × role check boxes) as the service's input."""
    mode = form.get("provinces_mode", "all")
    if mode == "region":
        provinces = form.get("region") or None
    elif mode == "pick":
        provinces = form.getlist("provinces")
    else:
        provinces = "all"
    return {
        "provinces": provinces,
        "roles": form.getlist("roles"),
        "central_roles": form.getlist("central_roles"),
    }


@bp.post("/meetings/<int:meeting_id>/roster/seats")
@login_required
def add_seats(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    form = {
        "provinces_mode": request.form.get("provinces_mode", "all"),
        "region": request.form.get("region", ""),
        "provinces": request.form.getlist("provinces"),
        "roles": request.form.getlist("roles"),
        "central_roles": request.form.getlist("central_roles"),
    }
    try:
        result = services.add_seats(meeting, add_form_to_input(request.form), by=current_user)
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return _render_roster(meeting, status=error.status, add_form=form, error_field=error.field)
    created, skipped = len(result.created), len(result.skipped)
    if created:
        message = ngettext("%(num)s seat has been added.", "%(num)s seats have been added.", created)
        if skipped:
            message += " " + ngettext(
                "%(num)s was on the roster already and was left as it was.",
                "%(num)s were on the roster already and were left as they were.",
                skipped,
            )
        flash(message, "success")
    else:
        flash(_("Every seat chosen is on the roster already; nothing was added."), "info")
    return redirect(url_for("seats.roster", meeting_id=meeting.id))


def _seat_form_context(meeting, seat, form, error_field=None) -> dict:
    return {
        "meeting": meeting,
        "seat": seat,
        "form": form,
        "error_field": error_field,
        "provinces_by_region": provinces_by_region(locale=_locale()) if seat is None else None,
        "roles": list_roles() if seat is None else None,
        "rsvp_states": RSVP_STATES,
        "new_link": None,
        "live_links": links.live_link_count(seat) if seat is not None else 0,
    }


def _form_input(form, names) -> dict:
    return {name: form.get(name, "") for name in names if name in form}


@bp.route("/meetings/<int:meeting_id>/roster/new", methods=["GET", "POST"])
@login_required
def new_seat(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    if request.method == "POST":
        data = _form_input(request.form, SEAT_FORM_FIELDS[:8])
        try:
            seat = services.add_seat(meeting, data, by=current_user)
        except (InvalidInput, Conflict) as error:
            refuse()
            flash(str(error.message), "error")
            context = _seat_form_context(meeting, None, request.form, error.field)
            return render_template("seats/seat_form.html", **context), error.status
        flash(
            _("The seat “%(seat)s” has been added.", seat=services.seat_label(seat.province, seat.role)),
            "success",
        )
        return redirect(url_for("seats.roster", meeting_id=meeting.id))
    return render_template("seats/seat_form.html", **_seat_form_context(meeting, None, {}))


def _seat_to_form(seat) -> dict:
    return {name: getattr(seat, name) or "" for name in SEAT_FORM_FIELDS[2:]}


@bp.route("/meetings/<int:meeting_id>/roster/<int:seat_id>", methods=["GET", "POST"])
@login_required
def edit_seat(meeting_id: int, seat_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    seat = services.get_seat(meeting, seat_id, by=current_user)
    if request.method == "POST":
        try:
            services.update_seat(seat, _form_input(request.form, SEAT_FORM_FIELDS[2:]), by=current_user)
        except (InvalidInput, Conflict) as error:
            refuse()
            flash(str(error.message), "error")
            seat = services.get_seat(meeting, seat_id, by=current_user)
            context = _seat_form_context(meeting, seat, request.form, error.field)
            return render_template("seats/seat_form.html", **context), error.status
        flash(_("The seat has been saved."), "success")
        return redirect(url_for("seats.roster", meeting_id=meeting.id))
    return render_template("seats/seat_form.html", **_seat_form_context(meeting, seat, _seat_to_form(seat)))


@bp.route("/meetings/<int:meeting_id>/roster/<int:seat_id>/remove", methods=["GET", "POST"])
@login_required
def remove_seat(meeting_id: int, seat_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    seat = services.get_seat(meeting, seat_id, by=current_user)
    if request.method == "POST":
        label = services.seat_label(seat.province, seat.role)
        try:
            services.remove_seat(seat, by=current_user)
        except Conflict as error:
            refuse()
            flash(str(error.message), "error")
            return redirect(url_for("seats.edit_seat", meeting_id=meeting.id, seat_id=seat_id))
        flash(_("The seat “%(seat)s” has been removed.", seat=label), "success")
        return redirect(url_for("seats.roster", meeting_id=meeting.id))
    return render_template("seats/remove.html", meeting=meeting, seat=seat)


@bp.post("/meetings/<int:meeting_id>/roster/<int:seat_id>/link")
@login_required
def issue_link(meeting_id: int, seat_id: int):
    """Issue a personal join link and show it once (only its hash is kept)."""
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    seat = services.get_seat(meeting, seat_id, by=current_user)
    try:
        token = links.issue_seat_link(seat, by=current_user)
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return redirect(url_for("seats.edit_seat", meeting_id=meeting.id, seat_id=seat_id))
    seat = services.get_seat(meeting, seat_id, by=current_user)
    context = _seat_form_context(meeting, seat, _seat_to_form(seat))
    base = current_app.config.get("MEETCORE_BASE_URL") or request.host_url
    context["new_link"] = base.rstrip("/") + url_for("seats.join", token=token)
    response = Response(render_template("seats/seat_form.html", **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/meetings/<int:meeting_id>/roster/<int:seat_id>/revoke")
@login_required
def revoke_links(meeting_id: int, seat_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    seat = services.get_seat(meeting, seat_id, by=current_user)
    count = links.revoke_seat_links(seat, by=current_user)
    flash(ngettext("%(num)s join link has been withdrawn.", "%(num)s join links have been withdrawn.", count),
          "success")  # fmt: skip
    return redirect(url_for("seats.edit_seat", meeting_id=meeting.id, seat_id=seat_id))


@bp.get("/meetings/<int:meeting_id>/roster/export.<fmt>")
@login_required
def export(meeting_id: int, fmt: str):
    meeting = get_meeting(meeting_id, by=current_user)
    if fmt not in roster_io.FORMATS:
        return redirect(url_for("seats.roster", meeting_id=meeting.id))
    content = roster_io.export_roster(meeting, fmt, by=current_user)
    response = Response(content, mimetype=roster_io.MIME_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{roster_io.export_filename(meeting, fmt)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/meetings/<int:meeting_id>/roster/import")
@login_required
def import_file(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file to import."), "error")
        return _render_roster(meeting, status=422, error_field="file")
    try:
        result = roster_io.import_roster(meeting, upload.filename, upload.read(), by=current_user)
    except roster_io.RosterFileError as error:
        refuse()
        if not error.errors:  # with row errors, their list is the one banner (not a second one above it)
            flash(str(error.message), "error")
        return _render_roster(meeting, status=error.status, import_errors=error.errors, error_field="file")
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return _render_roster(meeting, status=error.status, error_field="file")
    flash(_("The roster file has been imported: %(created)s seats added, %(updated)s changed, "
            "%(unchanged)s unchanged.", created=result.created, updated=result.updated,
            unchanged=result.unchanged), "success")  # fmt: skip
    return redirect(url_for("seats.roster", meeting_id=meeting.id))


# --- the attendance board --------------------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/board")
@login_required
def board(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    matrix = attendance_board(meeting, by=current_user, locale=_locale())
    labels = {status: seat_status_label(status) for status in SEAT_STATUSES}
    return render_template("seats/board.html", meeting=meeting, board=matrix, statuses=SEAT_STATUSES,
                           status_labels=labels)  # fmt: skip


# --- the invitee's landing page --------------------------------------------------------------------------


def _private(response: Response) -> Response:
    # The address carries the token: keep it out of caches, other sites' Referer headers and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/join/<token>")
@link_limit()
def join(token: str):
    """What a personal link opens, without signing in: the meeting, the seat and the agenda outline."""
    try:
        invitation = links.invitation_for_link(token)
    except (links.SeatLinkUnknown, links.SeatLinkRevoked, links.SeatLinkExpired) as error:
        page = render_template("seats/join_refused.html", status=error.status, message=error.message)
        return _private(Response(page, status=error.status))
    from meetcore.reports.content import minutes_row

    minutes = minutes_row(invitation.meeting, create=False)
    page = render_template("seats/join.html", seat=invitation.seat, meeting=invitation.meeting,
                           agenda=invitation.agenda, token=token,
                           minutes_circulated=minutes is not None and minutes.state != "draft")  # fmt: skip
    return _private(Response(page))
