"""Attendance under faults, on two app processes with 2 s heartbeats over a throwaway PostgreSQL (issue 20,
item 4): an outage of the database longer than three heartbeats closes nobody's interval; a process judged
stopped while it still holds its connections opens their intervals again; a SIGKILLed process's intervals
close within four heartbeats, at its last beat."""

from __future__ import annotations

import os
import signal
import time

import pytest
import sqlalchemy as sa

from meetcore.attendance.policy import MISSED_BEATS
from tests.faults.processes import PostgresCluster
from tests.live.servers import LiveClient, ServerProcess
from tests.live.test_servers import _prepare

HEARTBEAT = 2  # seconds
# A process silent for MISSED_BEATS heartbeats is judged stopped by the next beat of another: at most this
# long after its last beat. (With the default 10 s heartbeat: 40 s.)
LIMIT = (MISSED_BEATS + 1) * HEARTBEAT
OUTAGE = 10  # seconds: five heartbeats


@pytest.fixture()
def cluster():
    cluster = PostgresCluster().init()
    yield cluster
    cluster.remove()


class TwoProcesses:
    """A scheduled meeting with two seats, each seat's browser on its own app process; both processes beat
    every HEARTBEAT seconds and have done so long enough to judge each other."""

    def __init__(self, cluster: PostgresCluster, tmp_path):
        data = _prepare(cluster.url, items=1, seats=2)
        self.meeting_id = data["meeting_id"]
        self.engine = sa.create_engine(cluster.url, poolclass=sa.pool.NullPool)
        self.servers: list[ServerProcess] = []
        self.clients: list[LiveClient] = []
        for n, (_, token) in enumerate(data["seats"]):
            server = ServerProcess(cluster.url, tmp_path, name=f"p{n}")
            server.env["MEETCORE_HEARTBEAT_SECONDS"] = str(HEARTBEAT)
            self.servers.append(server.start())
            client = LiveClient(server, {"seat_token": token})
            self.clients.append(client)
            assert client.call("join", {"meeting_id": self.meeting_id})["ok"]  # starts the heartbeat
        _wait(lambda: len(self.beats()) == 2, LIMIT)
        self._ids = {
            pid: process_id for process_id, pid in self.query("SELECT id, pid FROM server_processes")
        }
        time.sleep(LIMIT)  # each has now beaten steadily for MISSED_BEATS heartbeats: it judges the other

    def query(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).all()

    def beats(self) -> dict:
        """Process id -> its last beat (the app's clock)."""
        return dict(self.query("SELECT id, heartbeat_at FROM server_processes"))

    def process_id(self, server: ServerProcess) -> str:
        return self._ids[server.process.pid]

    def interval(self, server: ServerProcess):
        """The one interval of the seat connected through that server: (id, left_at, swept_at)."""
        [row] = self.query("SELECT id, left_at, swept_at FROM attendance WHERE connection_id LIKE :prefix",
                           prefix=self.process_id(server) + ":%")  # fmt: skip
        return row

    def board_events(self) -> int:
        [(count,)] = self.query("SELECT count(*) FROM meeting_events WHERE kind = 'attendance.board'")
        return count

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for server in self.servers:
            if server.process and server.process.poll() is None:
                os.kill(server.process.pid, signal.SIGCONT)  # a frozen one stops only once it runs again
            server.stop()
        self.engine.dispose()


@pytest.fixture()
def two_processes(cluster, tmp_path):
    meeting = TwoProcesses(cluster, tmp_path)
    yield meeting
    meeting.close()


def _wait(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def test_a_database_outage_longer_than_three_heartbeats_closes_no_interval_of_a_connected_participant(
    two_processes, cluster
):
    meeting = two_processes
    intervals = {server.process.pid: meeting.interval(server) for server in meeting.servers}
    published = meeting.board_events()
    beats = meeting.beats()

    cluster.stop()
    time.sleep(OUTAGE)  # every beat of both processes fails meanwhile
    cluster.start()
    # Both beat again ...
    _wait(lambda: all(meeting.beats().get(pid, beats[pid]) > beats[pid] for pid in beats), LIMIT)
    # ... and stay past the moment either, back for MISSED_BEATS heartbeats, judges the other.
    time.sleep(LIMIT + HEARTBEAT)

    assert all(client.sio.connected for client in meeting.clients)
    for server in meeting.servers:
        interval_id, left_at, swept_at = meeting.interval(server)
        assert (interval_id, left_at, swept_at) == (intervals[server.process.pid][0], None, None)
    # Nobody was counted absent even for a moment: the board never changed.
    assert meeting.board_events() == published


def test_a_process_judged_stopped_while_it_holds_its_connections_opens_their_intervals_again(two_processes):
    meeting = two_processes
    frozen, other = meeting.servers
    frozen_id = meeting.process_id(frozen)
    interval_id, _, _ = meeting.interval(frozen)

    os.kill(frozen.process.pid, signal.SIGSTOP)  # silent, as if cut off from the database; sockets stay open
    try:
        _wait(lambda: frozen_id not in meeting.beats(), LIMIT + HEARTBEAT)  # the other judged it stopped
        [(left_at, swept_at)] = meeting.query(
            "SELECT left_at, swept_at FROM attendance WHERE id = :id", id=interval_id
        )
        assert left_at is not None and swept_at is not None
    finally:
        os.kill(frozen.process.pid, signal.SIGCONT)

    # Its next beat finds the interval closed while it still holds the connection: open again, same row.
    _wait(lambda: meeting.interval(frozen)[1:] == (None, None), 2 * HEARTBEAT + 1)
    assert meeting.interval(frozen)[0] == interval_id
    assert frozen_id in meeting.beats()
    assert meeting.interval(other)[1] is None
    assert all(client.sio.connected for client in meeting.clients)


def test_a_sigkilled_processs_intervals_close_within_four_heartbeats_at_its_last_beat(two_processes):
    meeting = two_processes
    victim, survivor = meeting.servers
    victim_id = meeting.process_id(victim)

    victim.kill()  # no disconnect handler runs
    killed_at = time.monotonic()
    last_beat = meeting.beats()[victim_id]  # its final beat: nothing of it commits any more
    _wait(lambda: meeting.interval(victim)[1] is not None, LIMIT + 2)  # (+2: the sweep's own work)
    print(f"closed {time.monotonic() - killed_at:.1f} s after the SIGKILL (heartbeat {HEARTBEAT} s)")

    _, left_at, swept_at = meeting.interval(victim)
    assert left_at == last_beat  # the last moment it was known alive, not earlier
    assert swept_at is not None
    assert victim_id not in meeting.beats()
    assert meeting.interval(survivor)[1] is None
