"""`meetcore agenda ...`: the conversion worker that makes office documents PDF (issue 16, item 4)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from meetcore.commands import run_worker, stop_on_signals

agenda_cli = AppGroup("agenda", help="Agenda documents.")


@agenda_cli.command("convert")
@click.option("--loop", is_flag=True, help="Keep running: a round every MEETCORE_AGENDA_PDF_INTERVAL s.")
def convert(loop: bool) -> None:
    """Make the PDF of every office document waiting for one (the conversion worker). A conversion left
    unfinished by a worker that stopped is taken over once its lease runs out."""
    from meetcore.agenda.conversion_worker import run_forever, run_once

    stop = stop_on_signals()
    if loop:
        run_worker("conversion worker", run_forever, stop)
        return
    converted = run_once(current_app._get_current_object(), stop=stop)
    stopped = "; asked to stop: the document in progress waits for the next worker" if stop.is_set() else ""
    click.echo(f"{converted} document(s) taken up{stopped}")
