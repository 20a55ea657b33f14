"""`meetcore actions ...`: queue due reminders, issue agency links, make accounts agencies' focal points."""

from __future__ import annotations

import click

from meetcore.commands import acting_user, as_system, fail
from meetcore.errors import DomainError


@click.group("actions")
def actions_cli() -> None:
    """Following action items up with the agencies."""


@actions_cli.command("remind")
def remind_command() -> None:
    """Queue the action reminders due today (MEETCORE_ACTION_REMINDER_DAYS before the due date, and once
    overdue); each is queued once. `meetcore mail send --loop` does this every round."""
    from meetcore.actions.reminders import enqueue_action_reminders

    as_system()
    click.echo(f"queued {enqueue_action_reminders()} action reminders")


@actions_cli.command("link")
@click.argument("agency_id", type=int)
@click.option("--label", default=None, help="What the link is for (shown in the console).")
@click.option("--days", type=int, default=None, help="Days it works (default MEETCORE_AGENCY_LINK_DAYS).")
@click.option("--as", "acting", required=True, help="E-mail of the secretariat account that issues it.")
def link_command(agency_id: int, label: str | None, days: int | None, acting: str) -> None:
    """Print a new link to an agency's action items (shown once; only its hash is kept)."""
    from meetcore.actions.access import get_agency
    from meetcore.actions.grants import issue_agency_link
    from meetcore.mail.message import public_url

    user = acting_user(acting)
    try:
        token = issue_agency_link(get_agency(agency_id), {"label": label, "days": days}, by=user)
    except DomainError as error:
        fail(error)
    click.echo(public_url("actions.link_home", token=token))


@actions_cli.command("focal-point")
@click.argument("agency_id", type=int)
@click.argument("email")
@click.option("--name", "display_name", default=None, help="Name of a new account.")
@click.option("--password", default=None, help="First password of a new account (asked for when needed).")
@click.option("--as", "acting", required=True, help="E-mail of the secretariat account.")
def focal_point_command(
    agency_id: int, email: str, display_name: str | None, password: str | None, acting: str
) -> None:
    """Make an account (new, or an existing participant account) report for an agency."""
    import sqlalchemy as sa

    from meetcore.actions.access import get_agency
    from meetcore.actions.grants import add_focal_point
    from meetcore.auth.models import User
    from meetcore.extensions import db

    user = acting_user(acting)
    exists = db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.strip().lower()))
    if exists is None and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        focal = add_focal_point(
            get_agency(agency_id),
            {"email": email, "display_name": display_name, "password": password},
            by=user,
        )
    except DomainError as error:
        fail(error)
    click.echo(f"{focal.user.email} reports for {focal.agency.name_th}")
