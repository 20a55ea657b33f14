"""Reading the files back: PDF text (pdftotext), page images (pdftoppm), DOCX text and run properties."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
THAI = re.compile(r"[\u0e00-\u0e7f]")


THAI_MARKS = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]{2,}")
THAI_VOWEL_MARKS = set("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a")


def squeeze(text: str) -> str:
    """Text without white space: line breaks and justification spaces differ between renderers; nor the
    word joiners that keep the Word file's names whole (meetcore.reports.documents.name_kept_whole)."""
    return re.sub(r"[\s\u2060]+", "", text)


def norm(text: str) -> str:
    """Text as a PDF's text layer gives it back, for comparing: no white space; the marks over and under a
    Thai consonant in one order (vowel, then tone: a font may draw the tone first); sara am (ำ) as sara aa
    (า), which is what a text layer of Sarabun's two-glyph ำ maps back to."""
    text = squeeze(text).replace("\u0e33", "\u0e32").replace("\u0e4d", "")
    return THAI_MARKS.sub(lambda m: "".join(sorted(m.group(), key=lambda c: c not in THAI_VOWEL_MARKS)), text)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    command = ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, check=True, capture_output=True,
                          timeout=120).stdout.decode("utf-8")  # fmt: skip


def pdf_fonts(data: bytes, tmp_path: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) of every font the PDF uses (pdffonts)."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    lines = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    fonts = []
    for line in lines.splitlines()[2:]:
        columns = line.split()
        fonts.append((columns[0], "yes" in columns[-5:-3][:1]))
    return fonts


def first_page_ink(data: bytes, tmp_path: Path) -> tuple[int, int]:
    """(non-white pixels, all pixels) of the PDF's first page rendered at 50 dpi."""
    from PIL import Image

    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "50", "-png", str(path), str(tmp_path / "page")],
                   check=True, timeout=120)  # fmt: skip
    png = next(tmp_path.glob("page*.png"))
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    return sum(histogram[:200]), image.width * image.height


def docx_paragraphs(data: bytes) -> list[str]:
    """The body's text in reading order: each paragraph, and each table row as one line of its cells."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = Document(io.BytesIO(data))
    lines = []
    for block in document.element.body.iterchildren():
        if block.tag == f"{{{W}}}p":
            lines.append(Paragraph(block, document).text)
        elif block.tag == f"{{{W}}}tbl":
            for row in Table(block, document).rows:
                cells = list(dict.fromkeys(row.cells))  # a merged cell comes once per grid column it spans
                lines.append(" ".join(cell.text for cell in cells))
    return lines


def docx_runs(data: bytes) -> list[etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return root.findall(f".//{{{W}}}r")


def run_text(run) -> str:
    return "".join(t.text or "" for t in run.findall(f"{{{W}}}t"))


def run_property(run, tag: str, attribute: str) -> str | None:
    element = run.find(f"{{{W}}}rPr/{{{W}}}{tag}")
    return None if element is None else element.get(f"{{{W}}}{attribute}")


def in_order(text: str, needles: list[str]) -> list[int]:
    """The positions of ``needles`` in ``text`` (white space ignored), each searched after the one before;
    fails naming the first one missing."""
    haystack, positions, start = norm(text), [], 0
    for needle in needles:
        at = haystack.find(norm(needle), start)
        assert at >= 0, f"{needle!r} is not in the document after position {start}"
        positions.append(at)
        start = at + 1
    return positions
