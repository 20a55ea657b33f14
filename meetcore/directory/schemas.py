"""Output shapes of the reference data."""

from marshmallow import Schema, fields, validate

from meetcore.directory.models import REGIONS


class ProvinceOut(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "ISO 3166-2:TH code"})
    name_th = fields.String()
    name_en = fields.String()
    region = fields.String()


class RoleOut(Schema):
    id = fields.Integer()
    code = fields.String()
    title_th = fields.String()
    title_en = fields.String()
    short_th = fields.String(allow_none=True)
    short_en = fields.String(allow_none=True)
    scope = fields.String()


class ProvinceQuery(Schema):
    region = fields.String(load_default=None, validate=validate.OneOf(REGIONS))
    lang = fields.String(load_default="th", validate=validate.OneOf(("th", "en")))


class RoleQuery(Schema):
    scope = fields.String(load_default=None, validate=validate.OneOf(("provincial", "central")))
