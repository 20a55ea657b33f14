"""Live commands on action items, and the meeting snapshot's "actions" part. Thin: validate, call one
service, acknowledge after commit."""

from __future__ import annotations

from meetcore.actions import services
from meetcore.actions.schemas import ActionCommand, ActionInput, ActionUpdate
from meetcore.actors import SeatActor
from meetcore.eventlog.services import seq_after_commit
from meetcore.live.events import allowed_meeting_id, live_command
from meetcore.live.snapshot import snapshot_part


@live_command("action.create", ActionInput)
def action_create(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    action = services.create_action(meeting_id, values, by=actor)
    seq = seq_after_commit(meeting_id)  # first: reading the action after the commit begins a transaction
    return {"seq": seq, "action_id": action.id, "assignments": len(action.assignments)}


@live_command("action.update", ActionUpdate)
def action_update(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    services.update_action(meeting_id, values["action_id"], values, by=actor)
    return {"seq": seq_after_commit(meeting_id)}


@live_command("action.cancel", ActionCommand)
def action_cancel(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    services.cancel_action(meeting_id, values["action_id"], by=actor)
    return {"seq": seq_after_commit(meeting_id)}


def _actions_common(meeting) -> dict:
    """What every participant's actions part is cut from: the meeting's actions by agency, and each seat's
    agency (a seat added since is looked up on its own)."""
    return {
        "by_agency": services.actions_by_agency(meeting.id),
        "agencies": services.agencies_of_seats(meeting.id),
    }


@snapshot_part("actions", personal=True, common=_actions_common)
def actions_snapshot(meeting, actor, common: dict | None = None) -> dict:
    """{"agency_id": the reader's agency (participants; null for staff), "items": [...]}: staff see every
    action; a participant those owned by its seat's agency, with that agency's assignment only (cut from
    `common`, the meeting's actions by agency and its seats' agencies read once per seq, when given)."""
    if isinstance(actor, SeatActor):
        if common is None:
            agency_id = services.agency_of_seat(actor.seat_id)
            items = services.actions_state(meeting.id, agency_id=agency_id, staff=False)
            return {"agency_id": agency_id, "items": items}
        agencies = common["agencies"]
        seat_id = actor.seat_id
        agency_id = agencies[seat_id] if seat_id in agencies else services.agency_of_seat(seat_id)
        items = common["by_agency"].get(agency_id, []) if agency_id is not None else []
        return {"agency_id": agency_id, "items": items}
    return {"agency_id": None, "items": services.actions_state(meeting.id)}
