"""`meetcore seed`: the reference data (provinces, roles, agencies). Safe to run again."""

import click


@click.command("seed")
def seed_command() -> None:
    """Load or refresh the 77 provinces, the role catalogue and the agencies."""
    from meetcore.directory.reference import seed_reference_data

    counts = seed_reference_data()
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))
