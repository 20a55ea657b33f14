"""The one transaction boundary's helpers (meetcore/transaction.py) on the real database: a worker step
whose commit fails leaves a usable session and runs none of its reactions, a CLI command that exits by
its own choice keeps its work, and a UTC column holds UTC before anything is read back."""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from meetcore.auth.models import User
from meetcore.extensions import db
from meetcore.transaction import after_commit, transactional, unit_of_work
from tests.clock import BANGKOK, NOW


def _accounts() -> set[str]:
    return set(db.session.scalars(sa.select(User.email)))


def _account(email: str) -> User:
    return User(email=email, role="participant", display_name=email)


def test_a_step_whose_commit_fails_is_discarded_and_its_reactions_never_run(app_ctx):
    ran = []
    with unit_of_work():
        db.session.add(_account("first@example.org"))
        after_commit(ran.append, "first")
    with pytest.raises(IntegrityError), unit_of_work():  # the duplicate is only found by the commit's flush
        db.session.add(_account("second@example.org"))
        db.session.add(_account("first@example.org"))
        after_commit(ran.append, "second")
    assert ran == ["first"]
    assert _accounts() == {"first@example.org"}  # the session is usable again; nothing of the step stayed


def test_an_entry_point_that_began_nothing_commits_nothing_and_its_reactions_still_run(app_ctx):
    """A join whose snapshot read nothing, a reaction that only sets a timer: SQLAlchemy would begin a
    transaction only to commit it (two per participant's join, issue 18 item 5)."""
    from meetcore import transaction

    db.session.remove()  # a session that has begun nothing
    committed, ran = [], []

    def note(*_args) -> None:
        committed.append(1)

    sa.event.listen(db.session, "after_commit", note)
    try:
        after_commit(ran.append, "a reaction that reads nothing")
        transaction.commit()
        assert committed == [] and ran == ["a reaction that reads nothing"]
        with unit_of_work():
            db.session.add(_account("begun@example.org"))
        assert committed == [1] and _accounts() == {"begun@example.org"}  # what began is committed
    finally:
        sa.event.remove(db.session, "after_commit", note)


def test_a_command_that_exits_by_its_own_choice_keeps_its_work_and_a_failing_one_does_not(app_ctx):
    @transactional
    def refuses_and_logs() -> None:
        db.session.add(_account("logged@example.org"))
        sys.exit(1)

    @transactional
    def breaks() -> None:
        db.session.add(_account("lost@example.org"))
        raise RuntimeError("unexpected")

    with pytest.raises(SystemExit):
        refuses_and_logs()
    with pytest.raises(RuntimeError):
        breaks()
    db.session.rollback()  # nothing is left open to take back
    assert _accounts() == {"logged@example.org"}


def test_a_utc_column_holds_utc_in_memory(app_ctx):
    account = _account("clock@example.org")
    account.created_at = NOW.astimezone(BANGKOK)
    assert (account.created_at, account.created_at.utcoffset().total_seconds()) == (NOW, 0)
