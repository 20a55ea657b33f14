"""`meetcore mail ...`: deliver the outbox, and read calendar replies (listener or one message)."""

from __future__ import annotations

import sys
import threading

import click
from flask import current_app

from meetcore.commands import run_worker, stop_on_signals


@click.group("mail")
def mail_cli() -> None:
    """Outgoing mail (the outbox) and incoming calendar replies."""


@mail_cli.command("send")
@click.option(
    "--loop", is_flag=True, help="Keep running: reminders and delivery every MEETCORE_MAIL_SEND_INTERVAL s."
)
@click.option("--interval", type=float, default=None, help="Seconds between rounds with --loop.")
def send_command(loop: bool, interval: float | None) -> None:
    """Queue due reminders, then send every message that is due, one SMTP connection per batch. SIGTERM or
    Ctrl-C: the message in transfer is finished, the rest put back, and the command ends."""
    from meetcore.mail.sender import run_forever, run_once

    app = current_app._get_current_object()
    stop = stop_on_signals()
    if loop:
        run_worker("mail worker", run_forever, stop, interval=interval)
        return
    report = run_once(app, stop=stop)
    if report.skipped:
        raise click.ClickException(f"nothing sent: {report.skipped}; the mail stays in the outbox")
    click.echo(
        f"sent {report.sent}, deferred {report.deferred}, failed {report.failed} "
        f"({report.batches} batches, {report.connections} SMTP connections, {report.seconds:.2f} s)"
        + (f"; stopped, {report.put_back} put back in the queue" if stop.is_set() else "")
    )


@mail_cli.command("listen")
@click.option("--listen", "address", default=None, help="host:port (default MEETCORE_MAIL_REPLY_LISTEN).")
@click.option("--protocol", type=click.Choice(["lmtp", "smtp"]), default=None,
              help="Default MEETCORE_MAIL_REPLY_PROTOCOL.")  # fmt: skip
def listen_command(address: str | None, protocol: str | None) -> None:
    """Receive the organizer mailbox's mail over LMTP/SMTP and apply the calendar replies in it."""
    from meetcore.invitations.listener import ReplyListener, parse_listen

    app = current_app._get_current_object()
    try:
        host, port = parse_listen(address or app.config["MEETCORE_MAIL_REPLY_LISTEN"])
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    protocol = protocol or app.config["MEETCORE_MAIL_REPLY_PROTOCOL"]
    listener = ReplyListener(app, host, port, protocol=protocol)
    listener.start()
    click.echo(f"reading calendar replies over {protocol.upper()} on {host}:{port}; stop with Ctrl-C")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()


@mail_cli.command("ingest")
@click.argument("source", type=click.File("rb"), default="-")
def ingest_command(source) -> None:
    """Read one e-mail (a file, or - for a mail server's pipe) and apply its calendar replies."""
    from meetcore.invitations.replies import ingest_reply, max_reply_bytes
    from meetcore.invitations.reply_reasons import reason_text

    limit = max_reply_bytes()
    raw = source.read(limit + 1)
    if len(raw) > limit:  # refused unread (only the headers are kept for the log); the rest is not read
        result = ingest_reply(raw)
        click.echo(f"{result.replies[0].outcome}: {reason_text(result.replies[0])}", err=True)
        sys.exit(1)
    result = ingest_reply(raw)
    for reply in result.replies:
        answer = f"{reply.attendee or '-'} {reply.partstat or ''}"
        click.echo(f"{reply.outcome}: {answer} {reason_text(reply) or ''}".strip())
    if not result.applied:
        sys.exit(1 if any(r.outcome == "malformed" for r in result.replies) else 0)
