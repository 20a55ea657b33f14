"""The official minutes, complete and Word-ready (issue 15, item 2): the action items under their agenda item
(owners, provinces by name, Buddhist-Era due dates) in the PDF and the DOCX; the DOCX in tables with page
numbers, TH Sarabun New 16 pt, rendered by LibreOffice to about the pages and the text of WeasyPrint's PDF;
in the PDF every list indented alike, no name broken inside a word, no entry split across pages."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from meetcore.extensions import db
from tests.reports.conftest import ACTIONS, WITHDRAWN_ACTION
from tests.reports.support import W, docx_paragraphs, norm, pdf_text

XHTML = "{http://www.w3.org/1999/xhtml}"


def _document(held):
    from meetcore.meetings.models import Meeting
    from meetcore.reports.content import build_document

    return build_document(db.session.get(Meeting, held.meeting_id))


def _expected_actions(held) -> list[str]:
    """The lines the minutes must carry for the held meeting's standing actions, read from its data."""
    from meetcore.i18n.dates import be_date

    two, every = (held.actions[title] for title in ACTIONS)
    return [
        "ข้อสั่งการ",
        f"1. {two.title}",
        "ผู้รับผิดชอบ: พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด (จังหวัดเชียงใหม่, จังหวัดสงขลา)",
        f"กำหนดแล้วเสร็จ: {be_date(two.due_date, 'th')}",
        f"2. {every.title}",
        "ผู้รับผิดชอบ: พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด (ทุกจังหวัด)",
        f"กำหนดแล้วเสร็จ: {be_date(every.due_date, 'th')}",
    ]


def _check_actions(text: str, held) -> None:
    text = norm(text)
    item_id = next(iter(held.actions.values())).agenda_item_id
    at = text.find(norm("มติที่ประชุม" + held.decisions[item_id]))
    assert at >= 0
    for line in _expected_actions(held):
        found = text.find(norm(line), at)
        assert found > at, f"{line!r} is not under its agenda item, after its decision, in order"
        at = found
    assert at < text.find(norm("เลิกประชุมเวลา"))
    assert norm(WITHDRAWN_ACTION) not in text


def test_the_actions_stand_under_their_agenda_item_in_the_pdf_and_the_docx(held, tmp_path):
    from meetcore.reports.documents import render_docx, render_pdf

    doc = _document(held)
    _check_actions(pdf_text(render_pdf(doc), tmp_path), held)
    _check_actions("\n".join(docx_paragraphs(render_docx(doc))), held)


def _docx_xml(data: bytes, part: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(part))


def test_the_docx_has_tables_page_numbers_and_the_regulation_sizes(held):
    from meetcore.reports.documents import render_docx

    data = render_docx(_document(held))
    body = _docx_xml(data, "word/document.xml")
    q = lambda tag: f"{{{W}}}{tag}"  # noqa: E731
    tables = body.findall(f".//{q('tbl')}")
    assert len(tables) == 1
    rows = tables[0].findall(q("tr"))
    assert len(rows) > 540  # 3 labels + every seat of the reference meeting
    assert tables[0].find(f"{q('tblPr')}/{q('tblLayout')}").get(q("type")) == "fixed"
    assert all(row.find(f"{q('trPr')}/{q('cantSplit')}") is not None for row in rows)
    # No name and position glued by tabs any more.
    assert not any("\t" in (t.text or "") for t in body.iter(q("t")))
    # "- N -" at the top from the second page on: a PAGE field in the header, a first page without it.
    section = body.find(f".//{q('sectPr')}")
    assert section.find(q("titlePg")) is not None
    headers = [ref for ref in section.findall(q("headerReference")) if ref.get(q("type")) == "default"]
    assert headers
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        header_xml = "".join(
            archive.read(name).decode() for name in archive.namelist() if name.startswith("word/header")
        )
    assert re.search(r"<w:instrText[^>]*>\s*PAGE\s*</w:instrText>", header_xml)
    # TH Sarabun New 16 pt (32 half-points) on fixed 24 pt lines in the Normal style.
    styles = _docx_xml(data, "word/styles.xml")
    normal = next(s for s in styles.findall(q("style")) if s.get(q("styleId")) == "Normal")
    assert normal.find(f"{q('rPr')}/{q('rFonts')}").get(q("cs")) == "TH Sarabun New"
    assert normal.find(f"{q('rPr')}/{q('szCs')}").get(q("val")) == "32"
    spacing = normal.find(f"{q('pPr')}/{q('spacing')}")
    assert (spacing.get(q("line")), spacing.get(q("lineRule"))) == ("480", "exact")
    sizes = {element.get(q("val")) for element in body.iter(q("szCs"))}
    assert sizes == {"32"}, sizes


# --- LibreOffice's rendering of the Word file against WeasyPrint's PDF --------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _fontconfig(tmp_path: Path) -> Path:
    """The system's fonts, the bundled Sarabun, and "TH Sarabun New" (which Debian does not ship) set in
    Sarabun: at the same point size it sets Thai as wide, so the pages break as in Word."""
    from meetcore.reports.documents import _font_dir

    path = tmp_path / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{_font_dir()}</dir><cachedir>{tmp_path / 'fontcache'}</cachedir>"
        '<alias binding="same"><family>TH Sarabun New</family>'
        "<prefer><family>Sarabun</family></prefer></alias>"
        "</fontconfig>"
    )
    return path


def libreoffice_pdf(docx: bytes, tmp_path: Path) -> bytes:
    source = tmp_path / "minutes.docx"
    source.write_bytes(docx)
    out = tmp_path / "libreoffice"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FONTCONFIG_FILE": str(_fontconfig(tmp_path))}
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=300, env=env,
    )  # fmt: skip
    return (out / "minutes.pdf").read_bytes()


def page_count(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, timeout=60).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (Debian libreoffice-writer-nogui) is not installed")
def test_libreoffice_renders_the_docx_like_weasyprint_renders_the_pdf(held, tmp_path):
    from meetcore.reports.documents import render_docx, render_pdf

    doc = _document(held)
    weasy = render_pdf(doc)
    office = libreoffice_pdf(render_docx(doc), tmp_path)
    weasy_pages, office_pages = page_count(weasy, tmp_path), page_count(office, tmp_path)
    assert weasy_pages > 20
    assert abs(weasy_pages - office_pages) <= 1, (weasy_pages, office_pages)
    weasy_text, office_text = norm(pdf_text(weasy, tmp_path)), norm(pdf_text(office, tmp_path))
    people = [entry.name for part in (doc.present, doc.absent, doc.supporting)
              for group in part for entry in group.entries]  # fmt: skip
    assert len(people) > 540
    for text in (weasy_text, office_text):
        for name in people:
            assert norm(name) in text, name
        assert norm("- 2 -") in text and norm(f"- {weasy_pages - 1} -") in text  # page numbers
    _check_actions(office_text, held)


# --- the PDF's attendance lists -----------------------------------------------------------------------------


MARKS = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


def bare(text: str) -> str:
    """Text without white space and Thai marks: pdftotext puts a mark as a word of its own, anywhere."""
    return MARKS.sub("", norm(text))


def _pdf_lines(data: bytes, tmp_path: Path) -> list[list[dict]]:
    """Per page, its lines top to bottom: {"text" (bare), "words": [(xMin, xMax, text)] left to right}."""
    path = tmp_path / "boxes.pdf"
    path.write_bytes(data)
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], check=True, capture_output=True,
                         timeout=120).stdout  # fmt: skip
    pages = []
    for page in etree.fromstring(xml).iter(f"{XHTML}page"):
        rows: dict[int, list] = {}
        for line in page.iter(f"{XHTML}line"):
            words = rows.setdefault(round(float(line.get("yMin"))), [])
            words += [(float(w.get("xMin")), float(w.get("xMax")), w.text or "")
                      for w in line.iter(f"{XHTML}word") if not MARKS.fullmatch(w.text or "")]  # fmt: skip
        pages.append([
            {"text": bare("".join(t for _a, _b, t in sorted(words))), "words": sorted(words)}
            for _y, words in sorted(rows.items())
        ])  # fmt: skip
    return pages


# Names wider than the name column: they must wrap, between their parts only.
LONG_NAMES = (("นางสมหญิง", "ใจดีมีสุขสวัสดิ์ศรีสุวรรณ"), ("นายสมชายชาญณรงค์ฤทธิ์", "ศักดิ์สิทธิ์สมบูรณ์ยิ่ง"))
LONG_POSITION = "ผู้อำนวยการสำนักงานส่งเสริมและพัฒนาคุณภาพชีวิตคนพิการและผู้สูงอายุจังหวัด" * 2


def test_the_pdf_lists_are_aligned_names_whole_entries_on_one_page(held, tmp_path):
    from meetcore.reports.documents import render_pdf
    from meetcore.seats.models import Seat

    absent_ids = {seat.id for seat in held.present} | {held.substitute.id}
    absent = db.session.scalars(
        sa.select(Seat).where(Seat.meeting_id == held.meeting_id, Seat.id.not_in(absent_ids))
        .order_by(Seat.id)
    ).all()
    absent[0].name, absent[1].name = (" ".join(parts) for parts in LONG_NAMES)
    long_entries = absent[10::12]  # entries of four lines and more, all through the list
    for number, seat in enumerate(long_entries):
        seat.position = f"ก{number:03d}ข {LONG_POSITION} ค{number:03d}ง"
    db.session.commit()
    pages = _pdf_lines(render_pdf(_document(held)), tmp_path)

    # One indent for every list: the numbers end, and the names begin, at the same x on every row.
    number_ends, name_starts = set(), set()
    lines = [line for lines in pages for line in lines]
    started = next(i for i, line in enumerate(lines) if bare("เริ่มประชุมเวลา") in line["text"])
    for line in lines[:started]:
        words = line["words"]
        if len(words) > 1 and re.fullmatch(r"\d+\.", words[0][2]):
            number_ends.add(round(words[0][1]))
            name_starts.add(round(words[1][0]))
    assert len(number_ends) == 1 and len(name_starts) == 1, (number_ends, name_starts)

    # A name breaks only between its parts.
    texts = [line["text"] for lines in pages for line in lines]
    for parts in LONG_NAMES:
        assert not any(bare("".join(parts)) in text for text in texts), "the name did not wrap: no test"
        for part in parts:
            assert any(bare(part) in text for text in texts), f"{part} was broken across lines"

    # An entry never splits across pages: its first and last words are on the same page.
    def page_of(marker: str) -> int:
        return next(i for i, lines in enumerate(pages) if any(bare(marker) in line["text"] for line in lines))

    for number in range(len(long_entries)):
        assert page_of(f"ก{number:03d}ข") == page_of(f"ค{number:03d}ง"), f"entry {number} split across pages"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (Debian libreoffice-writer-nogui) is not installed")
def test_libreoffice_never_breaks_a_name_of_the_docx_inside_a_part(held, tmp_path):
    """Word and LibreOffice break Thai where their dictionaries see a word, inside a name too ("นางสม / หญิง"):
    rendered by LibreOffice, every part of every attendee's name (the reference roster's, a substitute's, and
    names wider than the column) stands whole on one line."""
    from meetcore.reports.documents import render_docx
    from meetcore.seats.models import Seat

    absent_ids = {seat.id for seat in held.present} | {held.substitute.id}
    absent = db.session.scalars(
        sa.select(Seat).where(Seat.meeting_id == held.meeting_id, Seat.id.not_in(absent_ids))
        .order_by(Seat.id)
    ).all()  # fmt: skip
    for seat, parts in zip(absent, LONG_NAMES, strict=False):
        seat.name = " ".join(parts)
    db.session.commit()
    doc = _document(held)
    pages = _pdf_lines(libreoffice_pdf(render_docx(doc), tmp_path), tmp_path)
    texts = [line["text"] for lines in pages for line in lines]
    for parts in LONG_NAMES:
        assert not any(bare("".join(parts)) in text for text in texts), "the name did not wrap: no test"
    names = [entry.name for part in (doc.present, doc.absent, doc.supporting)
             for group in part for entry in group.entries]  # fmt: skip
    assert len(names) > 540
    parts = [part for name in names for part in name.split()]
    broken = [part for part in parts if not any(bare(part) in text for text in texts)]
    assert broken == [], f"broken across lines: {broken[:10]}"
