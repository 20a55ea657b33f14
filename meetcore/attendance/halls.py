"""What a provincial hall's screen is shown of its province's seats (the role, the attendee's name, the
roll-call tick, how the seat is held now): one shape for the hall's live snapshot (meetcore.attendance.sites)
and for the board's publications that tell the halls of the provinces whose seats changed
(meetcore.attendance.board, the event's "sites" part; meetcore.live.rooms sends each hall its own)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from meetcore.attendance.models import SiteLink
from meetcore.directory.models import Province
from meetcore.extensions import db
from meetcore.seats.models import Seat


def province_seats(meeting_id: int, province_ids: Iterable[int]) -> list[Seat]:
    """The seats of these provinces in the meeting, by province, then in role order (then by id)."""
    ids = sorted(set(province_ids))
    if not ids:
        return []
    seats = db.session.scalars(
        sa.select(Seat)
        .options(joinedload(Seat.role), joinedload(Seat.province))
        .where(Seat.meeting_id == meeting_id, Seat.province_id.in_(ids))
    ).all()
    return sorted(seats, key=lambda s: (s.province_id, s.role.sort_order, s.role.code, s.id))


def hall_part(province_code: str | None, seats: list[Seat], ticked: set[int],
              present: dict[int, str]) -> dict:  # fmt: skip
    """One province's hall view: its seats, each with its attendee, tick and presence."""
    return {
        "province_code": province_code,
        "seats": [
            {
                "seat_id": seat.id,
                "role_code": seat.role.code,
                "role_title_th": seat.role.title_th,
                "role_title_en": seat.role.title_en,
                "name": seat.name,
                "ticked": seat.id in ticked,
                "present": present.get(seat.id),
            }
            for seat in seats
        ],
    }


def hall_parts(meeting_id: int, province_codes: Iterable[str], present: dict[int, str],
               ticked: set[int]) -> dict[str, dict]:  # fmt: skip
    """Province code -> its hall view, for these provinces (one query for their seats)."""
    codes = sorted(set(province_codes))
    if not codes:
        return {}
    ids = dict(db.session.execute(
        sa.select(Province.code, Province.id).where(Province.code.in_(codes))
    ).all())  # fmt: skip
    by_province: dict[int, list[Seat]] = {}
    for seat in province_seats(meeting_id, ids.values()):
        by_province.setdefault(seat.province_id, []).append(seat)
    return {code: hall_part(code, by_province.get(ids[code], []), ticked, present)
            for code in codes if code in ids}  # fmt: skip


def provinces_with_halls(meeting_id: int) -> set[str]:
    """The codes of the provinces whose hall has a link to this meeting not withdrawn (an expired one
    cannot join again, but may still be open): the halls a publication may have to tell."""
    return set(db.session.scalars(
        sa.select(Province.code).join(SiteLink, SiteLink.province_id == Province.id)
        .where(SiteLink.meeting_id == meeting_id, SiteLink.revoked_at.is_(None))
        .distinct()
    ))  # fmt: skip
