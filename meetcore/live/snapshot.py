"""The full state of one meeting as one reader may see it, consistent with the seq it carries."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.meetings.models import Meeting

# Other domains add their part of the state (floor, attendance, minutes, ...) here:
# part(meeting, actor) -> JSON-able value, stored under its key.
SNAPSHOT_PARTS: dict[str, Callable] = {}


def snapshot_part(key: str):
    def register(function: Callable) -> Callable:
        SNAPSHOT_PARTS[key] = function
        return function

    return register


def _repeatable_read() -> None:
    """PostgreSQL: every query of the snapshot sees the same committed state as last_seq does."""
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def meeting_state(meeting: Meeting) -> dict:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "series": meeting.series.name,
        "number_label": meeting.number_label,
        "status": meeting.status,
        "start_at": meeting.start_at.isoformat(),
        "end_at": meeting.end_at.isoformat(),
        "venue": meeting.venue,
        "chair_name": meeting.chair_name,
    }


def agenda_state(meeting_id: int) -> list[dict]:
    from meetcore.agenda.documents import document_out, meeting_documents
    from meetcore.agenda.services import public_tree

    documents = meeting_documents(meeting_id)

    def node(entry: dict) -> dict:
        item = entry["item"]
        return {
            "id": item.id,
            "number": entry["number"],
            "title": item.title,
            "presenter": item.presenter,
            "state": item.state,
            "documents": [document_out(document) for document in documents.get(item.id, ())],
            "children": [node(child) for child in entry["children"]],
        }

    return [node(entry) for entry in public_tree(meeting_id)]


def build_snapshot(meeting_id: int, actor) -> dict:
    db.session.rollback()  # start a fresh transaction so the whole snapshot is one consistent read
    _repeatable_read()
    meeting = db.session.scalars(
        sa.select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    ).one()
    state = {
        "last_seq": meeting.last_seq,
        "meeting": meeting_state(meeting),
        "agenda": agenda_state(meeting.id),
    }
    for key, part in SNAPSHOT_PARTS.items():
        state[key] = part(meeting, actor)
    db.session.commit()
    return state
