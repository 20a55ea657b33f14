"""`meetcore backup DIR` and `meetcore restore DIR` (meetcore.operations.backup)."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from meetcore.commands import fail
from meetcore.errors import DomainError


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Back up the database and the uploaded files into FOLDER (new or empty), with a manifest."""
    from meetcore.operations.backup import backup

    try:
        manifest = backup(folder)
    except DomainError as error:
        fail(error)
    click.echo(_("Backup written to %(folder)s: the database and %(count)s uploaded files.",
                 folder=str(folder), count=len(manifest["uploads"])))  # fmt: skip


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(folder: Path) -> None:
    """Restore the backup in FOLDER into this installation (its database must be empty)."""
    from meetcore.operations.backup import restore

    try:
        manifest = restore(folder)
    except DomainError as error:
        fail(error)
    click.echo(_("Restored from %(folder)s: the database and %(count)s uploaded files.",
                 folder=str(folder), count=len(manifest["uploads"])))  # fmt: skip
