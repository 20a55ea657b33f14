"""Issue 18, item 1: the stack of deploy/ works together. Debian's nginx runs deploy/nginx/meetcore.conf
with a throwaway certificate in front of two app processes (the meetcore-web@ unit's command) sharing a
Redis of their own, on a fresh PostgreSQL database, beside the mail sender and the reply listener (their
units' commands), every process with the settings of deploy/env. Through nginx over HTTPS/WSS, with Secure
cookies: the secretariat signs in and starts the meeting from its live console, a participant joins from a
personal link, and an agenda change made by the secretariat reaches the participant's page whose socket is
on the other app process. An agenda document is sent by nginx after the app's check (X-Accel-Redirect);
/metrics answers for both processes; the sender delivers the outbox and the listener speaks LMTP."""

from __future__ import annotations

import io
import json
import os
import secrets
import smtplib
import ssl
import urllib.request
from contextlib import ExitStack, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import sqlalchemy as sa
import urllib3

from tests.deploy.stack import DEPLOY, REPO, Nginx, Unit, read_env_file, self_signed_certificate, wait_for_url
from tests.faults.processes import PostgresCluster, RedisServer
from tests.live.browsers import (
    CHROMIUM_ARGS,
    chromium,
    confirm_identity,
    live_value,
    prepare_reference,
    sign_in,
    wait_until,
)
from tests.live.servers import free_port
from tests.mail.smtp_server import SmtpServer

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the throwaway certificate
METRICS_TOKEN = "stack-metrics-token"
PDF = b"%PDF-1.4\n% MeetCore stack test\n" + secrets.token_bytes(4096) + b"\n%%EOF\n"
CURRENT_ITEM = ("(function f(nodes) { for (const n of nodes || []) {"
                " if (n.state === 'current') return n.id;"
                " const c = f(n.children); if (c) return c; }"
                " return null; })(live.state.agenda)")  # fmt: skip


@pytest.fixture()
def fresh_postgres():
    """A new database: on the suite's PostgreSQL server when it has one (dropped afterwards), else on a
    cluster of its own."""
    url = os.environ.get("MEETCORE_TEST_DATABASE_URL")
    if not url:
        cluster = PostgresCluster().init()
        yield cluster.url
        cluster.remove()
        return
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(scheme="postgresql"))
    name = f"{parts.path.lstrip('/') or 'test'}_stack_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(scheme="postgresql+psycopg", path="/" + name))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _add_document(database_url: str, instance, meeting_id: int, item_id: int, email: str) -> int:
    """An agenda document filed by the secretariat, kept in the stack's instance folder."""
    from meetcore import create_app
    from meetcore.agenda.documents import add_document
    from meetcore.agenda.models import AgendaItem
    from meetcore.auth.services import user_by_email
    from meetcore.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    app.instance_path = str(instance)
    with app.app_context():
        document = add_document(db.session.get(AgendaItem, item_id), io.BytesIO(PDF), "แผนงาน.pdf",
                                by=user_by_email(email))  # fmt: skip
        db.session.commit()
        document_id = document.id
        db.session.remove()
        db.engine.dispose()
    return document_id


def _queue_notice(database_url: str, to: str) -> None:
    from meetcore import create_app
    from meetcore.extensions import db
    from tests.mail.support import queue_notices

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        queue_notices(1, prefix=to)
        db.session.remove()
        db.engine.dispose()


def _processes_of(database_url: str, **where) -> set[str]:
    """The app processes holding the live connections of a user or a seat (meetcore.live.models)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            clauses = " AND ".join(f"{column} = :{column}" for column in where)
            query = sa.text(f"SELECT process_id FROM live_connections WHERE {clauses}")
            rows = connection.execute(query, where)
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def _settings(tmp_path, database_url: str, redis_url: str, base_url: str, smtp_port: int) -> dict:
    """deploy/env's files as the units read them, with this test's database, Redis, folders and ports."""
    shared = read_env_file(DEPLOY / "env" / "meetcore.env")
    shared = {k: v for k, v in shared.items() if not k.startswith(("MEETCORE_JANUS", "MEETCORE_TURN"))}
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    shared.update(
        MEETCORE_DATABASE_URL=database_url, MEETCORE_SECRET_KEY=secrets.token_urlsafe(32),
        MEETCORE_BASE_URL=base_url, MEETCORE_INSTANCE_DIR=str(tmp_path / "instance"),
        MEETCORE_REDIS_URL=redis_url, MEETCORE_SOCKETIO_CHANNEL=f"stack-{secrets.token_hex(4)}",
        MEETCORE_VIDEO_RECORDINGS_DIR=str(tmp_path / "recordings"), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        MEETCORE_METRICS_ALLOW="192.0.2.1", MEETCORE_METRICS_TOKEN=METRICS_TOKEN,
    )  # fmt: skip
    assert shared["MEETCORE_SESSION_COOKIE_SECURE"] == "1" and shared["MEETCORE_PROXY_HOPS"] == "1"
    mail = read_env_file(DEPLOY / "env" / "mail.env")
    mail.update(
        MEETCORE_SMTP_HOST="127.0.0.1", MEETCORE_SMTP_PORT=str(smtp_port), MEETCORE_SMTP_SECURITY="none",
        MEETCORE_MAIL_SEND_INTERVAL="1", MEETCORE_MAIL_REPLY_LISTEN=f"127.0.0.1:{free_port()}",
    )  # fmt: skip
    del mail["MEETCORE_SMTP_USERNAME"], mail["MEETCORE_SMTP_PASSWORD"]
    return {"/etc/meetcore/meetcore.env": shared, "/etc/meetcore/mail.env": mail}


def test_the_deployed_stack_serves_a_live_meeting_through_nginx(tmp_path, fresh_postgres):
    database_url = fresh_postgres
    data = prepare_reference(database_url)
    instance = tmp_path / "instance"
    instance.mkdir()
    (tmp_path / "recordings").mkdir()
    document_id = _add_document(database_url, instance, data.meeting_id, data.items[0], data.secretariat[0])
    certificate, key = self_signed_certificate(tmp_path)
    with ExitStack() as stack:
        redis_server = RedisServer().start()
        stack.callback(redis_server.kill)
        smtp = stack.enter_context(SmtpServer())
        ports = [str(free_port()), str(free_port())]
        nginx_dir = tmp_path / "nginx"
        nginx_dir.mkdir()
        nginx = Nginx(nginx_dir, {
            "127.0.0.1:8001": f"127.0.0.1:{ports[0]}", "127.0.0.1:8002": f"127.0.0.1:{ports[1]}",
            "127.0.0.1:8188": f"127.0.0.1:{free_port()}", "/etc/ssl/meetcore/fullchain.pem": str(certificate),
            "/etc/ssl/meetcore/privkey.pem": str(key), "/opt/meetcore/static/": f"{REPO / 'static'}/",
            "/var/lib/meetcore/instance/": f"{instance}/",
            "/var/lib/meetcore/recordings/": f"{tmp_path}/recordings/",
        })  # fmt: skip
        base = f"https://127.0.0.1:{nginx.https_port}"
        settings = _settings(tmp_path, database_url, redis_server.url, base, smtp.port)
        units = [Unit("meetcore-web@.service", settings, tmp_path, port) for port in ports]
        units += [Unit(name, settings, tmp_path) for name in ("meetcore-mail-sender.service",
                                                              "meetcore-mail-listener.service")]  # fmt: skip
        for unit in units:
            stack.callback(unit.stop)
            unit.start()
        for unit, port in zip(units, ports, strict=False):
            wait_for_url(f"http://127.0.0.1:{port}/healthz", unit.name, unit)
        stack.callback(nginx.stop)
        nginx.start()
        insecure = ssl._create_unverified_context()
        wait_until(lambda: _answers(base + "/healthz", insecure), timeout=20, message="nginx over HTTPS")

        _live_meeting_across_processes(base, data, database_url)
        _documents_sent_by_nginx(base, ports[0], data, document_id)
        _compressed_only_where_nothing_is_secret(base)
        _metrics_of_both_processes(base, data.meeting_id)
        _mail_services(database_url, smtp, settings["/etc/meetcore/mail.env"], units)
        assert all(unit.running() for unit in units), [unit.log() for unit in units]
        _json_logs(tmp_path / f"{units[0].name}.log")


def _answers(url: str, context) -> bool:
    with suppress(OSError):
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return response.status == 200
    return False


def _live_meeting_across_processes(base: str, data, database_url: str) -> None:
    meeting_id = data.meeting_id
    with chromium() as browser:
        assert "--headless" in CHROMIUM_ARGS
        staff_context = browser.new_context(ignore_https_errors=True, locale="th-TH")
        console = staff_context.new_page()
        console.set_default_timeout(60_000)  # a wait, not a measure: a loaded CI run took over 20 s
        sign_in(console, base, data.secretariat[0])
        cookies = {cookie["name"]: cookie for cookie in staff_context.cookies()}
        assert cookies["session"]["secure"] and cookies["session"]["httpOnly"], cookies
        console.goto(f"{base}/meetings/{meeting_id}/live")
        connected = "live.state !== null && live.connected"
        wait_until(lambda: live_value(console, connected), message="the console")
        assert console.evaluate("() => location.protocol") == "https:"
        console.click("[data-key=start]")
        wait_until(lambda: live_value(console, "live.state.meeting.status") == "live", message="the start")

        participant_context = browser.new_context(ignore_https_errors=True, locale="th-TH")
        participant = participant_context.new_page()
        participant.set_default_timeout(20_000)
        confirm_identity(participant, base, data.seat_links["self"], name="สมชาย ใจดี",
                         position="พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่")  # fmt: skip
        staff_user = _user_id(database_url, data.secretariat[0])
        staff_processes = _processes_of(database_url, user_id=staff_user)
        assert len(staff_processes) == 1, staff_processes
        for _attempt in range(6):  # least_conn sends the second websocket to the idle process
            wait_until(lambda: live_value(participant, "live.state !== null && live.connected"),
                       message="the participant's page")  # fmt: skip
            seat_processes = wait_until(lambda: _processes_of(database_url, seat_id=data.seats["self"]),
                                        message="the participant's connection")  # fmt: skip
            if seat_processes.isdisjoint(staff_processes):
                break
            participant.reload()
        assert seat_processes.isdisjoint(staff_processes), (seat_processes, staff_processes)

        # The agenda change: the secretariat moves the meeting to the second item.
        item = data.items[1]
        console.click(f"[data-key=item-{item}-current]")
        wait_until(lambda: live_value(participant, CURRENT_ITEM) == item, message="the participant's agenda")
        staff_context.close()
        participant_context.close()


def _user_id(database_url: str, email: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT id FROM users WHERE email = :e")
            return connection.execute(query, {"e": email}).scalar_one()
    finally:
        engine.dispose()


def _documents_sent_by_nginx(base: str, app_port: str, data, document_id: int) -> None:
    path = f"/join/{data.seat_links['self']}/documents/{document_id}"
    response = requests.get(base + path, verify=False, timeout=10)
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The app itself only checked the reader and named the file.
    direct = requests.get(f"http://127.0.0.1:{app_port}{path}", timeout=10)
    assert direct.status_code == 200 and direct.content == b""
    accel = direct.headers["X-Accel-Redirect"]
    assert accel.startswith("/_files/instance/attachments/")
    # The internal location is not reachable from outside, and a wrong link is refused by the app.
    assert requests.get(base + accel, verify=False, timeout=10).status_code == 404
    refused = requests.get(f"{base}/join/not-a-link/documents/{document_id}", verify=False, timeout=10)
    assert refused.status_code in (403, 404) and PDF not in refused.content


def _compressed_only_where_nothing_is_secret(base: str) -> None:
    """pdf.js (2.4 MB) comes compressed; a page with a CSRF token never does (BREACH)."""
    gzip = {"Accept-Encoding": "gzip"}
    library = requests.get(f"{base}/video/lib/pdf.js", headers=gzip, verify=False, timeout=30, stream=True)
    assert library.status_code == 200 and library.headers.get("Content-Encoding") == "gzip"
    wire = len(library.raw.read(decode_content=False))
    assert wire < Path("/usr/share/javascript/pdf/build/pdf.js").stat().st_size / 2
    page = requests.get(f"{base}/login", headers=gzip, verify=False, timeout=30)
    assert page.status_code == 200 and "Content-Encoding" not in page.headers


def _metrics_of_both_processes(base: str, meeting_id: int) -> None:
    assert requests.get(base + "/metrics", verify=False, timeout=10).status_code == 403
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    text = requests.get(base + "/metrics", headers=headers, verify=False, timeout=10).text
    assert 'meetcore_live_commands_total{command="join",outcome="ok"}' in text
    assert 'meetcore_outbox_messages' in text
    processes = {line.split('process="')[1].split('"')[0] for line in text.splitlines()
                 if line.startswith(f'meetcore_live_connections{{meeting="{meeting_id}"')}  # fmt: skip
    assert len(processes) == 2, text


def _mail_services(database_url: str, smtp, mail_settings: dict, units) -> None:
    _queue_notice(database_url, "stack")
    wait_until(lambda: smtp.recorder.by_recipient().get("stack0@example.org"), timeout=30,
               message="the sender to deliver the outbox")  # fmt: skip
    host, _, port = mail_settings["MEETCORE_MAIL_REPLY_LISTEN"].partition(":")
    wait_until(lambda: _lmtp_answers(host, int(port)), timeout=20, message="the reply listener")


def _lmtp_answers(host: str, port: int) -> bool:
    with suppress(OSError, smtplib.SMTPException):
        with smtplib.LMTP(host, port, timeout=5) as lmtp:
            return lmtp.noop()[0] == 250
    return False


def _json_logs(log_path) -> None:
    lines = [line for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert lines, log_path.read_text()[-2000:]
    for line in lines:
        json.loads(line)
