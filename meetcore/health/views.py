"""GET /healthz: is the database reachable, is its schema at the migrations' head, and is the message queue
(Redis) reachable?

The HTTP status is for liveness: 503 only when this process cannot serve (no database, an old schema). A
queue that is down leaves it at 200, since sign-in, links and commands still work (each process then counts
rate limits in memory and reaches only its own live clients); the body's "status" says "degraded" and
"message_queue" says why (docs/failure.md)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from meetcore.extensions import csrf, db

bp = Blueprint("health", __name__)
csrf.exempt(bp)


def schema_revisions() -> tuple[set[str], set[str]]:
    """(revisions the database is at, head revisions of migrations/)."""
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, heads


def _queue_client(app):
    """One Redis client per process for the check, with short timeouts: a frozen Redis must not hold the
    health check longer than any other Redis call."""
    import redis

    from meetcore.config import redis_timeouts

    client = app.extensions.get("meetcore.health_redis")
    if client is None:
        timeouts = redis_timeouts(app.config["MEETCORE_REDIS_TIMEOUT_MS"])
        client = redis.Redis.from_url(app.config["MEETCORE_REDIS_URL"], **timeouts)
        app.extensions["meetcore.health_redis"] = client
    return client


def message_queue_state() -> dict:
    """{"configured": is there a Redis queue at all, "reachable": does it answer PING (null without one)}."""
    import redis

    if not current_app.config.get("MEETCORE_REDIS_URL"):
        return {"configured": False, "reachable": None}
    try:
        reachable = bool(_queue_client(current_app).ping())
    except redis.RedisError:
        reachable = False
    return {"configured": True, "reachable": reachable}


@bp.get("/healthz")
def healthz():
    body: dict = {"database": {"reachable": False}, "schema": {"at_head": False}}
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        body["database"]["reachable"] = True
        current, heads = schema_revisions()
        body["schema"] = {"at_head": current == heads, "current": sorted(current), "head": sorted(heads)}
    except Exception as error:  # a health check reports, it does not raise
        body["error"] = type(error).__name__
    serving = body["database"]["reachable"] and body["schema"]["at_head"]
    body["message_queue"] = message_queue_state()
    body["status"] = "ok" if serving and body["message_queue"]["reachable"] is not False else "degraded"
    return jsonify(body), 200 if serving else 503
