"""Socket.IO rooms of a meeting and who may read which event.

Participants and staff sit in two rooms. A public event goes to both; a staff-only event goes whole to
the staff and, to participants, as a bare {seq, kind: "redacted"} so that their seq stays gap-free and a
gap always means a lost message (a burst of them as one, meetcore.live.placeholders).
"""

from __future__ import annotations

from meetcore.eventlog.kinds import kind_named


def participants_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:participants"


def staff_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:staff"


def for_participants(message: dict) -> dict:
    """The message as a participant may read it: whole, without its staff-only fields, or redacted
    (meetcore.eventlog.kinds decides, and a kind it does not know is the staff's)."""
    kind = kind_named(message["kind"])
    if kind.staff_only:
        return redacted(message)
    payload = message.get("payload") or {}
    if any(name in payload for name in kind.staff_fields):
        payload = {key: value for key, value in payload.items() if key not in kind.staff_fields}
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
