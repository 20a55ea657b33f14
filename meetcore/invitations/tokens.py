"""Tokens of RSVP pages and calendar feeds: ``<row id>.<HMAC>``, derived from the row's own random secret
and the application's SECRET_KEY.

Nothing that opens a page is stored: a copy of the database alone opens nothing, every message can carry the
same link again (a reminder, an update), and rotating the row's secret withdraws every link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

SECRET_BYTES = 16


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def _signature(purpose: str, row_id: int, secret: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key, f"{purpose}:{row_id}:{secret}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def make_token(purpose: str, row_id: int, secret: str) -> str:
    return f"{row_id}.{_signature(purpose, row_id, secret)}"


def token_row_id(token: str | None) -> int | None:
    """The row id a token names, or None when it cannot be one of ours (nothing is looked up)."""
    if not token or len(token) > 80 or "." not in token:
        return None
    head, _, _ = token.partition(".")
    return int(head) if head.isdigit() and len(head) < 12 else None


def token_matches(token: str, purpose: str, row_id: int, secret: str) -> bool:
    return hmac.compare_digest(token.encode(), make_token(purpose, row_id, secret).encode())
