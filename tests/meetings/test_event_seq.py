"""The seq a command acknowledges: the last event it wrote and committed, or None when it wrote none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.errors import NotFound
from meetcore.eventlog.services import begin_command, lock_meeting, record_event, seq_after_commit
from meetcore.extensions import db


def _number_elsewhere(meeting_id: int) -> None:
    """Another process numbers an event: its own connection, its own transaction."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE meetings SET last_seq = last_seq + 1 WHERE id = :id"), {"id": meeting_id}
        )


def test_the_seq_after_commit_is_the_committed_transactions_own(meeting, users):
    meeting_id = meeting.id
    begin_command()
    locked = lock_meeting(meeting_id)
    event = record_event(locked, "seats.added", {"seat_ids": [1]}, by=users["secretariat"])
    seq = event.seq
    db.session.commit()
    _number_elsewhere(meeting_id)
    assert seq_after_commit(meeting_id) == seq  # what this command wrote, not what others wrote since
    db.session.execute(sa.select(1))  # a later read in the same command changes nothing
    assert seq_after_commit(meeting_id) == seq


def test_a_rolled_back_transaction_leaves_nothing_written(meeting, users):
    meeting_id = meeting.id
    begin_command()
    record_event(lock_meeting(meeting_id), "seats.added", {}, by=users["secretariat"])
    db.session.rollback()
    assert seq_after_commit(meeting_id) is None


def test_a_command_that_writes_nothing_has_no_seq_even_after_one_that_did(meeting, users):
    """Issue 13: a no-op was acknowledged with the seq of an unrelated earlier event."""
    meeting_id = meeting.id
    begin_command()
    record_event(lock_meeting(meeting_id), "seats.added", {}, by=users["secretariat"])
    db.session.commit()
    assert seq_after_commit(meeting_id) is not None
    begin_command()  # the next command
    lock_meeting(meeting_id)
    db.session.commit()
    assert seq_after_commit(meeting_id) is None


def test_locking_a_meeting_that_does_not_exist(app_ctx):
    with pytest.raises(NotFound):
        lock_meeting(987654)
    db.session.rollback()


def test_an_undeclared_kind_or_a_payload_without_its_fields_is_refused(meeting, users):
    from meetcore.eventlog.kinds import UndeclaredEvent

    locked = lock_meeting(meeting.id)
    for kind, payload in (("meeting.renamed", {}), ("agenda.updated", {"item_id": 1, "fields": ["title"]})):
        with pytest.raises(UndeclaredEvent):
            record_event(locked, kind, payload, by=users["secretariat"])
    db.session.rollback()
