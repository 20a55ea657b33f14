"""Appending to a meeting's event log: the one place seq numbers are handed out."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.actors import SystemActor
from meetcore.database import utcnow
from meetcore.errors import NotFound
from meetcore.eventlog.kinds import check_event
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.live.broadcast import queue_for_broadcast
from meetcore.meetings.models import Meeting

# session.info keys, {meeting id: seq of the last event written}: by the open transaction, and by the
# transactions committed since the current command began (its acknowledgement's seq).
PENDING_SEQ = "meetcore.pending_seq"
WRITTEN_SEQ = "meetcore.written_seq"

# Every live command runs these: built once, since building a statement and its cache key costs more
# than running it on SQLite. The seq is handed out by a plain (Core) UPDATE, not the ORM's bulk update.
_MEETINGS = Meeting.__table__
_NEXT_SEQ = (
    sa.update(_MEETINGS)
    .where(_MEETINGS.c.id == sa.bindparam("meeting_id"))
    .values(last_seq=_MEETINGS.c.last_seq + 1)
    .returning(_MEETINGS.c.last_seq)
)
_SQLITE_WRITE_LOCK = sa.text("UPDATE meetings SET last_seq = last_seq WHERE id = :meeting_id")
_LOCKED = (
    sa.select(Meeting)
    .where(Meeting.id == sa.bindparam("meeting_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)

_ROW_COLUMNS = (_MEETINGS.c.id, _MEETINGS.c.status, _MEETINGS.c.requires_identity_code, _MEETINGS.c.last_seq)
_LOCKED_ROW = sa.select(*_ROW_COLUMNS).where(_MEETINGS.c.id == sa.bindparam("meeting_id")).with_for_update()
# SQLite: the no-op write that takes the lock returns the row as well, one statement where it took two
# (updated_at named, or its onupdate would move it: the meeting did not change).
_SQLITE_LOCKED_ROW = (
    sa.update(_MEETINGS)
    .where(_MEETINGS.c.id == sa.bindparam("locked_id"))
    .values(last_seq=_MEETINGS.c.last_seq, updated_at=_MEETINGS.c.updated_at)
    .returning(*_ROW_COLUMNS)
)


def lock_meeting(meeting_id: int) -> Meeting:
    """The meeting re-read under its row lock: the lock that numbers its events, held until commit.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks, and its Python driver starts a transaction
    only at the first write, so a no-op write comes first: it takes the database's write lock, and what is
    read after it is the latest committed state, which no other writer can change until this transaction
    ends.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(_SQLITE_WRITE_LOCK, {"meeting_id": meeting_id})
    meeting = db.session.scalars(_LOCKED, {"meeting_id": meeting_id}).one_or_none()
    if meeting is None:
        raise NotFound(_l("Meeting %(id)s does not exist.", id=meeting_id))
    return meeting


def lock_meeting_row(meeting_id: int) -> sa.Row:
    """lock_meeting's lock, with the meeting's id, status, identity-code setting and seq as one plain row:
    what a participant's check-in reads (every join runs it; an ORM object costs it as much again). A
    service that needs more calls lock_meeting in the same transaction: the lock is held already."""
    if db.session.get_bind().dialect.name == "sqlite":
        row = db.session.execute(_SQLITE_LOCKED_ROW, {"locked_id": meeting_id}).first()
    else:
        row = db.session.execute(_LOCKED_ROW, {"meeting_id": meeting_id}).first()
    if row is None:
        raise NotFound(_l("Meeting %(id)s does not exist.", id=meeting_id))
    return row


def begin_command() -> None:
    """A live command starts: what earlier commands on this session wrote is not its acknowledgement."""
    db.session.info.pop(WRITTEN_SEQ, None)


def seq_after_commit(meeting_id: int) -> int | None:
    """The seq of the last event of the meeting that the current command wrote, for its acknowledgement;
    None when it wrote none (it changed nothing, docs/protocol.md). Read before or after the commit: the
    entry point (meetcore.live.events.acknowledged) commits before it acknowledges, and answers an
    internal error instead when the commit fails."""
    pending = db.session.info.get(PENDING_SEQ, {})
    if meeting_id in pending:
        return pending[meeting_id]
    return db.session.info.get(WRITTEN_SEQ, {}).get(meeting_id)


def _committed(session) -> None:
    session.info.setdefault(WRITTEN_SEQ, {}).update(session.info.pop(PENDING_SEQ, {}))


def _rolled_back(session, *_args) -> None:
    session.info.pop(PENDING_SEQ, None)


def install() -> None:
    """Session hooks: the seqs a transaction wrote count once it commits, and not at all if it rolls back."""
    if not sa.event.contains(db.session, "after_commit", _committed):
        sa.event.listen(db.session, "after_commit", _committed)
        sa.event.listen(db.session, "after_rollback", _rolled_back)


def record_event(
    meeting: Meeting, kind: str, payload: dict | None = None, *, by, seat=None
) -> MeetingEvent:
    """Add the meeting's next numbered event to the current transaction, recording who acted (``by``, always
    named): an account (a User), the system (a meetcore.actors.SystemActor, recorded by its name), or a
    participant (a SeatActor or SiteActor, recorded as ``seat`` when the caller names the seat it acted for;
    a secret vote names none).

    The UPDATE ... RETURNING takes the meeting row's write lock, so two transactions can never hand out
    the same seq (and the unique (meeting_id, seq) constraint would refuse it if they did).
    """
    check_event(kind, payload or {})
    seq = db.session.execute(_NEXT_SEQ, {"meeting_id": meeting.id}).scalar_one()
    meeting_state = sa.inspect(meeting)
    if not meeting_state.transient and not meeting_state.pending:
        sa.orm.attributes.set_committed_value(meeting, "last_seq", seq)
    db.session.info.setdefault(PENDING_SEQ, {})[meeting.id] = seq
    event = MeetingEvent(
        meeting_id=meeting.id,
        seq=seq,
        kind=kind,
        payload=payload or {},
        actor_user_id=_user_id(by),
        actor_seat_id=getattr(seat, "id", None),
        actor_name=by.name if isinstance(by, SystemActor) else None,
        created_at=utcnow(),
    )
    db.session.add(event)
    queue_for_broadcast(db.session, event)
    return event


def _user_id(by) -> int | None:
    """The acting account's id; a seat acting through its link is recorded as the seat instead."""
    from meetcore.auth.models import User

    return by.id if isinstance(by, User) else None


def events_since(meeting_id: int, after_seq: int, limit: int = 500) -> list[MeetingEvent]:
    return list(
        db.session.scalars(
            sa.select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > after_seq)
            .order_by(MeetingEvent.seq)
            .limit(limit)
        )
    )
