"""Running MeetCore in production: behind a proxy (nginx), files sent by nginx, /metrics, structured logs,
backup and restore (deploy/, docs/deploy.md)."""

from __future__ import annotations

from flask import Flask


def init_operations(app: Flask) -> None:
    from meetcore.operations import accel, endpoint, logs

    logs.init_logs(app)
    accel.init_proxy(app)
    accel.init_accel_redirect(app)
    endpoint.init_metrics(app)
