"""Input and output shapes of meetings, shared by the console forms and /api/v1."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from meetcore.meetings.models import MEETING_STATUSES
from meetcore.schemas import InputSchema, LocalDateTime, TrimmedString


class MeetingInput(InputSchema):
    series_name = TrimmedString(
        required=True, validate=validate.Length(max=300), metadata={"label": _l("Series")}
    )
    title = TrimmedString(required=True, validate=validate.Length(max=300), metadata={"label": _l("Title")})
    number = fields.Integer(
        required=True, validate=validate.Range(min=1, max=999), metadata={"label": _l("No.")}
    )
    year_be = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=2500, max=2700),
        metadata={"label": _l("Year (B.E.)")},
    )
    start_at = LocalDateTime(required=True, metadata={"label": _l("Starts")})
    end_at = LocalDateTime(required=True, metadata={"label": _l("Ends")})
    venue = TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=300), metadata={"label": _l("Venue")}
    )
    chair_name = TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={"label": _l("Chair")}
    )
    chair_position = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"label": _l("Chair's position")},
    )
    description = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20000),
        metadata={"label": _l("Description")},
    )
    video_conference = fields.Boolean(load_default=True, metadata={"label": _l("Video conference")})
    status = fields.String(
        load_default="draft",
        validate=validate.OneOf(("draft", "scheduled")),
        metadata={"label": _l("Status")},
    )
    # Set to say "yes, this date is meant" when the service asked (a date years away, a number's year
    # that is not the date's year): meetcore.errors.ConfirmationRequired.
    confirm_date = fields.Boolean(load_default=False, metadata={"label": _l("Confirm the date")})


class MeetingUpdate(MeetingInput):
    """Same fields as creation, every one optional (PATCH)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class MeetingQuery(Schema):
    q = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(MEETING_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


class MeetingOut(Schema):
    id = fields.Integer()
    series = fields.Function(lambda m: m.series.name)
    number = fields.Integer()
    year_be = fields.Integer()
    number_label = fields.String()
    title = fields.String()
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    venue = fields.String(allow_none=True)
    chair_name = fields.String(allow_none=True)
    chair_position = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    video_conference = fields.Boolean()
    status = fields.String()
    cancel_reason = fields.String(allow_none=True)
    last_seq = fields.Integer()


class CancelInput(InputSchema):
    reason = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"label": _l("Reason")},
    )
