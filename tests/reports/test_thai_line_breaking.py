"""Thai has no spaces between words: the PDF's lines must break between words (Pango asks libthai where),
never inside one, and the text must be drawn in the bundled Sarabun, not a fallback font."""

from __future__ import annotations

from tests.reports.support import pdf_fonts, pdf_text

WORD = "สวัสดี"


def test_a_long_thai_line_breaks_between_words(app_ctx, tmp_path):
    from weasyprint import HTML

    from meetcore.reports.documents import PDF_FACES, _font_dir

    faces = "".join(
        f'@font-face {{ font-family: "Sarabun"; src: url("{(_font_dir() / name).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in PDF_FACES
    )
    html = (
        f"<html lang='th'><head><style>{faces} html {{ font-family: Sarabun; font-size: 16pt; }}"
        f"p {{ width: 9cm; }}</style></head><body><p>{WORD * 60}</p></body></html>"
    )
    data = HTML(string=html).write_pdf()
    lines = [line.strip() for line in pdf_text(data, tmp_path).splitlines() if line.strip()]
    assert len(lines) > 3, lines  # it did wrap
    for line in lines:
        assert line == WORD * (len(line) // len(WORD)), f"a line broke inside a word: {line!r}"
    assert [name.split("+")[-1] for name, _embedded in pdf_fonts(data, tmp_path)] == ["Sarabun"]
