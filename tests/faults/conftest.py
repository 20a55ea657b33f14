"""Fixtures of the fault tests: a Redis of the test's own, and app processes sharing it."""

from __future__ import annotations

import uuid

import pytest

from tests.faults.processes import RedisServer
from tests.live.servers import ServerProcess, scratch_database_url
from tests.live.test_servers import _prepare


@pytest.fixture()
def redis_server():
    """A Redis of the test's own, which it may kill and freeze; killed afterwards."""
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture()
def on_redis(tmp_path, redis_server):
    """start(database, count=2, **prepared) -> (servers, data): ``count`` app processes (started) on a scratch
    database that tests.live.test_servers._prepare filled (``prepared``: its options), sharing the test's
    Redis on a channel of their own; stopped afterwards."""
    started: list[ServerProcess] = []

    def start(database: str, count: int = 2, **prepared):
        url = scratch_database_url(tmp_path, database)
        data = _prepare(url, **prepared)
        channel = f"faults-{uuid.uuid4().hex}"
        servers = [ServerProcess(url, tmp_path, redis_url=redis_server.url, channel=channel,
                                 name=f"s{n}").start() for n in range(count)]  # fmt: skip
        started.extend(servers)
        return servers, data

    yield start
    for server in started:
        server.stop()
