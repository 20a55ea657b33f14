"""Input and output shapes of the seat roster, shared by the console forms, the roster files and /api/v1."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from meetcore.auth.services import normalize_email
from meetcore.directory.models import REGIONS
from meetcore.directory.schemas import ProvinceOut, RoleOut
from meetcore.errors import InvalidInput
from meetcore.schemas import InputSchema, TrimmedString
from meetcore.seats.models import RSVP_STATES

ALL_PROVINCES = "all"


class EmailAddress(TrimmedString):
    """An e-mail address checked and normalised by the one rule of meetcore.auth (no DNS look-up)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        try:
            return normalize_email(text, field=attr or "email")
        except InvalidInput as error:
            raise ValidationError(str(error.message)) from None


class Code(TrimmedString):
    """A reference code (province ISO code, role code): trimmed; province codes are upper-cased."""

    def __init__(self, *args, upper: bool = False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is not None and self.upper:
            text = text.upper()
        return text


class ProvinceSelection(fields.Field):
    """Which provinces to seat: "all", a region name, or a list of ISO 3166-2:TH codes."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            choice = value.strip().lower()
            if choice == ALL_PROVINCES or choice in REGIONS:
                return choice
        elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            codes = [item.strip().upper() for item in value if item.strip()]
            if codes:
                return list(dict.fromkeys(codes))
            raise ValidationError(gettext("Choose at least one province."))
        raise ValidationError(
            gettext(
                "Give “all”, a region (%(regions)s) or a list of province codes.", regions=", ".join(REGIONS)
            )
        )


def _name_field(label, length: int):
    return TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=length), metadata={"label": label}
    )


def _email_field(label):
    return EmailAddress(
        load_default=None, allow_none=True, validate=validate.Length(max=254), metadata={"label": label}
    )


class AddSeatsInput(InputSchema):
    """Many seats in one step: the chosen provinces × provincial roles, plus central roles."""

    provinces = ProvinceSelection(
        load_default=None,
        allow_none=True,
        metadata={
            "label": _l("Provinces"),
            "description": '"all" (every province with provincial offices: all but Bangkok), a region name, '
            'or a list of ISO 3166-2:TH codes such as ["TH-50", "TH-10"]',
        },
    )
    roles = fields.List(
        Code(validate=validate.Length(max=40)),
        load_default=list,
        metadata={"label": _l("Provincial roles"), "description": "role codes of scope provincial"},
    )
    central_roles = fields.List(
        Code(validate=validate.Length(max=40)),
        load_default=list,
        metadata={"label": _l("Central roles"), "description": "role codes of scope central"},
    )


class SeatDetails(InputSchema):
    """The invitee of a seat and their substitute; every field optional."""

    name = _name_field(_l("Name"), 200)
    position = _name_field(_l("Position"), 250)
    email = _email_field(_l("E-mail"))
    substitute_name = _name_field(_l("Substitute's name"), 200)
    substitute_position = _name_field(_l("Substitute's position"), 250)
    substitute_email = _email_field(_l("Substitute's e-mail"))


class SeatInput(SeatDetails):
    """One seat: a province (none for a central seat) and a role, with its invitee."""

    province_code = Code(
        upper=True,
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=8),
        metadata={"label": _l("Province"), "description": "ISO 3166-2:TH code; empty for a central seat"},
    )
    role_code = Code(required=True, validate=validate.Length(max=40), metadata={"label": _l("Role")})


class SeatUpdate(SeatDetails):
    """Some fields of one seat (PATCH), including the reply the secretariat recorded."""

    rsvp = fields.String(validate=validate.OneOf(RSVP_STATES), metadata={"label": _l("Reply")})
    absence_reason = TrimmedString(
        allow_none=True, validate=validate.Length(max=2000), metadata={"label": _l("Reason for absence")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class RosterRow(SeatInput):
    """One row of a roster file (CSV or XLSX); the columns are the field names."""


class RosterQuery(Schema):
    q = fields.String(load_default=None, metadata={"description": "searches name, e-mail, province and role"})
    region = fields.String(
        load_default=None,
        validate=validate.OneOf((*REGIONS, "none")),
        metadata={"description": 'a region, or "none" for the central seats'},
    )
    role = fields.String(load_default=None, metadata={"description": "a role code"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class SeatOut(Schema):
    id = fields.Integer()
    meeting_id = fields.Integer()
    scope = fields.Function(lambda seat: "provincial" if seat.province_id is not None else "central")
    province = fields.Nested(ProvinceOut, allow_none=True)
    role = fields.Nested(RoleOut)
    name = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    substitute_name = fields.String(allow_none=True)
    substitute_position = fields.String(allow_none=True)
    substitute_email = fields.String(allow_none=True)
    rsvp = fields.String()
    absence_reason = fields.String(allow_none=True)


class SeatKeyOut(Schema):
    province_code = fields.Function(lambda key: key[0].code if key[0] is not None else None, allow_none=True)
    role_code = fields.Function(lambda key: key[1].code)


class AddSeatsOut(Schema):
    created = fields.List(fields.Nested(SeatOut))
    skipped = fields.List(fields.Nested(SeatKeyOut), metadata={"description": "seats that existed already"})


class TallyOut(Schema):
    seats = fields.Integer()
    present = fields.Integer()
    invited = fields.Integer()
    accepted = fields.Integer()
    declined = fields.Integer()
    substitute = fields.Integer()


class BoardCellOut(Schema):
    seat_id = fields.Function(lambda cell: cell.seat.id)
    role_code = fields.Function(lambda cell: cell.seat.role.code)
    name = fields.Function(lambda cell: cell.seat.name)
    status = fields.String()
    present = fields.Boolean()


class BoardRowOut(Schema):
    province = fields.Nested(ProvinceOut)
    cells = fields.List(fields.Nested(BoardCellOut, allow_none=True))
    totals = fields.Nested(TallyOut)


class BoardRegionOut(Schema):
    region = fields.String()
    rows = fields.List(fields.Nested(BoardRowOut))
    totals = fields.Nested(TallyOut)
    role_totals = fields.List(fields.Nested(TallyOut))


class BoardOut(Schema):
    roles = fields.List(fields.Nested(RoleOut), metadata={"description": "the columns, in order"})
    regions = fields.List(fields.Nested(BoardRegionOut))
    central = fields.List(fields.Nested(BoardCellOut))
    role_totals = fields.List(fields.Nested(TallyOut))
    provincial_totals = fields.Nested(TallyOut)
    central_totals = fields.Nested(TallyOut)
    totals = fields.Nested(TallyOut)
