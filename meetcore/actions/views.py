"""Pages of action follow-up: the secretariat's dashboard and province grid, an agency's focal points and
links, and the agency's own pages (signed in as its focal point, or through an agency link). Thin: every
permission is decided in the services (meetcore.actions.access says who sees what)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from meetcore.actions import access, assignments, carryover, grants, progress
from meetcore.actions import dashboard as secretariat
from meetcore.actions.labels import PROGRESS_STATES, STATE_LABELS, STATE_MARKS, assignment_status_label
from meetcore.auth.permissions import STAFF, require_editor, require_staff
from meetcore.directory.models import REGIONS
from meetcore.errors import Conflict, DomainError, InvalidInput
from meetcore.extensions import db
from meetcore.link_limits import link_limit
from meetcore.storage import StorageRefused
from meetcore.transaction import refuse

bp = Blueprint("actions", __name__)


@bp.record_once
def _register_globals(state) -> None:
    # E-mails are rendered outside any request: the label helper must be an application-wide global.
    state.app.jinja_env.globals["assignment_status_label"] = assignment_status_label


@bp.context_processor
def _helpers() -> dict:
    from meetcore.seats.labels import region_label

    return {
        "state_labels": STATE_LABELS,
        "state_marks": STATE_MARKS,
        "progress_states": PROGRESS_STATES,
        "region_label": region_label,
    }


def _int_arg(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else default


def _private(response: Response) -> Response:
    """Pages opened by an agency link: the address is the key, keep it out of caches and Referer headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- the secretariat -------------------------------------------------------------------------------------


@bp.get("/actions")
@login_required
def dashboard():
    from meetcore.directory.models import Role

    require_staff(current_user)
    status = request.args.get("status") or None
    region = request.args.get("region") or None
    filters = secretariat.DashboardFilters(
        status=status if status in secretariat.ASSIGNMENT_FILTERS else None,
        meeting_id=_int_arg("meeting"),
        region=region if region in REGIONS else None,
        role_code=(request.args.get("role") or None),
        q=(request.args.get("q") or "").strip()[:200] or None,
    )
    board = secretariat.dashboard(by=current_user, filters=filters, page=_int_arg("page", 1), per_page=50)
    meeting = None
    if filters.meeting_id:
        from meetcore.meetings.models import Meeting

        meeting = db.session.get(Meeting, filters.meeting_id)
    roles = db.session.scalars(
        db.select(Role).where(Role.scope == "provincial").order_by(Role.sort_order, Role.code)
    ).all()
    return render_template(
        "actions/dashboard.html",
        board=board,
        page=board.page,
        filters=filters,
        meeting=meeting,
        meetings=secretariat.meetings_with_actions(),
        roles=roles,
        regions=REGIONS,
        filter_statuses=secretariat.ASSIGNMENT_FILTERS,
    )


@bp.get("/actions/<int:action_id>")
@login_required
def action(action_id: int):
    grid = secretariat.action_progress(action_id, by=current_user)
    return render_template("actions/action.html", progress=grid, meeting=grid.meeting)


@bp.post("/meetings/<int:meeting_id>/actions/carry")
@login_required
def carry(meeting_id: int):
    ids = carryover.carry_open_actions(meeting_id, by=current_user)
    if ids:
        flash(
            ngettext(
                "%(num)s open action is under “เรื่องสืบเนื่อง”.",
                "%(num)s open actions are under “เรื่องสืบเนื่อง”.",
                len(ids),
            ),
            "success",
        )
    else:
        flash(_("Earlier meetings of this series have no open action."), "info")
    return redirect(url_for("agenda.editor", meeting_id=meeting_id))


def _render_agency(
    agency_id: int,
    *,
    status: int = 200,
    new_link: str | None = None,
    form=None,
    error_field: str | None = None,
):
    overview = access.agency_access(agency_id, by=current_user)
    return render_template(
        "actions/agency.html",
        overview=overview,
        agency=overview.agency,
        new_link=new_link,
        form=form or {},
        error_field=error_field,
    ), status


@bp.get("/actions/agencies/<int:agency_id>")
@login_required
def agency(agency_id: int):
    return _render_agency(agency_id)


@bp.post("/actions/agencies/<int:agency_id>/focal-points")
@login_required
def add_focal_point(agency_id: int):
    require_editor(current_user)
    agency = access.get_agency(agency_id)
    data = {k: request.form.get(k, "") for k in ("email", "display_name", "password")}
    try:
        focal = grants.add_focal_point(agency, data, by=current_user)
    except (InvalidInput, Conflict) as error:
        refuse()
        flash(str(error.message), "error")
        return _render_agency(agency_id, status=422, form=request.form, error_field=error.field)
    flash(_("%(email)s now reports for this agency.", email=focal.user.email), "success")
    return redirect(url_for("actions.agency", agency_id=agency_id))


@bp.post("/actions/agencies/<int:agency_id>/focal-points/<int:focal_point_id>/remove")
@login_required
def remove_focal_point(agency_id: int, focal_point_id: int):
    grants.remove_focal_point(access.get_agency(agency_id), focal_point_id, by=current_user)
    flash(_("The account no longer reports for this agency."), "success")
    return redirect(url_for("actions.agency", agency_id=agency_id))


@bp.post("/actions/agencies/<int:agency_id>/links")
@login_required
def issue_link(agency_id: int):
    """Issue an agency link and show it once (only its hash is kept)."""
    require_editor(current_user)
    agency = access.get_agency(agency_id)
    data = {k: v for k in ("label", "days") if (v := request.form.get(k, "").strip())}
    try:
        token = grants.issue_agency_link(agency, data, by=current_user)
    except InvalidInput as error:
        refuse()
        flash(str(error.message), "error")
        return _render_agency(agency_id, status=422, form=request.form, error_field=error.field)
    base = current_app.config["MEETCORE_BASE_URL"].rstrip("/")
    response, status = _render_agency(agency_id, new_link=base + url_for("actions.link_home", token=token))
    return _private(Response(response, status=status))


@bp.post("/actions/agencies/<int:agency_id>/links/revoke")
@login_required
def revoke_links(agency_id: int):
    count = grants.revoke_agency_links(access.get_agency(agency_id), by=current_user)
    flash(
        ngettext("%(num)s link has been withdrawn.", "%(num)s links have been withdrawn.", count), "success"
    )
    return redirect(url_for("actions.agency", agency_id=agency_id))


# --- the agency: signed in as its focal point ----------------------------------------------------------


class _SignedIn:
    """URLs of the agency pages for a signed-in reader."""

    token = None

    @staticmethod
    def home() -> str:
        return url_for("actions.my_assignments")

    @staticmethod
    def assignment(assignment_id: int) -> str:
        return url_for("actions.assignment", assignment_id=assignment_id)

    @staticmethod
    def report(assignment_id: int) -> str:
        return url_for("actions.report", assignment_id=assignment_id)

    @staticmethod
    def attachment(report_id: int) -> str:
        return url_for("actions.attachment", report_id=report_id)


class _ByLink:
    """URLs of the agency pages for the holder of an agency link (the token travels in every address)."""

    def __init__(self, token: str):
        self.token = token

    def home(self) -> str:
        return url_for("actions.link_home", token=self.token)

    def assignment(self, assignment_id: int) -> str:
        return url_for("actions.link_assignment", token=self.token, assignment_id=assignment_id)

    def report(self, assignment_id: int) -> str:
        return url_for("actions.link_report", token=self.token, assignment_id=assignment_id)

    def attachment(self, report_id: int) -> str:
        return url_for("actions.link_attachment", token=self.token, report_id=report_id)


def _agency_home(by, urls):
    agency, rows = assignments.agency_assignments(by=by)
    return render_template("actions/agency_home.html", agency=agency, rows=rows, urls=urls)


def _assignment_page(assignment_id: int, by, urls, *, status: int = 200, form=None, error_field=None):
    detail = assignments.get_assignment(assignment_id, by=by)
    page = render_template(
        "actions/assignment.html",
        detail=detail,
        row=detail.row,
        urls=urls,
        form=form or {},
        error_field=error_field,
        by_link=urls.token is not None,
        is_staff=getattr(by, "role", None) in STAFF,
        max_mb=current_app.config["MEETCORE_ACTION_ATTACHMENT_MAX_MB"],
    )
    return page, status


def _report(assignment_id: int, by, urls):
    data = {k: request.form.get(k, "") for k in ("status", "note", "reporter_name")}
    upload = request.files.get("attachment")
    if upload is not None and not upload.filename:
        upload = None
    try:
        progress.report_progress(assignment_id, data, attachment=upload, by=by)
    except (InvalidInput, Conflict, StorageRefused) as error:
        refuse()
        flash(str(error.message), "error")
        return _assignment_page(
            assignment_id,
            by,
            urls,
            status=error.status,
            form=request.form,
            error_field=error.field,
        )
    flash(_("Your progress report has been recorded."), "success")
    return redirect(urls.assignment(assignment_id))


def _send_attachment(report_id: int, by):
    report, path = assignments.report_attachment(report_id, by=by)
    response = send_file(
        path,
        mimetype=report.attachment_type,
        as_attachment=True,
        download_name=report.attachment_name or path.name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return _private(response)


@bp.get("/followup")
@login_required
def my_assignments():
    if current_user.role in STAFF:
        return redirect(url_for("actions.dashboard"))
    return _agency_home(current_user, _SignedIn)


@bp.get("/followup/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int):
    return _assignment_page(assignment_id, current_user, _SignedIn)


@bp.post("/followup/assignments/<int:assignment_id>/reports")
@login_required
def report(assignment_id: int):
    return _report(assignment_id, current_user, _SignedIn)


@bp.get("/followup/reports/<int:report_id>/attachment")
@login_required
def attachment(report_id: int):
    return _send_attachment(report_id, current_user)


# --- the agency: through an agency link ------------------------------------------------------------------


def _link_access(token: str):
    try:
        return access.agency_for_link(token), None
    except (access.AgencyLinkUnknown, access.AgencyLinkRevoked, access.AgencyLinkExpired) as error:
        page = render_template("actions/link_refused.html", status=error.status, message=error.message)
        return None, _private(Response(page, status=error.status))


@bp.get("/followup/link/<token>")
@link_limit()
def link_home(token: str):
    holder, refused = _link_access(token)
    if refused is not None:
        return refused
    return _private(Response(_agency_home(holder, _ByLink(token))))


@bp.get("/followup/link/<token>/assignments/<int:assignment_id>")
@link_limit()
def link_assignment(token: str, assignment_id: int):
    holder, refused = _link_access(token)
    if refused is not None:
        return refused
    page, status = _assignment_page(assignment_id, holder, _ByLink(token))
    return _private(Response(page, status=status))


@bp.post("/followup/link/<token>/assignments/<int:assignment_id>/reports")
@link_limit("30 per minute")
def link_report(token: str, assignment_id: int):
    holder, refused = _link_access(token)
    if refused is not None:
        return refused
    result = _report(assignment_id, holder, _ByLink(token))
    if isinstance(result, tuple):
        return _private(Response(result[0], status=result[1]))
    return _private(result)


@bp.get("/followup/link/<token>/reports/<int:report_id>/attachment")
@link_limit()
def link_attachment(token: str, report_id: int):
    holder, refused = _link_access(token)
    if refused is not None:
        return refused
    return _send_attachment(report_id, holder)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """Errors on the agency's link pages keep the private headers; the rest as everywhere."""
    refuse()
    page = render_template("errors/error.html", status=error.status, message=error.message)
    if request.endpoint and request.endpoint.startswith("actions.link_"):
        return _private(Response(page, status=error.status))
    if error.status == 401:
        return redirect(url_for("auth.login", next=request.full_path))
    return page, error.status
