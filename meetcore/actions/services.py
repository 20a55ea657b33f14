"""Action items (ข้อสั่งการ) given live from an agenda item: the only writers of ActionItem and
ActionAssignment rows.

An action is owned by one agency, or by one provincial role across provinces: "every พมจ." becomes one
assignment per province (the provincial Agency rows of that role), each with its own status and due date.
Its events are public within the meeting and carry the owning agency ids; a participant's page shows
those of its own seat's agency (the snapshot tells it which agency that is). Nothing in them is secret
from the other participants of the same meeting.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from meetcore.actions.models import ActionAssignment, ActionItem
from meetcore.actions.schemas import ALL_PROVINCES
from meetcore.agenda.models import AgendaItem
from meetcore.auth.permissions import can_edit, require_signed_in
from meetcore.database import utcnow
from meetcore.directory.models import Agency, Province, Role
from meetcore.errors import ConfirmationRequired, Conflict, InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat

# Actions are given in session, and may still be written up after it until the minutes are certified.
ACTION_STATUSES = ("live", "ended")
OPEN_ASSIGNMENT_STATUSES = ("open", "in_progress")


def _user_id(by) -> int | None:
    from meetcore.auth.models import User

    return by.id if isinstance(by, User) else None


def _require_writer(by) -> None:
    require_signed_in(by)
    if not can_edit(by):
        raise PermissionDenied(_l("Only the secretariat can assign and change action items."))


def _lock_meeting(meeting_id: int) -> Meeting:
    meeting = lock_meeting(meeting_id)
    if meeting.status not in ACTION_STATUSES:
        raise Conflict(
            _l("Action items are given once the meeting has started, and until its minutes are certified."),
            details={"status": meeting.status},
        )
    return meeting


def _item_of(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound(_l("Agenda item %(id)s does not exist.", id=item_id))
    if item.meeting_id != meeting.id:
        raise InvalidInput(_l("That agenda item belongs to another meeting."), field="item_id")
    return item


def _action_of(meeting: Meeting, action_id: int) -> ActionItem:
    action = db.session.scalars(
        sa.select(ActionItem)
        .options(selectinload(ActionItem.assignments))
        .where(ActionItem.id == action_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if action is None or action.meeting_id != meeting.id:
        raise NotFound(_l("Action item %(id)s does not exist in this meeting.", id=action_id))
    return action


# --- who owns an action ------------------------------------------------------------------------------------


def _owning_agencies(owner: dict) -> tuple[list[Agency], Role | None]:
    """The agencies an owner input names, and the role fanned out (None for a single agency)."""
    if owner.get("agency_id") is not None:
        agency = db.session.get(Agency, owner["agency_id"])
        if agency is None:
            raise InvalidInput(_l("Agency %(id)s does not exist.", id=owner["agency_id"]),
                               field="owner.agency_id")
        return [agency], None
    role = db.session.scalar(sa.select(Role).where(Role.code == owner["role_code"]))
    if role is None:
        raise InvalidInput(_l("There is no role %(code)s.", code=owner["role_code"]), field="owner.role_code")
    if role.scope != "provincial":
        raise InvalidInput(
            _l("%(role)s is not a provincial role: give its agency as the owner instead.",
               role=role.title_en),
            field="owner.role_code",
        )
    query = (
        sa.select(Agency, Province.code)
        .join(Province, Agency.province_id == Province.id)
        .where(Agency.role_id == role.id, Agency.kind == "provincial")
        .order_by(Province.code)
    )
    provinces = owner["provinces"]
    if provinces != ALL_PROVINCES:
        known = set(db.session.scalars(sa.select(Province.code).where(Province.code.in_(provinces))))
        unknown = [code for code in provinces if code not in known]
        if unknown:
            raise InvalidInput(_l("Unknown province codes: %(codes)s.", codes=", ".join(unknown)),
                               field="owner.provinces")
        query = query.where(Province.code.in_(provinces))
    found = db.session.execute(query).all()
    if provinces != ALL_PROVINCES:
        without = sorted(set(provinces) - {code for _agency, code in found})
        if without:
            raise InvalidInput(
                _l("These provinces have no %(role)s office to own the action: %(codes)s.",
                   role=role.short_en or role.title_en, codes=", ".join(without)),
                field="owner.provinces",
            )
    if not found:
        raise InvalidInput(_l("No agency holds the role %(code)s in any province.", code=role.code),
                           field="owner.role_code")
    return [agency for agency, _code in found], role


def agency_of_seat(seat_id: int | None) -> int | None:
    """The agency behind a seat: the office of its role in its province, or the central unit of its role.
    None for a connection with no seat of its own (a provincial site carries several). One statement (a
    participant's every join reads it)."""
    if seat_id is None:
        return None
    return db.session.scalar(
        sa.select(Agency.id)
        .join(Seat, sa.and_(Seat.role_id == Agency.role_id,
                            Agency.province_id.is_not_distinct_from(Seat.province_id)))  # fmt: skip
        .where(Seat.id == seat_id)
        .order_by(Agency.id)
        .limit(1)
    )


# --- the shapes sent to clients ----------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _event_payload(action: ActionItem, role: Role | None) -> dict:
    """The event's fields, and the resulting action whole (a rejoining page rebuilds it from the event)."""
    return {
        "action": action_state(action),
        "id": action.id,
        "item_id": action.agenda_item_id,
        "title": action.title,
        "description": action.description,
        "due_date": _iso(action.due_date),
        "role_code": role.code if role else None,
        "agency_ids": sorted(a.agency_id for a in action.assignments),
    }


def action_state(action: ActionItem, *, agency_id: int | None = None) -> dict:
    """One action as the snapshot gives it; with agency_id, only that agency's assignment."""
    assignments = [a for a in action.assignments if agency_id is None or a.agency_id == agency_id]
    return {
        "id": action.id,
        "item_id": action.agenda_item_id,
        "title": action.title,
        "description": action.description,
        "due_date": _iso(action.due_date),
        "role_code": action.fan_out_role.code if action.fan_out_role else None,
        "created_at": action.created_at.isoformat() if action.created_at else None,
        "cancelled_at": action.cancelled_at.isoformat() if action.cancelled_at else None,
        "assignments": [
            {
                "id": a.id,
                "agency_id": a.agency_id,
                "agency_th": a.agency.name_th,
                "agency_en": a.agency.name_en,
                "province_code": a.agency.province.code if a.agency.province else None,
                "status": a.status,
                "due_date": _iso(a.due_date),
            }
            for a in sorted(assignments, key=lambda a: a.agency_id)
        ],
    }


def _actions_query(meeting_id: int) -> sa.Select:
    return (
        sa.select(ActionItem)
        .options(
            selectinload(ActionItem.assignments)
            .joinedload(ActionAssignment.agency)
            .joinedload(Agency.province),
            selectinload(ActionItem.fan_out_role),
        )
        .where(ActionItem.meeting_id == meeting_id)
        .order_by(ActionItem.id)
    )


def actions_state(meeting_id: int, *, agency_id: int | None = None, staff: bool = True) -> list[dict]:
    """The meeting's actions: all of them for staff; for a participant, those its agency owns."""
    if not staff and agency_id is None:
        return []
    query = _actions_query(meeting_id)
    if not staff:
        owned = sa.select(ActionAssignment.action_item_id).where(ActionAssignment.agency_id == agency_id)
        query = query.where(ActionItem.id.in_(owned))
    only = None if staff else agency_id
    return [action_state(action, agency_id=only) for action in db.session.scalars(query)]


def agencies_of_seats(meeting_id: int) -> dict[int, int | None]:
    """agency_of_seat() of every seat of the meeting, in one statement: seat id -> agency id or None."""
    rows = db.session.execute(
        sa.select(Seat.id, Agency.id)
        .outerjoin(Agency, sa.and_(Agency.role_id == Seat.role_id,
                                   Agency.province_id.is_not_distinct_from(Seat.province_id)))  # fmt: skip
        .where(Seat.meeting_id == meeting_id)
        .order_by(Seat.id, Agency.id)
    )
    agencies: dict[int, int | None] = {}
    for seat_id, agency_id in rows:
        agencies.setdefault(seat_id, agency_id)  # the first, as agency_of_seat takes it
    return agencies


def actions_by_agency(meeting_id: int) -> dict[int, list[dict]]:
    """Every owning agency's view of the meeting's actions, read at once: agency id -> what
    ``actions_state(meeting_id, agency_id=..., staff=False)`` gives that agency (a participants' snapshot at
    one seq cuts each seat's from this)."""
    by_agency: dict[int, list[dict]] = {}
    for action in db.session.scalars(_actions_query(meeting_id)):
        for agency_id in sorted({assignment.agency_id for assignment in action.assignments}):
            by_agency.setdefault(agency_id, []).append(action_state(action, agency_id=agency_id))
    return by_agency


# --- writers -----------------------------------------------------------------------------------------------


def _check_due_date(due: date | None, confirmed: bool) -> None:
    """A due date already past is refused unless confirmed: given by mistake (2020 for 2570), it would
    send an overdue reminder at once."""
    from meetcore.i18n.dates import be_date, local_today

    if due is not None and due < local_today() and not confirmed:
        raise ConfirmationRequired(
            _l("The due date %(date)s has already passed. Confirm it to give it all the same.",
               date=be_date(due)),
            field="due_date", details={"confirm": "confirm_past_due"},
        )


def create_action(meeting_id: int, values: dict, *, by) -> ActionItem:
    """Give an action from an agenda item to its owner(s): one assignment per owning agency."""
    _require_writer(by)
    meeting = _lock_meeting(meeting_id)
    item = _item_of(meeting, values["item_id"])
    agencies, role = _owning_agencies(values["owner"])
    _check_due_date(values.get("due_date"), values.get("confirm_past_due", False))
    action = ActionItem(
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        title=values["title"],
        description=values.get("description"),
        due_date=values.get("due_date"),
        fan_out_role_id=role.id if role else None,
        created_at=utcnow(),
        created_by_id=_user_id(by),
    )
    action.assignments = [
        ActionAssignment(agency_id=agency.id, due_date=action.due_date, status="open") for agency in agencies
    ]
    db.session.add(action)
    db.session.flush()
    record_event(meeting, "action.created", _event_payload(action, role), by=by)
    db.session.flush()
    return action


def update_action(meeting_id: int, action_id: int, values: dict, *, by) -> ActionItem:
    """Change an action's title, description or due date. A new due date moves the assignments that
    still had the action's old one (an agency given its own date keeps it)."""
    _require_writer(by)
    meeting = _lock_meeting(meeting_id)
    action = _action_of(meeting, action_id)
    if action.cancelled_at is not None:
        raise Conflict(_l("This action item was cancelled and can no longer be changed."))
    changed = sorted(name for name in ("title", "description", "due_date")
                     if name in values and getattr(action, name) != values[name])
    if "due_date" in changed:
        _check_due_date(values["due_date"], values.get("confirm_past_due", False))
    if "due_date" in changed:
        for assignment in action.assignments:
            if assignment.due_date == action.due_date and assignment.status in OPEN_ASSIGNMENT_STATUSES:
                assignment.due_date = values["due_date"]
    for name in changed:
        setattr(action, name, values[name])
    if changed:
        db.session.flush()
        role = db.session.get(Role, action.fan_out_role_id) if action.fan_out_role_id else None
        record_event(meeting, "action.updated", {**_event_payload(action, role), "fields": changed}, by=by)
    db.session.flush()
    return action


def cancel_action(meeting_id: int, action_id: int, *, by) -> ActionItem:
    """Withdraw an action: its open assignments are cancelled; done ones stay done."""
    _require_writer(by)
    meeting = _lock_meeting(meeting_id)
    action = _action_of(meeting, action_id)
    if action.cancelled_at is not None:
        raise Conflict(_l("This action item is already cancelled."))
    action.cancelled_at = utcnow()
    for assignment in action.assignments:
        if assignment.status in OPEN_ASSIGNMENT_STATUSES:
            assignment.status = "cancelled"
    record_event(
        meeting,
        "action.cancelled",
        {"id": action.id, "item_id": action.agenda_item_id,
         "agency_ids": sorted(a.agency_id for a in action.assignments), "action": action_state(action)},
        by=by,
    )
    db.session.flush()
    return action
