"""The conversion worker: makes the PDF of each office document uploaded to an agenda (issue 16, item 4),
after the upload's commit and outside the meeting's lock, so that an upload answers at once and a slow
LibreOffice never holds up an agenda edit of a live meeting.

The recording worker's pattern (meetcore/video/recording_worker.py): an uploaded office file's row waits
with pdf_state "pending". A worker claims it with one conditional UPDATE (pending and unclaimed, or claimed
under a lease nobody renewed for MEETCORE_AGENDA_PDF_LEASE_SECONDS, longer than LibreOffice may run), so two
workers never convert the same document; the claim is committed before LibreOffice starts. A worker that
dies leaves the row claimed: the next worker takes it over when the lease runs out and converts it again; a
worker asked to stop (SIGTERM: a restart) gives its document back at once. The PDF is renamed into place
whole (meetcore/agenda/conversion.py), so converting twice leaves one file, and a worker that finds one made
by a worker that died after making it marks the document ready without running LibreOffice again.

Where it runs: the process that took the upload converts beside the request after the commit
(convert_later, below) unless MEETCORE_AGENDA_PDF_IN_APP=0, and `meetcore agenda convert --loop` runs it as
a service of its own (deploy/systemd/meetcore-conversions.service), which also takes over what a
restarted app process left unfinished.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from meetcore import signals
from meetcore.actors import SYSTEM_DOCUMENTS
from meetcore.agenda.conversion import convert_to_pdf, pdf_path_of
from meetcore.agenda.documents import record_pdf_outcome
from meetcore.agenda.files import STORE
from meetcore.agenda.models import AgendaDocument
from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.transaction import unit_of_work
from meetcore.workers import claim_first, drain, run_rounds

log = logging.getLogger(__name__)


def lease_seconds() -> float:
    """How long a claim holds; 0 is allowed (a test's worker that takes over at once)."""
    value = current_app.config.get("MEETCORE_AGENDA_PDF_LEASE_SECONDS")
    return float(300 if value is None else value)


def _claimable():
    stale = utcnow() - timedelta(seconds=lease_seconds())
    return sa.and_(
        AgendaDocument.pdf_state == "pending",
        sa.or_(AgendaDocument.pdf_claimed_by.is_(None), AgendaDocument.pdf_claimed_at <= stale),
    )


def claim_next(token: str, document_id: int | None = None) -> int | None:
    """One pending document claimed for this worker (committed at once), or None when nothing waits."""
    claim = {
        "pdf_claimed_by": token,
        "pdf_claimed_at": utcnow(),
        "pdf_attempts": AgendaDocument.pdf_attempts + 1,
    }
    only = None if document_id is None else AgendaDocument.id == document_id
    return claim_first(AgendaDocument, _claimable(), claim, only)


def _give_back(document_id: int, token: str) -> None:
    """The worker stops: its document waits for the next worker, unclaimed."""
    with unit_of_work():
        db.session.execute(
            sa.update(AgendaDocument)
            .where(AgendaDocument.id == document_id, AgendaDocument.pdf_claimed_by == token)
            .values(pdf_claimed_by=None, pdf_claimed_at=None)
        )


def _stored_path(document_id: int):
    with unit_of_work():
        document = db.session.get(AgendaDocument, document_id)
        return None if document is None else STORE.path_of(document.storage_key)


def convert_document(document_id: int, token: str, stop=None) -> bool:
    """Make the PDF of one claimed document and record the outcome; True when it is ready."""
    path = _stored_path(document_id)
    if path is None:  # removed since it was claimed
        return False
    made = pdf_path_of(path)
    if not made.is_file():  # one there was renamed into place whole: a worker that died had made it
        made = convert_to_pdf(path) if path.is_file() else None
    if made is None and stop is not None and stop.is_set():  # SIGTERM reached LibreOffice too
        log.info("agenda: the PDF of document %s is left to the next worker: this one stops", document_id)
        _give_back(document_id, token)
        return False
    with unit_of_work():
        recorded = record_pdf_outcome(document_id, token, made is not None, by=SYSTEM_DOCUMENTS)
    if not recorded and made is not None and _stored_path(document_id) is None:
        made.unlink(missing_ok=True)  # the document was removed meanwhile: its PDF goes with it
    return recorded and made is not None


def run_once(app: Flask, *, document_id: int | None = None, stop=None) -> int:
    """Convert every document waiting (or only this one); the number converted or failed."""
    return drain(app, lambda token: claim_next(token, document_id),
                 lambda claimed, token: convert_document(claimed, token, stop), stop)  # fmt: skip


def run_forever(app: Flask, *, interval: float | None = None, stop=None) -> None:
    """`meetcore agenda convert --loop`: a round every interval; a failing round is logged, not fatal."""
    interval = interval if interval is not None else float(app.config["MEETCORE_AGENDA_PDF_INTERVAL"])
    stop = stop or threading.Event()
    run_rounds(lambda: run_once(app, stop=stop), interval, "conversion worker", stop)


@signals.document_to_convert.connect
def _convert_uploaded(meeting, *, document_id: int, by) -> None:
    """After the upload's commit."""
    convert_later(document_id)


def convert_later(document_id: int) -> None:
    """After the upload's commit: LibreOffice runs beside the request (a greenlet, or a thread in threading
    mode), so the upload is acknowledged at once; unless MEETCORE_AGENDA_PDF_IN_APP=0, when only
    `meetcore agenda convert --loop` converts. Its round converts whatever else waits too: a document an
    app process left pending when it restarted."""
    from meetcore.extensions import socketio

    app = current_app._get_current_object()
    if not app.config.get("MEETCORE_AGENDA_PDF_IN_APP"):
        return

    def run() -> None:
        try:
            run_once(app)
        except Exception:  # noqa: BLE001  (logged; a background task has nobody else to tell)
            log.exception("agenda: converting document %s to PDF", document_id)

    socketio.start_background_task(run)
