"""`meetcore invites ...`: send a meeting's invitations, queue reminders, issue calendar feed addresses."""

from __future__ import annotations

import click

from meetcore.commands import acting_user, as_system, fail
from meetcore.errors import DomainError


@click.group("invites")
def invites_cli() -> None:
    """Calendar invitations by e-mail."""


@invites_cli.command("send")
@click.argument("meeting_id", type=int)
@click.option("--as", "acting", required=True, help="E-mail of the secretariat account that sends them.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def send_command(meeting_id: int, acting: str, yes: bool) -> None:
    """Put one invitation per seat not yet invited into the outbox (`meetcore mail send` delivers them)."""
    from meetcore.invitations.sending import send_invitations
    from meetcore.invitations.util import plan_invitations
    from meetcore.meetings.services import get_meeting

    user = acting_user(acting)
    try:
        meeting = get_meeting(meeting_id, by=user)
        plan = plan_invitations(meeting, by=user)
        click.echo(
            f"{meeting.title} {meeting.number_label}: {plan.count} seats to invite, {plan.invited} invited "
            f"already, {len(plan.without_email)} without an e-mail address"
        )
        if plan.count and not yes:
            click.confirm(f"Send {plan.count} invitations?", abort=True)
        result = send_invitations(meeting, {"expected": plan.count}, by=user)
    except DomainError as error:
        fail(error)
    click.echo(f"queued {result.sent} invitations (SEQUENCE {result.sequence})")


@invites_cli.command("remind")
def remind_command() -> None:
    """Queue the reminders that are due now (MEETCORE_REMINDERS); run it every few minutes, or use
    `meetcore mail send --loop`, which does it each round."""
    from meetcore.invitations.reminders import enqueue_reminders

    as_system()
    click.echo(f"queued {enqueue_reminders()} reminders")


@invites_cli.command("feed")
@click.option("--email", default=None, help="A person's address: their meetings.")
@click.option("--agency", "agency_id", type=int, default=None, help="An agency id: its seats' meetings.")
@click.option("--as", "acting", required=True, help="E-mail of the secretariat account.")
def feed_command(email: str | None, agency_id: int | None, acting: str) -> None:
    """Print the address of a calendar subscription feed (token-protected)."""
    from meetcore.invitations.feeds import issue_feed

    try:
        click.echo(issue_feed({"email": email, "agency_id": agency_id}, by=acting_user(acting)))
    except DomainError as error:
        fail(error)
