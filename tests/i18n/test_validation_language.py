"""Every input schema (the forms, the API and the live commands share them) refused with bad input answers
in the session's language (issue 15, item 6): in Thai no English word in any error text, and in English no
Thai one but what the sender typed. MeetCore has no WTForms forms; its HTML forms are loaded by these same
schemas (meetcore.schemas.load_input)."""

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
THAI = re.compile(r"[\u0e00-\u0e7f]+")


def _english(text: str, choices: set[str]) -> list[str]:
    """English words of a message, but for quoted codes ("all", "TH-50") and the values a field accepts."""
    return [word for word in WORD.findall(QUOTED.sub("", text)) if word not in ALLOWED | choices]


def _thai(text: str, typed: set[str]) -> list[str]:
    """Thai words of a message, but for what the sender typed, echoed back (names and places are theirs)."""
    for value in sorted(typed, key=len, reverse=True):
        text = text.replace(value, " ")
    return THAI.findall(text)


def _typed(data) -> set[str]:
    """Every text the sender put in `data`: its keys and its values, however nested."""
    if isinstance(data, dict):
        return {str(key) for key in data} | {text for value in data.values() for text in _typed(value)}
    if isinstance(data, list | tuple):
        return {text for value in data for text in _typed(value)}
    return {data} if isinstance(data, str) else set()


def _choices(schema) -> set[str]:
    return {str(c) for f in schema.fields.values() for v in getattr(f, "validators", [])
            if isinstance(v, validate.OneOf) for c in v.choices}  # fmt: skip


def _refusals(app, schema_class, locale: str) -> list[tuple[dict, str]]:
    """(input, error text) for every bad input of the walk, loaded in a session in `locale`."""
    refused = []
    with app.test_request_context(headers={"Accept-Language": locale}), force_locale(locale):
        for data in _inputs(schema_class()):
            try:
                load_input(schema_class(), data)
            except InvalidInput as error:
                texts = [str(error.message), *(error.details or {}).get("fields", {}).values()]
                refused += [(data, str(text)) for text in texts]
    return refused


SCHEMAS = _all_schemas()
SCHEMA_IDS = [f"{cls.__module__}.{cls.__name__}" for cls in SCHEMAS]


def test_the_walk_finds_the_schemas_of_every_domain():
    modules = {cls.__module__.split(".")[1] for cls in SCHEMAS}
    assert {"agenda", "meetings", "seats", "actions", "polls", "invitations"} <= modules, modules


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=SCHEMA_IDS)
def test_bad_input_is_refused_in_thai(app_ctx, schema_class):
    choices = set(REGIONS) | _choices(schema_class())
    refusals = _refusals(app_ctx, schema_class, "th")
    assert refusals, "no input was refused: the walk would prove nothing"
    # The sender's own words (an unknown field's name) may come back; nothing else in English.
    english = [(data, text) for data, text in refusals if _english(text, choices | set(data))]
    assert english == []


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=SCHEMA_IDS)
def test_bad_input_is_refused_in_english(app_ctx, schema_class):
    refusals = _refusals(app_ctx, schema_class, "en")
    assert refusals, "no input was refused: the walk would prove nothing"
    # The walk's bad values are Thai, as a Thai user types them: an echo of one is the sender's, not ours.
    thai = [(data, text) for data, text in refusals if _thai(text, _typed(data))]
    assert thai == []
