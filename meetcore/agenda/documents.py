"""Documents of agenda items: the only writers of AgendaDocument rows, and the one check of who may read them.

The secretariat files a document under an item until the meeting ends; everyone in the meeting reads it:
staff accounts, a seat (its personal link, or the identity it confirmed) and a provincial hall's screen
(whose site link opens only the document on the projector: meetcore.video.projector.open_pdf_for_hall).
Every change appends "agenda.documents" with the item's whole list, so a live page simply replaces it.

An office file is made PDF after the upload's commit, outside the meeting's lock, by the conversion worker
(meetcore/agenda/conversion_worker.py): LibreOffice can take minutes, and the meeting's lock guards every
agenda edit of a live meeting. Until then the document is "pending"; the worker's outcome (ready or
failed) appends "agenda.document_pdf", again with the item's whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore import signals, transaction
from meetcore.agenda.conversion import CONVERTIBLE
from meetcore.agenda.files import STORE, pdf_of
from meetcore.agenda.files import discard as _discard
from meetcore.agenda.models import AgendaDocument, AgendaItem
from meetcore.agenda.services import _load, _lock_for_editing
from meetcore.agenda.tree import document_out, item_documents, meeting_documents  # noqa: F401
from meetcore.auth.permissions import STAFF, require_editor, require_staff
from meetcore.database import utcnow
from meetcore.errors import InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting

TITLE_LIMIT = 300
PER_ITEM_LIMIT = 50


def _clean_title(title: str | None, filename: str) -> str:
    title = " ".join((title or "").split())
    if len(title) > TITLE_LIMIT:
        raise InvalidInput(_l("The title may have at most %(n)s characters.", n=TITLE_LIMIT), field="title")
    return title or filename.rpartition(".")[0] or filename


def _announce(item: AgendaItem, *, by, kind: str = "agenda.documents") -> None:
    """The item's whole list, as the event every live page applies (record_event locks the meeting row)."""
    documents = [document_out(d) for d in item_documents(item.id)]
    record_event(db.session.get(Meeting, item.meeting_id), kind,
                 {"item_id": item.id, "documents": documents}, by=by)  # fmt: skip


def add_document(item: AgendaItem, stream: BinaryIO, filename: str | None, title: str | None = None,
                 *, by) -> AgendaDocument:  # fmt: skip
    """File an uploaded document under an agenda item (secretariat; until the meeting ends)."""
    require_editor(by)
    _lock_for_editing(item.meeting_id)
    item = _load(item.id)
    if len(item_documents(item.id)) >= PER_ITEM_LIMIT:
        raise InvalidInput(
            _l("An agenda item can have at most %(n)s documents.", n=PER_ITEM_LIMIT), field="file"
        )
    stored = STORE.store(stream, filename)
    # The projector shows PDFs: an office file gets one beside it, made after the commit (see above).
    to_convert = stored.content_type in CONVERTIBLE
    try:
        document = AgendaDocument(
            meeting_id=item.meeting_id, agenda_item_id=item.id, title=_clean_title(title, stored.name),
            filename=stored.name, content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            storage_key=stored.key, position=len(item_documents(item.id)),
            uploaded_by_id=getattr(by, "id", None), pdf_state="pending" if to_convert else None,
        )  # fmt: skip
        db.session.add(document)
        db.session.flush()
        _announce(item, by=by)
    except BaseException:
        _discard(stored.key)  # nothing acknowledged, nothing kept
        raise
    transaction.on_rollback(_discard, stored.key)  # the entry point's commit failed or it refused
    if to_convert:  # the conversion worker reacts (meetcore/agenda/conversion_worker.py)
        meeting = db.session.get(Meeting, item.meeting_id)
        transaction.after_commit(signals.document_to_convert.send, meeting, document_id=document.id, by=by)
    return document


def record_pdf_outcome(document_id: int, token: str, made: bool, *, by) -> bool:
    """The conversion worker holding `token` made the document's PDF (`made`) or could not: the document
    becomes ready or failed and every live page is told. False (nothing changed) when the claim is no
    longer this worker's: the document was removed, or another worker took it over."""
    require_editor(by)
    changed = db.session.execute(
        sa.update(AgendaDocument)
        .where(AgendaDocument.id == document_id, AgendaDocument.pdf_claimed_by == token,
               AgendaDocument.pdf_state == "pending")
        .values(pdf_state="ready" if made else "failed", pdf_claimed_by=None, pdf_claimed_at=utcnow())
    ).rowcount  # fmt: skip
    if changed != 1:
        return False
    document = db.session.get(AgendaDocument, document_id, populate_existing=True)
    _announce(_load(document.agenda_item_id), by=by, kind="agenda.document_pdf")
    return True


def get_document(meeting_id: int, document_id: int) -> AgendaDocument:
    document = db.session.get(AgendaDocument, document_id)
    if document is None or document.meeting_id != meeting_id:
        raise NotFound(_l("Document %(id)s does not exist.", id=document_id))
    return document


def remove_document(document: AgendaDocument, *, by) -> None:
    """Take a document off its item (secretariat; until the meeting ends). The file goes after the commit."""
    require_editor(by)
    _lock_for_editing(document.meeting_id)
    document = get_document(document.meeting_id, document.id)
    item, key = _load(document.agenda_item_id), document.storage_key
    db.session.delete(document)
    db.session.flush()
    for position, other in enumerate(item_documents(item.id)):
        other.position = position
    _announce(item, by=by)
    db.session.flush()
    transaction.after_commit(_discard, key)


@dataclass
class ReadableDocument:
    document: AgendaDocument
    path: Path
    as_pdf: bool = False


def open_document(meeting_id: int, document_id: int, *, reader, as_pdf: bool = False) -> ReadableDocument:
    """The document and its file (`as_pdf`: its PDF, for the projector), for a reader of that meeting: a
    staff account, or a seat or provincial site of the meeting (a participant's account alone is not
    enough)."""
    if getattr(reader, "role", None) in ("seat", "site"):
        if reader.meeting_id != meeting_id:
            raise PermissionDenied(_l("This link belongs to another meeting."))
    elif getattr(reader, "role", None) not in STAFF:
        require_staff(reader)
    document = get_document(meeting_id, document_id)
    path = pdf_of(document) if as_pdf else STORE.path_of(document.storage_key)
    if path is None:
        raise NotFound(_l("This document has no PDF to show."))
    if not path.is_file():
        raise NotFound(_l("The file of this document is missing; ask the secretariat to upload it again."))
    return ReadableDocument(document=document, path=path, as_pdf=as_pdf)
