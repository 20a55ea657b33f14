"""The demo's own commands on a fresh SQLite database, as `make demo` runs them, then a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

DEMO_PASSWORD = "meetcore-demo"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _meetcore(env: dict, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "meetcore", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture()
def demo_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    env.update(MEETCORE_INSTANCE_DIR=str(tmp_path / "instance"), MEETCORE_PORT=str(_free_port()))
    return env


def test_demo_commands_then_sign_in_and_see_the_reference_meeting(demo_env):
    for args in (("db", "upgrade"), ("seed",), ("demo-data",)):
        result = _meetcore(demo_env, *args)
        assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "secretariat@example.org" in output
    links = [line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("participant link")]
    assert len(links) == 3 and all("/join/" in link for link in links)
    # Running the data commands again changes nothing and does not fail.
    assert _meetcore(demo_env, "seed").stdout.count(": 0") == 3
    assert _meetcore(demo_env, "demo-data").returncode == 0
    assert Path(demo_env["MEETCORE_INSTANCE_DIR"], "meetcore.sqlite3").exists()

    server = subprocess.Popen(  # what `make demo` runs: the server, with a local Janus when installed
        [sys.executable, "-m", "meetcore", "video", "demo-run"],
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{demo_env['MEETCORE_PORT']}"
    try:
        # A liveness wait, not a measure: a loaded machine has taken 40 s to start the server and its Janus.
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the demo server did not answer")
                time.sleep(0.1)
        assert 'name="password"' in page
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            assert b'"at_head":true' in response.read()
        with urllib.request.urlopen(links[0], timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    said = server.stdout.read().decode()
    from meetcore.video.janus_process import janus_binary

    assert ("video: local Janus" in said) if janus_binary() else ("WITHOUT video" in said), said


def test_demo_data_again_days_later_still_gives_working_links(demo_env):
    """Issue 12: the instance keeps its database, so `make demo` on a later day finds yesterday's next
    meeting, whose links have expired; it moves the meeting to the new day and gives fresh links."""
    import sqlite3

    from tests.clock import today_in_bangkok
    from tests.timeshift.sitecustomize import shift_of

    for args in (("db", "upgrade"), ("seed",), ("demo-data",)):
        assert _meetcore(demo_env, *args).returncode == 0
    moved = shift_of(os.environ.get("TESTS_CLOCK_SHIFT") or "+0d").days + 3
    three_days_later = dict(
        demo_env, PYTHONPATH=str(Path(__file__).parents[1] / "timeshift"), TESTS_CLOCK_SHIFT=f"{moved:+d}d"
    )
    before = today_in_bangkok()
    result = _meetcore(three_days_later, "demo-data")
    after = today_in_bangkok()  # the command's day is one of the two, should Bangkok's midnight fall between
    assert result.returncode == 0, result.stderr
    assert sum(line.startswith("participant link") for line in result.stdout.splitlines()) == 3
    database = Path(demo_env["MEETCORE_INSTANCE_DIR"], "meetcore.sqlite3")
    with sqlite3.connect(database) as connection:
        [(start,)] = connection.execute("SELECT start_at FROM meetings WHERE number = 2").fetchall()
    days = {(day + timedelta(days=3)).isoformat() for day in (before, after)}
    assert start[:10] in days and start[11:16] == "03:00", start  # 10:00 in Bangkok, stored as UTC


def test_the_demo_server_sends_the_outbox_when_an_smtp_host_is_set(demo_env):
    from tests.mail.smtp_server import SmtpServer

    for args in (("db", "upgrade"), ("seed",), ("demo-data",)):
        assert _meetcore(demo_env, *args).returncode == 0
    with SmtpServer() as smtp:
        demo_env.update(MEETCORE_SMTP_HOST="127.0.0.1", MEETCORE_SMTP_PORT=str(smtp.port))
        server = subprocess.Popen([sys.executable, "-m", "meetcore", "run"], env=demo_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            # The secretariat sends the invitations from another process; the server's sender delivers.
            sent = _meetcore(demo_env, "invites", "send", "2", "--as", "secretariat@example.org", "--yes")
            assert sent.returncode == 0, sent.stderr
            deadline = time.monotonic() + 60
            while not smtp.recorder.received and time.monotonic() < deadline:
                time.sleep(0.2)
            assert smtp.recorder.received, "the server's sender delivered nothing"
        finally:
            server.terminate()
            server.wait(timeout=10)
