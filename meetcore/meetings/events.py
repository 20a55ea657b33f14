"""Live commands on the meeting itself: start and end."""

from __future__ import annotations

from marshmallow import fields, validate

from meetcore.eventlog.services import seq_after_commit
from meetcore.live.events import live_command, meeting_for
from meetcore.meetings import services
from meetcore.schemas import InputSchema


class MeetingCommand(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class StartCommand(MeetingCommand):
    # "Yes, start it now" after the service asked about a start more than a day early.
    confirm_early = fields.Boolean(load_default=False)


@live_command("meeting.start", StartCommand)
def start(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    services.start_meeting(meeting, by=actor, confirm_early=values["confirm_early"])
    return {"seq": seq_after_commit(values["meeting_id"])}


@live_command("meeting.end", MeetingCommand)
def end(actor, values: dict) -> dict:
    services.end_meeting(meeting_for(actor, values["meeting_id"]), by=actor)
    return {"seq": seq_after_commit(values["meeting_id"])}
