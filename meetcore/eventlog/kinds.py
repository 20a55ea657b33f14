"""Every kind of event a meeting's log may hold, declared once (issue 19): who may read it (everyone, or
the staff only: participants receive it redacted, so that their seq stays gap-free), which of its fields
only the staff may read, and the fields its payload always carries. `record_event` refuses a kind that is
not declared here and a payload that lacks its fields; the browser applies every kind declared here in one
place (static/src/live-state.js; tests/live/test_event_kinds.py checks that the two lists agree).

What each payload means is in docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    name: str
    fields: tuple[str, ...] = ()  # always in the payload
    staff_only: bool = False  # participants get {seq, kind: "redacted", payload: {}}
    staff_fields: tuple[str, ...] = ()  # left out of what participants get
    # A field of province code -> that province's part, read by that province's halls only (under "site");
    # left out of everyone else's copy, the staff's included (meetcore.live.rooms).
    site_field: str | None = None


def _kinds(*kinds: EventKind) -> dict[str, EventKind]:
    return {kind.name: kind for kind in kinds}


STAFF = {"staff_only": True}

KINDS = _kinds(
    # the meeting (meetcore.meetings)
    EventKind("meeting.created", ("title",), **STAFF),
    EventKind("meeting.updated", ("fields", "significant", "meeting")),
    EventKind("meeting.cancelled", ("reason",)),
    EventKind("meeting.started", ("status", "at")),
    EventKind("meeting.ended", ("status", "at")),
    # the agenda (meetcore.agenda): structural changes carry the resulting agenda whole
    EventKind("agenda.added", ("item_id", "agenda")),
    EventKind("agenda.updated", ("item_id", "fields", "values", "agenda")),
    EventKind("agenda.moved", ("item_id", "from", "to", "agenda")),
    EventKind("agenda.deleted", ("item_id", "deleted_ids", "minutes_deleted", "agenda")),
    EventKind("agenda.sections_inserted", ("sections", "item_ids", "agenda")),
    EventKind("agenda.copied", ("source_meeting_id", "item_ids", "agenda")),
    EventKind("agenda.documents", ("item_id", "documents")),
    EventKind("agenda.document_pdf", ("item_id", "documents")),  # an office file's PDF made, or not
    EventKind("agenda.current", ("item_id", "previous")),
    EventKind("agenda.state", ("item_id", "state")),
    # the floor (meetcore.floor): every event carries the whole floor
    EventKind("floor.requested", ("floor",)),
    EventKind("floor.withdrawn", ("floor",)),
    EventKind("floor.granted", ("floor",)),
    EventKind("floor.revoked", ("floor",)),
    EventKind("floor.limit_set", ("floor",)),
    EventKind("floor.closed", ("floor",)),
    # polls (meetcore.polls): each carries the resulting poll; the votes cast so far are the staff's
    EventKind("poll.prepared", ("poll_id", "poll"), **STAFF),
    EventKind("poll.updated", ("poll_id", "poll"), **STAFF),
    EventKind("poll.deleted", ("poll_id",), **STAFF),
    EventKind("poll.opened", ("poll_id", "poll"), staff_fields=("counts",)),
    EventKind("poll.voted", ("poll_id", "counts"), **STAFF),
    EventKind("poll.closed", ("poll_id", "poll"), staff_fields=("counts",)),
    # minutes, decisions, actions (meetcore.minutes, meetcore.actions); action events carry the action whole
    EventKind("minutes.text", ("item_id", "at", "delete", "insert", "length")),
    EventKind("decision.recorded", ("id", "item_id", "text", "taken_at", "present_count"),
              staff_fields=("present_seat_ids",)),  # fmt: skip
    EventKind("decision.updated", ("id", "item_id", "text")),
    EventKind("decision.deleted", ("id", "item_id")),
    EventKind("action.created", ("id", "item_id", "title", "agency_ids", "action")),
    EventKind("action.updated", ("id", "action")),
    EventKind("action.cancelled", ("id", "item_id", "agency_ids", "action")),
    # the video (meetcore.video): what the chair stopped at Janus, with the whole moderation state
    EventKind("video.moderated", ("publisher_id", "audio_muted", "video_stopped", "moderation")),
    # each endpoint's line as its page measured it (meetcore.video.quality): the staff's board only
    EventKind("video.quality", ("endpoint", "quality"), **STAFF),
    EventKind("actions.carried", ("section_id", "item_ids", "action_ids", "agenda")),
    # the official minutes (meetcore.reports)
    EventKind("minutes.details_updated", ("fields",), **STAFF),
    EventKind("minutes.circulated", ("recipients",), **STAFF),
    EventKind("minutes.certified", ("status", "at")),
    EventKind("minutes.amended", ("amendment_id", "item_id"), **STAFF),
    # attendance (meetcore.attendance)
    EventKind("attendance.board", staff_fields=("seats",), site_field="sites"),
    EventKind("attendance.identity_confirmed", ("seat_id",), **STAFF),
    EventKind("attendance.settings", ("requires_identity_code",), **STAFF),
    EventKind("attendance.site_link_issued", ("link_id",), **STAFF),
    EventKind("attendance.site_links_revoked", ("province_code", "count"), **STAFF),
    EventKind("attendance.changed", ("seats",), **STAFF),  # written before attendance.board existed
    # video (meetcore.video): the meeting's room was made again at a restarted Janus; reconnect the media
    EventKind("video.restored", ("room", "at")),
    # the document projector (meetcore.video.projector): what is shown, at which page (null: nothing)
    EventKind("projector.shown", ("projector",)),
    EventKind("projector.turned", ("projector",)),
    EventKind("projector.stopped", ("projector",)),
    # the roster, invitations and mail: the secretariat's bookkeeping
    EventKind("seats.added", **STAFF),
    EventKind("seats.imported", **STAFF),
    EventKind("seats.updated", ("seat_id", "fields"), **STAFF),
    EventKind("seats.removed", ("seat_id",), **STAFF),
    EventKind("seats.link_issued", ("seat_id",), **STAFF),
    EventKind("seats.links_revoked", ("seat_id", "count"), **STAFF),
    EventKind("invitations.sent", **STAFF),
    EventKind("invitations.updated", **STAFF),
    EventKind("invitations.cancelled", **STAFF),
    EventKind("invitations.withdrawn", **STAFF),
    EventKind("invitations.handed_over", **STAFF),
    EventKind("invitations.reassigned", **STAFF),
    EventKind("invitations.reminded", **STAFF),
    EventKind("invitations.rsvp", **STAFF),
    EventKind("mail.resend", **STAFF),
)

# A kind read from the log that is declared nowhere (written by a later version): the staff only.
UNDECLARED = EventKind("", staff_only=True)


def kind_named(name: str) -> EventKind:
    return KINDS.get(name, UNDECLARED)


class UndeclaredEvent(ValueError):
    """A programming error: every kind is declared in meetcore.eventlog.kinds, with its fields."""


def check_event(name: str, payload: dict) -> None:
    kind = KINDS.get(name)
    if kind is None:
        raise UndeclaredEvent(f"event kind {name!r} is not declared in meetcore.eventlog.kinds")
    missing = [field for field in kind.fields if field not in payload]
    if missing:
        raise UndeclaredEvent(f"event {name!r} lacks {', '.join(missing)}")
