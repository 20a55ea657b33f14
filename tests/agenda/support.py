"""Helpers shared by the agenda tests: read the agenda and the event log straight from the database."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.agenda.models import AgendaItem
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import schedule_meeting
from tests.conftest import MEETING_INPUT

STANDARD_TITLES = (
    "เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ",
    "เรื่องรับรองรายงานการประชุม",
    "เรื่องสืบเนื่อง",
    "เรื่องเพื่อทราบ",
    "เรื่องเพื่อพิจารณา",
    "เรื่องอื่น ๆ",
)


def outline(meeting_id: int) -> list[tuple[str, str]]:
    """(number, title) of every item in agenda order, numbered from the stored positions.

    Also checks that every level's positions are exactly 0..n-1, so a gap or a duplicate fails loudly.
    """
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(AgendaItem.id, AgendaItem.parent_id, AgendaItem.position, AgendaItem.title)
        .where(AgendaItem.meeting_id == meeting_id)
    ).all()
    by_parent: dict[int | None, list] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    result: list[tuple[str, str]] = []

    def visit(parent_id, prefix):
        children = sorted(by_parent.get(parent_id, []), key=lambda r: r.position)
        assert [r.position for r in children] == list(range(len(children))), f"positions under {parent_id}"
        for index, row in enumerate(children, start=1):
            number = f"{prefix}{index}"
            result.append((number, row.title))
            visit(row.id, number + ".")

    visit(None, "")
    assert len(result) == len(rows), "an item hangs off a parent that is not in the tree"
    return result


def item_id(meeting_id: int, title: str) -> int:
    return db.session.scalars(
        sa.select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.title == title)
    ).one()


def item_count(meeting_id: int | None = None) -> int:
    query = sa.select(sa.func.count(AgendaItem.id))
    if meeting_id is not None:
        query = query.where(AgendaItem.meeting_id == meeting_id)
    return db.session.scalar(query)


def events(meeting_id: int) -> list[tuple[int, str, dict]]:
    rows = db.session.execute(
        sa.select(MeetingEvent.seq, MeetingEvent.kind, MeetingEvent.payload)
        .where(MeetingEvent.meeting_id == meeting_id)
        .order_by(MeetingEvent.seq)
    )
    return [tuple(row) for row in rows]


def schedule_another_meeting(by, **changes) -> Meeting:
    return schedule_meeting(dict(MEETING_INPUT, number=2, **changes), by=by)


def set_status(meeting_id: int, status: str) -> None:
    db.session.execute(sa.update(Meeting).where(Meeting.id == meeting_id).values(status=status))
    db.session.commit()
