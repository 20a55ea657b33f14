"""Live commands on the agenda: move to an item, mark items done."""

from __future__ import annotations

from marshmallow import fields, validate

from meetcore.agenda import services
from meetcore.eventlog.services import seq_after_commit
from meetcore.live.events import allowed_meeting_id, live_command
from meetcore.schemas import InputSchema


class ItemCommand(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    item_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class ItemStateCommand(ItemCommand):
    done = fields.Boolean(load_default=True)


@live_command("agenda.set_current", ItemCommand)
def set_current(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    services.set_current_item(meeting_id, values["item_id"], by=actor)
    return {"seq": seq_after_commit(meeting_id)}


@live_command("agenda.mark_done", ItemStateCommand)
def mark_done(actor, values: dict) -> dict:
    meeting_id = allowed_meeting_id(actor, values["meeting_id"])
    services.mark_item_done(meeting_id, values["item_id"], done=values["done"], by=actor)
    return {"seq": seq_after_commit(meeting_id)}
