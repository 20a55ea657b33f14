"""MeetCore: video-conference meeting management for government meeting secretariats."""

from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(overrides: dict | None = None) -> Flask:
    """The application factory: configuration, extensions, blueprints, error pages, CLI."""
    from meetcore import config, models  # noqa: F401  (models: every table registered before migrations)
    from meetcore.cli import register_cli
    from meetcore.extensions import api, babel, csrf, db, limiter, login_manager, migrate
    from meetcore.i18n.setup import init_i18n
    from meetcore.live.setup import init_live
    from meetcore.operations import init_operations
    from meetcore.signals import connect_receivers
    from meetcore.transaction import install as install_transaction
    from meetcore.transaction import install_http
    from meetcore.web import init_web

    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(config.INSTANCE_DIR),
    )
    app.config.from_mapping(config.from_environment())
    if overrides:
        app.config.update(overrides)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_i18n(app, babel)
    api.init_app(app)
    init_web(app)
    install_transaction()
    install_http(app)  # each request commits once or rolls back once (meetcore.transaction)
    init_live(app)
    init_operations(app)  # behind nginx, /metrics, structured logs (deploy/, docs/deploy.md)
    connect_receivers()
    register_cli(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
