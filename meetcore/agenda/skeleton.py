"""A new meeting's agenda started from the previous meeting of its series (issue 15, 4d): the same
sections and items, by title, presenter and time, in the same order; none of that sitting's texts,
documents or states. Section 2 (เรื่องรับรองรายงานการประชุม) gets one item certifying the previous
meeting's minutes instead of the items it had. In the caller's transaction (flush only)."""

from __future__ import annotations

from collections.abc import Collection

from meetcore.agenda.models import AgendaItem
from meetcore.agenda.services import (
    _children,
    _lock_for_editing,
    _record_structure,
    append_child,
    place_section,
)
from meetcore.agenda.tree import public_tree
from meetcore.auth.permissions import require_editor
from meetcore.extensions import db
from meetcore.meetings.models import Meeting

CERTIFY_SECTION = 2
SKELETON_FIELDS = ("title", "presenter", "duration_minutes")


def certification_title(source: Meeting) -> str:
    """Official text, in Thai whatever the page language (the agenda is an official document)."""
    return f"รับรองรายงานการประชุม ครั้งที่ {source.number_label}"


def _fields(item: AgendaItem) -> dict:
    return {name: getattr(item, name) for name in SKELETON_FIELDS}


def _top_item(meeting_id: int, item: AgendaItem) -> AgendaItem:
    """The target's top-level counterpart of `item`: its standard section (kept as it is when the meeting
    has it already, e.g. เรื่องสืบเนื่อง made for carried actions), or a new last top-level item."""
    top = _children(meeting_id, None)
    if item.section is not None:
        existing = next((other for other in top if other.section == item.section), None)
        if existing is not None:
            return existing
        section = place_section(meeting_id, item.section)
        for name, value in _fields(item).items():  # the secretariat may have renamed it
            setattr(section, name, value)
        return section
    copied = AgendaItem(meeting_id=meeting_id, parent_id=None, position=len(top), **_fields(item))
    db.session.add(copied)
    db.session.flush()
    return copied


def _copy_children(parent: AgendaItem, nodes: list[dict], leave_out: Collection[int], added: list[int]):
    for node in nodes:
        if node["item"].id in leave_out:
            continue
        child = append_child(parent, **_fields(node["item"]))
        added.append(child.id)
        _copy_children(child, node["children"], leave_out, added)


def copy_agenda_skeleton(
    meeting: Meeting, source: Meeting, *, leave_out: Collection[int] = (), by
) -> list[int]:
    """Lay `source`'s agenda out in `meeting`, leaving out the items in `leave_out` (those another domain
    makes anew, such as carried actions). Returns the ids of the items added."""
    require_editor(by)
    meeting = _lock_for_editing(meeting.id)
    added: list[int] = []
    for node in public_tree(source.id):
        item = node["item"]
        if item.id in leave_out:
            continue
        before = {other.id for other in _children(meeting.id, None)}
        top = _top_item(meeting.id, item)
        if top.id not in before:
            added.append(top.id)
        if item.section == CERTIFY_SECTION:
            added.append(append_child(top, title=certification_title(source)).id)
            continue
        _copy_children(top, node["children"], leave_out, added)
    if added:
        payload = {"source_meeting_id": source.id, "item_ids": added}
        _record_structure(meeting, "agenda.copied", payload, by=by)
    return added
