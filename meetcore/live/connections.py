"""Which live connections are open and what let each in (meetcore.live.models.LiveConnection), and closing
them when that access ends: at once, after the change that ended it has committed, on whichever process
holds them (python-socketio passes a disconnect for another process's connection through the message queue).

Below every domain: the auth, seats, invitations and attendance services call `close_connections` with
the rows to close (`close_seat_connections` for a seat's: its row is written with its check-in, and until
then only its process's memory knows it, meetcore.live.seat_connections); the live handlers call
`remember_connection` and `forget_connection`.
"""

from __future__ import annotations

import secrets
import threading

import sqlalchemy as sa
from blinker import Namespace

from meetcore.extensions import db
from meetcore.live.broadcast import close_after_commit, cut_after_commit
from meetcore.live.models import LiveConnection

# This server process, as named in connection ids and in its ServerProcess row (meetcore.attendance).
PROCESS_ID = secrets.token_hex(8)

# Set when this process stops on purpose (meetcore.live.serving): its connections are closed all at once and
# their ends recorded together (meetcore.signals.process_stopping), not one by one as each closes.
stopping = threading.Event()

# Sent (sid, connection key) when a connection of this process has ended, however it ended: the domains
# that keep something per connection (attendance intervals) close it.
connection_ended = Namespace().signal("connection-ended")

# A connection's row: the statement built once, its columns those given (what let the connection in).
_INSERT_CONNECTION = sa.insert(LiveConnection.__table__)


def connection_key(sid: str) -> str:
    return f"{PROCESS_ID}:{sid}"


def remember_connection(sid: str, **access) -> None:
    """Record a connection that was let in, with what let it in (LiveConnection's columns). Its key is new
    (this process's id and a fresh sid): inserted, not merged, which would read it first; as one plain
    INSERT, not through the session's flush (nothing reads the row back in this transaction)."""
    db.session.execute(_INSERT_CONNECTION, {"id": connection_key(sid), "process_id": PROCESS_ID, **access})


def forget_connection(sid: str) -> None:
    db.session.execute(sa.delete(LiveConnection).where(LiveConnection.id == connection_key(sid)))


def close_connections(*criteria) -> int:
    """Close the open connections that match (criteria on LiveConnection) once the caller's transaction
    commits; nothing if it rolls back. Returns how many there were."""
    keys = db.session.scalars(sa.select(LiveConnection.id).where(*criteria)).all()
    close_after_commit(db.session, keys)
    return len(keys)


def close_seat_connections(*, seat_ids=(), link_hashes=()) -> int:
    """Close the connections of these seats, or through these links, once the caller's transaction commits:
    those that joined by their rows, and on every process those that have not joined yet, which have no row
    (a seat's row is written with its check-in: meetcore.live.seat_connections). Returns how many rows."""
    cut_after_commit(db.session, seat_ids=seat_ids, link_hashes=link_hashes)
    criteria = []
    if seat_ids:
        criteria.append(LiveConnection.seat_id.in_(list(seat_ids)))
    if link_hashes:
        criteria.append(LiveConnection.seat_link_hash.in_(list(link_hashes)))
    return close_connections(sa.or_(*criteria)) if criteria else 0


def forget_process_connections(process_id: str) -> None:
    """Forget every connection of one process (it is stopping), in the caller's transaction."""
    db.session.execute(sa.delete(LiveConnection).where(LiveConnection.process_id == process_id))


def forget_lost_connections(beating: set[str], opened_before) -> None:
    """Forget the connections of processes that are not beating (a crash took them with it), in the caller's
    transaction; those opened since `opened_before` may belong to a process that has not beaten yet."""
    db.session.execute(
        sa.delete(LiveConnection).where(
            LiveConnection.process_id.not_in(sorted(beating)), LiveConnection.opened_at < opened_before
        )
    )
