"""Intervals left open by a process that died: the heartbeat sweep closes them at the dead process's last
beat, whichever process runs it; a heartbeat also closes its own intervals whose connection is gone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetcore.attendance import board, processes
from meetcore.attendance.models import Attendance, AttendanceBoard, ServerProcess
from meetcore.database import utcnow
from meetcore.eventlog.services import lock_meeting
from meetcore.extensions import db
from meetcore.live import connections
from tests.attendance.helpers import intervals, logged, present
from tests.live.servers import LiveClient, scratch_database_url
from tests.live.servers import ServerProcess as ServerUnderTest


def _open(meeting, seat, connection_id: str, joined) -> None:
    row = Attendance(meeting_id=meeting.id, seat_id=seat.id, kind="self", connection_id=connection_id)
    row.joined_at = joined
    db.session.add(row)


def _published(meeting) -> None:
    board.presence_changed(lock_meeting(meeting.id), utcnow())
    db.session.commit()


def test_the_sweep_closes_the_intervals_of_stopped_processes(seat_socket, seats, scheduled, instant_board):
    now, seen = utcnow(), processes.database_now()  # the app's clock (maybe moved by days), the database's
    seat_socket(seats["sk_sd"])  # this process: alive
    db.session.add(ServerProcess(id="deadbeef", hostname="h1", pid=1, started_at=now - timedelta(hours=1),
                                 heartbeat_at=now - timedelta(minutes=10),
                                 seen_at=seen - timedelta(minutes=10)))  # fmt: skip
    db.session.add(ServerProcess(id="alive", hostname="h2", pid=2, started_at=now, heartbeat_at=now,
                                 seen_at=seen))  # fmt: skip
    _open(scheduled, seats["cm_sd"], "deadbeef:sid1", now - timedelta(minutes=30))
    _open(scheduled, seats["cm_lab"], "vanished:sid2", now - timedelta(minutes=30))  # no row at all
    _open(scheduled, seats["cm_vg"], "alive:sid3", now - timedelta(minutes=30))
    db.session.commit()
    _published(scheduled)

    result = processes.sweep_stale_connections()
    assert result.processes == ["deadbeef"] and result.closed == 2
    by_seat = {row.seat_id: row for row in intervals(scheduled)}
    assert by_seat[seats["cm_sd"].id].left_at == now - timedelta(minutes=10)  # its last beat
    assert by_seat[seats["cm_lab"].id].left_at == now - timedelta(minutes=30)  # nothing better known
    assert by_seat[seats["cm_vg"].id].left_at is None and by_seat[seats["sk_sd"].id].left_at is None
    assert set(db.session.scalars(sa.select(ServerProcess.id))) == {"alive", connections.PROCESS_ID}
    assert present(scheduled) == {seats["sk_sd"].id: "self", seats["cm_vg"].id: "self"}
    # The board heard about it.
    last = logged(scheduled, "attendance.board")[-1].payload["seats"]
    assert {s["seat_id"] for s in last if not s["present"]} == {seats["cm_sd"].id, seats["cm_lab"].id}
    assert processes.sweep_stale_connections().closed == 0  # running it again changes nothing


def test_a_heartbeat_closes_its_own_lost_connections(seat_socket, seats, scheduled, instant_board):
    seat_socket(seats["sk_sd"])
    _open(scheduled, seats["cm_sd"], f"{connections.PROCESS_ID}:no-such-sid", utcnow())
    db.session.commit()
    processes.heartbeat()
    assert present(scheduled) == {seats["sk_sd"].id: "self"}
    row = db.session.get(ServerProcess, connections.PROCESS_ID, populate_existing=True)
    assert utcnow() - row.heartbeat_at < timedelta(seconds=5)


@pytest.fixture()
def steadiness(monkeypatch):
    """This test process's own record of beating steadily, fresh: as a process just started or back."""
    fresh = processes.Steadiness()
    monkeypatch.setattr(processes, "steadiness", fresh)
    return fresh


def _other_process(process_id: str, *, beat_ago: timedelta, seen_ago: timedelta):
    """Another process's row: its last beat by its host's clock, and by the database's; returns the first."""
    now, seen = utcnow(), processes.database_now()
    db.session.add(ServerProcess(id=process_id, hostname="h", pid=9, started_at=now - timedelta(hours=1),
                                 heartbeat_at=now - beat_ago, seen_at=seen - seen_ago))  # fmt: skip
    return now - beat_ago


def test_a_process_judges_others_only_after_beating_steadily_for_three_heartbeats(
    seat_socket, seats, scheduled, instant_board, steadiness
):
    seat_socket(seats["sk_sd"])
    # Silent for ten minutes: an outage of the database looks the same to the first process back.
    last_beat = _other_process("silent", beat_ago=timedelta(minutes=10), seen_ago=timedelta(minutes=10))
    _open(scheduled, seats["cm_sd"], "silent:sid1", utcnow() - timedelta(minutes=30))
    db.session.commit()

    processes.heartbeat()  # this process's first beat (after its start, or after an outage)
    assert present(scheduled) == {seats["sk_sd"].id: "self", seats["cm_sd"].id: "self"}
    assert "silent" in set(db.session.scalars(sa.select(ServerProcess.id)))

    steadiness.since -= processes.heartbeat_interval() * processes.MISSED_BEATS  # three steady beats later
    processes.heartbeat()
    assert present(scheduled) == {seats["sk_sd"].id: "self"}
    [row] = intervals(scheduled, connection_id="silent:sid1")
    assert row.left_at == last_beat and row.swept_at is not None

    steadiness.lost()  # a failed beat: nobody is judged until it has beaten steadily again
    assert not steadiness.judges_others(time.monotonic(), processes.heartbeat_interval())


def test_a_late_beat_starts_the_steady_count_again():
    steadiness = processes.Steadiness()
    steadiness.beaten(0, 2)
    for at in (2, 4, 6):
        steadiness.beaten(at, 2)
    assert steadiness.judges_others(6, 2)
    steadiness.beaten(20, 2)  # a database that hung for 14 s: the beat went through, late
    assert not steadiness.judges_others(20, 2) and steadiness.judges_others(26, 2)


def test_liveness_is_judged_by_the_database_clock(seat_socket, seats, scheduled):
    seat_socket(seats["sk_sd"])
    # Its host's clock is an hour behind, but the database saw it beat just now: alive.
    _other_process("skewed", beat_ago=timedelta(hours=1), seen_ago=timedelta(0))
    _open(scheduled, seats["cm_sd"], "skewed:sid1", utcnow() - timedelta(hours=2))
    # Its host's clock says now, but the database last saw it ten minutes ago: stopped.
    _other_process("stopped", beat_ago=timedelta(0), seen_ago=timedelta(minutes=10))
    _open(scheduled, seats["cm_lab"], "stopped:sid2", utcnow() - timedelta(hours=2))
    db.session.commit()
    assert processes.sweep_stale_connections().processes == ["stopped"]
    assert [row.left_at for row in intervals(scheduled, connection_id="skewed:sid1")] == [None]


def test_a_process_judged_stopped_opens_again_the_intervals_it_still_holds(
    seat_socket, seats, scheduled, instant_board
):
    seat_socket(seats["sk_sd"])  # held by this process
    ended_sid = f"{connections.PROCESS_ID}:ended-meanwhile"
    _open(scheduled, seats["cm_sd"], ended_sid, utcnow() - timedelta(minutes=1))
    db.session.commit()
    # Another process judged this one stopped (it was cut off from the database): both closed at its beat.
    last_beat = db.session.get(ServerProcess, connections.PROCESS_ID).heartbeat_at
    processes._close(intervals(scheduled), last_beat, swept=utcnow())
    db.session.commit()
    processes._republish({scheduled.id}, utcnow())
    assert present(scheduled) == {}

    assert processes.reopen_swept_intervals() == 1
    held, ended = intervals(scheduled)
    assert (held.seat_id, held.left_at, held.swept_at) == (seats["sk_sd"].id, None, None)
    assert (ended.seat_id, ended.left_at, ended.swept_at) == (seats["cm_sd"].id, last_beat, None)
    assert present(scheduled) == {seats["sk_sd"].id: "self"}
    last = logged(scheduled, "attendance.board")[-1].payload["seats"]
    assert [(s["seat_id"], s["present"]) for s in last] == [(seats["sk_sd"].id, True)]
    assert processes.reopen_swept_intervals() == 0  # settled


def test_a_heartbeat_publishes_what_a_dead_process_owed(seat_socket, seats, scheduled, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 60_000)
    seat_socket(seats["sk_sd"])
    seat_socket(seats["cm_sd"])  # deferred; pretend the process that owed it died long ago
    row = db.session.get(AttendanceBoard, scheduled.id, populate_existing=True)
    row.pending_since -= timedelta(hours=2)
    row.published_at -= timedelta(hours=2)
    db.session.commit()
    assert board.publish_all_owed() == 1
    assert logged(scheduled, "attendance.board")[-1].payload["seats"][0]["seat_id"] == seats["cm_sd"].id


def test_the_sweep_command(app, scheduled, seats):
    _open(scheduled, seats["cm_sd"], "gone:1", utcnow() - timedelta(hours=1))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["attendance", "sweep"])
    assert result.exit_code == 0 and result.output.startswith("1 intervals closed")


# --- a real process killed with SIGKILL ------------------------------------------------------------------


def _prepare(database_url: str) -> dict:
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.auth.services import create_user
    from meetcore.directory.reference import seed_reference_data
    from meetcore.meetings.services import schedule_meeting
    from meetcore.seats.links import issue_seat_link
    from meetcore.seats.models import Seat
    from meetcore.seats.services import add_seats
    from tests.conftest import MEETING_INPUT

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        seed_reference_data()
        user = create_user("sec@example.org", role="secretariat", password="long enough password")
        meeting = schedule_meeting(dict(MEETING_INPUT), by=user)
        add_seats(meeting, {"provinces": ["TH-50"], "roles": ["labour"]}, by=user)
        seat = db.session.scalars(sa.select(Seat)).one()
        data = {"meeting_id": meeting.id, "token": issue_seat_link(seat, by=user)}
        db.session.commit()  # the test is the entry point: the servers read what it made
        db.session.remove()
        db.engine.dispose()
    return data


def _rows(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT connection_id, left_at FROM attendance ORDER BY id")).all()


def _beats(engine) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT id, heartbeat_at FROM server_processes")).all())


def _wait(predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_sigkill_then_another_process_closes_the_dead_ones_intervals(tmp_path):
    url = scratch_database_url(tmp_path, "attendance_crash")
    data = _prepare(url)
    engine = sa.create_engine(url)
    started, clients = [], []
    try:
        first = ServerUnderTest(url, tmp_path, name="first")
        first.env["MEETCORE_HEARTBEAT_SECONDS"] = "1"
        started.append(first.start())
        client = LiveClient(first, {"seat_token": data["token"]})
        clients.append(client)
        assert client.call("join", {"meeting_id": data["meeting_id"]})["ok"]
        [(connection_id, left_at)] = _rows(engine)
        assert left_at is None
        dead = connection_id.partition(":")[0]
        _wait(lambda: dead in _beats(engine))

        first.kill()  # no disconnect handler runs
        assert _rows(engine)[0][1] is None
        last_beat = _beats(engine)[dead]
        time.sleep(3.5)  # three missed beats

        second = ServerUnderTest(url, tmp_path, name="second")
        second.env["MEETCORE_HEARTBEAT_SECONDS"] = "1"
        started.append(second.start())
        other = LiveClient(second, {"seat_token": data["token"]})
        clients.append(other)
        assert other.call("join", {"meeting_id": data["meeting_id"]})["ok"]  # starts its heartbeat
        closed = _wait(
            lambda: [row for row in _rows(engine) if row[0] == connection_id and row[1] is not None]
        )
        assert closed[0][1] == last_beat  # closed at the dead process's last beat
        assert dead not in _beats(engine)
        assert [row[1] for row in _rows(engine) if row[0] != connection_id] == [None]  # the new one is open
    finally:
        for live_client in clients:
            live_client.close()
        for server in started:
            server.stop()
        engine.dispose()


# --- a real process stopped with SIGTERM (a rolling restart) ----------------------------------------------


HELD_SECONDS = 4  # how long another transaction holds the attendance rows while the process stops


def _hold_the_attendance_rows(engine):
    """A transaction that keeps the stopping process from closing the intervals until it ends: SQLite's
    write lock, or on PostgreSQL the attendance rows' locks."""
    connection = engine.connect()
    if engine.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(sa.text("SELECT id FROM attendance FOR UPDATE"))
    return connection


def test_a_stopping_process_closes_its_pages_first_and_their_intervals_end_when_they_lost_it(tmp_path):
    """The record's writing may take seconds on a loaded machine (held here by another transaction); the
    pages are cut before it, so the interval ends when the page lost the process, not seconds before."""
    url = scratch_database_url(tmp_path, "attendance_stop")
    data = _prepare(url)
    engine = sa.create_engine(url)
    server = ServerUnderTest(url, tmp_path, name="stopping")
    held = None
    try:
        server.start()
        client = LiveClient(server, {"seat_token": data["token"]})
        lost = []
        client.sio.on("disconnect", lambda *_: lost.append(utcnow()))
        assert client.call("join", {"meeting_id": data["meeting_id"]})["ok"]
        held = _hold_the_attendance_rows(engine)
        server.process.terminate()
        _wait(lambda: lost, timeout=10)
        time.sleep(HELD_SECONDS)  # the record waits for the held rows meanwhile
        assert server.process.poll() is None, "the process waits to write the record before it exits"
        held.rollback()
        held.close()
        held = None
        server.process.wait(timeout=20)
        [(_connection_id, left_at)] = _rows(engine)
        if isinstance(left_at, str):  # SQLite's raw text
            left_at = datetime.fromisoformat(left_at)
        left_at = left_at.replace(tzinfo=UTC)
        # The client notices its page's loss a moment after the server cut it: up to a second and more on a
        # loaded machine (1.19 s in a CI run). Recorded before the pages were cut, it would be HELD_SECONDS
        # early.
        assert lost[0] - timedelta(seconds=HELD_SECONDS / 2) <= left_at <= lost[0], (left_at, lost[0])
    finally:
        if held is not None:
            held.close()
        server.stop()
        engine.dispose()


def test_a_stopping_process_locks_the_meeting_before_its_rows_as_a_departure_does(app, seats, scheduled):
    """SIGTERM while pages are still leaving: their check-outs lock the meeting, then their rows. The stopping
    process's clean leave must take them in the same order, or each holds what the other waits for and
    PostgreSQL fails one of them (seen in the rolling-restart test: the leave failed, its intervals stayed
    open until another process's sweep). Here a departure's transaction holds the meeting: the leave waits
    for it without having locked a single row, then closes them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one write lock, no row locks to take in an order")
    import threading

    row_id_sql = sa.text("SELECT id FROM attendance WHERE connection_id = :c")
    connection_id = f"{connections.PROCESS_ID}:leaving-sid"
    _open(scheduled, seats["cm_sd"], connection_id, utcnow())
    db.session.commit()
    row_id = db.session.execute(row_id_sql, {"c": connection_id}).scalar_one()
    db.session.commit()
    departure = db.engine.connect()
    departure.execute(sa.text("SELECT id FROM meetings WHERE id = :m FOR UPDATE"), {"m": scheduled.id})
    departure_pid = departure.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    errors: list[BaseException] = []

    def leave() -> None:
        with app.app_context():
            try:
                processes.leave_process()
            except BaseException as error:  # reported in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    leaving = threading.Thread(target=leave)
    leaving.start()
    try:
        _wait(lambda: _waits_for(departure_pid), timeout=10)
        with db.engine.connect() as probe:  # the row is free: the departure could still close it
            probe.execute(sa.text("SELECT id FROM attendance WHERE id = :a FOR UPDATE NOWAIT"), {"a": row_id})
            probe.rollback()
    finally:
        departure.rollback()
        departure.close()
        leaving.join(timeout=20)
    assert not errors and not leaving.is_alive()
    assert db.session.get(Attendance, row_id, populate_existing=True).left_at is not None


def _waits_for(pid: int) -> bool:
    """Whether another session waits for a lock that PostgreSQL backend `pid` holds (read in a transaction of
    its own: within one, pg_stat_activity is a snapshot)."""
    with db.engine.connect() as connection:
        return bool(connection.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
            {"pid": pid},
        ).scalar_one())  # fmt: skip
