"""The `meetcore` command's groups: every domain's commands, registered on the application (create_app).
The shared helpers and the application's own commands are in meetcore.commands."""

from __future__ import annotations

from flask import Flask

from meetcore.commands import run_command, settings_command
from meetcore.transaction import transactional_cli


def register_cli(app: Flask) -> None:
    from meetcore.attendance.cli import attendance_cli, sites_cli
    from meetcore.auth.cli import tokens_cli, users_cli
    from meetcore.demo.cli import demo_data_command
    from meetcore.directory.cli import seed_command

    for command in (run_command, settings_command, seed_command, demo_data_command, users_cli, tokens_cli,
                    sites_cli, attendance_cli):  # fmt: skip
        app.cli.add_command(command)
    # invitations and mail (issue 5): `meetcore invites ...`, `meetcore mail ...`
    from meetcore.invitations.cli import invites_cli
    from meetcore.mail.cli import mail_cli

    app.cli.add_command(invites_cli)
    app.cli.add_command(mail_cli)
    # official minutes (issue 6): `meetcore minutes ...`
    from meetcore.reports.cli import minutes_cli

    app.cli.add_command(minutes_cli)
    # action follow-up (issue 6): `meetcore actions ...`
    from meetcore.actions.cli import actions_cli

    app.cli.add_command(actions_cli)
    # agenda documents made PDF (issue 16): `meetcore agenda convert`
    from meetcore.agenda.cli import agenda_cli

    app.cli.add_command(agenda_cli)
    # video (issue 4): `meetcore video ...`
    from meetcore.video.cli import video_cli

    app.cli.add_command(video_cli)
    # production (issue 18): `meetcore backup DIR`, `meetcore restore DIR`
    from meetcore.operations.cli import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    # Each of these commands commits once or rolls back once (issue 19, meetcore.transaction).
    # `run` serves: its requests and commands are the entry points. `db` is Flask-Migrate's.
    for name, command in app.cli.commands.items():
        if name not in ("run", "db"):
            transactional_cli(command)
