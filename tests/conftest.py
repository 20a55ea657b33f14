"""Test fixtures: one migrated database per test session (SQLite, or PostgreSQL when
MEETCORE_TEST_DATABASE_URL is set), emptied between tests; accounts of every kind; signed-in clients."""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.clock import MEETING_DAY, local_input

os.environ.setdefault("MEETCORE_INSTANCE_DIR", tempfile.mkdtemp(prefix="meetcore-test-instance-"))

PASSWORD = "correct horse battery"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def _postgres_url_for_worker(url: str) -> str:
    """One database per xdist worker, created on demand, so parallel workers never share rows."""
    worker = _worker()
    if not worker:
        return url
    import psycopg

    parts = urlsplit(url)
    base_db = parts.path.lstrip("/") or "test"
    name = f"{base_db}_{worker}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("MEETCORE_TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return _postgres_url_for_worker(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'meetcore-test.sqlite3'}"


def _drop_everything(db) -> None:
    import sqlalchemy as sa

    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            meta.reflect(connection)
            connection.execute(sa.text("PRAGMA foreign_keys=OFF"))
            for table in reversed(meta.sorted_tables):
                connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'))
            connection.execute(sa.text("PRAGMA foreign_keys=ON"))  # the connection goes back to the pool


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Cheap Argon2 parameters for tests only: hashing is still real, just not slow."""
    from argon2 import PasswordHasher

    from meetcore.auth import services

    original = services._hasher
    services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    services._hasher = original


@pytest.fixture(scope="session")
def app(database_url):
    """The application on a database built by the migrations (not by create_all)."""
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "meetcore.test",
            "MEETCORE_BASE_URL": "http://meetcore.test",
            "MEETCORE_ASYNC_MODE": "threading",
            "MEETCORE_BOARD_INTERVAL_MS": 0,  # attendance events at once, no timer thread outliving a test
            # Office files wait for a conversion worker's step that the test runs (no LibreOffice thread
            # outliving a test); tests/agenda/test_document_pdf.py runs the in-app conversion too.
            "MEETCORE_AGENDA_PDF_IN_APP": 0,
        }
    )
    app.test_client_class = _test_client_class()
    with app.app_context():
        _drop_everything(db)
        upgrade(revision="head")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """What the fixtures set up is committed before the test body runs: they were its entry point."""
    from flask import has_app_context

    if has_app_context():
        _commit()


def _test_client_class():
    """Requests of the test client share the test's session (one app context): what the test did before a
    request is committed first, as the test's own entry point, so that a request that refuses (and rolls
    back, issue 19) takes back only its own writes."""
    from flask.testing import FlaskClient

    class CommittingClient(FlaskClient):
        def open(self, *args, **kwargs):
            _commit()
            _forget_the_last_request()
            return super().open(*args, **kwargs)

    return CommittingClient


def _forget_the_last_request() -> None:
    """Each real request has an app context (and flask.g) of its own; the test's is shared by its clients'
    requests, so the account Flask-Login cached for the last request is forgotten, as a new context would
    (it may belong to another client, or be detached since)."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop("_login_user", None)


@pytest.fixture(scope="session", autouse=True)
def _socket_clients_commit_first():
    """The same for Socket.IO's test client: a command refused rolls back only its own writes; and what the
    test changed through services is committed before it reads what the clients received (broadcasts
    follow the commit, as they follow the real entry point's)."""
    from flask_socketio.test_client import SocketIOTestClient

    originals = {name: getattr(SocketIOTestClient, name) for name in ("connect", "emit", "get_received")}

    def committing(original):
        def run(self, *args, **kwargs):
            _commit()
            return original(self, *args, **kwargs)

        return run

    for name, original in originals.items():
        setattr(SocketIOTestClient, name, committing(original))
    yield
    for name, original in originals.items():
        setattr(SocketIOTestClient, name, original)


def _empty_tables(db) -> None:
    import sqlalchemy as sa

    with db.engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        tables = [t.name for t in db.metadata.sorted_tables if t.name in existing]
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(sa.text(f'DELETE FROM "{name}"'))


@pytest.fixture(autouse=True)
def _no_timer_of_another_test():
    """The tables are emptied between tests, so ids repeat: a publication timer still running from an
    earlier test (its meeting 1, block 1) must not be taken for the timer of this test's meeting 1, block
    1; clear() retires it. The participants' shared snapshot parts are by meeting id and seq, and the
    placeholders held for a meeting's participants: forgotten too.
    Afterwards, the test must have left Socket.IO in threading mode."""
    from meetcore.attendance import board
    from meetcore.attendance.processes import forget_last_beat
    from meetcore.live import snapshot
    from meetcore.live.placeholders import PLACEHOLDERS
    from meetcore.minutes import services as minutes

    minutes._timers.clear()
    board._timers.clear()
    snapshot._shared.clear()
    forget_last_beat()  # this test's tables have no process row yet
    PLACEHOLDERS.clear()
    yield
    from meetcore.extensions import socketio

    mode = getattr(getattr(socketio, "server", None), "async_mode", "threading")
    if mode != "threading":  # background tasks of any other mode never run in this threaded process
        pytest.fail(f"this test bound Socket.IO to {mode} mode: give its app MEETCORE_ASYNC_MODE threading")


@pytest.fixture()
def app_ctx(app):
    from meetcore.extensions import db, limiter

    with app.app_context():
        _empty_tables(db)
        limiter.reset()
        yield app
        db.session.remove()


@pytest.fixture()
def db_session(app_ctx):
    from meetcore.extensions import db

    return db.session


@pytest.fixture()
def reference(app_ctx):
    """The provinces, roles and agencies."""
    from meetcore.directory.reference import seed_reference_data

    seed_reference_data()
    _commit()


def _commit():
    """The test is the entry point (issue 19: services flush, entry points commit): what a fixture set up
    is committed, as the request or command that made it would have."""
    from meetcore.transaction import commit

    commit()


def _make_user(role: str, email: str | None = None):
    from meetcore.auth.services import create_user

    return create_user(
        email or f"{role}@example.org", role=role, password=PASSWORD, display_name=role.title()
    )


@pytest.fixture()
def users(app_ctx) -> dict:
    made = {role: _make_user(role) for role in ("admin", "secretariat", "chair", "participant")}
    _commit()
    return made


@pytest.fixture()
def client(app_ctx):
    return app_ctx.test_client()


def sign_in(client, user, password: str = PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


@pytest.fixture()
def as_secretariat(client, users):
    sign_in(client, users["secretariat"])
    return client


@pytest.fixture()
def as_chair(client, users):
    sign_in(client, users["chair"])
    return client


@pytest.fixture()
def api_token(users) -> dict:
    """Bearer headers for every kind of account."""
    from meetcore.auth.services import create_api_token

    headers = {role: {"Authorization": f"Bearer {create_api_token(user)}"} for role, user in users.items()}
    _commit()
    return headers


@pytest.fixture()
def reference_meeting(reference):
    """The reference meeting (2 May 2560, 532 provincial seats) and its scheduled successor."""
    from meetcore.demo.reference_meeting import load_reference_meeting

    loaded = load_reference_meeting()
    _commit()
    return loaded


@pytest.fixture()
def bare_reference_meeting(reference):
    """The reference meeting and its successor without the demo's record of 1/2560 (no attendance, minutes,
    decisions, actions or circulated minutes): for tests that hold it themselves and check what they wrote."""
    from meetcore.demo.reference_meeting import load_reference_meeting

    return load_reference_meeting(record=False)


MEETING_INPUT = {
    "series_name": "คณะทำงานทดสอบ",
    "title": "การประชุมทดสอบ",
    "number": 1,
    "start_at": local_input(MEETING_DAY, 10),
    "end_at": local_input(MEETING_DAY, 12),
    "venue": "ห้องประชุม 1",
    "status": "scheduled",
}


@pytest.fixture()
def meeting(users):
    """A scheduled meeting with no agenda and no seats."""
    from meetcore.meetings.services import schedule_meeting

    made = schedule_meeting(dict(MEETING_INPUT), by=users["secretariat"])
    _commit()
    return made
