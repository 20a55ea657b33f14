"""What a participant's join costs the database (issue 18, item 5): the statements of connecting and joining
when the board is not due (most joins of a mass join). Each statement is a round trip on PostgreSQL and most
of a join's own CPU; a new one here should be a choice."""

from __future__ import annotations

import re

import pytest

from meetcore.extensions import db
from tests.minutes.test_command_statements import Statements


@pytest.fixture()
def quiet_board(app, monkeypatch):
    """The first join publishes; the next ones wait for the board's next publication."""
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 600_000)


def _connect_and_join(live, token, meeting_id: int) -> None:
    sio = live(auth={"seat_token": token})
    ack = sio.emit("join", {"meeting_id": meeting_id}, callback=True)
    assert ack["ok"] and ack["mode"] == "snapshot", ack


def test_a_join_while_the_board_waits(live, link_for, seats, scheduled, quiet_board):
    tokens = [link_for(seats[key]) for key in ("cm_sd", "sk_sd")]  # issuing a link is an event of its own
    meeting_id = scheduled.id  # read here: the test's own object expires with the server's commits
    _connect_and_join(live, tokens[0], meeting_id)  # publishes, and beats for this process
    token = tokens[1]
    db.session.expunge_all()  # the test's own rows (its seats) would spare the server reads it must make
    with Statements(db.engine) as statements:
        _connect_and_join(live, token, meeting_id)
    assert not statements.writing("server_processes")  # beaten a moment ago: that row stands
    assert not statements.reading("live_connections")  # a new connection's row is added, not merged
    assert len(statements.writing("live_connections")) == 1
    assert "opened_at" in statements.writing("live_connections")[0]  # the sweep of a crash's rows reads it
    assert len(statements.writing("attendance")) == 1
    # A connection's first join: it has no interval of its own to look for (runs N).
    assert not statements.reading("attendance")
    assert not statements.writing("meeting_events")  # the board is not due: nothing published
    # The check-in's, under its lock (on SQLite the no-op write that takes the lock returns the row, and does
    # not move updated_at); the snapshot, at the seq that lock found, is what the first join read at that
    # seq (meetcore.live.snapshot): it reads nothing, not even the seq (issue 18, runs P).
    touching = [*statements.reading("meetings"), *statements.writing("meetings")]
    assert len(touching) == 1, "\n".join(statements.seen)
    assert "updated_at=meetings.updated_at" in touching[0] or "FOR UPDATE" in touching[0], touching
    # The link at connect: with the four columns of its seat the actor carries, not its province and role.
    assert not statements.reading("provinces") and not statements.reading("roles")
    # The seat: its meeting comes with the link the join command checks, which the check-in then trusts.
    assert not statements.reading("seats")
    assert not [s for s in statements.seen if "agencies" in s]  # the seats' agencies: read by the first join
    assert len([s for s in statements.seen if s != "COMMIT"]) <= 10, "\n".join(statements.seen)
    # The connection's row comes with the check-in, in the join's transaction: connecting writes nothing
    # and commits nothing of its own, one transaction fewer per join (runs N).
    [written] = [t for t in _transactions(statements.seen) if any(WRITE.match(s) for s in t)]
    assert {*statements.writing("live_connections"), *statements.writing("attendance")} <= set(written)
    # ... and it is the last: the snapshot at the seq its lock found opened no transaction of its own.
    assert [t for t in _transactions(statements.seen) if t][-1] == written, "\n".join(statements.seen)


WRITE = re.compile(r"(UPDATE|INSERT INTO|DELETE FROM) ")


def _transactions(seen: list[str]) -> list[list[str]]:
    """The statements, cut at each COMMIT."""
    cuts = [n for n, statement in enumerate(seen) if statement == "COMMIT"]
    return [seen[start + 1 : end] for start, end in zip([-1, *cuts], [*cuts, len(seen)], strict=True)]


def test_a_check_in_beats_again_once_a_heartbeat_has_passed(live, link_for, seats, scheduled, quiet_board):
    from meetcore.attendance import processes

    _connect_and_join(live, link_for(seats["cm_sd"]), scheduled.id)
    processes._last_beat["at"] -= processes.heartbeat_interval()  # as if the last beat were that old
    with Statements(db.engine) as statements:
        _connect_and_join(live, link_for(seats["sk_sd"]), scheduled.id)
    assert len(statements.writing("server_processes")) == 1


def test_a_join_asks_its_room_not_every_room(live, link_for, seats, scheduled, quiet_board, monkeypatch):
    """Whether the connection is counted in the meeting already is asked of the meeting's room: walking
    every room (one per connection, flask_socketio.rooms()) made each join cost more as the room grew."""
    from meetcore.extensions import socketio
    from meetcore.operations.metrics import CONNECTIONS, PROCESS

    meeting_id = scheduled.id
    gauge = CONNECTIONS.labels(str(meeting_id), PROCESS)
    before = gauge._value.get()
    walked = []
    monkeypatch.setattr(socketio.server.manager, "get_rooms", lambda *a: walked.append(a) or [])
    sio = live(auth={"seat_token": link_for(seats["cm_sd"])})
    for _ in range(2):  # joining again: counted once
        assert sio.emit("join", {"meeting_id": meeting_id}, callback=True)["ok"]
    _connect_and_join(live, link_for(seats["sk_sd"]), meeting_id)
    assert gauge._value.get() == before + 2
    assert not walked


def test_a_seats_connect_opens_no_transaction_on_postgresql(live, link_for, seats, scheduled):
    """A seat's connect only reads its link: on PostgreSQL it reads outside a transaction, without the
    BEGIN and COMMIT round trips around that one statement (runs O). The join's write keeps its own."""
    import sqlalchemy as sa

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the round trips are PostgreSQL's (SQLite's driver skips a COMMIT that wrote nothing)")
    token = link_for(seats["cm_sd"])
    db.session.expunge_all()
    in_autocommit: list[bool] = []

    def note(conn, *_args) -> None:
        in_autocommit.append(conn.connection.dbapi_connection.autocommit)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        sio = live(auth={"seat_token": token})
        connected = len(in_autocommit)
        ack = sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    assert ack["ok"], ack
    assert connected and all(in_autocommit[:connected]), in_autocommit
    assert not any(in_autocommit[connected:]), in_autocommit  # the join's check-in: one transaction
