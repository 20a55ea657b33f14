"""Live commands of the minutes and decisions, and their parts of the meeting snapshot. Thin: validate,
call one service, acknowledge after commit."""

from __future__ import annotations

from flask import request

from meetcore.actors import SeatActor
from meetcore.eventlog.services import seq_after_commit
from meetcore.live.events import allowed_meeting_id, live_command
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
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    applied = services.apply_update(meeting_id, values["item_id"], values["update"], by=actor,
                                    origin=getattr(request, "sid", None))
    return {"seq": applied.seq, "item_id": values["item_id"]}


@live_command("minutes.sync", MinutesSyncInput, changes=False)
def minutes_sync(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    return services.sync_block(meeting_id, values["item_id"], values["state_vector"], by=actor)


@live_command("decision.record", DecisionInput)
def decision_record(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    decision = services.record_decision(meeting_id, values["item_id"], values["text"], by=actor)
    return {"seq": seq_after_commit(meeting_id), "decision_id": decision.id}


@live_command("decision.update", DecisionUpdate)
def decision_update(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    services.update_decision(meeting_id, values["decision_id"], values["text"], by=actor)
    return {"seq": seq_after_commit(meeting_id)}


@live_command("decision.delete", DecisionCommand)
def decision_delete(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    services.delete_decision(meeting_id, values["decision_id"], by=actor)
    return {"seq": seq_after_commit(meeting_id)}


@snapshot_part("minutes")
def minutes_snapshot(meeting, actor) -> list[dict]:
    return services.minutes_state(meeting.id)


@snapshot_part("decisions")
def decisions_snapshot(meeting, actor) -> list[dict]:
    return services.decisions_state(meeting.id, staff=not isinstance(actor, SeatActor))
