"""Office documents made PDF on upload (issue 16, item 4): LibreOffice converts an uploaded Word file, the
PDF is kept beside it (and goes with it), the projector's URL serves it to the document's readers, and
the live state says which documents the projector can show. A file LibreOffice cannot read is kept all
the same, without a PDF."""

from __future__ import annotations

import io
import shutil

import pytest
import sqlalchemy as sa

from meetcore.agenda import services
from meetcore.agenda.models import AgendaDocument
from meetcore.agenda.tree import document_out
from meetcore.extensions import db

NO_OFFICE = "LibreOffice (Debian libreoffice-writer-nogui) is not installed"
pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason=NO_OFFICE)


@pytest.fixture(autouse=True)
def files_in_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def word_file(*paragraphs: str) -> bytes:
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def only_document(meeting) -> AgendaDocument:
    return db.session.scalars(sa.select(AgendaDocument).where(AgendaDocument.meeting_id == meeting.id)).one()


def upload(client, meeting, item, data: bytes, name: str):
    url = f"/meetings/{meeting.id}/agenda/items/{item.id}/documents"
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_word_file_gets_a_pdf_the_projector_shows(as_secretariat, meeting, users, files_in_tmp, client):
    item = services.add_item(meeting, {"title": "นโยบายเร่งด่วน"}, by=users["secretariat"])
    slides = word_file("นโยบาย ๙ เรื่องเร่งด่วน", "Social map")
    assert upload(as_secretariat, meeting, item, slides, "นโยบาย.docx").status_code == 302
    document = only_document(meeting)
    folder = files_in_tmp / "attachments" / "agenda"
    assert (folder / f"{document.storage_key}.pdf").read_bytes()[:5] == b"%PDF-"
    assert document_out(document)["pdf"] is True
    pdf = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:5] == b"%PDF-"
    assert "no-store" in pdf.headers["Cache-Control"]
    from flask import g

    g.pop("_login_user", None)  # the test's app context is shared: forget the secretariat's sign-in
    anonymous = client.application.test_client()
    assert anonymous.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf").status_code == 401
    # The original is still the Word file; removing the document removes both.
    original = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}")
    assert original.data[:2] == b"PK"
    removed = as_secretariat.post(f"/meetings/{meeting.id}/agenda/documents/{document.id}/remove")
    assert removed.status_code == 302
    assert list(folder.iterdir()) == []


def test_a_file_libreoffice_cannot_read_is_kept_without_a_pdf(as_secretariat, meeting, users, files_in_tmp):
    item = services.add_item(meeting, {"title": "เรื่องอื่น ๆ"}, by=users["secretariat"])
    broken = b"PK\x03\x04" + b"\x00" * 200  # a zip's first bytes, then nothing LibreOffice can read
    assert upload(as_secretariat, meeting, item, broken, "เสียหาย.docx").status_code == 302
    document = only_document(meeting)
    assert document_out(document)["pdf"] is False
    missing = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf")
    assert missing.status_code == 404
