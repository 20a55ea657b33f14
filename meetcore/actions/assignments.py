"""Reading assignments for the agencies' pages: one agency's assignments across meetings, one assignment
with its progress history, a report's attached file; and the rows the secretariat's dashboard lists.
Whoever asks sees only the assignments in their scope (meetcore.actions.access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from meetcore.actions import attachments
from meetcore.actions.access import agency_scope, can_report, get_agency
from meetcore.actions.models import ActionAssignment, ActionItem, ProgressReport
from meetcore.database import utcnow
from meetcore.directory.models import Agency
from meetcore.errors import NotFound, PermissionDenied
from meetcore.extensions import db
from meetcore.i18n.dates import to_local
from meetcore.meetings.models import Meeting

OPEN_STATUSES = ("open", "in_progress")


def local_today() -> date:
    return to_local(utcnow()).date()


# --- the rows -----------------------------------------------------------------------------------------------


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


# --- an agency's assignments --------------------------------------------------------------------------------


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
