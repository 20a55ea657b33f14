"""Server processes for bench/live_fanout.py: `python -m meetcore run` (gevent) and the bare python-socketio
baseline (bench/live_baseline_server.py), each on a free loopback port, with its CPU time and memory read
through psutil."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
SECRET_KEY = "live-fanout-bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(ps: psutil.Process) -> float:
    """CPU time (user + system) of a process's live threads, from the scheduler's nanosecond counters
    (/proc/<pid>/task/<tid>/schedstat), falling back to psutil. psutil's figures come in clock ticks of
    10 ms, too coarse for one command's few milliseconds."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{ps.pid}/task"):
            with open(f"/proc/{ps.pid}/task/{tid}/schedstat") as stats:
                total += int(stats.read().split()[0])
    except (OSError, ValueError, IndexError):
        times = ps.cpu_times()
        return times.user + times.system
    return total / 1e9


# CPUs the server processes are confined to (os.sched_setaffinity), or None: wherever the kernel puts them.
SERVER_CPUS: set[int] | None = None


def split_cpus() -> tuple[set[int], set[int]]:
    """(the servers' CPUs, everyone else's): the first CPU for the servers, the rest for the clients, the
    drivers and this process, so that the clients' work does not interrupt a server's broadcast."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise RuntimeError("--pin needs at least 2 CPUs")
    return {cpus[0]}, set(cpus[1:])


class ServerProcess:
    """One server process; `cpu()` is its user + system CPU time in seconds, `rss()` its resident memory."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log_path: Path):
        self.name, self.argv, self.env, self.port, self.log_path = name, argv, env, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.ps: psutil.Process | None = None

    def start(self, timeout: float = 60) -> ServerProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.process.pid)
        if SERVER_CPUS:
            os.sched_setaffinity(self.process.pid, SERVER_CPUS)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            with suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu(self) -> float:
        assert self.ps is not None
        return cpu_seconds(self.ps)

    def rss(self) -> int:
        assert self.ps is not None
        return self.ps.memory_info().rss

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def meetcore_server(
    name: str,
    database_url: str,
    workdir: Path,
    *,
    redis_url: str | None = None,
    channel: str | None = None,
    settings: dict[str, str] | None = None,
    profile: Path | None = None,
) -> ServerProcess:
    """`python -m meetcore run` as deployed (gevent, websocket only), on a scratch instance directory;
    `settings` are extra MEETCORE_* variables; with `profile`, under bench/profiled_server.py (SIGUSR1
    starts the profiler, SIGUSR2 writes its statistics to that file)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    env.update(
        MEETCORE_DATABASE_URL=database_url,
        MEETCORE_INSTANCE_DIR=str(workdir / f"instance-{name}"),
        MEETCORE_SECRET_KEY=SECRET_KEY,
        MEETCORE_PORT=str(port),
    )
    env.update(settings or {})
    if redis_url:
        env["MEETCORE_REDIS_URL"] = redis_url
        env["MEETCORE_SOCKETIO_CHANNEL"] = channel or "meetcore"
    argv = [sys.executable, "-m", "meetcore", "run"]
    if profile is not None:
        argv = [sys.executable, str(HERE / "profiled_server.py"), str(profile)]
    return ServerProcess(name, argv, env, port, workdir / f"{name}.log")


def baseline_server(name: str, workdir: Path) -> ServerProcess:
    """The bare python-socketio server of bench/live_baseline_server.py."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    argv = [sys.executable, str(HERE / "live_baseline_server.py"), "--port", str(port)]
    return ServerProcess(name, argv, env, port, workdir / f"{name}.log")
