"""Input and output shapes of agenda items, shared by the console's forms and /api/v1."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, pre_dump, validate

from meetcore.agenda.models import ITEM_STATES
from meetcore.schemas import InputSchema, TrimmedString

MAX_DURATION_MINUTES = 24 * 60


class WholeNumber(fields.Integer):
    """An integer, given as a number or as the digits of a form's box; 2.5 is refused, not cut to 2."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class AgendaItemInput(InputSchema):
    title = TrimmedString(required=True, validate=validate.Length(max=500), metadata={"label": _l("Title")})
    description = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=20000),
                                metadata={"label": _l("Description")})
    presenter = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=300),
                              metadata={"label": _l("Presenter")})
    duration_minutes = WholeNumber(
        load_default=None, allow_none=True,
        validate=validate.Range(min=0, max=MAX_DURATION_MINUTES),
        metadata={"label": _l("Duration (minutes)")},
    )
    parent_id = WholeNumber(load_default=None, allow_none=True, metadata={"label": _l("Under")})


class AgendaItemUpdate(AgendaItemInput):
    """Same fields as adding, every one optional (PATCH); a parent_id given moves the item there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class MoveInput(InputSchema):
    """Where to put an item: under parent_id (null: top level) at position (0-based; default: last)."""

    parent_id = WholeNumber(allow_none=True, metadata={"label": _l("Under")})
    position = WholeNumber(
        allow_none=True, validate=validate.Range(min=0), metadata={"label": _l("Position")}
    )


class AgendaItemOut(Schema):
    """One agenda item with its number ("5.1") and, nested, its sub-items.

    Dumps the nodes of meetcore.agenda.services.agenda_tree: {"item", "number", "children"}.
    """

    id = fields.Integer()
    meeting_id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    position = fields.Integer()
    number = fields.String(metadata={"description": "the item's number on the agenda, e.g. 5.1"})
    section = fields.Integer(allow_none=True,
                             metadata={"description": "which Thai standard section (1-6) this item is"})
    title = fields.String()
    description = fields.String(allow_none=True)
    presenter = fields.String(allow_none=True)
    duration_minutes = fields.Integer(allow_none=True)
    state = fields.String(metadata={"enum": list(ITEM_STATES)})
    children = fields.List(fields.Nested(lambda: AgendaItemOut()))

    @pre_dump
    def _flatten_node(self, node, **kwargs):
        item = node["item"]
        return {
            "id": item.id,
            "meeting_id": item.meeting_id,
            "parent_id": item.parent_id,
            "position": item.position,
            "number": node["number"],
            "section": item.section,
            "title": item.title,
            "description": item.description,
            "presenter": item.presenter,
            "duration_minutes": item.duration_minutes,
            "state": item.state,
            "children": node["children"],
        }
