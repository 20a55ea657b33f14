"""Input shapes of invitations: the console's send form and the invitee's reply form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from meetcore.schemas import InputSchema, TrimmedString

ANSWERS = ("accept", "decline", "substitute")


class SendInvitationsInput(InputSchema):
    # The number of invitations the secretariat confirmed; refused when the roster changed meanwhile.
    expected = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0), metadata={"label": _l("Count")}
    )


class RsvpInput(InputSchema):
    answer = fields.String(required=True, validate=validate.OneOf(ANSWERS), metadata={"label": _l("Reply")})
    reason = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"label": _l("Reason for not attending")},
    )
    substitute_name = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"label": _l("Substitute's name")},
    )
    substitute_position = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=250),
        metadata={"label": _l("Substitute's position")},
    )
    substitute_email = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=254), validate.Email()],
        metadata={"label": _l("Substitute's e-mail")},
    )

    @validates_schema
    def _answer_needs(self, data, **kwargs):
        if data.get("answer") == "decline" and not data.get("reason"):
            raise ValidationError(_l("Give the reason why you cannot attend."), "reason")
        if data.get("answer") == "substitute" and not data.get("substitute_name"):
            raise ValidationError(
                _l("Give the name of the person who attends in your place."), "substitute_name"
            )


class FeedInput(InputSchema):
    email = TrimmedString(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=254), validate.Email()],
        metadata={"label": _l("E-mail")},
    )
    agency_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Agency")})

    @validates_schema
    def _one_subject(self, data, **kwargs):
        if bool(data.get("email")) == bool(data.get("agency_id")):
            raise ValidationError(_l("Give either an e-mail address or an agency."), "email")
