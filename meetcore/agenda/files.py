"""Where the files of agenda documents are kept, and the PDF the projector shows of each (the document
itself, or the PDF made of an office file on upload: meetcore/agenda/conversion.py)."""

from __future__ import annotations

from pathlib import Path

from meetcore.agenda.conversion import pdf_path_of
from meetcore.agenda.models import AgendaDocument
from meetcore.storage import FileStore

STORE = FileStore(folder="agenda", max_mb_setting="MEETCORE_AGENDA_DOCUMENT_MAX_MB", field="file")


def pdf_of(document: AgendaDocument) -> Path | None:
    """The PDF the projector shows of a document: the document itself, or the PDF made of it after the
    upload, once the conversion worker has marked it ready."""
    path = STORE.path_of(document.storage_key)
    if document.content_type == "application/pdf":
        return path
    made = pdf_path_of(path)
    return made if document.pdf_state == "ready" and made.is_file() else None


def discard(key: str) -> None:
    """A stored file and the PDF made of it, if any."""
    STORE.discard(key)
    made = pdf_path_of(STORE.path_of(key))
    made.unlink(missing_ok=True)
    made.with_name(made.name + ".part").unlink(missing_ok=True)
