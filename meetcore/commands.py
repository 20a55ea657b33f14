"""What every command line of MeetCore shares: turning a domain error into the command's error, the
acting account, and the commands of the whole application (`run`, `settings`). Below every package's
`cli.py`, so that none of them imports `meetcore.cli`, which registers them."""

from __future__ import annotations

import gc
import logging
import signal
from collections.abc import Callable

import click
from flask import current_app

from meetcore.actors import SYSTEM_CLI, SystemActor, act_as_system
from meetcore.workers import StopRequest

log = logging.getLogger(__name__)


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


def as_system() -> SystemActor:
    """The command acts as MeetCore itself (system:cli, an administrator's rights): every line it logs
    names it, starting with this one."""
    actor = act_as_system(SYSTEM_CLI)
    context = click.get_current_context(silent=True)
    log.info("%s runs `%s`", actor.name, context.command_path if context else "a command")
    return actor


def stop_on_signals() -> StopRequest:
    """The stop of a worker command: SIGTERM (an ordinary service stop) and Ctrl-C set it, and the worker
    finishes the item in hand and leaves the rest for the next worker. A second one stops it at once (its
    claims are then taken over when their leases run out)."""
    stop = StopRequest()

    def handle(signum, _frame) -> None:
        stop.set()  # only this: the handler interrupts the main thread anywhere
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)
    return stop


def run_worker(name: str, run_forever: Callable[..., object], stop: StopRequest, **options) -> None:
    """`--loop`: the worker's rounds until a signal stops it, said on the way in and out."""
    click.echo(f"{name} running; stop with Ctrl-C or SIGTERM")
    try:
        run_forever(current_app._get_current_object(), stop=stop, **options)
    except KeyboardInterrupt:  # a second Ctrl-C
        pass
    click.echo(f"{name} stopped")


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
    from meetcore.video.watch import start_janus_watch

    if start_janus_watch(app):  # a restarted Janus gets its rooms back without waiting for a page
        click.echo("watching the Janus servers", err=True)
    # Everything loaded at start-up lives for the process's life: keep it out of the collector's full
    # passes, which otherwise add ~100 ms pauses to big pages (docs/performance.md).
    gc.collect()
    gc.freeze()
    heap.enable()  # and the connections' objects as the rooms grow (meetcore.live.heap)
    options = {}
    if socketio.async_mode == "gevent":
        from meetcore.live.serving import NoDelayHandler, stop_on_sigterm

        options["handler_class"] = NoDelayHandler
        stop_on_sigterm(app)
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
