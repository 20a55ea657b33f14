"""Bringing open actions to the next meeting of the series: the only writers of carry-overs
(ActionCarryOver). A new meeting gets them as it is scheduled (signals.meeting_scheduled, in its
transaction); the console's button brings them again later, refreshing the text of those carried already.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from meetcore import signals
from meetcore.actions.assignments import OPEN_STATUSES
from meetcore.actions.models import ActionAssignment, ActionCarryOver, ActionItem
from meetcore.agenda.services import append_child, place_section
from meetcore.agenda.tree import agenda_state
from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.errors import Conflict
from meetcore.extensions import db
from meetcore.meetings.models import Meeting

CARRY_SECTION = 3  # เรื่องสืบเนื่อง, section 3 of the Thai standard agenda
CARRY_EDITABLE = ("draft", "scheduled")
THAI_STATUS = {
    "open": "ยังไม่ดำเนินการ",
    "in_progress": "อยู่ระหว่างดำเนินการ",
    "done": "ดำเนินการแล้วเสร็จ",
    "cancelled": "ยกเลิก",
}


# --- what is carried ----------------------------------------------------------------------------------------


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


def carried_actions(meeting_id: int) -> dict[int, int]:
    """agenda item id → action id, for the items of a meeting that carry an earlier action."""
    return dict(
        db.session.execute(
            sa.select(ActionCarryOver.agenda_item_id, ActionCarryOver.action_item_id).where(
                ActionCarryOver.meeting_id == meeting_id
            )
        ).all()
    )


# --- carrying -----------------------------------------------------------------------------------------------


def carry_open_actions_into(meeting: Meeting, *, by) -> list[int]:
    """Put the series' open actions under the meeting's "เรื่องสืบเนื่อง" (added at its place when missing),
    one sub-item each with its latest progress; an action carried already has its text refreshed. In the
    caller's transaction (schedule_meeting calls it as the meeting is created). Returns the item ids."""
    from meetcore.agenda.models import AgendaItem
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
    section = place_section(meeting.id, CARRY_SECTION)
    carried = {
        c.action_item_id: c
        for c in db.session.scalars(
            sa.select(ActionCarryOver).where(ActionCarryOver.meeting_id == meeting.id)
        )
    }
    ids, added = [], []
    for action in actions:
        text = progress_text(action, sources[action.meeting_id])
        existing = carried.get(action.id)
        item = db.session.get(AgendaItem, existing.agenda_item_id) if existing else None
        if item is None:
            item = append_child(section, title=action.title, presenter=_presenter(action), description=text)
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
        db.session.flush()
    except IntegrityError:  # the same action carried by a parallel request: that one stands (rolled back)
        raise Conflict(
            _l("Someone else brought the open actions at the same moment; reload the page.")
        ) from None
    return ids


@signals.meeting_scheduled.connect
def _carry_into_new_meeting(meeting: Meeting, *, by) -> None:
    carry_open_actions_into(meeting, by=by)
