"""The live minutes and the decisions: the only writers of MinutesBlock, MinutesUpdate and Decision rows.

Minutes (one collaborative document per agenda item)
----------------------------------------------------
Secretariat editors type into a Yjs document in the browser; every local change goes to ``apply_update`` as
a Yjs v1 update. Under the meeting row's lock (the same lock that numbers the meeting's events) the service
takes the block's document (the one this process kept from its last update of the block when the block's
revision says nobody wrote it since, else rebuilt from its compacted state and the updates logged since),
applies the new update (refusing bytes that are not a clean update of this document), appends it to the log,
stores the derived plain text and flushes; the live command commits. Only then is it acknowledged and sent
(and the document kept for the next update), as the unnumbered
Socket.IO event ``minutes.update``, to the meeting's staff room, where the other editors' Yjs documents
merge it. An editor that was away catches up with ``sync_block`` (Yjs sync: it gives its state vector and
receives what it lacks), so no keystroke depends on a message that could be lost. When a block's log grows
past MINUTES_COMPACT_UPDATES updates or MINUTES_COMPACT_BYTES bytes, it is merged into
MinutesBlock.crdt_state and the merged rows are deleted, in the same transaction.

Readers (participants, and any page without Yjs) never see CRDT updates. They follow the text through
the numbered, public event ``minutes.text``: a splice of the text they last received, published at most
once per MINUTES_TEXT_INTERVAL_MS per block. All of the coalescing state is in the block's row
(published_text, published_at, text_pending_since), so any process can make the next publication:

* an update arriving when the block's last publication is older than the interval publishes at once
  (in the update's own transaction);
* otherwise the block is marked pending, and the process that took the update makes sure it has a
  timer for the block that publishes when the interval is over (``publish_owed_text``);
* a timer that fires early, or finds the text already published by another process, does nothing
  more than the row says is owed, so several processes never publish one block more often than allowed.

Decisions (มติที่ประชุม)
-------------------------
``record_decision`` keeps, with the text, the seats present (an open attendance interval) at that moment.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore import signals
from meetcore.actors import SYSTEM_MINUTES
from meetcore.agenda.models import AgendaItem
from meetcore.auth.permissions import can_edit, require_signed_in, require_staff
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.services import lock_meeting, record_event, seq_after_commit
from meetcore.extensions import db, socketio
from meetcore.live.timers import OwedTimers
from meetcore.meetings.models import Meeting
from meetcore.minutes.crdt import (
    DocumentCache,
    KeptDocument,
    MalformedUpdate,
    MinutesDocument,
    UnintegratedUpdate,
    new_revision,
)
from meetcore.minutes.models import Decision, MinutesBlock, MinutesUpdate
from meetcore.transaction import after_commit

log = logging.getLogger(__name__)

# The minutes may be written from the start of the meeting until they are certified.
MINUTES_STATUSES = ("live", "ended")
# A decision is taken in session (it records who is present); it may be corrected until certification.
DECISION_RECORD_STATUSES = ("live",)
DECISION_EDIT_STATUSES = ("live", "ended")

MAX_TEXT_LENGTH = 100_000
# A publication timer may wake this much early and still publish.
TIMER_SLACK = timedelta(milliseconds=20)
# Socket.IO event (not a numbered MeetingEvent) that carries CRDT updates to the staff room.
EDITOR_EVENT = "minutes.update"


class MinutesOutOfStep(Conflict):
    """The update depends on changes the server has not seen: the editor must sync, then resend."""

    code = "out_of_sync"
    default_message = _l(
        "Your minutes editor is out of step with the server. It will catch up and send your text again."
    )


def setting(name: str) -> int:
    return int(current_app.config[f"MEETCORE_{name}"])  # defaults in meetcore/config.py


def text_interval() -> timedelta:
    return timedelta(milliseconds=setting("MINUTES_TEXT_INTERVAL_MS"))


# --- shared helpers --------------------------------------------------------------------------------------


def _user_id(by) -> int | None:
    from meetcore.auth.models import User

    return by.id if isinstance(by, User) else None


def _require_writer(by) -> None:
    require_signed_in(by)
    if not can_edit(by):
        raise PermissionDenied(_l("Only the secretariat can write the minutes and record decisions."))


def _lock_meeting(meeting_id: int, statuses: tuple[str, ...] | None, refusal=None) -> Meeting:
    """The meeting under its row lock, its status checked on the locked row (None: any status)."""
    meeting = lock_meeting(meeting_id)
    if statuses is not None and meeting.status not in statuses:
        raise Conflict(refusal, details={"status": meeting.status})
    return meeting


def _item_of(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound(_l("Agenda item %(id)s does not exist.", id=item_id))
    if item.meeting_id != meeting.id:
        raise InvalidInput(_l("That agenda item belongs to another meeting."), field="item_id")
    return item


def _fresh_block(item_id: int) -> MinutesBlock | None:
    return db.session.scalars(
        sa.select(MinutesBlock)
        .where(MinutesBlock.agenda_item_id == item_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _logged_updates(block_ids: list[int]) -> dict[int, list[bytes]]:
    """The updates logged since each block's last compaction, in order."""
    logged: dict[int, list[bytes]] = {block_id: [] for block_id in block_ids}
    if block_ids:
        rows = db.session.execute(
            sa.select(MinutesUpdate.block_id, MinutesUpdate.data)
            .where(MinutesUpdate.block_id.in_(block_ids))
            .order_by(MinutesUpdate.id)
        )
        for block_id, data in rows:
            logged[block_id].append(data)
    return logged


def _document(block: MinutesBlock | None, logged: list[bytes]) -> MinutesDocument:
    return MinutesDocument.from_updates([block.crdt_state if block else None, *logged])


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- the text readers see ----------------------------------------------------------------------------------


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix: a binary search over slice comparisons, which run in C
    (a character-by-character loop in Python cost ~1 ms per update on a page of minutes)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def text_change(before: str, after: str) -> dict:
    """The splice turning ``before`` into ``after``: at `at`, remove `delete`, put `insert`; `length` is
    the result's length. Offsets count UTF-16 code units, as JavaScript strings do."""
    prefix = _common_prefix(before, after)
    suffix = _common_prefix(before[prefix:][::-1], after[prefix:][::-1])
    removed = before[prefix : len(before) - suffix]
    inserted = after[prefix : len(after) - suffix]
    return {
        "at": _utf16_length(before[:prefix]),
        "delete": _utf16_length(removed),
        "insert": inserted,
        "length": _utf16_length(after),
    }


def _publish(meeting: Meeting, block: MinutesBlock, now: datetime, *, by) -> None:
    change = text_change(block.published_text or "", block.text or "")
    # Set before the event is recorded: the flush its statement causes then writes the block once.
    block.published_text = block.text
    block.published_at = now
    block.text_pending_since = None
    record_event(meeting, "minutes.text", {"item_id": block.agenda_item_id, **change}, by=by)


def _coalesce(meeting: Meeting, block: MinutesBlock, now: datetime, *, by) -> float | None:
    """Publish the block's new text now if its last publication is old enough; otherwise mark it owed.
    Returns the seconds until an owed publication is due, or None when nothing is owed."""
    if block.text == block.published_text:
        block.text_pending_since = None
        return None
    interval = text_interval()
    if block.published_at is None or now - block.published_at >= interval:
        _publish(meeting, block, now, by=by)
        return None
    if block.text_pending_since is None:
        block.text_pending_since = now
    return (block.published_at + interval - now).total_seconds()


def publish_owed_text(meeting_id: int, block_id: int) -> float | None:
    """Publish the block's text if a publication is owed and due. Returns the seconds to wait when one
    is owed but not yet due, else None (published, or nothing owed)."""
    now = utcnow()
    try:
        meeting = _lock_meeting(meeting_id, None)
    except NotFound:
        return None
    block = db.session.scalars(
        sa.select(MinutesBlock).where(MinutesBlock.id == block_id).execution_options(populate_existing=True)
    ).one_or_none()
    if block is None or block.text_pending_since is None:
        return None  # (the timer's step ends its transaction, releasing the lock)
    due_at = (block.published_at or now) + text_interval()
    if due_at - now > TIMER_SLACK:
        return (due_at - now).total_seconds()
    if block.text == block.published_text:
        block.text_pending_since = None
    else:  # what the writer typed meanwhile, published by the timer
        _publish(meeting, block, now, by=SYSTEM_MINUTES)
    db.session.flush()
    return None


# One publication timer per block and process (meetcore.live.timers); the owed text is in the database.
_timers = OwedTimers(publish_owed_text, "publishing the minutes text of (meeting, block)")


def _ensure_timer(meeting_id: int, block_id: int, delay: float) -> None:
    _timers.ensure((meeting_id, block_id), delay)


# --- writing the minutes --------------------------------------------------------------------------------

# The documents of the blocks this process wrote last (valid while the block's revision is unchanged).
_documents = DocumentCache()


def _rebuild(block: MinutesBlock) -> KeptDocument:
    logged = _logged_updates([block.id])[block.id]
    return KeptDocument(_document(block, logged), block.revision, len(logged), sum(map(len, logged)))


@dataclass
class AppliedUpdate:
    block: MinutesBlock
    seq: int
    update: bytes


def apply_update(
    meeting_id: int, item_id: int, update: bytes, *, by, origin: str | None = None
) -> AppliedUpdate:
    """Merge an editor's Yjs update into the minutes of one agenda item (flushed: the entry point commits).

    ``origin`` is the sending connection's Socket.IO id: the update is sent to every other editor.
    """
    _require_writer(by)
    meeting = _lock_meeting(
        meeting_id,
        MINUTES_STATUSES,
        _l("The minutes can be written once the meeting has started, and until they are certified."),
    )
    item = _item_of(meeting, item_id)
    block = _fresh_block(item.id)
    if block is None:
        block = MinutesBlock(meeting_id=meeting.id, agenda_item_id=item.id, text="", published_text="")
        db.session.add(block)
        db.session.flush()
    kept = _documents.take(block.id, block.revision) or _rebuild(block)
    document = kept.document
    try:
        canonical = document.apply(update)
    except MalformedUpdate:
        raise InvalidInput(_l("The minutes update could not be read, so it was not saved."),
                           field="update") from None
    except UnintegratedUpdate:
        raise MinutesOutOfStep(field="update") from None
    text = document.text
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            _l("The minutes of one agenda item cannot be longer than %(n)s characters.",
               n=f"{MAX_TEXT_LENGTH:,}"),
            field="update",
        )
    now = utcnow()
    if kept.logged_updates + 1 > setting("MINUTES_COMPACT_UPDATES") or (
        kept.logged_bytes + len(canonical) > setting("MINUTES_COMPACT_BYTES")
    ):
        # Compaction: the whole document (this update included) becomes the block's state.
        block.crdt_state = document.state()
        db.session.execute(sa.delete(MinutesUpdate).where(MinutesUpdate.block_id == block.id))
        kept.logged_updates = kept.logged_bytes = 0
    else:
        db.session.add(MinutesUpdate(block_id=block.id, data=canonical, created_by_id=_user_id(by),
                                     created_at=now))
        kept.logged_updates += 1
        kept.logged_bytes += len(canonical)
    block.text = text
    block.updated_at = now
    block.revision = kept.revision = new_revision()
    owed = _coalesce(meeting, block, now, by=by)
    block_id = block.id  # the commit expires the rows: ids read after it would be read again
    db.session.flush()
    # Only a committed update is kept in memory and sent to the other editors (take() removed the
    # document: a rolled-back one is forgotten, and rebuilt from the log next time).
    after_commit(_updated, meeting_id, item_id, block_id, kept, canonical, origin, owed)
    return AppliedUpdate(block=block, seq=seq_after_commit(meeting_id), update=canonical)


def _updated(meeting_id, item_id, block_id, kept, canonical, origin, owed) -> None:
    _documents.keep(block_id, kept)
    socketio.emit(
        EDITOR_EVENT,
        {"meeting_id": meeting_id, "item_id": item_id, "update": encode(canonical)},
        to=_staff_room(meeting_id),
        skip_sid=origin,
    )
    if owed is not None:
        _ensure_timer(meeting_id, block_id, owed)


def _staff_room(meeting_id: int) -> str:
    from meetcore.live.rooms import staff_room

    return staff_room(meeting_id)


def sync_block(meeting_id: int, item_id: int, state_vector: bytes, *, by) -> dict:
    """Yjs sync for an editor (or the chair's reader) that opens the block (an empty document: the whole
    block) or was away: what its document lacks of the block's, and the server's state vector (so it can
    send back what the server lacks)."""
    require_staff(by)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_l("Meeting %(id)s does not exist.", id=meeting_id))
    item = _item_of(meeting, item_id)
    # The log first, then the block: a compaction committed in between is then in the state read.
    block_id = db.session.scalar(sa.select(MinutesBlock.id).where(MinutesBlock.agenda_item_id == item.id))
    logged = _logged_updates([block_id])[block_id] if block_id else []
    document = _document(_fresh_block(item.id), logged)
    try:
        missing = document.missing_from(state_vector)
    except MalformedUpdate:
        raise InvalidInput(_l("The state vector could not be read."), field="state_vector") from None
    db.session.flush()
    return {"item_id": item.id, "update": encode(missing), "state_vector": encode(document.state_vector())}


def write_recorded_block(meeting_id: int, item_id: int, text: str, *, at: datetime) -> MinutesBlock:
    """The minutes of one item as a whole text written elsewhere (the demo's record of a past meeting):
    a block whose CRDT state is a document of that text, so the editor opens it like a typed one, and
    whose text readers were sent at ``at``. In the caller's transaction; no event, no status check: the
    caller is loading a record, not taking an editor's keystrokes."""
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(_l("The minutes of one agenda item cannot be longer than %(n)s characters.",
                              n=f"{MAX_TEXT_LENGTH:,}"), field="text")  # fmt: skip
    block = _fresh_block(item_id)
    if block is None:
        block = MinutesBlock(meeting_id=meeting_id, agenda_item_id=item_id)
        db.session.add(block)
    else:
        db.session.execute(sa.delete(MinutesUpdate).where(MinutesUpdate.block_id == block.id))
    document = MinutesDocument.from_text(text)
    block.crdt_state = document.state()
    block.text = block.published_text = document.text
    block.updated_at = block.published_at = at
    block.text_pending_since = None
    block.revision = new_revision()
    db.session.flush()
    return block


def block_text(item_id: int) -> str:
    """The current text of an agenda item's minutes (empty when nobody has written any)."""
    block = _fresh_block(item_id)
    return block.text if block else ""


def minutes_state(meeting_id: int) -> list[dict]:
    """Every block of the meeting: the text readers have been sent (minutes.text events continue from it).
    The same for every reader: an editor's Yjs document is not part of the snapshot (no numbered event
    carries it, so a replay could not keep it), the editor gets it with ``sync_block`` (issue 19)."""
    blocks = db.session.execute(
        sa.select(MinutesBlock.agenda_item_id, MinutesBlock.published_text)
        .where(MinutesBlock.meeting_id == meeting_id)
        .order_by(MinutesBlock.id)
    )
    return [{"item_id": item_id, "text": text or ""} for item_id, text in blocks]


# --- decisions ---------------------------------------------------------------------------------------------


def _decision_out(decision: Decision, *, staff: bool = True) -> dict:
    out = {
        "id": decision.id,
        "item_id": decision.agenda_item_id,
        "text": decision.text,
        "taken_at": decision.taken_at.isoformat(),
        "present_count": len(decision.present_seat_ids or []),
    }
    if staff:
        out["present_seat_ids"] = list(decision.present_seat_ids or [])
    return out


def _decision_of(meeting: Meeting, decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.meeting_id != meeting.id:
        raise NotFound(_l("Decision %(id)s does not exist in this meeting.", id=decision_id))
    return decision


def present_seat_ids(meeting: Meeting) -> list[int]:
    """The seats present now: those with an open attendance interval."""
    from meetcore.attendance.board import present_seats

    return sorted(present_seats(meeting))


def record_decision(meeting_id: int, item_id: int, text: str, *, by) -> Decision:
    """Record the meeting's decision on an agenda item, with the seats present as it is taken."""
    _require_writer(by)
    meeting = _lock_meeting(meeting_id, DECISION_RECORD_STATUSES,
                            _l("A decision can be recorded only while the meeting is in session."))
    item = _item_of(meeting, item_id)
    decision = Decision(meeting_id=meeting.id, agenda_item_id=item.id, text=text,
                        present_seat_ids=present_seat_ids(meeting), taken_at=utcnow(),
                        created_by_id=_user_id(by))
    db.session.add(decision)
    db.session.flush()
    # Whole, as the staff's snapshot has it: participants receive it without the seats present.
    record_event(meeting, "decision.recorded", _decision_out(decision), by=by)
    db.session.flush()
    return decision


def record_poll_decision(meeting: Meeting, *, item_id: int, text: str, present_seat_ids: list[int], by,
                         **_kwargs) -> Decision:
    """A closed poll's result becomes a decision of its item (receiver of signals.poll_closed, in the
    closing transaction: the poll's service checked who may close it). Flushes; the caller commits."""
    decision = Decision(meeting_id=meeting.id, agenda_item_id=item_id, text=text, taken_at=utcnow(),
                        present_seat_ids=list(present_seat_ids), created_by_id=_user_id(by))
    db.session.add(decision)
    db.session.flush()
    record_event(meeting, "decision.recorded", _decision_out(decision), by=by)
    return decision


signals.poll_closed.connect(record_poll_decision)


_EDIT_REFUSAL = _l("Decisions can be corrected while the meeting is in session or after it has ended, "
                   "until the minutes are certified.")


def update_decision(meeting_id: int, decision_id: int, text: str, *, by) -> Decision:
    """Correct a decision's wording; who was present when it was taken stays as recorded."""
    _require_writer(by)
    meeting = _lock_meeting(meeting_id, DECISION_EDIT_STATUSES, _EDIT_REFUSAL)
    decision = _decision_of(meeting, decision_id)
    if decision.text != text:
        decision.text = text
        record_event(meeting, "decision.updated",
                     {"id": decision.id, "item_id": decision.agenda_item_id, "text": text}, by=by)
    db.session.flush()
    return decision


def delete_decision(meeting_id: int, decision_id: int, *, by) -> None:
    _require_writer(by)
    meeting = _lock_meeting(meeting_id, DECISION_EDIT_STATUSES, _EDIT_REFUSAL)
    decision = _decision_of(meeting, decision_id)
    payload = {"id": decision.id, "item_id": decision.agenda_item_id}
    db.session.delete(decision)
    record_event(meeting, "decision.deleted", payload, by=by)
    db.session.flush()


def decisions_state(meeting_id: int, *, staff: bool) -> list[dict]:
    decisions = db.session.scalars(
        sa.select(Decision).where(Decision.meeting_id == meeting_id).order_by(Decision.taken_at, Decision.id)
    )
    return [_decision_out(decision, staff=staff) for decision in decisions]
