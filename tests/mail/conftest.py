from __future__ import annotations

import pytest

from tests.mail.smtp_server import SmtpServer

MAIL_SETTINGS = (
    "MEETCORE_SMTP_HOST",
    "MEETCORE_SMTP_PORT",
    "MEETCORE_MAIL_IN_DOUBT",
    "MEETCORE_MAIL_CLAIM_TIMEOUT",
    "MEETCORE_MAIL_BATCH_SIZE",
    "MEETCORE_MAIL_MAX_ATTEMPTS",
    "MEETCORE_SMTP_USERNAME",
    "MEETCORE_SMTP_PASSWORD",
    "MEETCORE_REMINDERS",
)


@pytest.fixture()
def mail_config(app_ctx):
    """The application's mail settings, restored after the test."""
    saved = {name: app_ctx.config.get(name) for name in MAIL_SETTINGS}
    yield app_ctx.config
    app_ctx.config.update(saved)


@pytest.fixture()
def smtp(mail_config):
    """A real SMTP server on a free loopback port, and the application pointed at it."""
    with SmtpServer() as server:
        mail_config["MEETCORE_SMTP_HOST"] = "127.0.0.1"
        mail_config["MEETCORE_SMTP_PORT"] = server.port
        yield server.recorder
