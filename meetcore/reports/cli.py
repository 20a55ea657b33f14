"""`meetcore minutes ...`: the official minutes as a file, and their circulation and certification."""

from __future__ import annotations

from pathlib import Path

import click

from meetcore.commands import acting_user, fail
from meetcore.errors import DomainError
from meetcore.reports.models import GROUPINGS


def _meeting(meeting_id: int):
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise click.ClickException(f"meeting {meeting_id} does not exist")
    return meeting


@click.group("minutes")
def minutes_cli() -> None:
    """The official minutes (รายงานการประชุม)."""


@minutes_cli.command("export")
@click.argument("meeting_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["pdf", "docx"]), required=True, help="File format.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="File to write ('-' for standard output).",
)
@click.option(
    "--group",
    "grouping",
    type=click.Choice(GROUPINGS),
    default=None,
    help="Group the attendance lists (default: as set for the meeting).",
)
def export_command(meeting_id: int, fmt: str, out: Path, grouping: str | None) -> None:
    """Write the meeting's official minutes as PDF or DOCX (any state: this is the server's operator)."""
    from meetcore.reports.content import build_document
    from meetcore.reports.documents import render_docx, render_pdf

    document = build_document(_meeting(meeting_id), grouping)
    data = render_pdf(document) if fmt == "pdf" else render_docx(document)
    if str(out) == "-":
        click.get_binary_stream("stdout").write(data)
        return
    _write_file(out, data)
    click.echo(f"wrote {out} ({len(data):,} bytes)", err=True)


def _write_file(out: Path, data: bytes) -> None:
    """The whole file or none (a full disk leaves no truncated file); a failure is one line, no traceback."""
    from meetcore.storage import disk_refusal, write_atomically

    try:
        write_atomically(out, data)
    except OSError as error:
        refusal = disk_refusal(error)
        reason = str(refusal.message) if refusal else (error.strerror or type(error).__name__)
        raise click.ClickException(f"{out}: {reason}") from None


@minutes_cli.command("circulate")
@click.argument("meeting_id", type=int)
@click.option("--as", "acting", required=True, help="E-mail of the secretariat account.")
def circulate_command(meeting_id: int, acting: str) -> None:
    """E-mail the minutes to the attendees for comment (through the outbox)."""
    from meetcore.reports.services import circulate

    try:
        result = circulate(_meeting(meeting_id), {}, by=acting_user(acting))
    except DomainError as error:
        fail(error)
    click.echo(f"queued {result.sent} e-mails")
