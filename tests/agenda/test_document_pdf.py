"""Office documents made PDF on upload (issue 16, item 4): LibreOffice converts an uploaded Word file, the
PDF is kept beside it (and goes with it), the projector's URL serves it to the document's readers, and
the live state says which documents the projector can show. A file LibreOffice cannot read is kept all
the same, without a PDF."""

from __future__ import annotations

import io
import shutil

import pytest
import sqlalchemy as sa

from meetcore.agenda import conversion_worker, services
from meetcore.agenda.models import AgendaDocument
from meetcore.agenda.tree import document_out
from meetcore.extensions import db
from meetcore.transaction import commit

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


def slides_file(*titles: str) -> bytes:
    from pptx import Presentation

    presentation = Presentation()
    for title in titles:
        slide = presentation.slides.add_slide(presentation.slide_layouts[5])  # a title only
        slide.shapes.title.text = title
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def sheet_file(rows: list[tuple]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_text_and_pages(pdf: bytes, tmp_path) -> tuple[str, int]:
    """What poppler (a second reader, not LibreOffice) finds in a PDF: its text and number of pages."""
    import subprocess

    path = tmp_path / "made.pdf"
    path.write_bytes(pdf)
    def run(*command: str) -> str:
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    text, info = run("pdftotext", "-layout", str(path), "-"), run("pdfinfo", str(path))
    pages = next(int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:"))
    return text, pages


def only_document(meeting) -> AgendaDocument:
    commit()  # a fresh read: the worker wrote from a session of its own
    query = sa.select(AgendaDocument).where(AgendaDocument.meeting_id == meeting.id)
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def converted(app, meeting) -> AgendaDocument:
    """The upload left the office file pending; the conversion worker's step makes its PDF."""
    assert only_document(meeting).pdf_state == "pending"
    assert conversion_worker.run_once(app) == 1
    return only_document(meeting)


def upload(client, meeting, item, data: bytes, name: str):
    url = f"/meetings/{meeting.id}/agenda/items/{item.id}/documents"
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_word_file_gets_a_pdf_the_projector_shows(app, as_secretariat, meeting, users, files_in_tmp,
                                                    client):  # fmt: skip
    item = services.add_item(meeting, {"title": "นโยบายเร่งด่วน"}, by=users["secretariat"])
    slides = word_file("นโยบาย ๙ เรื่องเร่งด่วน", "Social map")
    assert upload(as_secretariat, meeting, item, slides, "นโยบาย.docx").status_code == 302
    document = converted(app, meeting)
    assert document.pdf_state == "ready"
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


@pytest.mark.parametrize(
    ("name", "make", "pages", "words"),
    [
        ("นโยบาย.pptx", lambda: slides_file("นโยบายเร่งด่วน", "แผนที่ทางสังคม", "Social map"), 3,
         ["นโยบายเร่งด่วน", "แผนที่ทางสังคม", "Social map"]),
        ("งบประมาณ.xlsx", lambda: sheet_file([("จังหวัด", "งบประมาณ"), ("เชียงใหม่", 1250000)]), 1,
         ["จังหวัด", "เชียงใหม่", "1250000"]),
    ],
    ids=["slides", "sheet"],
)  # fmt: skip
def test_slides_and_sheets_get_a_pdf_of_every_page(app, as_secretariat, meeting, users, files_in_tmp,
                                                  tmp_path, name, make, pages, words):  # fmt: skip
    """The chair's policy slides are PowerPoint more often than not: each slide is a page of the PDF."""
    item = services.add_item(meeting, {"title": "นโยบายเร่งด่วน"}, by=users["secretariat"])
    assert upload(as_secretariat, meeting, item, make(), name).status_code == 302
    document = converted(app, meeting)
    assert document_out(document)["pdf"] is True, "LibreOffice made no PDF (libreoffice-impress/calc-nogui?)"
    pdf = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf")
    text, made_pages = pdf_text_and_pages(pdf.data, tmp_path)
    assert made_pages == pages
    for word in words:
        assert word in text.replace(",", ""), (word, text)


def test_a_file_libreoffice_cannot_read_is_kept_without_a_pdf(app, as_secretariat, meeting, users,
                                                               files_in_tmp):  # fmt: skip
    item = services.add_item(meeting, {"title": "เรื่องอื่น ๆ"}, by=users["secretariat"])
    broken = b"PK\x03\x04" + b"\x00" * 200  # a zip's first bytes, then nothing LibreOffice can read
    assert upload(as_secretariat, meeting, item, broken, "เสียหาย.docx").status_code == 302
    document = converted(app, meeting)
    assert (document_out(document)["pdf"], document_out(document)["pdf_state"]) == (False, "failed")
    assert as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}").data == broken
    missing = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf")
    assert missing.status_code == 404
