"""Throwaway Redis and PostgreSQL servers that a fault test may kill, freeze (SIGSTOP) and restart: never the
machine's shared ones."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import redis

from tests.live.servers import free_port


def _wait_until(ready, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up")


class RedisServer:
    """`redis-server` on a free loopback port, nothing saved to disk."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until(self._answers, "redis-server")
        return self

    def _answers(self) -> bool:
        with suppress(redis.RedisError):
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen process dies only once it runs again
            self.process.kill()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers, as with a hung host."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb in a new folder under /tmp, which the postgres user can reach
    when the tests run as root), listening on a free loopback port only."""

    def __init__(self):
        self.data_dir = Path(tempfile.mkdtemp(prefix="meetcore-fault-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://meetcore@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root

    def _run(self, *command: str) -> None:
        if self._as_postgres:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def init(self) -> PostgresCluster:
        if self._as_postgres:
            shutil.chown(self.data_dir, "postgres")
        self._run(_postgres_bin("initdb"), "-D", str(self.data_dir), "-U", "meetcore", "-A", "trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        return self.start()

    def start(self) -> PostgresCluster:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data_dir), "-o", options, "-w", "-l",
                  str(self.data_dir / "log"), "start")  # fmt: skip
        return self

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when the database host goes away."""
        with suppress(subprocess.CalledProcessError):
            self._run(_postgres_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
