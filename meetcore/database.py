"""Database-wide pieces: the UTC timestamp type and SQLite's foreign-key switch."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine


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
