"""Structured logs: with MEETCORE_LOG_FORMAT=json every line is one JSON object carrying the id of the HTTP
request (nginx's X-Request-ID, else a new one) or of the live command it belongs to, so that one request's
or command's lines can be found together across processes. MEETCORE_LOG_LEVEL sets the least level."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_app_context, request

HANDLER_NAME = "meetcore.json"
REQUEST_ID_HEADER = "X-Request-ID"


def new_id() -> str:
    return secrets.token_hex(8)


def set_log_id(value: str) -> None:
    """The id the lines logged from now on in this request or live command carry."""
    g.log_id = value


def current_log_id() -> str | None:
    return g.get("log_id") if has_app_context() else None


def set_log_actor(name: str) -> None:
    """Who acts in this request, command or worker step when it is MeetCore itself (meetcore.actors): the
    lines logged from now on carry it as "actor"."""
    g.log_actor = name


def current_log_actor() -> str | None:
    return g.get("log_actor") if has_app_context() else None


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": os.getpid(),
        }
        log_id = current_log_id()
        if log_id:
            line["id"] = log_id
        actor = current_log_actor()
        if actor:
            line["actor"] = actor
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _install_json_handler(level: int) -> None:
    root = logging.getLogger()
    if any(handler.get_name() == HANDLER_NAME for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonLines())
    # Ours only: the other handlers (a test's, Flask's default) would print each line a second time.
    for other in list(root.handlers):
        root.removeHandler(other)
    root.addHandler(handler)
    root.setLevel(level)


def init_logs(app: Flask) -> None:
    level = logging.getLevelName(str(app.config.get("MEETCORE_LOG_LEVEL") or "INFO").upper())
    if not isinstance(level, int):
        level = logging.INFO
    if app.config.get("MEETCORE_LOG_FORMAT") == "json":
        _install_json_handler(level)
        app.logger.handlers.clear()  # Flask's own handler: the root's prints its lines
    logging.getLogger("meetcore").setLevel(level)
    app.logger.setLevel(level)

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        set_log_id(given[:64] if given.isalnum() else new_id())

    @app.after_request
    def _echo_request_id(response):
        log_id = current_log_id()
        if log_id:
            response.headers.setdefault(REQUEST_ID_HEADER, log_id)
        return response
