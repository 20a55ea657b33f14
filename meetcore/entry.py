"""The `meetcore` console script. `meetcore run` serves with gevent, which must patch the standard
library before anything else imports it; every other command runs unpatched."""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        from gevent import monkey

        monkey.patch_all()
    from meetcore.cli import main as cli

    cli()
