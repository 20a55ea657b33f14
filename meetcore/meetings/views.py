"""The secretariat's console for meetings: list, create, edit, cancel. Thin: load → check → call service."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from meetcore.errors import ConfirmationRequired, Conflict, InvalidInput
from meetcore.i18n.dates import TypedDateError, parse_typed_date, parse_typed_time, to_local, typed_date
from meetcore.meetings import services
from meetcore.meetings.models import MEETING_STATUSES
from meetcore.transaction import refuse

bp = Blueprint("meetings", __name__)


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def _typed(form, name: str, label, reader):
    """One typed date or time of the form, read by meetcore.i18n.dates; a wrong one names its field."""
    try:
        return reader(form.get(name, ""))
    except TypedDateError as error:
        message = _l("%(field)s: %(message)s", field=label, message=error.message)
        raise InvalidInput(message, field=name) from None


def form_to_input(form) -> dict:
    """The console's form (a day/month/BE-year date and two 24-hour times, Bangkok wall clock) as the
    service's input (ISO, as the API sends it)."""
    data = {
        k: form.get(k, "")
        for k in ("series_name", "title", "number", "venue", "chair_name", "chair_position", "description")
    }
    day = _typed(form, "date", _l("Date"), parse_typed_date).isoformat()
    data["start_at"] = f"{day}T{_typed(form, 'start_time', _l('Starts'), parse_typed_time):%H:%M}"
    data["end_at"] = f"{day}T{_typed(form, 'end_time', _l('Ends'), parse_typed_time):%H:%M}"
    data["confirm_date"] = bool(form.get("confirm_date"))
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
        "date": typed_date(start),
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
                "meetings/form.html", form=form, error_field=error.field, meeting=None,
                confirm=isinstance(error, ConfirmationRequired),
            ), 422
        flash(_("The meeting has been created."), "success")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None, error_field=None)


@bp.get("/meetings/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    from meetcore.agenda.services import agenda_tree
    from meetcore.attendance.statuses import meeting_times
    from meetcore.auth.permissions import can_edit
    from meetcore.meetings.succession import can_start_from_previous
    from meetcore.seats.services import roster_counts

    meeting = services.get_meeting(meeting_id, by=current_user)
    times = meeting_times(meeting)  # the record: when it really started and ended, beside the schedule
    started_day = to_local(times.started_at).date() if times.started_at else None
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        times=times,
        early_or_late=started_day is not None and started_day != to_local(meeting.start_at).date(),
        agenda=agenda_tree(meeting, by=current_user),
        counts=roster_counts(meeting, by=current_user),
        previous=can_start_from_previous(meeting) if can_edit(current_user) else None,
    )


@bp.post("/meetings/<int:meeting_id>/start-from-previous")
@login_required
def start_from_previous(meeting_id: int):
    """Copy the previous meeting's roster and agenda skeleton, in the request's one transaction."""
    from meetcore.meetings.succession import start_from_previous as copy_previous

    meeting = services.get_meeting(meeting_id, by=current_user)
    try:
        done = copy_previous(meeting, keep_invitees=bool(request.form.get("keep_invitees")), by=current_user)
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    flash(_("Started from meeting %(number)s: %(seats)s seats and %(items)s agenda items copied.",
            number=done.source.number_label, seats=len(done.seat_ids), items=len(done.item_ids)), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


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
                "meetings/form.html", form=request.form, meeting=meeting, error_field=error.field,
                confirm=isinstance(error, ConfirmationRequired),
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
