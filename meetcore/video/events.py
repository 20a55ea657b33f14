"""Live commands of the video, and its part of the snapshot. Thin: validate, call one service, acknowledge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from meetcore.eventlog.services import seq_after_commit
from meetcore.live.events import live_command, meeting_for
from meetcore.live.snapshot import snapshot_part
from meetcore.schemas import InputSchema
from meetcore.video import projector, quality, sessions


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


class ShowInput(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                metadata={"label": _l("Meeting")})  # fmt: skip
    document_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                 metadata={"label": _l("Document")})  # fmt: skip
    page = fields.Integer(load_default=1, strict=True, metadata={"label": _l("Page")})
    pages = fields.Integer(load_default=None, allow_none=True, strict=True, metadata={"label": _l("Pages")})


class TurnInput(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                metadata={"label": _l("Meeting")})  # fmt: skip
    page = fields.Integer(required=True, strict=True, metadata={"label": _l("Page")})


BITRATES = (0, 1_000_000_000)  # bit/s: up to a gigabit line
RTT_LIMIT_MS = 60_000


class QualityInput(InputSchema):
    """A page's line as its browser measured it (getStats): bounded figures, nothing that names a seat."""

    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                metadata={"label": _l("Meeting")})  # fmt: skip
    bitrate_in = fields.Integer(required=True, strict=True, validate=validate.Range(*BITRATES),
                                metadata={"label": _l("Bitrate received")})  # fmt: skip
    bitrate_out = fields.Integer(required=True, strict=True, validate=validate.Range(*BITRATES),
                                 metadata={"label": _l("Bitrate sent")})  # fmt: skip
    loss = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1),
                        metadata={"label": _l("Packet loss")})  # fmt: skip
    rtt_ms = fields.Integer(required=True, allow_none=True, strict=True,
                            validate=validate.Range(min=0, max=RTT_LIMIT_MS),
                            metadata={"label": _l("Round-trip time")})  # fmt: skip
    audio_only = fields.Boolean(required=True, metadata={"label": _l("Audio only")})


class StopInput(InputSchema):
    meeting_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                metadata={"label": _l("Meeting")})  # fmt: skip


@snapshot_part("projector")
def projector_part(meeting, actor) -> dict | None:
    return projector.projector_state(meeting.id)


def _acknowledged(meeting_id: int) -> dict:
    """The command's seq; the live wrapper commits before it answers (meetcore.live.events.acknowledged)."""
    return {"seq": seq_after_commit(meeting_id)}


@live_command("projector.show", ShowInput)
def show(actor, values: dict) -> dict:
    """The secretariat, the chair or the floor holder puts an agenda document on the projector."""
    meeting = meeting_for(actor, values["meeting_id"])
    projector.show_document(meeting, values["document_id"], page=values["page"], pages=values["pages"],
                            by=actor)  # fmt: skip
    return _acknowledged(meeting.id)


@live_command("projector.turn", TurnInput)
def turn(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    projector.turn_page(meeting, values["page"], by=actor)
    return _acknowledged(meeting.id)


@live_command("projector.stop", StopInput)
def stop(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    projector.stop_showing(meeting, by=actor)
    return _acknowledged(meeting.id)


@snapshot_part("quality")
def quality_part(meeting, actor) -> dict | None:
    """Each endpoint's line, for the staff's board (null for participants)."""
    return quality.quality_board(meeting, reader=actor)


@live_command("video.quality", QualityInput)
def report_quality(actor, values: dict) -> dict:
    """A page reports its own line every few seconds (rate-limited in the service)."""
    meeting = meeting_for(actor, values["meeting_id"])
    figures = {name: values[name] for name in ("bitrate_in", "bitrate_out", "loss", "rtt_ms", "audio_only")}
    return {"quality": quality.report_quality(meeting, figures, by=actor)}


@snapshot_part("video")
def video_part(meeting, actor) -> dict:
    return {"moderation": sessions.moderation_state(meeting.id)}


@live_command("video.moderate", ModerateInput, asks_janus=True)
def moderate(actor, values: dict) -> dict:
    """The chair (or the secretariat) mutes a publisher's audio or stops its video at Janus."""
    meeting = meeting_for(actor, values["meeting_id"])
    sessions.moderate(meeting, values["publisher_id"], values["kind"], values["mids"], mute=values["mute"],
                      by=actor)  # fmt: skip
    return _acknowledged(meeting.id)
