"""Socket.IO rooms of a meeting and who may read which event.

The staff, the participants and the provincial halls sit in rooms of their own; each hall is also in its
province's room. A public event goes to all; a staff-only event goes whole to the staff and, to participants
and halls, as a bare {seq, kind: "redacted"} so that their seq stays gap-free and a gap always means a lost
message (a burst of them as one, meetcore.live.placeholders). An event with a part for each province's halls
(its kind's `site_field`, e.g. the board's ticks and names of a province's seats) goes to the halls of
those provinces with their part, and as everyone else's copy to the others: one message per connection
and seq, whoever reads it.
"""

from __future__ import annotations

import functools

from meetcore.eventlog.kinds import kind_named


def participants_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:participants"


def staff_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:staff"


def halls_room(meeting_id: int) -> str:
    """Every provincial hall's screen of the meeting (each also in its province's room)."""
    return f"meeting:{meeting_id}:halls"


def site_room(meeting_id: int, province_code: str) -> str:
    """The screens of one province's hall."""
    return f"meeting:{meeting_id}:site:{province_code}"


def audience_rooms(meeting_id: int) -> list[str]:
    """The rooms of everyone who is not staff: participants and halls."""
    return [participants_room(meeting_id), halls_room(meeting_id)]


@functools.cache
def province_codes() -> tuple[str, ...]:
    """Every province a hall may be of (the reference rows' ISO 3166-2:TH codes)."""
    from meetcore.directory.reference import ISO_PREFIX, REGION_BY_CODE

    return tuple(sorted(ISO_PREFIX + code for code in REGION_BY_CODE))


def site_parts(message: dict) -> dict:
    """Province code -> the part of this message for that province's halls (empty for most kinds)."""
    field = kind_named(message["kind"]).site_field
    parts = (message.get("payload") or {}).get(field) if field else None
    return parts if isinstance(parts, dict) else {}


def for_staff(message: dict) -> dict:
    """The message as the staff read it: whole, less the halls' parts (the staff's own fields tell them
    more)."""
    field = kind_named(message["kind"]).site_field
    payload = message.get("payload") or {}
    if field and field in payload:
        return {**message, "payload": {key: value for key, value in payload.items() if key != field}}
    return message


def for_participants(message: dict) -> dict:
    """The message as a participant may read it: whole, without its staff-only fields and the halls' parts,
    or redacted (meetcore.eventlog.kinds decides, and a kind it does not know is the staff's)."""
    kind = kind_named(message["kind"])
    if kind.staff_only:
        return redacted(message)
    payload = message.get("payload") or {}
    hidden = (*kind.staff_fields, kind.site_field) if kind.site_field else kind.staff_fields
    if any(name in payload for name in hidden):
        payload = {key: value for key, value in payload.items() if key not in hidden}
        return {**message, "payload": payload}
    return message


def for_site(message: dict, province_code: str | None) -> dict:
    """The message as the hall of a province reads it: a participant's copy, with its province's part
    (under "site") when the message has one."""
    public = for_participants(message)
    part = site_parts(message).get(province_code) if province_code else None
    if part is None:
        return public
    return {**public, "payload": {**public["payload"], "site": part}}


def redacted(message: dict) -> dict:
    return {
        "meeting_id": message["meeting_id"],
        "seq": message["seq"],
        "kind": "redacted",
        "payload": {},
        "at": message["at"],
    }
