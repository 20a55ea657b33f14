"""`meetcore sites ...` (provincial site links) and `meetcore attendance ...` (intervals and processes)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from meetcore.attendance import board, processes, sites
from meetcore.commands import as_system
from meetcore.errors import DomainError
from meetcore.extensions import db
from meetcore.meetings.models import Meeting

sites_cli = AppGroup("sites", help="Provincial site links: one screen in a provincial hall, several seats.")
attendance_cli = AppGroup("attendance", help="Attendance intervals and the connection log.")


def _cli_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise click.ClickException(_("Meeting %(id)s does not exist.", id=meeting_id))
    return meeting


@sites_cli.command("link")
@click.argument("meeting_id", type=int)
@click.argument("province_code")
@click.option("--expires", default=None, help="Expiry, ISO 8601 (default: the meeting's end + 12 hours).")
def site_link_command(meeting_id: int, province_code: str, expires: str | None) -> None:
    """Issue a roll-call link for PROVINCE_CODE's hall (e.g. TH-50) and print it (shown once)."""
    from meetcore.mail.message import public_url

    meeting = _cli_meeting(meeting_id)
    data = {"province_code": province_code, **({"expires_at": expires} if expires else {})}
    try:
        issued = sites.issue_site_link(meeting, data, by=as_system())
    except DomainError as error:  # the command rolls back (meetcore.transaction)
        raise click.ClickException(str(error.message)) from None
    click.echo(public_url("attendance.site", token=issued.token))


@sites_cli.command("revoke")
@click.argument("meeting_id", type=int)
@click.argument("province_code")
def site_revoke_command(meeting_id: int, province_code: str) -> None:
    """Withdraw every live roll-call link of PROVINCE_CODE's hall for the meeting."""
    meeting = _cli_meeting(meeting_id)
    try:
        count = sites.revoke_site_links(meeting, province_code, by=as_system())
    except DomainError as error:  # the command rolls back (meetcore.transaction)
        raise click.ClickException(str(error.message)) from None
    click.echo(f"{count} revoked")


@attendance_cli.command("sweep")
def sweep_command() -> None:
    """Close the intervals of app processes that stopped without closing them (e.g. after SIGKILL)."""
    as_system()
    result = processes.sweep_stale_connections()
    processes.close_finished_roll_calls()
    board.publish_all_owed()
    click.echo(f"{result.closed} intervals closed; {len(result.processes)} stopped processes forgotten")
