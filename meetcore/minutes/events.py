"""Live commands of the minutes and decisions, and their parts of the meeting snapshot. Thin: validate,
call one service, acknowledge after commit."""

from __future__ import annotations

from flask import request

from meetcore.live.actors import SeatActor
from meetcore.live.events import live_command, meeting_for
from meetcore.live.snapshot import snapshot_part
from meetcore.minutes import services
from meetcore.minutes.schemas import (
    DecisionCommand,
    DecisionInput,
    DecisionUpdate,
    MinutesSyncInput,
    MinutesUpdateInput,
)


@live_command("minutes.update", MinutesUpdateInput)
def minutes_update(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    applied = services.apply_update(meeting.id, values["item_id"], values["update"], by=actor,
                                    origin=getattr(request, "sid", None))
    return {"seq": applied.seq, "item_id": values["item_id"]}


@live_command("minutes.sync", MinutesSyncInput)
def minutes_sync(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    return services.sync_block(meeting.id, values["item_id"], values["state_vector"], by=actor)


@live_command("decision.record", DecisionInput)
def decision_record(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    decision = services.record_decision(meeting.id, values["item_id"], values["text"], by=actor)
    return {"seq": meeting.last_seq, "decision_id": decision.id}


@live_command("decision.update", DecisionUpdate)
def decision_update(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    services.update_decision(meeting.id, values["decision_id"], values["text"], by=actor)
    return {"seq": meeting.last_seq}


@live_command("decision.delete", DecisionCommand)
def decision_delete(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    services.delete_decision(meeting.id, values["decision_id"], by=actor)
    return {"seq": meeting.last_seq}


@snapshot_part("minutes")
def minutes_snapshot(meeting, actor) -> list[dict]:
    return services.minutes_state(meeting.id, staff=not isinstance(actor, SeatActor))


@snapshot_part("decisions")
def decisions_snapshot(meeting, actor) -> list[dict]:
    return services.decisions_state(meeting.id, staff=not isinstance(actor, SeatActor))
