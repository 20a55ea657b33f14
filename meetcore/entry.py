"""The `meetcore` console script. `meetcore run` serves with gevent, which must patch the standard
library before anything else imports it; every other command runs unpatched."""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        from gevent import monkey

        monkey.patch_all()
    from flask.cli import FlaskGroup, routes_command, shell_command

    from meetcore import create_app

    cli = FlaskGroup(create_app=create_app, add_default_commands=False, help="MeetCore administration.")
    cli.add_command(routes_command)
    cli.add_command(shell_command)
    cli()
