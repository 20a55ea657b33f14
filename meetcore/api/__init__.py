"""/api/v1: bearer-token authentication, JSON bodies, and the registration of every domain's API."""

from __future__ import annotations

import json

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from meetcore.auth.services import user_for_api_token
from meetcore.errors import InvalidInput, Unauthenticated
from meetcore.extensions import csrf

API_PREFIX = "/api/v1"


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A /api/v1 blueprint whose every call needs ``Authorization: Bearer TOKEN``."""
    blp = Blueprint(name, import_name, url_prefix=API_PREFIX, description=description)
    blp.before_request(authenticate_request)
    csrf.exempt(blp)
    return blp


def authenticate_request() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise Unauthenticated()
    g.api_user = user


def api_user():
    return g.api_user


def json_body() -> dict:
    """The request's JSON object; malformed JSON or another type is a clear 422, never a crash."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(_l("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidInput(_l("The data must be a JSON object."))
    return data


def request_body(schema) -> dict:
    """OpenAPI description of a JSON body validated by ``schema`` in the service layer."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
