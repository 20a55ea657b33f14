"""Input shapes of the floor's live commands (docs/protocol.md documents them from these)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from meetcore.floor.models import MAX_TIME_LIMIT, MIN_TIME_LIMIT
from meetcore.schemas import InputSchema, TrimmedString

NOTE_MAX = 300
LIMIT_SCOPES = ("turn", "default")


def _id(label, **kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1), metadata={"label": label}, **kwargs)


def _optional_id(label):
    return _id(label, load_default=None, allow_none=True)


def _time_limit(**kwargs):
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=MIN_TIME_LIMIT, max=MAX_TIME_LIMIT),
        metadata={
            "label": _l("Time limit (seconds)"),
            "description": f"seconds per turn, {MIN_TIME_LIMIT}..{MAX_TIME_LIMIT}; null: no limit",
        },
        **kwargs,
    )


class FloorCommand(InputSchema):
    meeting_id = _id(_l("Meeting"), required=True)


class RequestFloorInput(FloorCommand):
    """A seat asks for the floor for itself (seat_id may be left out); a provincial site for one of its
    province's seats; the staff for any seat."""

    seat_id = _optional_id(_l("Seat"))
    note = TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX),
        metadata={"label": _l("Note"), "description": "what the speaker wants to raise, optional"},
    )  # fmt: skip


class WithdrawFloorInput(FloorCommand):
    """A seat withdraws its open request (or yields the floor); a site and the staff name the request."""

    request_id = _optional_id(_l("Request"))


class GrantFloorInput(FloorCommand):
    """Give the floor to a request, to a seat (queued or not), or, naming neither, to the first in line.

    time_limit_seconds left out: the meeting's default limit; null: no limit.
    """

    request_id = _optional_id(_l("Request"))
    seat_id = _optional_id(_l("Seat"))
    time_limit_seconds = _time_limit()

    @validates_schema
    def _one_target(self, data, **kwargs):
        if data.get("request_id") is not None and data.get("seat_id") is not None:
            raise ValidationError(gettext("Give either a request or a seat, not both."), "request_id")


class RevokeFloorInput(FloorCommand):
    """End the current turn (no request_id) or take a named request off the queue or the floor."""

    request_id = _optional_id(_l("Request"))


class SetTimeLimitInput(FloorCommand):
    """scope "turn": the current speaker's turn (counted from when it was granted);
    scope "default": what the next grants get when the chair names no limit."""

    seconds = _time_limit(required=True)
    scope = fields.String(
        load_default="turn", validate=validate.OneOf(LIMIT_SCOPES), metadata={"label": _l("Applies to")}
    )
