"""`meetcore demo-data`: the reference meeting and its successor, with demo accounts and links."""

from __future__ import annotations

import click

from meetcore.actors import SYSTEM_DEMO, act_as_system


@click.command("demo-data")
@click.option("--password", default="meetcore-demo", show_default=True, help="Password of the demo accounts.")
def demo_data_command(password: str) -> None:
    """Load the reference meeting (2 May 2560) and schedule the series' next meeting for today."""
    from meetcore.demo.accounts import ensure_demo_accounts, participant_links
    from meetcore.demo.reference_meeting import load_reference_meeting

    act_as_system(SYSTEM_DEMO)  # its log lines, as its events, say the demo wrote them
    result = load_reference_meeting()
    accounts = ensure_demo_accounts(password)
    click.echo(
        f"reference meeting: {result['meeting_id']}, next meeting: {result['next_meeting_id']}, "
        f"seats: {result['seats']}"
    )
    for account in accounts:
        click.echo(f"sign in as {account.role}: {account.email} / {password}")
    for label, url in participant_links(result["next_meeting_id"], count=3):
        click.echo(f"participant link ({label}): {url}")
