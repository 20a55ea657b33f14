"""Database-wide pieces: the UTC timestamp type (UTC in memory too), SQLite's foreign-key switch, and a
writer's wait for SQLite's lock that lets the rest of a gevent process run."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.pool import Pool


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, returns aware UTC, refuses naive input (a naive time is a bug in the caller)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


@event.listens_for(Mapper, "mapper_configured")
def _utc_in_memory(mapper, class_) -> None:
    """A UTC column holds UTC in memory too: a row answered before the entry point commits (issue 19: the
    service only flushes, nothing is read back) shows the same time as one read after it."""
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, UTCDateTime) for column in prop.columns):
            event.listen(getattr(class_, prop.key), "set", _as_utc, retval=True)


def _as_utc(_target, value, _old, _initiator):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value  # None, or a naive time that the column refuses when it is written


# How long a writer waits for another's lock in all, and how long SQLite itself may wait at a time. SQLite's
# own wait (busy_timeout) sleeps inside the library: in a gevent process it stops every greenlet, the one
# that holds the lock too (a command that calls Janus between its first write and its commit), which then
# cannot finish: each writer in that window failed with "database is locked" after the whole wait (the
# video browser test under load). So SQLite waits a moment, and a write refused as busy is tried again
# after a sleep that lets the other greenlets run (time.sleep is gevent's under its monkey patching).
SQLITE_WAIT_SECONDS = 10.0
SQLITE_BUSY_TIMEOUT_MS = 20


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):
    # SQLite leaves foreign keys off unless every connection asks for them.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3") or module.startswith("pysqlite"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Readers never block the writer, and a writer waits for another instead of failing at once.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _waiting_for_the_lock(run) -> bool:
    """Run one SQLite statement; while SQLite answers busy (another writer holds the lock), sleep and try
    again, up to SQLITE_WAIT_SECONDS. Only plain SQLITE_BUSY: the statement did nothing and may run again
    (SQLITE_BUSY_SNAPSHOT, a stale read transaction, would never succeed and fails at once as before)."""
    deadline = time.monotonic() + SQLITE_WAIT_SECONDS
    pause = 0.005
    while True:
        try:
            run()
            return True
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorname", None) != "SQLITE_BUSY" or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


@event.listens_for(Engine, "do_execute")
def _sqlite_execute(cursor, statement, parameters, context):
    if context.dialect.name == "sqlite":
        return _waiting_for_the_lock(lambda: cursor.execute(statement, parameters))
    return None


@event.listens_for(Engine, "do_executemany")
def _sqlite_executemany(cursor, statement, parameters, context):
    if context.dialect.name == "sqlite":
        return _waiting_for_the_lock(lambda: cursor.executemany(statement, parameters))
    return None


@event.listens_for(Engine, "do_execute_no_params")
def _sqlite_execute_no_params(cursor, statement, context):
    if context.dialect.name == "sqlite":
        return _waiting_for_the_lock(lambda: cursor.execute(statement))
    return None


# Connection.info key: this connection's transaction wrote (or locked rows for update). Kept per connection
# until its commit or rollback, so that a caller can refuse to wait on another service while it holds the
# write lock (SQLite's, for the whole database) or row locks (PostgreSQL's): meetcore.video's Janus calls.
WROTE = "meetcore.wrote"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "after_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    head = statement[:40].lstrip()[:7].upper()  # a slice: no copy of a long statement
    if head.startswith(_WRITES) or " FOR UPDATE" in statement:  # as SQLAlchemy renders it
        conn.info[WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn):
    # A connection the database dropped refuses even its `info` until the rollback has run (this is that
    # rollback, and raising here kept a command from its answer); its record is returned to the pool, whose
    # checkin clears the mark below.
    if not conn.invalidated:
        conn.info.pop(WROTE, None)


@event.listens_for(Pool, "checkin")
def _connection_returned(dbapi_connection, connection_record):
    if connection_record is not None:  # the pool's reset rolled back whatever was left open
        connection_record.info.pop(WROTE, None)


def holds_write_locks(session) -> bool:
    """Whether the session's open transaction has written (or locked rows) and not yet ended."""
    if not session.in_transaction():
        return False
    return bool(session.connection().info.get(WROTE))


def choice_type(*values: str, name: str, **kwargs) -> sa.Enum:
    """A VARCHAR restricted to ``values`` by a CHECK constraint, the same on SQLite and PostgreSQL."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32, **kwargs)
