"""Issue 18, item 3 from the outside: one app process (`meetcore run`, gevent) with the settings of
production (JSON logs, a metrics token and an allowed address behind one proxy hop, a Prometheus multiprocess
folder shared with a `meetcore mail ingest` process) on a scratch database. /metrics refuses a reader that is
neither allowed nor holds the token, and shows the commands answered with their latency, the live
connections, the outbox's depth and the calendar replies' outcomes; the JSON log lines of one HTTP request
carry its X-Request-ID (echoed), those of one live command its own id; MEETCORE_LOG_LEVEL is honoured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.live.servers import LiveClient, ServerProcess, free_port, scratch_database_url
from tests.live.test_servers import _prepare

TOKEN = "operations-metrics-token"
ALLOWED = "192.0.2.1"  # TEST-NET-1: the scraper's address as nginx forwards it
REQUEST_ID = "opsrequest42"
MALFORMED_REPLY = (b"From: a@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
                   b"this is not a calendar at all\r\n")  # fmt: skip


def _server(tmp_path, url: str, name: str, level: str) -> ServerProcess:
    server = ServerProcess(url, tmp_path, name=name)
    server.env.update(
        MEETCORE_LOG_FORMAT="json", MEETCORE_LOG_LEVEL=level, MEETCORE_PROXY_HOPS="1",
        MEETCORE_METRICS_ALLOW=ALLOWED, MEETCORE_METRICS_TOKEN=TOKEN,
        # A Janus nobody listens on: starting the meeting and opening its video log warnings (the lines
        # whose ids are checked) and change nothing else.
        MEETCORE_JANUS_URLS=f"http://127.0.0.1:{free_port()}/janus", MEETCORE_JANUS_WATCH_SECONDS="0",
        MEETCORE_JANUS_TOKEN_SECRET="ops-janus-secret", MEETCORE_JANUS_ADMIN_KEY="ops-admin-key",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / f"prometheus-{name}"),
    )  # fmt: skip
    (tmp_path / f"prometheus-{name}").mkdir()
    return server.start()


def _log_lines(server: ServerProcess) -> list[dict]:
    lines = server.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a Prometheus text answer."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _connections(seen: dict, meeting_id: int) -> list[float]:
    """meetcore_live_connections of one meeting, one value per process."""
    meeting = ("meeting", str(meeting_id))
    return [value for (name, labels), value in seen.items() if name == "meetcore_live_connections"
            and meeting in labels]  # fmt: skip


def _scrape(server: ServerProcess, **headers) -> requests.Response:
    return requests.get(server.base_url + "/metrics", headers=headers, timeout=10)


def _sign_in(server: ServerProcess, email: str) -> requests.Session:
    http = requests.Session()
    page = http.get(server.base_url + "/login", timeout=10).text
    csrf = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "email": email, "password": "long enough password"}  # as _prepare made it
    answer = http.post(server.base_url + "/login", data=form, timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return http


@pytest.fixture()
def prepared(tmp_path):
    url = scratch_database_url(tmp_path, "operations")
    return url, _prepare(url, items=3)


def test_metrics_refuse_strangers_and_count_commands_connections_outbox_and_replies(tmp_path, prepared):
    url, data = prepared
    server = _server(tmp_path, url, "metrics", "INFO")
    try:
        assert _scrape(server).status_code == 403  # loopback is not in MEETCORE_METRICS_ALLOW here
        assert _scrape(server, Authorization="Bearer not-the-token").status_code == 403
        assert _scrape(server, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 403
        assert _scrape(server, **{"X-Forwarded-For": ALLOWED}).status_code == 200
        assert _scrape(server, Authorization=f"Bearer {TOKEN}").status_code == 200

        meeting_id = data["meeting_id"]
        client = LiveClient(server, {"api_token": data["token"]})
        assert client.call("join", {"meeting_id": meeting_id})["ok"]
        assert client.call("meeting.start", {"meeting_id": meeting_id})["ok"]
        for item_id in data["items"]:
            assert client.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item_id})["ok"]
        refused = client.call("meeting.start", {"meeting_id": meeting_id})  # it is live already
        assert refused["error"]["code"] == "conflict", refused
        _queue_notices(url, 3)
        _ingest(url, tmp_path / "prometheus-metrics", MALFORMED_REPLY)

        seen = _samples(_scrape(server, Authorization=f"Bearer {TOKEN}").text)
        assert seen[("meetcore_live_commands_total", (("command", "set_current"), ("outcome", "ok")))] == 3
        assert seen[("meetcore_live_commands_total", (("command", "start"), ("outcome", "ok")))] == 1
        assert seen[("meetcore_live_commands_total", (("command", "start"), ("outcome", "refused")))] == 1
        assert seen[("meetcore_live_command_seconds_count", (("command", "set_current"),))] == 3
        assert seen[("meetcore_live_command_seconds_sum", (("command", "set_current"),))] > 0
        assert _connections(seen, meeting_id) == [1]
        assert seen[("meetcore_broadcast_delay_seconds_count", ())] >= 1 + len(data["items"])
        assert seen[("meetcore_outbox_messages", (("status", "pending"),))] == 3
        # Counted by the ingest process, shown by the app's: the multiprocess folder joins them.
        assert seen[("meetcore_calendar_replies_total", (("outcome", "malformed"),))] == 1

        client.close()
        client.sio.sleep(0.5)
        seen = _samples(_scrape(server, Authorization=f"Bearer {TOKEN}").text)
        assert sum(_connections(seen, meeting_id)) == 0
    finally:
        server.stop()


def _queue_notices(url: str, count: int) -> None:
    from meetcore import create_app
    from meetcore.extensions import db
    from tests.mail.support import queue_notices

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        queue_notices(count, prefix="ops")
        db.session.remove()
        db.engine.dispose()


def _ingest(url: str, metrics_dir: Path, raw: bytes) -> None:
    """`meetcore mail ingest -`, as the mail server's pipe runs it, writing its metrics beside the app's."""
    env = {"MEETCORE_DATABASE_URL": url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "MEETCORE_SECRET_KEY": "live-test-secret", "PATH": "/usr/bin:/bin"}  # fmt: skip
    meetcore = str(Path(sys.executable).parent / "meetcore")
    done = subprocess.run([meetcore, "mail", "ingest", "-"], input=raw, env=env, capture_output=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 1, done.stderr.decode()[-2000:]  # 1: a malformed message (meetcore/mail/cli.py)
    assert done.stdout.startswith(b"malformed:"), done.stdout


def _live_and_http_lines(server: ServerProcess, data: dict) -> tuple[dict, requests.Response]:
    """Start the meeting with a live command and ask for its video over HTTP, with Janus away: the warnings
    each logs. The command's answer, and the HTTP response."""
    client = LiveClient(server, {"api_token": data["token"]})
    try:
        assert client.call("join", {"meeting_id": data["meeting_id"]})["ok"]
        started = client.call("meeting.start", {"meeting_id": data["meeting_id"]})
        assert started["ok"], started
        client.sio.emit("no.such.command", {})  # logged at INFO
        client.sio.sleep(0.3)
    finally:
        client.close()
    http = _sign_in(server, "sec@example.org")
    response = http.post(f"{server.base_url}/video/{data['meeting_id']}/join", json={}, timeout=30,
                         headers={"X-Request-ID": REQUEST_ID})  # fmt: skip
    return started, response


def test_json_logs_carry_one_id_through_a_request_and_through_a_live_command(tmp_path, prepared):
    url, data = prepared
    server = _server(tmp_path, url, "logs", "INFO")
    try:
        _, response = _live_and_http_lines(server, data)
        assert response.headers["X-Request-ID"] == REQUEST_ID
        generated = requests.get(server.base_url + "/healthz", timeout=10).headers["X-Request-ID"]
        assert len(generated) == 16 and generated != REQUEST_ID
        lines = _log_lines(server)
    finally:
        server.stop()

    unreachable = [line for line in lines if "unreachable, placing meeting" in line["message"]]
    no_room = [line for line in lines if "no room for meeting" in line["message"]]
    assert len(no_room) == 1 and len(unreachable) == 2, [(line["message"], line.get("id")) for line in lines]
    command_id = no_room[0]["id"]
    # The command's two lines carry the command's id; the request's line carries the request's id.
    assert {line["id"] for line in unreachable} == {command_id, REQUEST_ID}
    assert all(line["level"] == "WARNING" and line["pid"] == server.process.pid for line in no_room)
    assert any("unknown live event" in line["message"] and line["level"] == "INFO" for line in lines)


def test_the_log_level_setting_is_honoured(tmp_path, prepared):
    url, data = prepared
    server = _server(tmp_path, url, "quiet", "WARNING")
    try:
        _live_and_http_lines(server, data)
        lines = _log_lines(server)
    finally:
        server.stop()
    assert any("no room for meeting" in line["message"] for line in lines), lines
    assert not [line for line in lines if line["level"] in ("INFO", "DEBUG")], lines
