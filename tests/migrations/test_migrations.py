"""Models and migrations agree, and the migrations go down to nothing and up again, on both databases."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade


def _scratch_url(tmp_path) -> str:
    """A database of its own: these tests drop every table."""
    url = os.environ.get("MEETCORE_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'test'}_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", path="/" + name))


@pytest.fixture()
def scratch_app(tmp_path):
    from meetcore import create_app
    from meetcore.extensions import db

    # Threading, as every app of the suite: create_app binds the one Socket.IO extension to this app's
    # mode, and a gevent-mode server's background tasks never run in the threaded test process (later
    # tests' publication timers would be listed but never run).
    url = _scratch_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences(db) -> list:
    with db.engine.connect() as connection:
        return compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
        )


def _tables(db) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_models_and_migrations_agree(scratch_app):
    from meetcore.extensions import db

    upgrade(revision="head")
    assert _differences(db) == []
    assert _tables(db) == set(db.metadata.tables)


def test_downgrade_to_base_and_upgrade_again(scratch_app):
    from meetcore.extensions import db

    upgrade(revision="head")
    downgrade(revision="base")
    assert _tables(db) == set()
    upgrade(revision="head")
    assert _tables(db) == set(db.metadata.tables)
    assert _differences(db) == []


def test_database_enforces_one_seq_per_meeting(app_ctx, meeting):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db

    db.session.add(MeetingEvent(meeting_id=meeting.id, seq=1, kind="duplicate", payload={}))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_enforces_foreign_keys(app_ctx):
    from meetcore.extensions import db
    from meetcore.seats.models import Seat

    db.session.add(Seat(meeting_id=999_999, role_id=999_999))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_enforces_status_values(app_ctx, meeting):
    from meetcore.extensions import db

    with pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE meetings SET status = 'bogus' WHERE id = :id"), {"id": meeting.id}
            )


def test_database_enforces_end_after_start(app_ctx, meeting):
    from meetcore.extensions import db

    with pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE meetings SET end_at = start_at WHERE id = :id"), {"id": meeting.id}
            )


def test_database_enforces_one_seat_per_province_and_role(app_ctx, reference, meeting):
    from meetcore.directory.models import Province, Role
    from meetcore.extensions import db
    from meetcore.seats.models import Seat

    province = db.session.scalar(sa.select(Province).limit(1))
    provincial = db.session.scalar(sa.select(Role).where(Role.scope == "provincial").limit(1))
    central = db.session.scalar(sa.select(Role).where(Role.scope == "central").limit(1))
    for province_id, role in ((province.id, provincial), (None, central)):
        db.session.add(Seat(meeting_id=meeting.id, province_id=province_id, role_id=role.id))
        db.session.commit()
        db.session.add(Seat(meeting_id=meeting.id, province_id=province_id, role_id=role.id))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_agenda_parent_must_be_in_the_same_meeting(app_ctx, users, meeting):
    from meetcore.agenda.models import AgendaItem
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting
    from tests.conftest import MEETING_INPUT

    other = schedule_meeting(dict(MEETING_INPUT, number=2), by=users["secretariat"])
    parent = AgendaItem(meeting_id=other.id, title="other meeting's item")
    db.session.add(parent)
    db.session.commit()
    db.session.add(AgendaItem(meeting_id=meeting.id, parent_id=parent.id, title="stray child"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_migrations_form_one_line(scratch_app):
    """`meetcore db upgrade` (target "head") refuses to run when two branches each have a head."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
