"""Building a meeting's agenda: the only writers of AgendaItem rows.

The agenda is an ordered tree. Siblings (the items under one parent, or the top level) always have the
positions 0..n-1, and an item's number ("5.1") is read from those positions. Every change takes the
meeting row's lock first, so two secretaries editing at once never hand out the same position, and
appends a MeetingEvent in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.agenda.models import AgendaItem
from meetcore.agenda.schemas import AgendaItemInput, AgendaItemUpdate, MoveInput
from meetcore.agenda.tree import agenda_state, build_tree, find_node, meeting_items, public_tree, walk  # noqa: F401
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.errors import Conflict, InvalidInput, NotFound
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import Decision, MinutesBlock
from meetcore.schemas import load_input

# The agenda may change until the meeting has ended (a live meeting may still add or reorder items).
EDITABLE_STATUSES = ("draft", "scheduled", "live")

# The Thai standard agenda: section 1..6. Official names, so always in Thai whatever the page language.
STANDARD_SECTIONS = (
    "เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ",
    "เรื่องรับรองรายงานการประชุม",
    "เรื่องสืบเนื่อง",
    "เรื่องเพื่อทราบ",
    "เรื่องเพื่อพิจารณา",
    "เรื่องอื่น ๆ",
)

EDITABLE_FIELDS = ("title", "description", "presenter", "duration_minutes")


# --- reading -------------------------------------------------------------------------------------------


def agenda_tree(meeting, *, by) -> list[dict]:
    """[{"item": AgendaItem, "number": "5.1", "children": [...]}, ...] in order, from one query."""
    require_staff(by)
    return build_tree(meeting_items(meeting.id))


def item_node(item: AgendaItem, *, by) -> dict:
    """The tree node of one item: {"item", "number", "children"} with its whole subtree."""
    require_staff(by)
    node = find_node(build_tree(meeting_items(item.meeting_id)), item.id)
    if node is None:
        raise NotFound(_l("Agenda item %(id)s does not exist.", id=item.id))
    return node


def get_item(item_id: int, *, by) -> AgendaItem:
    require_staff(by)
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound(_l("Agenda item %(id)s does not exist.", id=item_id))
    return item


def agenda_editable(meeting: Meeting) -> bool:
    """Whether the meeting's status still lets the secretariat change its agenda."""
    return meeting.status in EDITABLE_STATUSES


def missing_standard_sections(meeting, *, by) -> list[int]:
    """The standard section numbers (1..6) not yet at the top level of the agenda."""
    require_staff(by)
    present = set(
        db.session.scalars(
            sa.select(AgendaItem.section).where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.parent_id.is_(None),
                AgendaItem.section.is_not(None),
            )
        )
    )
    return [number for number in range(1, len(STANDARD_SECTIONS) + 1) if number not in present]


def deletion_summary(item: AgendaItem, *, by) -> dict:
    """What deleting ``item`` would remove: its node (with sub-items), their count and minutes; and the
    decisions and action items that forbid it."""
    require_staff(by)
    node = item_node(item, by=by)
    ids = [n["item"].id for n, _depth in walk([node])]
    decisions = db.session.scalar(
        sa.select(sa.func.count()).select_from(Decision).where(Decision.agenda_item_id.in_(ids))
    )
    return {"node": node, "sub_items": len(ids) - 1, "minutes": len(_minutes_written(ids)),
            "decisions": decisions or 0, "actions": _action_count(ids)}  # fmt: skip


# --- helpers of the writers ----------------------------------------------------------------------------


def _lock_for_editing(meeting_id: int) -> Meeting:
    """Take the meeting row's write lock and check, on its current status, that the agenda may change."""
    meeting = lock_meeting(meeting_id)
    if meeting.status not in EDITABLE_STATUSES:
        raise Conflict(
            _l("The agenda of a meeting that has ended or was cancelled can no longer be changed.")
        )
    return meeting


def _load(item_id: int) -> AgendaItem:
    """The item as it is now in the database, after the lock (another editor may have moved or deleted
    it since it was read)."""
    current = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.id == item_id).execution_options(populate_existing=True)
    ).one_or_none()
    if current is None:
        raise NotFound(_l("Agenda item %(id)s does not exist.", id=item_id))
    return current


def _fresh(item: AgendaItem) -> AgendaItem:
    return _load(item.id)


def _children(meeting_id: int, parent_id: int | None) -> list[AgendaItem]:
    parent = AgendaItem.parent_id.is_(None) if parent_id is None else AgendaItem.parent_id == parent_id
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id, parent)
            .order_by(AgendaItem.position, AgendaItem.id)
            .execution_options(populate_existing=True)
        )
    )


def _renumber(siblings: list[AgendaItem]) -> None:
    for index, sibling in enumerate(siblings):
        if sibling.position != index:
            sibling.position = index


def _subtree_ids(meeting_id: int, item_id: int) -> list[int]:
    """The item's id and those of all its descendants."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for child_id, parent_id in db.session.execute(
        sa.select(AgendaItem.id, AgendaItem.parent_id).where(AgendaItem.meeting_id == meeting_id)
    ):
        children[parent_id].append(child_id)
    found, stack = [], [item_id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def _check_parent(meeting_id: int, parent_id: int | None) -> AgendaItem | None:
    """The parent item an input names, refused clearly when it is not on this meeting's agenda."""
    if parent_id is None:
        return None
    parent = db.session.get(AgendaItem, parent_id)
    if parent is None:
        raise InvalidInput(_l("Agenda item %(id)s does not exist.", id=parent_id), field="parent_id")
    if parent.meeting_id != meeting_id:
        raise InvalidInput(
            _l("Agenda item %(id)s belongs to another meeting; an item can only be placed under an item "
               "of the same agenda.", id=parent_id),
            field="parent_id",
        )
    return parent


def _place(item: AgendaItem, parent_id: int | None, position: int | None) -> dict | None:
    """Put ``item`` under ``parent_id`` at ``position`` (default and at most: last), renumbering the
    siblings it leaves and joins. Returns the move's {"from", "to"}, or None when it did not move."""
    meeting_id = item.meeting_id
    if parent_id is not None and parent_id in _subtree_ids(meeting_id, item.id):
        raise InvalidInput(_l("An item cannot be moved under itself or under one of its own sub-items."),
                           field="parent_id")
    before = {"parent_id": item.parent_id, "position": item.position}
    old_siblings = [s for s in _children(meeting_id, item.parent_id) if s.id != item.id]
    if parent_id == item.parent_id:
        new_siblings = old_siblings
    else:
        new_siblings = [s for s in _children(meeting_id, parent_id) if s.id != item.id]
        _renumber(old_siblings)
    index = len(new_siblings) if position is None else min(position, len(new_siblings))
    new_siblings.insert(index, item)
    item.parent_id = parent_id
    if parent_id is not None:
        item.section = None  # a standard section is a top-level item; nested, it is an ordinary one
    _renumber(new_siblings)
    after = {"parent_id": item.parent_id, "position": item.position}
    return None if after == before else {"from": before, "to": after}


def _record_structure(meeting: Meeting, kind: str, payload: dict, *, by) -> None:
    """A change to the agenda's items or their order: its event carries the resulting agenda whole, as the
    snapshot has it (numbers included), so that a client replaces its copy (docs/protocol.md)."""
    db.session.flush()
    record_event(meeting, kind, {**payload, "agenda": agenda_state(meeting.id)}, by=by)


def _moved(meeting: Meeting, item: AgendaItem, move: dict | None, *, by) -> AgendaItem:
    if move is not None:
        _record_structure(meeting, "agenda.moved", {"item_id": item.id, **move}, by=by)
    db.session.flush()
    return item


# --- writers -------------------------------------------------------------------------------------------


def add_item(meeting, data: dict, *, by) -> AgendaItem:
    """Add an item as the last one under its parent (parent_id), or at the end of the top level."""
    require_editor(by)
    values = load_input(AgendaItemInput(), data)
    meeting = _lock_for_editing(meeting.id)
    parent = _check_parent(meeting.id, values.pop("parent_id"))
    parent_id = parent.id if parent is not None else None
    item = AgendaItem(meeting_id=meeting.id, parent_id=parent_id,
                      position=len(_children(meeting.id, parent_id)), **values)
    db.session.add(item)
    db.session.flush()
    payload = {"item_id": item.id, "parent_id": parent_id, "position": item.position, "title": item.title}
    _record_structure(meeting, "agenda.added", payload, by=by)
    db.session.flush()
    return item


def update_item(item: AgendaItem, data: dict, *, by) -> AgendaItem:
    """Change some of an item's fields; a parent_id given moves it to the end of that parent."""
    require_editor(by)
    values = load_input(AgendaItemUpdate(), data)
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    move = None
    if "parent_id" in values:
        parent_id = values.pop("parent_id")
        _check_parent(meeting.id, parent_id)
        if parent_id != item.parent_id:
            move = _place(item, parent_id, None)
    changed = sorted(name for name, value in values.items() if getattr(item, name) != value)
    for name in changed:
        setattr(item, name, values[name])
    db.session.flush()
    if changed:
        values = {name: getattr(item, name) for name in changed}
        payload = {"item_id": item.id, "fields": changed, "values": values}
        _record_structure(meeting, "agenda.updated", payload, by=by)
    if move is not None:
        _record_structure(meeting, "agenda.moved", {"item_id": item.id, **move}, by=by)
    db.session.flush()
    return item


def move_item(item: AgendaItem, data: dict, *, by) -> AgendaItem:
    """Move an item under another parent (parent_id; null for the top level) and/or to another position
    among its siblings (0-based; past the end means last). A parent_id not given keeps the parent."""
    require_editor(by)
    values = load_input(MoveInput(), data)
    if "parent_id" not in values and values.get("position") is None:
        raise InvalidInput(_l("Say where the item goes: give parent_id, position or both."))
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    parent_id = values["parent_id"] if "parent_id" in values else item.parent_id
    _check_parent(meeting.id, parent_id)
    move = _place(item, parent_id, values.get("position"))
    return _moved(meeting, item, move, by=by)


def _siblings_around(item: AgendaItem) -> tuple[list[AgendaItem], int]:
    siblings = _children(item.meeting_id, item.parent_id)
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == item.id)
    return siblings, index


def move_up(item: AgendaItem, *, by) -> AgendaItem:
    """Swap the item with the one above it."""
    require_editor(by)
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    _siblings, index = _siblings_around(item)
    if index == 0:
        raise InvalidInput(_l("This item is already the first at its level."))
    return _moved(meeting, item, _place(item, item.parent_id, index - 1), by=by)


def move_down(item: AgendaItem, *, by) -> AgendaItem:
    """Swap the item with the one below it."""
    require_editor(by)
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    siblings, index = _siblings_around(item)
    if index == len(siblings) - 1:
        raise InvalidInput(_l("This item is already the last at its level."))
    return _moved(meeting, item, _place(item, item.parent_id, index + 1), by=by)


def indent(item: AgendaItem, *, by) -> AgendaItem:
    """Make the item the last sub-item of the item above it."""
    require_editor(by)
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    siblings, index = _siblings_around(item)
    if index == 0:
        raise InvalidInput(_l("There is no item above this one to place it under."))
    return _moved(meeting, item, _place(item, siblings[index - 1].id, None), by=by)


def outdent(item: AgendaItem, *, by) -> AgendaItem:
    """Take the item out of its parent: it becomes the item right after its former parent."""
    require_editor(by)
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    if item.parent_id is None:
        raise InvalidInput(_l("This item is already at the top level."))
    parent = _load(item.parent_id)
    return _moved(meeting, item, _place(item, parent.parent_id, parent.position + 1), by=by)


def _minutes_written(ids: list[int]) -> list[int]:
    """The items among `ids` whose minutes have text."""
    return list(db.session.scalars(
        sa.select(MinutesBlock.agenda_item_id)
        .where(MinutesBlock.agenda_item_id.in_(ids), MinutesBlock.text != "")
        .order_by(MinutesBlock.agenda_item_id)
    ))  # fmt: skip


def _action_count(ids: list[int]) -> int:
    from meetcore.actions.models import ActionItem

    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ActionItem).where(ActionItem.agenda_item_id.in_(ids))
    )


def delete_item(item: AgendaItem, *, by) -> list[int]:
    """Delete the item with all its sub-items and renumber the siblings after it. Returns the ids deleted.

    Refused while a decision or an action item is recorded on any of them: they are part of the official
    record, and agencies report on actions. Their minutes go with them (the confirmation page warns).
    """
    require_editor(by)
    meeting = _lock_for_editing(item.meeting_id)
    item = _fresh(item)
    ids = _subtree_ids(meeting.id, item.id)
    decisions = db.session.scalar(
        sa.select(sa.func.count()).select_from(Decision).where(Decision.agenda_item_id.in_(ids))
    )
    if decisions:
        raise Conflict(_l("A decision is recorded on this item or one of its sub-items, so it cannot be "
                          "deleted. Remove the decision first."))
    if _action_count(ids):
        # Agencies report on them until the next meeting: an action must keep the item it was given under.
        raise Conflict(_l("Action items were given under this item or one of its sub-items; they stay on "
                          "the record, so the item cannot be deleted."))  # fmt: skip
    # The confirmation page said so: the minutes written under them go with the items; the event says which.
    payload = {"item_id": item.id, "title": item.title, "parent_id": item.parent_id,
               "position": item.position, "deleted_ids": ids, "minutes_deleted": _minutes_written(ids)}
    parent_id = item.parent_id
    db.session.execute(
        sa.delete(AgendaItem).where(AgendaItem.id.in_(ids)).execution_options(synchronize_session=False)
    )
    for gone in [obj for obj in db.session.identity_map.values() if isinstance(obj, AgendaItem)]:
        # By the identity key: reading `id` of an expired instance would load the row just deleted.
        if sa.inspect(gone).identity[0] in ids:
            db.session.expunge(gone)
    _renumber(_children(meeting.id, parent_id))
    _record_structure(meeting, "agenda.deleted", payload, by=by)
    db.session.flush()
    return ids


def _insert_section(top: list[AgendaItem], section: AgendaItem) -> None:
    """Put a standard section in its place among the top-level items: before the first later section,
    after everything else when there is none."""
    later = (i for i, other in enumerate(top) if (other.section or 0) > section.section)
    top.insert(next(later, len(top)), section)


def place_section(meeting_id: int, number: int) -> AgendaItem:
    """The meeting's standard section `number`, added in its place when missing. For another domain's
    service that fills it (the carried actions), in that service's transaction: it records the event."""
    top = _children(meeting_id, None)
    found = next((item for item in top if item.section == number), None)
    if found is not None:
        return found
    title = STANDARD_SECTIONS[number - 1]
    section = AgendaItem(meeting_id=meeting_id, parent_id=None, section=number, title=title)
    _insert_section(top, section)
    _renumber(top)
    db.session.add(section)
    db.session.flush()
    return section


def append_child(parent: AgendaItem, **fields) -> AgendaItem:
    """A new last sub-item of `parent`, for another domain's service, in its transaction (no event)."""
    position = len(_children(parent.meeting_id, parent.id))
    item = AgendaItem(meeting_id=parent.meeting_id, parent_id=parent.id, position=position, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def insert_standard_sections(meeting, *, by) -> list[AgendaItem]:
    """Add the Thai standard top-level sections that are missing, each in its place among the others.

    A section already at the top level (by its number, whatever its title now) is left alone, so this can
    be run again safely. Returns the items added (none when all six were there).
    """
    require_editor(by)
    meeting = _lock_for_editing(meeting.id)
    top = _children(meeting.id, None)
    present = {item.section for item in top if item.section is not None}
    added = []
    for number, title in enumerate(STANDARD_SECTIONS, start=1):
        if number in present:
            continue
        section = AgendaItem(meeting_id=meeting.id, parent_id=None, section=number, title=title)
        _insert_section(top, section)
        added.append(section)
    if not added:
        return []
    _renumber(top)
    db.session.add_all(added)
    db.session.flush()
    payload = {"sections": [item.section for item in added], "item_ids": [item.id for item in added]}
    _record_structure(meeting, "agenda.sections_inserted", payload, by=by)
    db.session.flush()
    return added


# --- running the agenda live -----------------------------------------------------------------------------


def _live_item(meeting_id: int, item_id: int) -> tuple[Meeting, AgendaItem]:
    meeting = _lock_for_editing(meeting_id)
    if meeting.status != "live":
        raise Conflict(_l("The agenda can be run only while the meeting is in session."))
    item = _load(item_id)
    if item.meeting_id != meeting.id:
        raise InvalidInput(_l("That agenda item belongs to another meeting."), field="item_id")
    return meeting, item


def set_current_item(meeting_id: int, item_id: int, *, by) -> AgendaItem:
    """Move the meeting to an item; the item left keeps 'done' if it was marked so, else 'pending'."""
    require_editor(by)
    meeting, item = _live_item(meeting_id, item_id)
    previous = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.state == "current")
    ).all()
    for other in previous:
        if other.id != item.id:
            other.state = "pending"
    item.state = "current"
    record_event(
        meeting,
        "agenda.current",
        {"item_id": item.id, "previous": [other.id for other in previous if other.id != item.id]},
        by=by,
    )
    db.session.flush()
    return item


def mark_item_done(meeting_id: int, item_id: int, *, done: bool = True, by) -> AgendaItem:
    require_editor(by)
    meeting, item = _live_item(meeting_id, item_id)
    item.state = "done" if done else "pending"
    record_event(meeting, "agenda.state", {"item_id": item.id, "state": item.state}, by=by)
    db.session.flush()
    return item
