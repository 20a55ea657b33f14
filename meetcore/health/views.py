"""GET /healthz: is the database reachable, and is its schema at the migrations' head?"""

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
    ok = body["database"]["reachable"] and body["schema"]["at_head"]
    body["status"] = "ok" if ok else "degraded"
    return jsonify(body), 200 if ok else 503
