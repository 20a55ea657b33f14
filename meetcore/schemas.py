"""Shared pieces of the input schemas: strict loading and translated validation messages.

Every domain's schemas.py builds on these, so a form, an API call and a socket event that carry the
same data are validated by the same code and fail with the same translated message.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from meetcore.errors import InvalidInput
from meetcore.plaintext import has_control_characters

# marshmallow's own messages, listed so that pybabel extracts them into our catalogues.
MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Invalid value."),
    _l("Unknown field."),
    _l("Invalid input type."),
    _l("Not a valid string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Not a valid boolean."),
    _l("Not a valid datetime."),
    _l("Not a valid date."),
    _l("Not a valid time."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Not a valid email address."),
    _l("Not a valid URL."),
    _l("Shorter than minimum length {min}."),
    _l("Longer than maximum length {max}."),
    _l("Length must be between {min} and {max}."),
    _l("Must be greater than or equal to {min}."),
    _l("Must be less than or equal to {max}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
    _l("Must be one of: {choices}."),
    _l("Invalid input."),
)


# Every integer column is 32-bit on PostgreSQL (and a larger number is no id of ours anywhere).
INT_LIMIT = 2**31 - 1


class InputSchema(Schema):
    """Refuses unknown fields (a typo in a field name is an error, not silently ignored) and integers no
    database column could hold."""

    class Meta:
        unknown = RAISE

    @validates_schema
    def _text_has_no_control_characters(self, data, **kwargs):
        wrong = {
            name: [str(_l("This text contains invisible control characters: remove them and try again."))]
            for name, value in data.items()
            if name in self.fields and _control_characters_in(value)
        }
        if wrong:
            raise ValidationError(wrong)

    @validates_schema
    def _integers_fit_the_database(self, data, **kwargs):
        too_big = {
            name: [str(_l("Must be less than or equal to %(max)s.", max=INT_LIMIT))]
            for name, field in self.fields.items()
            if isinstance(field, fields.Integer)
            and isinstance(data.get(name), int)
            and abs(data[name]) > INT_LIMIT
        }
        if too_big:
            raise ValidationError(too_big)


def _control_characters_in(value) -> bool:
    if isinstance(value, str):
        return has_control_characters(value)
    if isinstance(value, dict):
        return any(_control_characters_in(item) for item in (*value.keys(), *value.values()))
    if isinstance(value, list | tuple):
        return any(_control_characters_in(item) for item in value)
    return False


class LocalDateTime(fields.DateTime):
    """ISO 8601 date-time; one without an offset is taken as wall-clock time in the configured zone."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Asia/Bangkok"
            parsed = parsed.replace(tzinfo=ZoneInfo(zone))
        return parsed


class TypedDate(fields.Field):
    """A date typed by a person, day/month/Buddhist-Era year ("12/01/2570"), or ISO from the API; read by
    meetcore.i18n.dates.parse_typed_date, the one reader of typed dates. An empty box is None."""

    def _deserialize(self, value, attr, data, **kwargs):
        from meetcore.i18n.dates import TypedDateError, parse_typed_date

        if isinstance(value, str) and not value.strip() and self.allow_none:
            return None
        if not isinstance(value, str):
            raise ValidationError(str(_l("Type the date as day/month/Buddhist-Era year, e.g. 12/01/2570.")))
        try:
            return parse_typed_date(value)
        except TypedDateError as error:
            raise ValidationError(str(error.message)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if value is not None else None


class TrimmedString(fields.String):
    """Strips surrounding white space; an empty string becomes None (a form's empty box)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text and not self.allow_none:
            raise self.make_error("required")
        return text or None

    def _validate(self, value):
        if value is not None:  # an emptied optional box has nothing to validate
            super()._validate(value)


def N_(message: str) -> str:
    """Marks a message for the catalogues without translating it (pybabel's default keyword)."""
    return message


# marshmallow fills in its messages before we see them ("Must be ... 0 and ... 1440."), so a message with
# values is translated through its template: the template is found by matching, its translation filled in
# with the same values. The one place where every validation message of every schema becomes Thai.
MARSHMALLOW_TEMPLATES = (
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be one of: {choices}."),
    N_("Must be equal to {other}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a datetime.'),
)
MARSHMALLOW_FIXED = (
    N_("Number too large."),
    N_("String does not match expected pattern."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid tuple."),
    N_("Not a valid UUID."),
    N_("Invalid type."),
)


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
                              for index, part in enumerate(parts)), re.S)  # fmt: skip


# The longest first: "... {min} and ... {max}." before "... {min}.", which would match it too.
_TEMPLATE_PATTERNS = tuple(
    (template, _pattern(template)) for template in sorted(MARSHMALLOW_TEMPLATES, key=len, reverse=True)
)


def _translate(message: str) -> str:
    translated = gettext(message)
    if translated != message:
        return translated
    for template, pattern in _TEMPLATE_PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return gettext(template).format(**found.groupdict())
    return translated


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        nested = [m for m in messages if not isinstance(m, str)]
        if texts:
            flat[prefix or "_schema"] = " ".join(_translate(m) for m in texts)
        for item in nested:
            flat.update(_flatten(item, prefix))
    else:
        flat[prefix or "_schema"] = _translate(str(messages))
    return flat


# Labels of the fields many commands share, for schemas that give none: no code name reaches a reader.
COMMON_LABELS = {
    "meeting_id": _l("Meeting"),
    "item_id": _l("Agenda item"),
    "last_seq": _l("Last event number"),
    "done": _l("Done"),
    "choices": _l("Choices"),
    "receipt": _l("Receipt"),
    "previous": _l("Previous vote"),
}


def field_label(schema: Schema | None, name: str) -> str:
    """The translated label a schema gives a field (metadata "label"), else the shared label of its name,
    else the name itself (an unknown field: the sender's own word)."""
    field = schema.fields.get(name.split(".")[0]) if schema is not None else None
    label = field.metadata.get("label") if field is not None else None
    label = label or COMMON_LABELS.get(name.split(".")[-1] if field is None else name.split(".")[0])
    return str(label) if label else name


def validation_error(error: ValidationError, schema: Schema | None = None) -> InvalidInput:
    """The InvalidInput for a marshmallow error, naming the first field and translating every message."""
    fields_messages = _flatten(error.messages)
    first_field, first_message = next(iter(fields_messages.items()))
    label = field_label(schema, first_field)
    message = _l("%(field)s: %(message)s", field=label, message=first_message)
    return InvalidInput(message, field=first_field, details={"fields": fields_messages})


def load_input(schema: Schema, data) -> dict:
    """Validate ``data`` with ``schema``; raise InvalidInput (translated, field named) when it is wrong."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(_l("The data must be a JSON object."))
    try:
        return schema.load(data)
    except ValidationError as error:
        raise validation_error(error, schema) from None
