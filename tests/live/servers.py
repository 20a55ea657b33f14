"""Real MeetCore server processes for tests that need a network, gevent, SIGKILL or two processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit

import socketio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_database_url(tmp_path, name: str) -> str:
    """A new, empty database for one test: a SQLite file, or PostgreSQL when the suite runs there."""
    url = os.environ.get("MEETCORE_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    import psycopg

    parts = urlsplit(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    db_name = f"{parts.path.lstrip('/') or 'test'}_{name}_{worker}"
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{db_name}"')
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", path="/" + db_name))


class ServerProcess:
    """`python -m meetcore run` (gevent, websocket) on a free loopback port."""

    def __init__(
        self,
        database_url: str,
        tmp_path,
        *,
        redis_url: str | None = None,
        channel: str | None = None,
        name: str = "server",
        settings: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
        self.env.update(
            MEETCORE_DATABASE_URL=database_url,
            MEETCORE_INSTANCE_DIR=str(tmp_path / f"instance-{name}"),
            MEETCORE_SECRET_KEY="live-test-secret",
            MEETCORE_PORT=str(self.port),
        )
        if redis_url:
            self.env["MEETCORE_REDIS_URL"] = redis_url
        if channel:
            self.env["MEETCORE_SOCKETIO_CHANNEL"] = channel
        self.env.update(settings or {})  # more MEETCORE_* settings
        self.log_path = tmp_path / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> ServerProcess:
        # A liveness wait, not a measure: under a loaded CI machine a start has taken over 30 s.
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the process's life)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "meetcore", "run"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            with suppress(OSError):
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class LiveClient:
    """A python-socketio client over websocket that records every event it receives, in order."""

    def __init__(self, server: ServerProcess, auth: dict, headers: dict | None = None):
        self.events: list[dict] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self.events.append)
        # A refusal answers at once (connect_error); a slowed machine may take more than 10 s to accept
        # (a CI run's PostgreSQL pass failed so once, its connect never refused).
        self.sio.connect(server.base_url, transports=["websocket"], auth=auth, headers=headers or {},
                         wait_timeout=30)  # fmt: skip

    def call(self, name: str, data: dict, timeout: float = 10) -> dict:
        return self.sio.call(name, data, timeout=timeout)

    def wait_for(self, predicate, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.events):
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; got {len(self.events)} events")

    def close(self) -> None:
        with suppress(Exception):
            self.sio.disconnect()
