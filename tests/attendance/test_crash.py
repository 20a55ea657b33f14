"""Intervals left open by a process that died: the heartbeat sweep closes them at the dead process's last
beat, whichever process runs it; a heartbeat also closes its own intervals whose connection is gone."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from meetcore.attendance import board, processes
from meetcore.attendance.models import AttendanceBoard, ServerProcess
from meetcore.database import utcnow
from meetcore.eventlog.services import lock_meeting
from meetcore.extensions import db
from meetcore.live import connections
from meetcore.seats.models import Attendance
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
    now = utcnow()
    seat_socket(seats["sk_sd"])  # this process: alive
    db.session.add(ServerProcess(id="deadbeef", hostname="h1", pid=1, started_at=now - timedelta(hours=1),
                                 heartbeat_at=now - timedelta(minutes=10)))  # fmt: skip
    db.session.add(ServerProcess(id="alive", hostname="h2", pid=2, started_at=now, heartbeat_at=now))
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
