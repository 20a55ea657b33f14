"""The `meetcore` command: Flask's CLI group with every domain's commands."""

from __future__ import annotations

import gc

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command


def fail(error) -> None:
    """A domain error as the command's error: its translated message, exit status 1, nothing changed."""
    raise click.ClickException(str(error.message))


def acting_user(email: str):
    """The account a command acts as (`--as EMAIL`), refused clearly when there is none."""
    from meetcore.auth.services import user_by_email
    from meetcore.errors import DomainError

    try:
        return user_by_email(email)
    except DomainError as error:
        fail(error)


def _create_app():
    from meetcore import create_app

    return create_app()


@click.command("run")
@click.option("--host", default=None, help="Address to listen on (default MEETCORE_HOST).")
@click.option("--port", default=None, type=int, help="Port to listen on (default MEETCORE_PORT).")
def run_command(host: str | None, port: int | None) -> None:
    """Serve MeetCore: pages, API and the live meeting's Socket.IO, on one port."""
    from meetcore.extensions import socketio
    from meetcore.live import heap

    app = current_app._get_current_object()
    host = host or app.config["MEETCORE_HOST"]
    port = port or app.config["MEETCORE_PORT"]
    click.echo(f"MeetCore on http://{host}:{port}/ ({socketio.async_mode})", err=True)
    if app.config.get("MEETCORE_SMTP_HOST"):
        from meetcore.mail.sender import start_background_sender

        # One process (the demo, a small office): the outbox drains from here. Bigger set-ups run
        # `meetcore mail send --loop` beside the web processes instead.
        start_background_sender(app)
        click.echo(f"sending the outbox through {app.config['MEETCORE_SMTP_HOST']}", err=True)
    else:
        click.echo("no MEETCORE_SMTP_HOST: mail waits in the outbox", err=True)
    # Everything loaded at start-up lives for the process's life: keep it out of the collector's full
    # passes, which otherwise add ~100 ms pauses to big pages (docs/performance.md).
    gc.collect()
    gc.freeze()
    heap.enable()  # and the connections' objects as the rooms grow (meetcore.live.heap)
    options = {}
    if socketio.async_mode == "gevent":
        from meetcore.live.serving import NoDelayHandler

        options["handler_class"] = NoDelayHandler
    else:
        options["allow_unsafe_werkzeug"] = True
    socketio.run(app, host=host, port=port, use_reloader=False, log_output=False, **options)


@click.command("settings")
def settings_command() -> None:
    """Print every MEETCORE_ setting with its default, as a Markdown table."""
    from meetcore.config import SETTINGS

    click.echo("| setting | default | meaning |\n| --- | --- | --- |")
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default is not None else "(unset)"
        click.echo(f"| `MEETCORE_{setting.name}` | {default} | {setting.help} |")


def register_cli(app: Flask) -> None:
    from meetcore.auth.cli import tokens_cli, users_cli
    from meetcore.demo.cli import demo_data_command
    from meetcore.directory.cli import seed_command

    for command in (run_command, settings_command, seed_command, demo_data_command, users_cli, tokens_cli):
        app.cli.add_command(command)
    # invitations and mail (issue 5): `meetcore invites ...`, `meetcore mail ...`
    from meetcore.invitations.cli import invites_cli
    from meetcore.mail.cli import mail_cli

    app.cli.add_command(invites_cli)
    app.cli.add_command(mail_cli)
    # official minutes (issue 6): `meetcore minutes ...`
    from meetcore.reports.cli import minutes_cli

    app.cli.add_command(minutes_cli)
    # action follow-up (issue 6): `meetcore actions ...`
    from meetcore.actions.cli import actions_cli

    app.cli.add_command(actions_cli)
    # video (issue 4): `meetcore video ...`
    from meetcore.video.cli import video_cli

    app.cli.add_command(video_cli)


main = FlaskGroup(create_app=_create_app, add_default_commands=False, help="MeetCore administration.")
main.add_command(routes_command)
main.add_command(shell_command)

