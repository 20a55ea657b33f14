"""Helpers shared by the floor tests."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db


def seat_at(meeting, province_code: str, role_code: str):
    from meetcore.directory.models import Province, Role
    from meetcore.seats.models import Seat

    return db.session.scalars(
        sa.select(Seat)
        .join(Role, Seat.role_id == Role.id)
        .join(Province, Seat.province_id == Province.id)
        .where(Seat.meeting_id == meeting.id, Role.code == role_code, Province.code == province_code)
    ).one()


def actor_for(seat, name: str | None = "ผู้เข้าร่วมทดสอบ"):
    from meetcore.actors import SeatActor

    return SeatActor(
        seat_id=seat.id, meeting_id=seat.meeting_id, attendee_name=name, attendee_position="ผู้แทน"
    )


def events_of(sio) -> list[dict]:
    return [packet["args"][0] for packet in sio.get_received() if packet["name"] == "event"]


def floor_events_of(sio) -> list[dict]:
    """The floor events a client received (others, e.g. the redacted seats.link_issued of a seat that
    joined after it, are dropped)."""
    return [event for event in events_of(sio) if event["kind"].startswith("floor.")]
