"""The secretariat's reads across agencies (staff only): the dashboard of every assignment with its
counts and fan-out actions, one action's progress as the grid of provinces, the meetings to filter by."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from meetcore.actions.assignments import (
    AssignmentRow,
    _overdue_clause,
    _rows_query,
    _to_rows,
    _urgency_order,
    local_today,
)
from meetcore.actions.models import ActionAssignment, ActionItem
from meetcore.auth.permissions import require_staff
from meetcore.directory.models import Agency, Province, Role
from meetcore.directory.reference import REGION_BY_CODE
from meetcore.errors import NotFound
from meetcore.extensions import db
from meetcore.meetings.models import Meeting, Series
from meetcore.meetings.services import Page
from meetcore.search.text import matches_all, query_terms

ASSIGNMENT_FILTERS = ("overdue", "open", "in_progress", "done", "cancelled")
REGION_ORDER = ("north", "northeast", "central", "east", "west", "south")


# --- every agency's assignments -----------------------------------------------------------------------------


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
    shown = sorted(summaries.values(), key=lambda e: (-e["meeting_id"], e["id"]))[:20]
    _label_provinces(shown)
    return shown


def _label_provinces(summaries: list[dict]) -> None:
    """Each summary's "provinces": "every province" only when it is so, else the provinces by name."""
    from meetcore.actions.owners import owners_of_actions

    actions = db.session.scalars(
        sa.select(ActionItem).options(selectinload(ActionItem.fan_out_role))
        .where(ActionItem.id.in_([entry["id"] for entry in summaries]))
    ).all()  # fmt: skip
    owners = owners_of_actions(list(actions))
    for entry in summaries:
        entry["provinces"] = owners[entry["id"]].label() if entry["id"] in owners else ""


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


# --- one action's progress: the grid of provinces -----------------------------------------------------------


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
