"""Input shapes of action items (ข้อสั่งการ), shared by the socket events and any form or API using them."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from meetcore.schemas import InputSchema, TrimmedString, TypedDate

PROVINCE_CODE = re.compile(r"^TH-\d{2}$")
ALL_PROVINCES = "all"


class ProvinceSelection(fields.Field):
    """"all", or a list of ISO 3166-2:TH codes ("TH-50"); duplicates are dropped, order kept."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == ALL_PROVINCES:
            return ALL_PROVINCES
        if not isinstance(value, list) or not value:
            raise ValidationError(str(_l('Give "all" or a list of province codes such as "TH-50".')))
        if len(value) > 100 or not all(isinstance(code, str) and PROVINCE_CODE.match(code) for code in value):
            raise ValidationError(str(_l('Province codes look like "TH-50".')))
        return list(dict.fromkeys(value))


class OwnerInput(InputSchema):
    """Who owns the action: one agency, or one provincial role across provinces ("every พมจ.")."""

    agency_id = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1),
                               metadata={"label": _l("Agency")})
    role_code = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                              metadata={"label": _l("Role")})
    provinces = ProvinceSelection(load_default=None, metadata={"label": _l("Provinces")})

    @validates_schema
    def _one_kind_of_owner(self, data, **kwargs):
        if (data.get("agency_id") is None) == (data.get("role_code") is None):
            raise ValidationError(str(_l("Give either an agency, or a role with its provinces.")),
                                  field_name="agency_id")
        if data.get("role_code") is not None and data.get("provinces") is None:
            raise ValidationError(str(_l('Say which provinces: "all" or a list of codes.')),
                                  field_name="provinces")
        if data.get("agency_id") is not None and data.get("provinces") is not None:
            raise ValidationError(str(_l("Provinces go with a role, not with an agency.")),
                                  field_name="provinces")


def _id(label) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                          metadata={"label": label})


class ActionFields(InputSchema):
    title = TrimmedString(required=True, validate=validate.Length(max=500), metadata={"label": _l("Title")})
    description = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=20000),
                                metadata={"label": _l("Description")})
    due_date = TypedDate(load_default=None, allow_none=True, metadata={"label": _l("Due date")})
    # Set to give a due date already past on purpose (the service refuses one otherwise).
    confirm_past_due = fields.Boolean(load_default=False, metadata={"label": _l("Confirm the past due date")})


class ActionInput(ActionFields):
    meeting_id = _id(_l("Meeting"))
    item_id = _id(_l("Agenda item"))
    owner = fields.Nested(OwnerInput, required=True, metadata={"label": _l("Owner")})


class ActionCommand(InputSchema):
    meeting_id = _id(_l("Meeting"))
    action_id = _id(_l("Action"))


class ActionUpdate(ActionCommand):
    """Some of title, description and due_date; the owners stay (cancel and create anew to change them)."""

    title = TrimmedString(validate=validate.Length(max=500), metadata={"label": _l("Title")})
    description = TrimmedString(allow_none=True, validate=validate.Length(max=20000),
                                metadata={"label": _l("Description")})
    due_date = TypedDate(allow_none=True, metadata={"label": _l("Due date")})
    confirm_past_due = fields.Boolean(load_default=False, metadata={"label": _l("Confirm the past due date")})

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not {"title", "description", "due_date"} & data.keys():
            raise ValidationError(str(_l("Give at least one of title, description and due date.")))


# --- following actions up (issue 6) -------------------------------------------------------------------------


class ProgressInput(InputSchema):
    """A progress report on one assignment: its new status, a note, and who reports (links only)."""

    status = fields.String(required=True, validate=validate.OneOf(("open", "in_progress", "done")),
                           metadata={"label": _l("Status")})
    note = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=5000),
                         metadata={"label": _l("Progress note")})
    reporter_name = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                  metadata={"label": _l("Your name")})


class FocalPointInput(InputSchema):
    """An account that reports for an agency: an existing participant account, or a new one."""

    email = TrimmedString(required=True, validate=validate.Length(min=3, max=254),
                          metadata={"label": _l("E-mail")})
    display_name = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                 metadata={"label": _l("Name")})
    password = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                             metadata={"label": _l("Password")})


class AgencyLinkInput(InputSchema):
    label = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=120),
                          metadata={"label": _l("Label")})
    days = fields.Integer(load_default=None, allow_none=True, strict=False,
                          validate=validate.Range(min=1, max=730), metadata={"label": _l("Valid for (days)")})
