"""Running MeetCore in production: behind a proxy (nginx), files sent by nginx, /metrics, structured logs,
backup and restore (deploy/, docs/deploy.md)."""

from __future__ import annotations

from flask import Flask


def init_operations(app: Flask) -> None:
    from meetcore.operations import accel, endpoint, logs

    logs.init_logs(app)
    # The personal-link pages send no Referer (Referrer-Policy: no-referrer keeps the link's token on this
    # page), and over HTTPS Flask-WTF would refuse every form without one: the CSRF token and SameSite
    # cookies protect the forms. Found by tests/deploy/test_stack.py: the identity check failed behind nginx.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    accel.init_proxy(app)
    accel.init_accel_redirect(app)
    endpoint.init_metrics(app)
