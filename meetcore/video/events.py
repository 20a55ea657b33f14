"""Live commands of the video, and its part of the snapshot. Thin: validate, call one service, acknowledge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from meetcore.eventlog.services import seq_after_commit
from meetcore.extensions import db
from meetcore.live.events import live_command, meeting_for
from meetcore.live.snapshot import snapshot_part
from meetcore.schemas import InputSchema
from meetcore.video import sessions


class ModerateInput(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                metadata={"label": _l("Meeting")})  # fmt: skip
    publisher_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                  metadata={"label": _l("Participant")})  # fmt: skip
    kind = fields.String(required=True, validate=validate.OneOf(sessions.MEDIA_KINDS),
                         metadata={"label": _l("Audio or video")})  # fmt: skip
    mids = fields.List(fields.String(validate=validate.Length(min=1, max=19)), required=True,
                       validate=validate.Length(min=1, max=8), metadata={"label": _l("Streams")})  # fmt: skip
    mute = fields.Boolean(load_default=True, metadata={"label": _l("Stop")})


@snapshot_part("video")
def video_part(meeting, actor) -> dict:
    return {"moderation": sessions.moderation_state(meeting.id)}


@live_command("video.moderate", ModerateInput)
def moderate(actor, values: dict) -> dict:
    """The chair (or the secretariat) mutes a publisher's audio or stops its video at Janus."""
    meeting = meeting_for(actor, values["meeting_id"])
    sessions.moderate(meeting, values["publisher_id"], values["kind"], values["mids"], mute=values["mute"],
                      by=actor)  # fmt: skip
    db.session.commit()  # the live wrapper does not commit on this branch yet (one transaction boundary)
    return {"seq": seq_after_commit(values["meeting_id"])}
