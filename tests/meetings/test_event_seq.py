"""The seq a command acknowledges: known from its own transaction, never from an older one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.errors import NotFound
from meetcore.eventlog.services import lock_meeting, record_event, seq_after_commit
from meetcore.extensions import db


def _number_elsewhere(meeting_id: int) -> None:
    """Another process numbers an event: its own connection, its own transaction."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE meetings SET last_seq = last_seq + 1 WHERE id = :id"), {"id": meeting_id}
        )


def test_the_seq_after_commit_is_the_committed_transactions_own(meeting, users):
    meeting_id = meeting.id
    locked = lock_meeting(meeting_id)
    event = record_event(locked, "meeting.updated", {"venue": "ห้อง 1"}, by=users["secretariat"])
    seq = event.seq
    db.session.commit()
    _number_elsewhere(meeting_id)
    assert seq_after_commit(meeting_id) == seq  # what this transaction left, without a query
    db.session.execute(sa.select(1))  # the session's next transaction: what the last one knew is gone
    assert seq_after_commit(meeting_id) == seq + 1


def test_a_rolled_back_transaction_leaves_nothing_known(meeting, users):
    meeting_id = meeting.id
    record_event(lock_meeting(meeting_id), "meeting.updated", {}, by=users["secretariat"])
    db.session.rollback()
    assert seq_after_commit(meeting_id) == meeting.last_seq


def test_locking_a_meeting_that_does_not_exist(app_ctx):
    with pytest.raises(NotFound):
        lock_meeting(987654)
    db.session.rollback()
    with pytest.raises(NotFound):
        seq_after_commit(987654)
