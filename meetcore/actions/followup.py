"""Following action items up after the meeting: the only writers of focal points, agency links, progress
reports and carry-overs, and the readers behind the agencies' pages and the secretariat's dashboard.

Who may see what is decided here, never in a view:

- staff (admin, secretariat, chair) read every assignment; admin and secretariat may also report progress
  on an agency's behalf (a report phoned in);
- an agency's focal point (a participant account linked to the agency, FocalPoint) and whoever holds one of
  the agency's links (AgencyLink, token kept hashed, revocable) read and report on that agency's
  assignments only. Another agency's assignment is "not found" to them, never "forbidden": its existence
  is not told either.

A progress report changes the assignment's status and is kept as one more row of its history
(ProgressReport), with an optional attachment stored under instance/ (meetcore.actions.attachments).
Progress is not written to the meeting's event log: that log is read by every participant of the
meeting, and one agency's progress is not another's business.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from meetcore import signals
from meetcore.actions import attachments
from meetcore.actions.models import (
    ActionAssignment,
    ActionCarryOver,
    ActionItem,
    AgencyLink,
    FocalPoint,
    ProgressReport,
)
from meetcore.actions.schemas import AgencyLinkInput, FocalPointInput, ProgressInput
from meetcore.agenda.tree import agenda_state
from meetcore.auth.models import User
from meetcore.auth.permissions import EDITORS, STAFF, require_editor, require_signed_in, require_staff
from meetcore.auth.services import hash_token
from meetcore.database import utcnow
from meetcore.directory.models import Agency, Province, Role
from meetcore.directory.reference import REGION_BY_CODE
from meetcore.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from meetcore.extensions import db
from meetcore.i18n.dates import to_local
from meetcore.meetings.models import Meeting, Series
from meetcore.meetings.services import Page
from meetcore.schemas import load_input
from meetcore.search.text import matches_all, query_terms

OPEN_STATUSES = ("open", "in_progress")
ASSIGNMENT_FILTERS = ("overdue", "open", "in_progress", "done", "cancelled")
REGION_ORDER = ("north", "northeast", "central", "east", "west", "south")


def local_today() -> date:
    return to_local(utcnow()).date()


# --- who is asking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyAccess:
    """The holder of an agency link: reads and reports for that one agency. Not an account."""

    agency_id: int
    link_id: int
    is_authenticated: bool = True


def focal_point_of(user) -> FocalPoint | None:
    if not isinstance(user, User) or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(FocalPoint).where(FocalPoint.user_id == user.id))


def agency_scope(by) -> int | None:
    """None when ``by`` may read every agency's assignments (staff); else the one agency it reads for.
    Refuses everyone else."""
    if isinstance(by, AgencyAccess):
        return by.agency_id
    require_signed_in(by)
    if by.role in STAFF:
        return None
    focal = focal_point_of(by)
    if focal is None:
        raise PermissionDenied(_l("Only the secretariat and agencies' focal points can see action items."))
    return focal.agency_id


def is_focal_point(user) -> bool:
    return focal_point_of(user) is not None


def _reporter(by) -> dict:
    if isinstance(by, AgencyAccess):
        return {"link_id": by.link_id, "user_id": None}
    return {"user_id": by.id, "link_id": None}


# --- focal points and agency links ------------------------------------------------------------------------


class AgencyLinkUnknown(DomainError):
    code = "link_unknown"
    status = 403
    default_message = _l(
        "This link is not valid. Open the whole address from the e-mail, or ask the "
        "secretariat for a new link."
    )


class AgencyLinkRevoked(DomainError):
    code = "link_revoked"
    status = 410
    default_message = _l("This link has been withdrawn. Ask the secretariat for a new one.")


class AgencyLinkExpired(DomainError):
    code = "link_expired"
    status = 410
    default_message = _l("This link has expired. Ask the secretariat for a new one.")


def get_agency(agency_id: int) -> Agency:
    agency = db.session.scalars(
        sa.select(Agency)
        .options(joinedload(Agency.province), joinedload(Agency.role))
        .where(Agency.id == agency_id)
    ).one_or_none()
    if agency is None:
        raise NotFound(_l("Agency %(id)s does not exist.", id=agency_id))
    return agency


def agency_for_link(token: str | None) -> AgencyAccess:
    """What an agency link opens; AgencyLinkUnknown / Revoked / Expired otherwise."""
    if not token or len(token) > 200:
        raise AgencyLinkUnknown()
    link = db.session.scalar(sa.select(AgencyLink).where(AgencyLink.token_hash == hash_token(token)))
    if link is None:
        raise AgencyLinkUnknown()
    if link.revoked_at is not None:
        raise AgencyLinkRevoked()
    now = utcnow()
    if link.expires_at <= now:
        raise AgencyLinkExpired()
    if link.last_used_at is None or now - link.last_used_at > timedelta(minutes=5):
        link.last_used_at = now
        db.session.commit()
    return AgencyAccess(agency_id=link.agency_id, link_id=link.id)


def issue_agency_link(agency: Agency, data: dict | None = None, *, by=None, commit: bool = True) -> str:
    """A new link to the agency's assignments; only its hash is kept, the token is returned once.
    ``by`` None: the system issues it (a reminder e-mail to an agency without a focal point)."""
    if by is not None:
        require_editor(by)
    values = load_input(AgencyLinkInput(), data or {})
    days = values.get("days") or int(current_app.config["MEETCORE_AGENCY_LINK_DAYS"])
    token = secrets.token_urlsafe(32)
    db.session.add(
        AgencyLink(
            agency_id=agency.id,
            token_hash=hash_token(token),
            label=values.get("label"),
            created_at=utcnow(),
            created_by_id=by.id if isinstance(by, User) else None,
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return token


def revoke_agency_links(agency: Agency, *, by) -> int:
    """Withdraw every link of the agency that still works; returns how many."""
    require_editor(by)
    now = utcnow()
    links = db.session.scalars(
        sa.select(AgencyLink).where(
            AgencyLink.agency_id == agency.id, AgencyLink.revoked_at.is_(None), AgencyLink.expires_at > now
        )
    ).all()
    for link in links:
        link.revoked_at = now
    db.session.commit()
    return len(links)


def add_focal_point(agency: Agency, data: dict, *, by) -> FocalPoint:
    """Link an account to the agency as its focal point: an existing participant account, or a new one
    (a password is then required)."""
    from meetcore.auth.services import create_user, normalize_email

    require_editor(by)
    values = load_input(FocalPointInput(), data)
    email = normalize_email(values["email"])
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None:
        if not values.get("password"):
            raise InvalidInput(_l("Give a first password for the new account."), field="password")
        user = create_user(
            email, role="participant", password=values["password"], display_name=values.get("display_name")
        )
    elif user.role != "participant":
        raise Conflict(
            _l("%(email)s is a staff account, which sees every agency's items already.", email=user.email),
            field="email",
        )
    existing = focal_point_of(user)
    if existing is not None:
        if existing.agency_id == agency.id:
            return existing
        raise Conflict(
            _l("%(email)s already reports for %(agency)s.", email=user.email, agency=existing.agency.name_th),
            field="email",
        )
    focal = FocalPoint(agency_id=agency.id, user_id=user.id, created_at=utcnow(), created_by_id=by.id)
    db.session.add(focal)
    db.session.commit()
    return focal


def remove_focal_point(agency: Agency, focal_point_id: int, *, by) -> None:
    require_editor(by)
    focal = db.session.get(FocalPoint, focal_point_id)
    if focal is None or focal.agency_id != agency.id:
        raise NotFound(_l("This account is not a focal point of the agency."))
    db.session.delete(focal)
    db.session.commit()


@dataclass
class AgencyAccessOverview:
    agency: Agency
    focal_points: list[FocalPoint]
    links: list[AgencyLink]
    assignments: dict[str, int]


def agency_access(agency_id: int, *, by) -> AgencyAccessOverview:
    """An agency's focal points, its links (working and past) and its assignments by status."""
    require_staff(by)
    agency = get_agency(agency_id)
    focal_points = db.session.scalars(
        sa.select(FocalPoint)
        .options(joinedload(FocalPoint.user))
        .where(FocalPoint.agency_id == agency.id)
        .order_by(FocalPoint.id)
    ).all()
    links = db.session.scalars(
        sa.select(AgencyLink)
        .where(AgencyLink.agency_id == agency.id)
        .order_by(AgencyLink.id.desc())
        .limit(50)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(ActionAssignment.status, sa.func.count())
            .where(ActionAssignment.agency_id == agency.id)
            .group_by(ActionAssignment.status)
        ).all()
    )
    return AgencyAccessOverview(
        agency=agency, focal_points=list(focal_points), links=list(links), assignments=counts
    )


# --- reading assignments -----------------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    assignment: ActionAssignment
    action: ActionItem
    meeting: Meeting
    agency: Agency
    overdue: bool

    @property
    def state(self) -> str:
        """The colour of the assignment: overdue, or its status."""
        return "overdue" if self.overdue else self.assignment.status


def _is_overdue(assignment: ActionAssignment, today: date) -> bool:
    return (
        assignment.status in OPEN_STATUSES and assignment.due_date is not None and assignment.due_date < today
    )


def _rows_query():
    return (
        sa.select(ActionAssignment, ActionItem, Meeting, Agency)
        .join(ActionItem, ActionAssignment.action_item_id == ActionItem.id)
        .join(Meeting, ActionItem.meeting_id == Meeting.id)
        .join(Agency, ActionAssignment.agency_id == Agency.id)
        .options(joinedload(Agency.province), joinedload(Meeting.series))
    )


def _overdue_clause(today: date):
    return sa.and_(
        ActionAssignment.status.in_(OPEN_STATUSES),
        ActionAssignment.due_date.is_not(None),
        ActionAssignment.due_date < today,
    )


def _urgency_order(today: date) -> list:
    """Overdue first, then the other open ones, then the closed; within each, the nearest due date first
    (none last), then the newest meeting."""
    return [
        sa.case((_overdue_clause(today), 0), (ActionAssignment.status.in_(OPEN_STATUSES), 1), else_=2),
        ActionAssignment.due_date.is_(None),
        ActionAssignment.due_date,
        Meeting.start_at.desc(),
        ActionItem.id,
        ActionAssignment.id,
    ]


def _to_rows(result, today: date) -> list[AssignmentRow]:
    return [
        AssignmentRow(assignment=a, action=i, meeting=m, agency=g, overdue=_is_overdue(a, today))
        for a, i, m, g in result
    ]


def agency_assignments(*, by, today: date | None = None) -> tuple[Agency, list[AssignmentRow]]:
    """A focal point's (or an agency link's) assignments across meetings, the most urgent first."""
    agency_id = agency_scope(by)
    if agency_id is None:
        raise PermissionDenied(_l("This page lists one agency's items; the secretariat uses the dashboard."))
    today = today or local_today()
    rows = db.session.execute(
        _rows_query()
        .where(ActionAssignment.agency_id == agency_id, Meeting.status != "cancelled")
        .order_by(*_urgency_order(today))
    ).all()
    return get_agency(agency_id), _to_rows(rows, today)


@dataclass
class AssignmentDetail:
    row: AssignmentRow
    reports: list[ProgressReport]
    agenda_title: str | None
    can_report: bool


def _assignment_in_scope(assignment_id: int, by) -> ActionAssignment:
    agency_id = agency_scope(by)
    assignment = db.session.get(ActionAssignment, assignment_id)
    if assignment is None or (agency_id is not None and assignment.agency_id != agency_id):
        raise NotFound(_l("Assignment %(id)s does not exist.", id=assignment_id))
    return assignment


def can_report(by, assignment: ActionAssignment | None = None) -> bool:
    """Whether ``by`` may report progress (on this assignment, already known to be in its scope)."""
    if isinstance(by, AgencyAccess):
        return True
    if not getattr(by, "is_authenticated", False):
        return False
    return by.role in EDITORS or is_focal_point(by)


def get_assignment(assignment_id: int, *, by, today: date | None = None) -> AssignmentDetail:
    """One assignment with its whole progress history, newest first."""
    from meetcore.agenda.models import AgendaItem

    assignment = _assignment_in_scope(assignment_id, by)
    today = today or local_today()
    [row] = _to_rows(
        db.session.execute(_rows_query().where(ActionAssignment.id == assignment.id)).all(), today
    )
    reports = db.session.scalars(
        sa.select(ProgressReport)
        .options(joinedload(ProgressReport.user))
        .where(ProgressReport.assignment_id == assignment.id)
        .order_by(ProgressReport.created_at.desc(), ProgressReport.id.desc())
    ).all()
    agenda_title = None
    if row.action.agenda_item_id:
        agenda_title = db.session.scalar(
            sa.select(AgendaItem.title).where(AgendaItem.id == row.action.agenda_item_id)
        )
    return AssignmentDetail(
        row=row,
        reports=list(reports),
        agenda_title=agenda_title,
        can_report=can_report(by, assignment)
        and row.action.cancelled_at is None
        and assignment.status != "cancelled",
    )


def report_progress(assignment_id: int, data: dict, *, attachment=None, by) -> ProgressReport:
    """Report progress on one assignment: its new status, a note and an optional file (a FileStorage or
    anything with .stream/.read and .filename). Kept as one more row of its history."""
    assignment = _assignment_in_scope(assignment_id, by)
    if not can_report(by, assignment):
        raise PermissionDenied(_l("Only the agency's focal point or the secretariat can report progress."))
    values = load_input(ProgressInput(), data)
    if isinstance(by, AgencyAccess) and not values.get("reporter_name"):
        raise InvalidInput(_l("Give your name: the report is kept with it."), field="reporter_name")
    if not values.get("note") and attachment is None and values["status"] == assignment.status:
        raise InvalidInput(_l("Say what has changed: a new status, a note or a file."), field="note")
    # Lock the assignment: two reports at once are both kept, and the later one sets the status.
    assignment = db.session.scalars(
        sa.select(ActionAssignment)
        .where(ActionAssignment.id == assignment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    action = db.session.get(ActionItem, assignment.action_item_id)
    if assignment.status == "cancelled" or action.cancelled_at is not None:
        raise Conflict(_l("This action item was withdrawn; it takes no more reports."))
    stored = None
    if attachment is not None:
        stream = getattr(attachment, "stream", attachment)
        stored = attachments.store(stream, getattr(attachment, "filename", None))
    now = utcnow()
    reporter_name = values.get("reporter_name")
    if reporter_name is None and isinstance(by, User):
        reporter_name = by.display_name
    report = ProgressReport(
        assignment_id=assignment.id,
        status=values["status"],
        note=values.get("note"),
        created_at=now,
        reporter_name=reporter_name,
        **_reporter(by),
        attachment_key=stored.key if stored else None,
        attachment_name=stored.name if stored else None,
        attachment_type=stored.content_type if stored else None,
        attachment_size=stored.size if stored else None,
        attachment_sha256=stored.sha256 if stored else None,
    )
    db.session.add(report)
    assignment.status = values["status"]
    assignment.last_reported_at = now
    if values.get("note"):
        assignment.last_note = values["note"]
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        attachments.discard(stored.key if stored else None)
        raise
    return report


def report_attachment(report_id: int, *, by) -> tuple[ProgressReport, object]:
    """A report's attached file, for whoever may read the assignment: (report, path)."""
    report = db.session.get(ProgressReport, report_id)
    if report is None or report.attachment_key is None:
        raise NotFound(_l("This report has no attachment."))
    _assignment_in_scope(report.assignment_id, by)
    path = attachments.path_of(report.attachment_key)
    if not path.exists():
        raise NotFound(_l("The attached file is no longer kept."))
    return report, path


# --- the secretariat's dashboard --------------------------------------------------------------------------


@dataclass
class DashboardFilters:
    status: str | None = None
    meeting_id: int | None = None
    region: str | None = None
    role_code: str | None = None
    q: str | None = None

    @property
    def any(self) -> bool:
        return any((self.status, self.meeting_id, self.region, self.role_code, self.q))


@dataclass
class Dashboard:
    page: Page
    counts: dict[str, int]
    filters: DashboardFilters
    fan_outs: list[dict] = field(default_factory=list)


def _filtered(query, filters: DashboardFilters, *, with_status: bool, today: date):
    if filters.meeting_id:
        query = query.where(ActionItem.meeting_id == filters.meeting_id)
    if filters.region:
        codes = [f"TH-{code}" for code, region in REGION_BY_CODE.items() if region == filters.region]
        query = query.where(Agency.province_id.in_(sa.select(Province.id).where(Province.code.in_(codes))))
    if filters.role_code:
        query = query.where(Agency.role_id.in_(sa.select(Role.id).where(Role.code == filters.role_code)))
    terms = query_terms(filters.q)
    if terms:
        query = query.where(matches_all([ActionItem.title, Agency.name_th, Agency.name_en], terms))
    if with_status and filters.status:
        if filters.status == "overdue":
            query = query.where(_overdue_clause(today))
        else:
            query = query.where(ActionAssignment.status == filters.status)
    return query.where(Meeting.status != "cancelled")


def dashboard(
    *,
    by,
    filters: DashboardFilters | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> Dashboard:
    """Every assignment, overdue first, filtered and paginated; counts by status under the same filters
    (but the status one); the fan-out actions ("every พมจ.") among them, with their progress."""
    require_staff(by)
    filters = filters or DashboardFilters()
    today = today or local_today()
    query = _filtered(_rows_query(), filters, with_status=True, today=today)
    total = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                _filtered(
                    sa.select(ActionAssignment.id)
                    .join(ActionItem, ActionAssignment.action_item_id == ActionItem.id)
                    .join(Meeting, ActionItem.meeting_id == Meeting.id)
                    .join(Agency, ActionAssignment.agency_id == Agency.id),
                    filters,
                    with_status=True,
                    today=today,
                ).subquery()
            )
        )
        or 0
    )
    rows = db.session.execute(
        query.order_by(*_urgency_order(today)).limit(per_page).offset((page - 1) * per_page)
    ).all()
    base = _filtered(
        sa.select(
            ActionAssignment.status,
            sa.func.count(),
            sa.func.sum(sa.case((_overdue_clause(today), 1), else_=0)),
        )
        .join(ActionItem, ActionAssignment.action_item_id == ActionItem.id)
        .join(Meeting, ActionItem.meeting_id == Meeting.id)
        .join(Agency, ActionAssignment.agency_id == Agency.id),
        filters,
        with_status=False,
        today=today,
    ).group_by(ActionAssignment.status)
    counts: Counter[str] = Counter()
    for status, count, overdue in db.session.execute(base):
        counts[status] += count
        counts["overdue"] += int(overdue or 0)
    counts["all"] = sum(counts[s] for s in ("open", "in_progress", "done", "cancelled"))
    return Dashboard(
        page=Page(items=_to_rows(rows, today), total=total, page=page, per_page=per_page),
        counts=dict(counts),
        filters=filters,
        fan_outs=fan_out_summaries(filters, today=today),
    )


def fan_out_summaries(filters: DashboardFilters, *, today: date) -> list[dict]:
    """The fan-out actions within the filters (meeting, role), each with its assignments by state."""
    grouped_by = (
        ActionItem.id,
        ActionItem.title,
        ActionItem.due_date,
        Meeting.id,
        Meeting.number,
        Meeting.year_be,
        Role.code,
        ActionAssignment.status,
    )
    query = (
        sa.select(*grouped_by, sa.func.count(), sa.func.sum(sa.case((_overdue_clause(today), 1), else_=0)))
        .join(Meeting, ActionItem.meeting_id == Meeting.id)
        .join(Role, ActionItem.fan_out_role_id == Role.id)
        .join(ActionAssignment, ActionAssignment.action_item_id == ActionItem.id)
        .where(Meeting.status != "cancelled")
        .group_by(*grouped_by)
    )
    if filters.meeting_id:
        query = query.where(ActionItem.meeting_id == filters.meeting_id)
    if filters.role_code:
        query = query.where(Role.code == filters.role_code)
    summaries: dict[int, dict] = {}
    for (
        action_id,
        title,
        due,
        meeting_id,
        number,
        year_be,
        role,
        status,
        count,
        overdue,
    ) in db.session.execute(query):
        entry = summaries.setdefault(
            action_id,
            {
                "id": action_id,
                "title": title,
                "due_date": due,
                "meeting_id": meeting_id,
                "meeting_number": f"{number}/{year_be}",
                "role_code": role,
                "counts": Counter(),
                "total": 0,
            },
        )
        overdue = int(overdue or 0)
        entry["counts"][status] += count - overdue
        entry["counts"]["overdue"] += overdue
        entry["total"] += count
    return sorted(summaries.values(), key=lambda e: (-e["meeting_id"], e["id"]))[:20]


# --- one action's progress: the grid of provinces -------------------------------------------------------


@dataclass
class ActionProgress:
    action: ActionItem
    meeting: Meeting
    rows: list[AssignmentRow]
    counts: dict[str, int]
    regions: list[dict]  # [{"region", "cells": [{"province", "row" or None}]}]; fan-out actions only
    agenda_title: str | None


def action_progress(action_id: int, *, by, today: date | None = None) -> ActionProgress:
    """An action's assignments; a fan-out action's as the grid of the 76 provinces by region."""
    from meetcore.agenda.models import AgendaItem
    from meetcore.directory.reference import has_provincial_offices

    require_staff(by)
    today = today or local_today()
    action = db.session.scalars(
        sa.select(ActionItem).options(selectinload(ActionItem.fan_out_role)).where(ActionItem.id == action_id)
    ).one_or_none()
    if action is None:
        raise NotFound(_l("Action item %(id)s does not exist.", id=action_id))
    rows = _to_rows(
        db.session.execute(
            _rows_query().where(ActionAssignment.action_item_id == action.id).order_by(Agency.id)
        ).all(),
        today,
    )
    counts = Counter(row.state for row in rows)
    regions = []
    if action.fan_out_role_id is not None:
        by_province = {row.agency.province.code: row for row in rows if row.agency.province is not None}
        provinces = db.session.scalars(sa.select(Province).order_by(Province.name_th)).all()
        grouped: dict[str, list] = defaultdict(list)
        for province in provinces:
            if has_provincial_offices(province.code):
                grouped[province.region].append({"province": province, "row": by_province.get(province.code)})
        from meetcore.i18n.collation import sort_key

        regions = [
            {
                "region": region,
                "cells": sorted(grouped[region], key=lambda c: sort_key(c["province"].name_th)),
            }
            for region in REGION_ORDER
            if grouped.get(region)
        ]
    agenda_title = None
    if action.agenda_item_id:
        agenda_title = db.session.scalar(
            sa.select(AgendaItem.title).where(AgendaItem.id == action.agenda_item_id)
        )
    meeting = db.session.scalars(
        sa.select(Meeting).options(joinedload(Meeting.series)).where(Meeting.id == action.meeting_id)
    ).one()
    return ActionProgress(
        action=action,
        meeting=meeting,
        rows=rows,
        counts=dict(counts),
        regions=regions,
        agenda_title=agenda_title,
    )


# --- bringing open actions to the next meeting ------------------------------------------------------------

CARRY_SECTION = 3  # เรื่องสืบเนื่อง, section 3 of the Thai standard agenda
CARRY_EDITABLE = ("draft", "scheduled")
THAI_STATUS = {
    "open": "ยังไม่ดำเนินการ",
    "in_progress": "อยู่ระหว่างดำเนินการ",
    "done": "ดำเนินการแล้วเสร็จ",
    "cancelled": "ยกเลิก",
}


def open_actions_before(meeting: Meeting) -> list[ActionItem]:
    """The actions of earlier meetings of the same series that an agency has still to finish."""
    still_open = sa.select(ActionAssignment.action_item_id).where(ActionAssignment.status.in_(OPEN_STATUSES))
    return list(
        db.session.scalars(
            sa.select(ActionItem)
            .join(Meeting, ActionItem.meeting_id == Meeting.id)
            .options(
                selectinload(ActionItem.assignments).joinedload(ActionAssignment.agency),
                selectinload(ActionItem.fan_out_role),
            )
            .where(
                Meeting.series_id == meeting.series_id,
                Meeting.id != meeting.id,
                Meeting.start_at < meeting.start_at,
                Meeting.status != "cancelled",
                ActionItem.cancelled_at.is_(None),
                ActionItem.id.in_(still_open),
            )
            .order_by(Meeting.start_at, ActionItem.id)
        )
    )


def progress_text(action: ActionItem, source: Meeting) -> str:
    """The agenda text of a carried action, in Thai (the agenda is an official document): where it came
    from, its due date, its assignments by status, and the latest progress reported."""
    from meetcore.i18n.dates import be_date

    lines = [
        f"ข้อสั่งการจากการประชุมครั้งที่ {source.number_label}"
        + (f" กำหนดแล้วเสร็จ {be_date(action.due_date, 'th')}" if action.due_date else "")
    ]
    assignments = [a for a in action.assignments if a.status != "cancelled"]
    counts = Counter(a.status for a in assignments)
    if action.fan_out_role is not None or len(assignments) > 1:
        parts = [f"{THAI_STATUS[s]} {counts[s]}" for s in ("done", "in_progress", "open") if counts[s]]
        lines.append(f"ความคืบหน้า ({len(assignments)} หน่วยงาน): " + " / ".join(parts))
    elif assignments:
        lines.append(f"ความคืบหน้า: {assignments[0].agency.name_th} {THAI_STATUS[assignments[0].status]}")
    reported = sorted(
        (a for a in assignments if a.last_reported_at and a.last_note),
        key=lambda a: a.last_reported_at,
        reverse=True,
    )
    for a in reported[:3]:
        lines.append(f"รายงานล่าสุด {a.agency.name_th} ({be_date(a.last_reported_at, 'th')}): {a.last_note}")
    return "\n".join(lines)[:20000]


def _presenter(action: ActionItem) -> str:
    if action.fan_out_role is not None:
        short = action.fan_out_role.short_th or action.fan_out_role.title_th
        return f"{short} ({len(action.assignments)} จังหวัด)"[:300]
    return ", ".join(a.agency.name_th for a in action.assignments)[:300]


def carry_open_actions_into(meeting: Meeting, *, by) -> list[int]:
    """Put the series' open actions under the meeting's "เรื่องสืบเนื่อง" (added at its place when missing),
    one sub-item each with its latest progress; an action carried already has its text refreshed. In the
    caller's transaction (schedule_meeting calls it as the meeting is created). Returns the item ids."""
    from meetcore.agenda.models import AgendaItem
    from meetcore.agenda.services import STANDARD_SECTIONS
    from meetcore.eventlog.services import record_event

    if meeting.status not in CARRY_EDITABLE:
        raise Conflict(_l("Open actions are brought only to a meeting still in draft or scheduled."))
    actions = open_actions_before(meeting)
    if not actions:
        return []
    sources = {
        m.id: m
        for m in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_({a.meeting_id for a in actions})))
    }
    top = list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.parent_id.is_(None))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    section = next((item for item in top if item.section == CARRY_SECTION), None)
    if section is None:
        section = AgendaItem(
            meeting_id=meeting.id,
            parent_id=None,
            section=CARRY_SECTION,
            title=STANDARD_SECTIONS[CARRY_SECTION - 1],
        )
        later = (
            i for i, other in enumerate(top) if other.section is not None and other.section > CARRY_SECTION
        )
        top.insert(next(later, len(top)), section)
        for index, item in enumerate(top):
            item.position = index
        db.session.add(section)
        db.session.flush()
    carried = {
        c.action_item_id: c
        for c in db.session.scalars(
            sa.select(ActionCarryOver).where(ActionCarryOver.meeting_id == meeting.id)
        )
    }
    children = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AgendaItem).where(AgendaItem.parent_id == section.id)
        )
        or 0
    )
    ids, added = [], []
    for action in actions:
        text = progress_text(action, sources[action.meeting_id])
        existing = carried.get(action.id)
        item = db.session.get(AgendaItem, existing.agenda_item_id) if existing else None
        if item is None:
            item = AgendaItem(
                meeting_id=meeting.id,
                parent_id=section.id,
                position=children,
                title=action.title,
                presenter=_presenter(action),
                description=text,
            )
            children += 1
            db.session.add(item)
            db.session.flush()
            if existing is None:
                db.session.add(
                    ActionCarryOver(
                        action_item_id=action.id,
                        meeting_id=meeting.id,
                        agenda_item_id=item.id,
                        created_at=utcnow(),
                    )
                )
            else:
                existing.agenda_item_id = item.id
            added.append(item.id)
        else:
            item.description = text
        ids.append(item.id)
    db.session.flush()
    record_event(
        meeting,
        "actions.carried",
        {"section_id": section.id, "item_ids": ids, "added": added, "action_ids": [a.id for a in actions],
         "agenda": agenda_state(meeting.id)},  # fmt: skip
        by=by,
    )
    return ids


def carry_open_actions(meeting_id: int, *, by) -> list[int]:
    """The console's "bring open actions" button: carry_open_actions_into, committed."""
    require_editor(by)
    from meetcore.eventlog.services import lock_meeting

    meeting = lock_meeting(meeting_id)
    try:
        ids = carry_open_actions_into(meeting, by=by)
        db.session.commit()
    except IntegrityError:  # the same action carried by a parallel request: that one stands
        db.session.rollback()
        raise Conflict(
            _l("Someone else brought the open actions at the same moment; reload the page.")
        ) from None
    return ids


def carried_actions(meeting_id: int) -> dict[int, int]:
    """agenda item id → action id, for the items of a meeting that carry an earlier action."""
    return dict(
        db.session.execute(
            sa.select(ActionCarryOver.agenda_item_id, ActionCarryOver.action_item_id).where(
                ActionCarryOver.meeting_id == meeting_id
            )
        ).all()
    )


def meetings_with_actions() -> list[Meeting]:
    """The meetings that gave actions, newest first (the dashboard's meeting filter)."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Series)
            .options(joinedload(Meeting.series))
            .where(Meeting.id.in_(sa.select(ActionItem.meeting_id)))
            .order_by(Meeting.start_at.desc())
            .limit(200)
        )
    )


@signals.meeting_scheduled.connect
def _carry_into_new_meeting(meeting: Meeting, *, by) -> None:
    carry_open_actions_into(meeting, by=by)
