"""What one live command costs the database: the statements an agenda change and a minutes update run.

Every statement is a round trip on PostgreSQL, and these statements are most of a command's fixed cost
(docs/performance.md): the meeting is read once, under its lock; nothing is read again after the commit
(the acknowledgement's seq is known from the transaction); a new statement here should be a choice."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from tests.minutes.conftest import Browser, items_of
from tests.seats.helpers import QueryCounter

COMMIT = "COMMIT"


class Statements(QueryCounter):
    """The statements the engine runs (whitespace folded), with COMMIT where a transaction commits."""

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()))

    def _commit(self, conn):
        self.statements.append(COMMIT)

    def __enter__(self):
        sa.event.listen(self.engine, "commit", self._commit)
        return super().__enter__()

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "commit", self._commit)
        super().__exit__(*exc)

    @property
    def seen(self) -> list[str]:
        return self.statements

    def reading(self, table: str) -> list[str]:
        return [s for s in self.seen if re.match(rf"SELECT .* FROM {table}\b", s)]

    def writing(self, table: str) -> list[str]:
        return [s for s in self.seen if re.match(rf"(UPDATE|INSERT INTO|DELETE FROM) {table}\b", s)]

    def after_commit(self) -> list[str]:
        return self.seen[self.seen.index(COMMIT) + 1:]

    def before_commit(self) -> list[str]:
        return self.seen[: self.seen.index(COMMIT)]


def _join(sio, meeting) -> None:
    assert sio.emit("join", {"meeting_id": meeting.id}, callback=True)["ok"]


def _last_seq(meeting_id: int) -> int:
    from meetcore.meetings.models import Meeting

    return db.session.scalar(sa.select(Meeting.last_seq).where(Meeting.id == meeting_id))


def _lock_statements() -> int:
    """The meeting's lock: SELECT ... FOR UPDATE, and on SQLite a no-op UPDATE before it."""
    return 2 if db.engine.dialect.name == "sqlite" else 1


@pytest.fixture()
def agenda_change(live, in_session):
    sio = live("secretariat")
    _join(sio, in_session)
    meeting_id = in_session.id
    first, second = (item.id for item in items_of(in_session)[:2])
    assert sio.emit("agenda.set_current", {"meeting_id": meeting_id, "item_id": first}, callback=True)["ok"]
    db.session.expunge_all()  # as on a server, where each event starts with an empty session
    with Statements(db.engine) as statements:
        ack = sio.emit("agenda.set_current", {"meeting_id": meeting_id, "item_id": second}, callback=True)
    assert ack["ok"] and ack["seq"] == _last_seq(meeting_id)
    return statements


@pytest.fixture()
def minutes_update(live, in_session):
    sio = live("secretariat")
    _join(sio, in_session)
    meeting_id, item = in_session.id, items_of(in_session)[0]
    browser = Browser(sio, meeting_id, item.id)
    assert browser.send(browser.type(None, "เริ่ม"))["ok"]
    db.session.expunge_all()
    with Statements(db.engine) as statements:
        ack = browser.send(browser.type(None, "ประชุม"))
    assert ack["ok"] and ack["seq"] == _last_seq(meeting_id)
    return statements


@pytest.mark.parametrize("command", ["agenda_change", "minutes_update"])
def test_a_command_reads_the_meeting_once_and_nothing_after_its_commit(request, command):
    statements = request.getfixturevalue(command)
    assert statements.seen.count(COMMIT) == 1
    assert statements.after_commit() == []
    assert len(statements.reading("meetings")) == 1  # the lock's SELECT ... FOR UPDATE
    assert "FOR UPDATE" in statements.reading("meetings")[0] or db.engine.dialect.name == "sqlite"
    assert len(statements.reading("users")) == 1  # the secretariat's account: still active, still allowed


def test_an_agenda_change_costs_its_lock_two_reads_and_three_writes(agenda_change):
    before = agenda_change.before_commit()
    # users; the lock; the item, and the item current until now; the items' states, the seq, the event
    assert len(before) == 1 + _lock_statements() + 2 + 3, "\n".join(before)


def test_a_minutes_update_writes_its_block_once(minutes_update):
    before = minutes_update.before_commit()
    assert len(minutes_update.writing("minutes_blocks")) == 1, "\n".join(before)
    # users; the lock; the item and the block (its document is the one this process kept: no log read);
    # the block, the update logged, the seq, the minutes.text event
    assert len(before) == 1 + _lock_statements() + 2 + 4, "\n".join(before)
