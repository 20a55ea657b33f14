"""Socket.IO rooms of a meeting and who may read which event.

Participants and staff sit in two rooms. A public event goes to both; a staff-only event goes whole to
the staff and, to participants, as a bare {seq, kind: "redacted"} so that their seq stays gap-free and a
gap always means a lost message.
"""

from __future__ import annotations

# Events only the secretariat and the chair read (roster edits, invitations, mail status...).
STAFF_ONLY_PREFIXES = ("seats.", "invitations.", "mail.", "meeting.created",
                       "attendance.changed", "attendance.identity", "attendance.site_link",
                       "attendance.settings")  # fmt: skip


def participants_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:participants"


def staff_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:staff"


def is_staff_only(kind: str) -> bool:
    return kind.startswith(STAFF_ONLY_PREFIXES)


# Events everyone reads but with fields only staff may see: participants get the event without them.
STAFF_ONLY_FIELDS = {"attendance.board": ("seats",), "decision.recorded": ("present_seat_ids",)}


def for_participants(message: dict) -> dict:
    """The message as a participant may read it: whole, without its staff-only fields, or redacted."""
    kind = message["kind"]
    if is_staff_only(kind):
        return redacted(message)
    hidden = STAFF_ONLY_FIELDS.get(kind)
    if hidden and any(name in (message.get("payload") or {}) for name in hidden):
        payload = {key: value for key, value in message["payload"].items() if key not in hidden}
        return {**message, "payload": payload}
    return message


def redacted(message: dict) -> dict:
    return {
        "meeting_id": message["meeting_id"],
        "seq": message["seq"],
        "kind": "redacted",
        "payload": {},
        "at": message["at"],
    }
