"""Issue 18, item 4: `meetcore backup DIR` and `meetcore restore DIR`, run as commands, on SQLite and on
PostgreSQL (databases of their own). A restore into an empty installation gives the same rows, table by
table and row by row, and the same uploaded files, byte by byte; a backup taken while a live meeting keeps
changing restores to one consistent moment (its event log gap-free and matching the meeting's last seq)."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from tests.conftest import MEETING_INPUT
from tests.starting import start_now

PDF = b"%PDF-1.4\n" + secrets.token_bytes(20_000) + b"\n%%EOF\n"
SKIPPED_TABLES = {"alembic_version"}


# SQLite's backups are of a file of the test's own, the same in either pass: they run in the SQLite pass only.
@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.single_pass), "postgresql"])
def new_database(request, tmp_path):
    """new_database(name) -> the URL of a new, empty database of the kind under test."""
    created: list[str] = []
    admin = None
    if request.param == "postgresql":
        url = os.environ.get("MEETCORE_TEST_DATABASE_URL")
        if not url:
            pytest.skip("PostgreSQL: set MEETCORE_TEST_DATABASE_URL (the suite's PostgreSQL pass does)")
        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(scheme="postgresql"))
    import psycopg

    def make(name: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        parts = urlsplit(admin)
        db_name = f"{parts.path.lstrip('/') or 'test'}_backup_{name}_{secrets.token_hex(3)}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{db_name}"')
        created.append(db_name)
        return urlunsplit(parts._replace(scheme="postgresql+psycopg", path="/" + db_name))

    yield make
    for name in created:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _app(database_url: str, instance: Path):
    from meetcore import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    app.instance_path = str(instance)
    return app


def _installation(database_url: str, instance: Path) -> dict:
    """A meeting started live with agenda items, a document, minutes-worthy events and an outbox."""
    from flask_migrate import upgrade

    from meetcore.agenda.documents import add_document
    from meetcore.agenda.services import add_item
    from meetcore.auth.services import create_user
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting
    from tests.mail.support import queue_notices

    app = _app(database_url, instance)
    with app.app_context():
        upgrade(revision="head")
        user = create_user("sec@example.org", role="secretariat", password="long enough password")
        meeting = schedule_meeting(dict(MEETING_INPUT), by=user)
        items = [add_item(meeting, {"title": f"วาระที่ {n}"}, by=user) for n in range(1, 4)]
        db.session.commit()
        add_document(items[0], io.BytesIO(PDF), "แผนงาน.pdf", by=user)
        start_now(meeting, by=user)
        db.session.commit()
        queue_notices(3)
        data = {"meeting_id": meeting.id, "user_id": user.id}
        db.session.remove()
        db.engine.dispose()
    return data


def _command(database_url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
    env.update(MEETCORE_DATABASE_URL=database_url, MEETCORE_INSTANCE_DIR=str(instance),
               MEETCORE_SECRET_KEY="backup-test")  # fmt: skip
    meetcore = str(Path(sys.executable).parent / "meetcore")
    return subprocess.run([meetcore, *args], env=env, capture_output=True, text=True, timeout=300)


def _rows(database_url: str) -> dict[str, list[tuple]]:
    """Every table's rows, ordered by every column, as plain values."""
    engine = sa.create_engine(database_url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return {name: [tuple(row) for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns or table.columns))]
                    for name, table in meta.tables.items() if name not in SKIPPED_TABLES}  # fmt: skip
    finally:
        engine.dispose()


def _uploads(instance: Path) -> dict[str, bytes]:
    root = instance / "attachments"
    files = (path for path in root.rglob("*") if path.is_file())
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in files}


def test_restore_into_an_empty_installation_gives_the_same_rows_and_files(tmp_path, new_database):
    source_url, source_instance = new_database("source"), tmp_path / "source"
    _installation(source_url, source_instance)
    backup_dir = tmp_path / "backup"
    done = _command(source_url, source_instance, "backup", str(backup_dir))
    assert done.returncode == 0, done.stderr
    target_url, target_instance = new_database("target"), tmp_path / "target"
    done = _command(target_url, target_instance, "restore", str(backup_dir))
    assert done.returncode == 0, done.stderr

    original, restored = _rows(source_url), _rows(target_url)
    for table in ("meetings", "agenda_items", "agenda_documents", "meeting_events", "mail_outbox", "users"):
        assert original[table], f"{table} is empty: the comparison would prove nothing"
    assert restored == original
    assert _uploads(source_instance) and _uploads(target_instance) == _uploads(source_instance)
    assert PDF in _uploads(target_instance).values()

    # A second restore into the same (now full) installation is refused and changes nothing.
    again = _command(target_url, target_instance, "restore", str(backup_dir))
    assert again.returncode != 0 and _rows(target_url) == original


def test_a_damaged_backup_is_refused_before_anything_changes(tmp_path, new_database):
    source_url, source_instance = new_database("damaged"), tmp_path / "source"
    _installation(source_url, source_instance)
    backup_dir = tmp_path / "backup"
    assert _command(source_url, source_instance, "backup", str(backup_dir)).returncode == 0
    upload = next((backup_dir / "attachments").rglob("*.pdf"))
    upload.write_bytes(upload.read_bytes()[:-1] + b"!")
    target_url, target_instance = new_database("empty"), tmp_path / "target"
    done = _command(target_url, target_instance, "restore", str(backup_dir))
    assert done.returncode != 0 and "attachments/" in done.stderr
    assert _rows(target_url) == {}


def test_a_backup_taken_while_the_meeting_changes_is_consistent(tmp_path, new_database):
    from meetcore.agenda.services import add_item
    from meetcore.auth.models import User
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting

    source_url, source_instance = new_database("busy"), tmp_path / "source"
    data = _installation(source_url, source_instance)
    app, stop, written = _app(source_url, source_instance), threading.Event(), []

    def keep_changing() -> None:
        with app.app_context():
            user = db.session.get(User, data["user_id"])
            while not stop.is_set():
                add_item(db.session.get(Meeting, data["meeting_id"]), {"title": "วาระเพิ่ม"}, by=user)
                db.session.commit()
                written.append(1)
            db.session.remove()

    writer = threading.Thread(target=keep_changing)
    writer.start()
    try:
        backup_dir = tmp_path / "backup"
        done = _command(source_url, source_instance, "backup", str(backup_dir))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert done.returncode == 0, done.stderr
    target_url, target_instance = new_database("busy_target"), tmp_path / "target"
    assert _command(target_url, target_instance, "restore", str(backup_dir)).returncode == 0
    original, restored = _rows(source_url), _rows(target_url)
    assert len(written) > 0
    # One moment: every event of the restored log is the original's, gap-free up to the meeting's last seq.
    events = restored["meeting_events"]
    assert set(map(repr, events)) <= set(map(repr, original["meeting_events"]))
    engine = sa.create_engine(target_url)
    with engine.connect() as connection:
        last_seq = connection.execute(sa.text("SELECT last_seq FROM meetings WHERE id = :id"),
                                      {"id": data["meeting_id"]}).scalar_one()  # fmt: skip
        query = sa.text("SELECT seq FROM meeting_events WHERE meeting_id = :id ORDER BY seq")
        seqs = connection.execute(query, {"id": data["meeting_id"]}).scalars().all()
        items = connection.execute(sa.text("SELECT count(*) FROM agenda_items")).scalar_one()
    engine.dispose()
    assert seqs == list(range(1, last_seq + 1))
    assert set(map(repr, restored["agenda_items"])) <= set(map(repr, original["agenda_items"]))
    assert items == len(restored["agenda_items"]) and items >= 3
