"""The official minutes' pages (console: view, signatories, circulate, certify, amend, PDF/DOCX; participants:
the circulated minutes through their link) and the attendance report (page, CSV, XLSX). Thin."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from meetcore.errors import Conflict, DomainError, InvalidInput, NotFound
from meetcore.extensions import db
from meetcore.i18n.dates import TypedDateError, to_local, typed_local_datetime
from meetcore.meetings.services import get_meeting
from meetcore.reports import attendance_report as report_service
from meetcore.reports import content, documents, reading, services
from meetcore.reports.models import GROUPINGS
from meetcore.transaction import refuse

bp = Blueprint("reports", __name__, cli_group=None)


@bp.context_processor
def _helpers() -> dict:
    from meetcore.attendance.labels import attendance_status_label
    from meetcore.seats.labels import rsvp_label

    return {"attendance_status_label": attendance_status_label, "rsvp_label": rsvp_label}


FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
GROUPING_LABELS = {"roster": _l("Roster order"), "province": _l("By province"), "role": _l("By role")}


def _grouping_arg() -> str | None:
    value = request.args.get("group")
    return value if value in GROUPINGS else None


def _file(data: bytes, mimetype: str, filename: str, *, private: bool = False) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    if private:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _export(document, fmt: str, *, private: bool = False) -> Response:
    data = documents.render_pdf(document) if fmt == "pdf" else documents.render_docx(document)
    return _file(data, FORMATS[fmt], documents.file_name(document, fmt), private=private)


# --- the console --------------------------------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    document = reading.document_for(meeting, by=current_user, grouping=_grouping_arg())
    later = content.next_meeting(meeting)
    return render_template(
        "reports/minutes.html", meeting=meeting, doc=document, row=document.row, next_meeting=later,
        grouping=_grouping_arg() or document.row.grouping, groupings=GROUPINGS,
        grouping_labels=GROUPING_LABELS,
        links=True,
        certified_here=_certified_here(meeting),
    )  # fmt: skip


def _certified_here(meeting) -> list:
    """Earlier minutes certified at this meeting's items, as (item, meeting) pairs."""
    from meetcore.agenda.models import AgendaItem

    pairs = []
    for item in db.session.scalars(db.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)):
        if content.is_certification_item(item):
            pairs += [(item, earlier) for earlier in content.certified_minutes_at(item)]
    return pairs


@bp.get("/meetings/<int:meeting_id>/minutes/export.<fmt>")
@login_required
def export(meeting_id: int, fmt: str):
    if fmt not in FORMATS:
        raise NotFound()
    meeting = get_meeting(meeting_id, by=current_user)
    return _export(reading.document_for(meeting, by=current_user, grouping=_grouping_arg()), fmt)


def _act(meeting_id: int, action, success) -> Response:
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        result = action(meeting)
    except (InvalidInput, Conflict, NotFound) as error:
        refuse()
        flash(str(error.message), "error")
    else:
        flash(success(result), "success")
    return redirect(url_for("reports.minutes", meeting_id=meeting_id))


@bp.post("/meetings/<int:meeting_id>/minutes/details")
@login_required
def details(meeting_id: int):
    fields = ("recorder_name", "recorder_position", "reviewer_name", "reviewer_position", "grouping",
              "other_attendees")  # fmt: skip
    data = {name: request.form[name] for name in fields if name in request.form}
    return _act(
        meeting_id,
        lambda meeting: services.update_details(meeting, data, by=current_user),
        lambda _row: _("The minutes' details were saved."),
    )


@bp.post("/meetings/<int:meeting_id>/minutes/circulate")
@login_required
def circulate(meeting_id: int):
    data = {}
    if request.form.get("message", "").strip():
        data["message"] = request.form["message"]

    def circulate_with_due(meeting):
        # The comments' deadline is typed as a BE date and a 24-hour time (meetcore.i18n.dates reads it).
        if request.form.get("comments_due_date", "").strip():
            try:
                data["comments_due"] = typed_local_datetime(
                    request.form["comments_due_date"], request.form.get("comments_due_time", "")
                )
            except TypedDateError as error:
                message = _l("%(field)s: %(message)s", field=_l("Comments due"), message=error.message)
                raise InvalidInput(message, field="comments_due") from None
        return services.circulate(meeting, data, by=current_user)

    return _act(
        meeting_id,
        circulate_with_due,
        lambda result: _("The minutes were sent to %(n)s attendees for comment.", n=result.sent),
    )


@bp.post("/meetings/<int:meeting_id>/minutes/certify")
@login_required
def certify(meeting_id: int):
    data = {}
    if request.form.get("item_id", "").strip():
        data["item_id"] = request.form["item_id"].strip()
    return _act(
        meeting_id,
        lambda meeting: services.certify(meeting, data, by=current_user),
        lambda _row: _("The minutes are certified. Later corrections are recorded as amendments."),
    )


@bp.post("/meetings/<int:meeting_id>/minutes/amendments")
@login_required
def amend(meeting_id: int):
    data = {"text": request.form.get("text", "")}
    if request.form.get("item_id", "").strip():
        data["item_id"] = request.form["item_id"].strip()
    return _act(
        meeting_id,
        lambda meeting: services.amend(meeting, data, by=current_user),
        lambda _row: _("The amendment was recorded."),
    )


# --- participants -------------------------------------------------------------------------------------------


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _refused(error: DomainError) -> Response:
    refuse()
    return _private(
        Response(render_template("reports/refused.html", message=error.message), status=error.status)
    )


@bp.get("/minutes/<token>")
def read(token: str):
    """The circulated (or certified) minutes for a participant, through the link e-mailed with them or the
    seat's personal join link; draft minutes are refused."""
    try:
        seat = reading.seat_for_reader_token(token)
        document = reading.document_for_seat(seat)
    except DomainError as error:
        return _refused(error)
    return _private(Response(render_template("reports/read.html", doc=document, token=token, links=False)))


@bp.get("/minutes/<token>/export.<fmt>")
def read_export(token: str, fmt: str):
    if fmt not in FORMATS:
        raise NotFound()
    try:
        seat = reading.seat_for_reader_token(token)
        document = reading.document_for_seat(seat)
    except DomainError as error:
        return _refused(error)
    return _export(document, fmt, private=True)


# --- the attendance report ----------------------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/attendance/report")
@login_required
def attendance(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    report = report_service.attendance_report(meeting, by=current_user)
    return render_template("reports/attendance.html", meeting=meeting, report=report, to_local=to_local)


@bp.get("/meetings/<int:meeting_id>/attendance/report.<fmt>")
@login_required
def attendance_file(meeting_id: int, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    meeting = get_meeting(meeting_id, by=current_user)
    report = report_service.attendance_report(meeting, by=current_user)
    name = f"attendance-meeting-{meeting.id}.{fmt}"
    if fmt == "csv":
        return _file(report_service.report_csv(report).encode("utf-8"), "text/csv", name)
    return _file(
        report_service.report_xlsx(report, by=current_user),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name,
    )
