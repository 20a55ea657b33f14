"""GET /healthz: is the database reachable, is its schema at the migrations' head, and is the message queue
(Redis) reachable?

The HTTP status is for liveness: 503 only when this process cannot serve (no database, an old schema). A
schema newer than this release knows (a revision not in its migrations/) is served: during a rolling upgrade
`meetcore db upgrade` runs first and the processes of the old release keep serving until their restart
(docs/deploy.md, "Upgrading during a meeting"); the body says `"ahead": true`. A
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


def _revisions() -> tuple[set[str], set[str], set[str]]:
    """(revisions the database is at, head revisions of migrations/, every revision of migrations/)."""
    config = current_app.extensions["migrate"].migrate.get_config()
    scripts = ScriptDirectory.from_config(config)
    heads = set(scripts.get_heads())
    known = {script.revision for script in scripts.walk_revisions()}
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, heads, known


def _schema_state() -> dict:
    current, heads, known = _revisions()
    # A revision this release does not know was written by a newer release's `meetcore db upgrade`.
    ahead = bool(current) and not (current & known)
    return {"at_head": current == heads, "ahead": ahead, "current": sorted(current), "head": sorted(heads)}


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
        body["schema"] = _schema_state()
    except Exception as error:  # a health check reports, it does not raise
        body["error"] = type(error).__name__
    schema = body["schema"]
    serving = body["database"]["reachable"] and (schema["at_head"] or schema.get("ahead", False))
    body["message_queue"] = message_queue_state()
    body["status"] = "ok" if serving and body["message_queue"]["reachable"] is not False else "degraded"
    return jsonify(body), 200 if serving else 503
