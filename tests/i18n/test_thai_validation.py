"""Every input schema (the forms, the API and the live commands share them) refused with bad input in a Thai
session answers in Thai (issue 15, item 6): no English word in any error text. MeetCore has no WTForms
forms; its HTML forms are loaded by these same schemas (meetcore.schemas.load_input)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask_babel import force_locale
from marshmallow import fields, validate

import meetcore
from meetcore.directory.models import REGIONS
from meetcore.errors import InvalidInput
from meetcore.schemas import InputSchema, load_input

# Words that are Thai usage themselves, or codes a Thai user types as they are.
ALLOWED = {"URL", "CSV", "XLSX", "JSON", "PDF", "DOCX", "ICS", "UUID", "SMTP", "e-mail"}
WORD = re.compile(r"[A-Za-z][A-Za-z_-]{2,}")
BAD_TEXT = "คำที่ไม่ถูกต้อง"


def _all_schemas() -> list[type]:
    for module in pkgutil.walk_packages(meetcore.__path__, "meetcore."):
        if not module.name.startswith(("meetcore.demo", "meetcore.__main__")):
            importlib.import_module(module.name)
    found, stack = [], [InputSchema]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            found.append(sub)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _bad_values(field: fields.Field) -> list:
    """Values this field must refuse: the wrong type, and beyond each of its validators' limits."""
    values: list = [{"ไม่ใช่": "ค่า"}]
    for validator in getattr(field, "validators", []):
        if isinstance(validator, validate.Range):
            values += [validator.min - 1] if validator.min is not None else []
            values += [validator.max + 1] if validator.max is not None else []
        elif isinstance(validator, validate.Length) and validator.max is not None:
            values.append("ก" * (validator.max + 1))
        elif isinstance(validator, validate.OneOf):
            values.append(BAD_TEXT)
    return values


def _inputs(schema) -> list[dict]:
    loaded = {name: field for name, field in schema.fields.items() if not field.dump_only}
    cases = [{}, {"no_such_field": 1}]
    for name, field in loaded.items():
        key = field.data_key or name
        cases += [{key: value} for value in _bad_values(field)]
    return cases


QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


def _english(text: str, choices: set[str]) -> list[str]:
    """English words of a message, but for quoted codes ("all", "TH-50") and the values a field accepts."""
    return [word for word in WORD.findall(QUOTED.sub("", text)) if word not in ALLOWED | choices]


SCHEMAS = _all_schemas()


def test_the_walk_finds_the_schemas_of_every_domain():
    modules = {cls.__module__.split(".")[1] for cls in SCHEMAS}
    assert {"agenda", "meetings", "seats", "actions", "polls", "invitations"} <= modules, modules


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_bad_input_is_refused_in_thai(app_ctx, schema_class):
    schema = schema_class()
    choices = set(REGIONS) | {str(c) for f in schema.fields.values() for v in getattr(f, "validators", [])
               if isinstance(v, validate.OneOf) for c in v.choices}  # fmt: skip
    english = []
    with app_ctx.test_request_context(headers={"Accept-Language": "th"}), force_locale("th"):
        for data in _inputs(schema):
            try:
                load_input(schema_class(), data)
            except InvalidInput as error:
                texts = [str(error.message), *(error.details or {}).get("fields", {}).values()]
                # The sender's own words (an unknown field's name) may come back; nothing else in English.
                echoed = choices | set(data)
                english += [(data, text) for text in texts if _english(str(text), echoed)]
    assert english == []
