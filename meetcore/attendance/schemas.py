"""Input shapes of getting in and of the roll call, shared by the pages, /api/v1, the CLI and the live
command (docs/protocol.md documents site.roll_call from RollCallInput)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from meetcore.schemas import InputSchema, LocalDateTime, TrimmedString

ATTENDING_CHOICES = ("self", "substitute")
NAME_MAX = 200
POSITION_MAX = 250
CODE_LENGTH = 6
MAX_ID = 2**31 - 1  # the database's integer: a larger id is bad input, not a database error


class StrictBoolean(fields.Boolean):
    """JSON true or false only (not 1, "yes" or "on"): a socket payload says what it means."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _id(label, **kwargs):
    return fields.Integer(
        strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={"label": label}, **kwargs
    )


class IdentityInput(InputSchema):
    """Who is joining through a seat's link: the invitee in person, or a substitute (ผู้แทน)."""

    attending = fields.String(
        required=True,
        validate=validate.OneOf(ATTENDING_CHOICES),
        metadata={"label": _l("Attending"), "description": "self, or substitute for the invitee"},
    )
    attendee_name = TrimmedString(
        required=True, validate=validate.Length(max=NAME_MAX), metadata={"label": _l("Your name")}
    )
    attendee_position = TrimmedString(
        required=True, validate=validate.Length(max=POSITION_MAX), metadata={"label": _l("Your position")}
    )


class CodeInput(InputSchema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{6}$", error=_l("Enter the six digits of the code.")),
        metadata={"label": _l("Code")},
    )


class RollCallInput(InputSchema):
    """site.roll_call: tick (present true) or untick (false) one seat of the site's province."""

    meeting_id = _id(_l("Meeting"), required=True)
    seat_id = _id(_l("Seat"), required=True)
    present = StrictBoolean(required=True, metadata={"label": _l("In the room")})


class RollCallFormInput(InputSchema):
    """The site page's form: the seats ticked (every other seat of the province is unticked)."""

    present = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)), load_default=list,
                          metadata={"label": _l("In the room")})  # fmt: skip


class SiteLinkInput(InputSchema):
    province_code = TrimmedString(
        required=True, validate=validate.Length(max=8), metadata={"label": _l("Province")}
    )
    expires_at = LocalDateTime(
        load_default=None, allow_none=True, metadata={"label": _l("Expires"),
                                                      "description": "default: the meeting's end + 12 hours"}
    )  # fmt: skip


class AttendanceSettingsInput(InputSchema):
    requires_identity_code = StrictBoolean(
        required=True, metadata={"label": _l("Ask for a one-time code e-mailed to the seat")}
    )
