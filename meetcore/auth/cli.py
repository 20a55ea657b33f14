"""`meetcore users ...` and `meetcore tokens ...`."""

from __future__ import annotations

import click

from meetcore.auth import services
from meetcore.auth.models import USER_ROLES
from meetcore.commands import as_system, fail
from meetcore.errors import DomainError


@click.group("users")
def users_cli() -> None:
    """Accounts of the secretariat, chairs and administrators."""


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--name", "display_name", default=None, help="Name shown in the console.")
@click.option("--password", default=None, help="Password (asked for when not given).")
def create_user(email: str, role: str, display_name: str | None, password: str | None) -> None:
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, role=role, password=password, display_name=display_name)
    except DomainError as error:
        fail(error)
    click.echo(f"created {user.role} account {user.email}")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Deactivate an account: it can no longer sign in, and its sessions and live connections end now."""
    try:
        user = services.set_active(services.user_by_email(email), False, by=as_system())
    except DomainError as error:
        fail(error)
    click.echo(f"deactivated {user.email}")


@users_cli.command("activate")
@click.argument("email")
def activate_user(email: str) -> None:
    """Let a deactivated account sign in again."""
    try:
        user = services.set_active(services.user_by_email(email), True, by=as_system())
    except DomainError as error:
        fail(error)
    click.echo(f"activated {user.email}")


@click.group("tokens")
def tokens_cli() -> None:
    """API tokens."""


@tokens_cli.command("create")
@click.argument("email")
@click.option("--label", default=None)
def create_token(email: str, label: str | None) -> None:
    """Print a new API token for the account (shown once)."""
    try:
        user = services.user_by_email(email)
    except DomainError as error:
        fail(error)
    click.echo(services.create_api_token(user, label=label))


@tokens_cli.command("revoke")
@click.argument("email")
def revoke_tokens(email: str) -> None:
    """Withdraw every API token of the account; connections made with them close now."""
    try:
        count = services.revoke_api_tokens(services.user_by_email(email))
    except DomainError as error:
        fail(error)
    click.echo(f"revoked {count} tokens of {email}")
