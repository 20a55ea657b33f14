"""Live commands of the floor, and its part of the snapshot. Thin: validate, call one service, acknowledge."""

from __future__ import annotations

from meetcore.eventlog.services import seq_after_commit
from meetcore.floor import services
from meetcore.floor.schemas import (
    GrantFloorInput,
    RequestFloorInput,
    RevokeFloorInput,
    SetTimeLimitInput,
    WithdrawFloorInput,
)
from meetcore.live.events import live_command, meeting_for
from meetcore.live.snapshot import snapshot_part


@snapshot_part("floor")
def floor_part(meeting, actor) -> dict:
    return services.floor_state(meeting.id)


def _ack(meeting_id: int, request) -> dict:
    return {"seq": seq_after_commit(meeting_id), "request_id": request.id}


@live_command("floor.request", RequestFloorInput)
def request(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    made = services.request_floor(meeting, seat_id=values["seat_id"], note=values["note"], by=actor)
    return _ack(values["meeting_id"], made)


@live_command("floor.withdraw", WithdrawFloorInput)
def withdraw(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    withdrawn = services.withdraw_floor(meeting, request_id=values["request_id"], by=actor)
    return _ack(values["meeting_id"], withdrawn)


@live_command("floor.grant", GrantFloorInput)
def grant(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    limit = values.get("time_limit_seconds", services.UNSET)
    granted = services.grant_floor(
        meeting,
        request_id=values["request_id"],
        seat_id=values["seat_id"],
        time_limit_seconds=limit,
        by=actor,
    )
    return _ack(values["meeting_id"], granted)


@live_command("floor.revoke", RevokeFloorInput)
def revoke(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    revoked = services.revoke_floor(meeting, request_id=values["request_id"], by=actor)
    return _ack(values["meeting_id"], revoked)


@live_command("floor.set_limit", SetTimeLimitInput)
def set_limit(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    services.set_time_limit(meeting, values["seconds"], scope=values["scope"], by=actor)
    return {"seq": seq_after_commit(values["meeting_id"])}
