"""Database-wide pieces: the UTC timestamp type (UTC in memory too) and SQLite's foreign-key switch."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper


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


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):
    # SQLite leaves foreign keys off unless every connection asks for them.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3") or module.startswith("pysqlite"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Readers never block the writer, and a writer waits for another instead of failing at once.
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def choice_type(*values: str, name: str, **kwargs) -> sa.Enum:
    """A VARCHAR restricted to ``values`` by a CHECK constraint, the same on SQLite and PostgreSQL."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32, **kwargs)
