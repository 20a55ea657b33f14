"""The secretariat's console for meetings: list, create, edit, cancel. Thin: load → check → call service."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from meetcore.errors import Conflict, InvalidInput
from meetcore.i18n.dates import to_local
from meetcore.meetings import services
from meetcore.meetings.models import MEETING_STATUSES
from meetcore.transaction import refuse

bp = Blueprint("meetings", __name__)


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def form_to_input(form) -> dict:
    """The console's form (a date and two times, Bangkok wall clock) as the service's input."""
    data = {
        k: form.get(k, "")
        for k in ("series_name", "title", "number", "venue", "chair_name", "chair_position", "description")
    }
    day = form.get("date", "").strip()
    data["start_at"] = f"{day}T{form.get('start_time', '').strip()}"
    data["end_at"] = f"{day}T{form.get('end_time', '').strip()}"
    if form.get("year_be", "").strip():
        data["year_be"] = form["year_be"].strip()
    data["video_conference"] = bool(form.get("video_conference"))
    if form.get("status") in ("draft", "scheduled"):
        data["status"] = form["status"]
    return data


def meeting_to_form(meeting) -> dict:
    start, end = to_local(meeting.start_at), to_local(meeting.end_at)
    return {
        "series_name": meeting.series.name,
        "title": meeting.title,
        "number": meeting.number,
        "year_be": meeting.year_be,
        "venue": meeting.venue or "",
        "chair_name": meeting.chair_name or "",
        "chair_position": meeting.chair_position or "",
        "description": meeting.description or "",
        "date": start.strftime("%Y-%m-%d"),
        "start_time": start.strftime("%H:%M"),
        "end_time": end.strftime("%H:%M"),
        "video_conference": meeting.video_conference,
        "status": meeting.status,
    }


@bp.get("/")
@login_required
def index():
    status = request.args.get("status") or None
    if status not in MEETING_STATUSES:
        status = None
    q = (request.args.get("q") or "").strip() or None
    page = services.list_meetings(
        by=current_user,
        q=q,
        status=status,
        page=_int_arg("page", 1),
        per_page=current_app.config["MEETCORE_PAGE_SIZE"],
    )
    return render_template(
        "meetings/index.html", page=page, q=q or "", status=status or "", statuses=MEETING_STATUSES
    )


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def create():
    from meetcore.auth.permissions import require_editor

    require_editor(current_user)
    form = request.form if request.method == "POST" else {"status": "scheduled", "video_conference": True}
    if request.method == "POST":
        try:
            meeting = services.schedule_meeting(form_to_input(request.form), by=current_user)
        except (InvalidInput, Conflict) as error:
            refuse()
            flash(str(error.message), "error")
            return render_template(
                "meetings/form.html", form=form, error_field=error.field, meeting=None
            ), 422
        flash(_("The meeting has been created."), "success")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None, error_field=None)


@bp.get("/meetings/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    from meetcore.agenda.services import agenda_tree
    from meetcore.seats.services import roster_counts

    meeting = services.get_meeting(meeting_id, by=current_user)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        agenda=agenda_tree(meeting, by=current_user),
        counts=roster_counts(meeting, by=current_user),
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    from meetcore.auth.permissions import require_editor

    meeting = services.get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    if request.method == "POST":
        try:
            services.update_meeting(meeting, form_to_input(request.form), by=current_user)
        except (InvalidInput, Conflict) as error:
            refuse()
            flash(str(error.message), "error")
            return render_template(
                "meetings/form.html", form=request.form, meeting=meeting, error_field=error.field
            ), 422
        flash(_("The meeting has been saved."), "success")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template(
        "meetings/form.html", form=meeting_to_form(meeting), meeting=meeting, error_field=None
    )


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(meeting_id: int):
    from meetcore.auth.permissions import require_editor

    meeting = services.get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    if request.method == "POST":
        services.cancel_meeting(meeting, {"reason": request.form.get("reason", "")}, by=current_user)
        flash(_("The meeting has been cancelled."), "success")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/cancel.html", meeting=meeting)
