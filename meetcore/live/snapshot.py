"""The full state of one meeting as one reader may see it, consistent with the seq it carries."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from meetcore.agenda.tree import agenda_state
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import meeting_state

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


def build_snapshot(meeting_id: int, actor) -> dict:
    """The meeting as `actor` sees it, read in one consistent read. Called at the start of a transaction
    (the join command commits its check-in first), so that PostgreSQL's REPEATABLE READ applies to it;
    it writes nothing, and the entry point ends its transaction."""
    _repeatable_read()
    meeting = db.session.scalars(
        sa.select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    ).one()
    state = {
        "last_seq": meeting.last_seq,
        "meeting": meeting_state(meeting),
        "agenda": agenda_state(meeting.id),  # the agenda is everyone's: no part of its own
    }
    for key, part in SNAPSHOT_PARTS.items():
        state[key] = part(meeting, actor)
    return state
