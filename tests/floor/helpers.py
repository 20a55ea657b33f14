"""Helpers shared by the floor tests."""

from __future__ import annotations

from tests.factories import events_of


def actor_for(seat, name: str | None = "ผู้เข้าร่วมทดสอบ"):
    from meetcore.actors import SeatActor

    return SeatActor(
        seat_id=seat.id, meeting_id=seat.meeting_id, attendee_name=name, attendee_position="ผู้แทน"
    )


def floor_events_of(sio) -> list[dict]:
    """The floor events a client received (others, e.g. the redacted seats.link_issued of a seat that
    joined after it, are dropped)."""
    return [event for event in events_of(sio) if event["kind"].startswith("floor.")]
