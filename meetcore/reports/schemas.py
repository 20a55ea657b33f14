"""Input shapes of the official minutes' life: signatories, layout, circulation, certification, amendments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from meetcore.reports.models import GROUPINGS
from meetcore.schemas import InputSchema, LocalDateTime, TrimmedString


class MinutesDetailsInput(InputSchema):
    recorder_name = TrimmedString(
        allow_none=True, validate=validate.Length(max=200), metadata={"label": _l("Minutes taken by")}
    )
    recorder_position = TrimmedString(
        allow_none=True,
        validate=validate.Length(max=250),
        metadata={"label": _l("Position of the minute taker")},
    )
    reviewer_name = TrimmedString(
        allow_none=True, validate=validate.Length(max=200), metadata={"label": _l("Minutes checked by")}
    )
    reviewer_position = TrimmedString(
        allow_none=True, validate=validate.Length(max=250), metadata={"label": _l("Position of the checker")}
    )
    grouping = fields.String(
        validate=validate.OneOf(GROUPINGS), metadata={"label": _l("Group attendance by")}
    )
    other_attendees = TrimmedString(
        allow_none=True, validate=validate.Length(max=20_000), metadata={"label": _l("Other attendees")}
    )


class CirculateInput(InputSchema):
    comments_due = LocalDateTime(allow_none=True, load_default=None, metadata={"label": _l("Comments due")})
    message = TrimmedString(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=5000),
        metadata={"label": _l("Message")},
    )


class CertifyInput(InputSchema):
    # The next meeting's agenda item "รับรองรายงานการประชุม"; found by itself when not given.
    item_id = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"label": _l("Agenda item")},
    )


class AmendmentInput(InputSchema):
    text = TrimmedString(
        required=True, validate=validate.Length(min=1, max=20_000), metadata={"label": _l("Correction")}
    )
    item_id = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"label": _l("Agenda item")},
    )
