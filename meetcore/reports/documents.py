"""The official minutes as files: PDF (WeasyPrint, Sarabun embedded) and DOCX (python-docx, Thai fonts set).

PDF: the same HTML as the console's view, with the bundled Sarabun faces (PyPI ``fontpkg-sarabun``) declared
by @font-face with file URLs, so no system font is needed and the PDF embeds the subset it uses. Pango breaks
Thai lines at word boundaries through libthai (Debian ``libthai0``).

DOCX: Word picks the font of Thai text from the run's complex-script slot (w:rFonts/@w:cs) and its size
from w:szCs, not from the Latin font and w:sz; and it shapes the text as Thai when w:lang says so. Every
run therefore carries all three, and the document's default run properties too.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from flask import render_template

from meetcore.plaintext import without_control_characters
from meetcore.reports.content import MinutesDocument

# The faces the PDF uses (FONT_FILES of meetcore.i18n.setup, with their CSS weight and style).
PDF_FACES = (
    ("Sarabun-Regular.ttf", 400, "normal"),
    ("Sarabun-Italic.ttf", 400, "italic"),
    ("Sarabun-SemiBold.ttf", 600, "normal"),
    ("Sarabun-Bold.ttf", 700, "normal"),
)
DOCX_FONT = "TH Sarabun New"  # the government's standard Thai face, as Word knows it
DOCX_SIZE_PT = 16  # TH Sarabun New 16 pt: the regulation's usual body size
THAI = "th-TH"
# The order of w:rPr's children in the WordprocessingML schema (CT_RPr).
RPR_ORDER = (
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
    "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
    "em", "lang", "eastAsianLayout", "specVanish", "oMath",
)  # fmt: skip


def _font_dir() -> Path:
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.ROOT) / "files"


def pdf_html(doc: MinutesDocument) -> str:
    from meetcore.i18n.setup import FONT_FILES

    faces = [
        {"url": (_font_dir() / name).as_uri(), "weight": weight, "style": style}
        for name, weight, style in PDF_FACES
        if name in FONT_FILES
    ]
    return render_template("reports/pdf.html", doc=doc, font_faces=faces, links=False)


def render_pdf(doc: MinutesDocument) -> bytes:
    from weasyprint import HTML

    return HTML(string=pdf_html(doc), base_url=str(_font_dir())).write_pdf()


# --- DOCX ---------------------------------------------------------------------------------------------------


def _thai_run_properties(run, *, size_pt: float = DOCX_SIZE_PT, bold: bool = False, italic: bool = False):
    from docx.shared import Pt

    run.font.name = DOCX_FONT
    run.font.size = Pt(size_pt)
    run.font.bold = bold or None
    run.font.italic = italic or None
    _thai_rpr(run._element.get_or_add_rPr(), size_pt=size_pt, bold=bold, italic=italic)
    return run


def _thai_rpr(rpr, *, size_pt: float, bold: bool = False, italic: bool = False) -> None:
    """w:rFonts (ascii, hAnsi, cs, eastAsia), w:b/w:bCs, w:sz/w:szCs and w:lang on one rPr element."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), DOCX_FONT)
    fonts.set(qn("w:hint"), "cs")
    if bold and rpr.find(qn("w:bCs")) is None:
        rpr.append(OxmlElement("w:bCs"))
    if italic and rpr.find(qn("w:iCs")) is None:
        rpr.append(OxmlElement("w:iCs"))
    half_points = str(int(round(size_pt * 2)))
    for tag in ("w:sz", "w:szCs"):
        element = rpr.find(qn(tag))
        if element is None:
            element = OxmlElement(tag)
            rpr.append(element)
        element.set(qn("w:val"), half_points)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), THAI)
    lang.set(qn("w:eastAsia"), THAI)
    lang.set(qn("w:bidi"), THAI)
    # Word refuses a document whose run properties are out of the schema's order.
    order = {qn(f"w:{tag}"): rank for rank, tag in enumerate(RPR_ORDER)}
    children = sorted(rpr, key=lambda child: order.get(child.tag, len(order)))
    for child in children:
        rpr.append(child)  # moves it to the end: the children end up in schema order


def _paragraph(
    document,
    text: str = "",
    *,
    bold: bool = False,
    align=None,
    indent_cm: float = 0,
    first_line_cm: float = 0,
    space_after_pt: float = 0,
    size_pt: float = DOCX_SIZE_PT,
):
    from docx.shared import Cm, Pt

    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(space_after_pt)
    fmt.space_before = Pt(0)
    if indent_cm:
        fmt.left_indent = Cm(indent_cm)
    if first_line_cm:
        fmt.first_line_indent = Cm(first_line_cm)
    if align is not None:
        paragraph.alignment = align
    if text:
        _thai_run_properties(paragraph.add_run(_word_text(text)), bold=bold, size_pt=size_pt)
    return paragraph


def _word_text(text: str) -> str:
    """Text Word's XML can hold: a control character stored before input refused them is left out."""
    return without_control_characters(text)


# U+2060 WORD JOINER: no line break here. Word and LibreOffice break Thai lines where their dictionaries see a
# word boundary, and a name is rarely in the dictionary: "นางสมหญิง" became "นางสม / หญิง" in a narrow column.
WORD_JOINER = "\u2060"


def _is_thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"


def _starts_a_cluster(char: str) -> bool:
    """A character a line may break before: not a mark over or under a consonant, nor sara am (ำ)."""
    return not unicodedata.category(char).startswith("M") and char != "\u0e33"


def unbroken_name(name: str) -> str:
    """A person's name that lines break only at the spaces between its parts (title and first name, last
    name), as the PDF's nowrap parts do: a word joiner between the letters of each Thai part. The parts
    themselves stay apart, so a name wider than its column still wraps, between its parts."""
    joined = []
    for previous, char in zip((" " + name)[:-1], name, strict=True):
        if _is_thai(previous) and _is_thai(char) and _starts_a_cluster(char):
            joined.append(WORD_JOINER)
        joined.append(char)
    return "".join(joined)


def _add(paragraph, text: str, *, bold: bool = False, italic: bool = False):
    return _thai_run_properties(paragraph.add_run(_word_text(text)), bold=bold, italic=italic)


# The page both files share: A4, the regulation's margins, 16 pt text on 24 pt lines (the PDF's Sarabun at
# 16 pt sets as wide as TH Sarabun New at 16 pt), so the PDF and the Word file break pages alike.
LINE_PT = 24
TEXT_WIDTH_CM = 16.0  # 21 cm less 3 cm left and 2 cm right
# Number, name, position: 8 %, 40 % and 52 % of the line, as the PDF's table (_document_styles.html).
PEOPLE_COLUMNS_CM = (1.3, 6.4, 8.3)


def _people_table(document, lists) -> None:
    """ผู้มาประชุม, ผู้ไม่มาประชุม and ผู้เข้าร่วมประชุม in one borderless table of fixed columns (Word keeps
    them straight, where tabs left ragged columns); a row never splits across pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    table = document.add_table(rows=0, cols=3)
    table.autofit = False
    _fixed_layout(table)
    for label, groups in lists:
        paragraph = _merged_row(table, 0)
        run = _add(paragraph, label, bold=True)
        run.font.underline = True
        paragraph.paragraph_format.keep_with_next = True
        number = 0
        for group in groups:
            if group.title:
                title = _merged_row(table, 1)
                _add(title, group.title, bold=True)
                title.paragraph_format.keep_with_next = True
            for entry in group.entries:
                number += 1
                cells = _row(table)
                number_paragraph = cells[0].paragraphs[0]
                number_paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                _add(number_paragraph, f"{number}.")
                _add(cells[1].paragraphs[0], unbroken_name(entry.name))
                _no_wrap(cells[1])
                position = cells[2].paragraphs[0]
                _add(position, entry.position or "")
                if entry.on_behalf_of:
                    _add(position, f" แทน {unbroken_name(entry.on_behalf_of)}")
                if entry.note:
                    _add(position, f" {entry.note}", italic=True)
        if not number:
            _add(_row(table)[1].paragraphs[0], "-")


def _fixed_layout(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    # The PDF's cells: nothing on the left, a little on the right (Word's default is 0.19 cm each side).
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 0), ("left", 0), ("bottom", 0), ("right", 113)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)
    for column, width in zip(table.columns, PEOPLE_COLUMNS_CM, strict=True):
        column.width = Cm(width)


def _row(table):
    from docx.oxml import OxmlElement
    from docx.shared import Cm

    row = table.add_row()
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell, width in zip(row.cells, PEOPLE_COLUMNS_CM, strict=True):
        cell.width = Cm(width)
        _compact(cell.paragraphs[0])
    return row.cells


def _merged_row(table, first: int):
    """A row whose cells from ``first`` on are one (a list's label, a group's title): its paragraph."""
    cells = _row(table)
    merged = cells[first].merge(cells[-1])
    return merged.paragraphs[0]


def _no_wrap(cell) -> None:
    from docx.oxml import OxmlElement

    cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))  # after w:tcW: the schema's order


def _compact(paragraph) -> None:
    from docx.shared import Pt

    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)


def _page_numbers(section) -> None:
    """ "- 2 -" at the top centre from the second page on, as Thai official documents number pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add(paragraph, "- ")
    _field(paragraph, "PAGE")
    _add(paragraph, " -")


def _field(paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind in ("begin", "instr", "separate", "end"):
        run = _add(paragraph, "")
        if kind == "instr":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = f" {instruction} "
            run._r.append(text)
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        if kind == "separate":
            run._r.append(_text_element("1"))


def _text_element(text: str):
    from docx.oxml import OxmlElement

    element = OxmlElement("w:t")
    element.text = text
    return element


def _label(document, text: str) -> None:
    paragraph = _paragraph(document, space_after_pt=2)
    paragraph.paragraph_format.keep_with_next = True
    run = _add(paragraph, text, bold=True)
    run.font.underline = True


def _setup(document) -> None:
    """A4 with the regulation's margins; TH Sarabun New 16 pt on fixed 24 pt lines, as the defaults too
    (text typed later in Word stays Thai Sarabun 16)."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance = Cm(1.25)
    normal = document.styles["Normal"]
    normal.font.name = DOCX_FONT
    normal.paragraph_format.line_spacing = Pt(LINE_PT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.space_after = Pt(0)
    _thai_rpr(normal.element.get_or_add_rPr(), size_pt=DOCX_SIZE_PT)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        rpr = rpr_default.find(qn("w:rPr")) if rpr_default is not None else None
        if rpr is not None:
            _thai_rpr(rpr, size_pt=DOCX_SIZE_PT)
    _page_numbers(section)


def _heading(document, doc: MinutesDocument) -> None:
    """The head of the regulation's form: รายงานการประชุม…, ครั้งที่, เมื่อ, ณ."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, doc.title, bold=True, align=center)
    if doc.subtitle:
        _paragraph(document, doc.subtitle, align=center)
    _paragraph(document, f"ครั้งที่ {doc.number_label}", align=center)
    _paragraph(document, f"เมื่อ{doc.date_text}", align=center)
    if doc.scheduled_text:
        _paragraph(document, doc.scheduled_text, align=center)
    _paragraph(document, f"ณ {doc.venue}", align=center)
    _paragraph(document, "-" * 40, align=center, space_after_pt=6)


def _item(document, item) -> None:
    indent = 0.0 if item.depth == 0 else 0.75 * min(item.depth, 3)
    title = f"ระเบียบวาระที่ {item.number} {item.title}" if item.depth == 0 else f"{item.number} {item.title}"
    heading = _paragraph(document, title, bold=True, indent_cm=indent)
    heading.paragraph_format.keep_with_next = True
    if item.previous_minutes is not None:
        previous = item.previous_minutes
        _paragraph(
            document, f"รายงานการประชุม ครั้งที่ {previous.number}/{previous.year_be}", indent_cm=indent + 0.75
        )
    for text in item.text.splitlines():
        if text.strip():
            _paragraph(document, text.strip(), indent_cm=indent, first_line_cm=2.5)
    for poll in item.polls:
        _poll(document, poll, indent + 0.75)
    if item.decisions:
        decision = _paragraph(document, indent_cm=indent + 0.75, space_after_pt=4)
        decision.paragraph_format.keep_together = True
        _add(decision, "มติที่ประชุม", bold=True)
        _add(decision, " " + " ".join(item.decisions))
    _actions(document, item.actions, indent + 0.75)


def _poll(document, poll, indent: float) -> None:
    """ผลการลงคะแนน: the result, the counts and the quorum, then (an open vote) who voted what, numbered."""
    label = _paragraph(document, indent_cm=indent)
    label.paragraph_format.keep_with_next = True
    _add(label, "ผลการลงคะแนน", bold=True)
    for line in poll.lines:
        _paragraph(document, line, indent_cm=indent).paragraph_format.keep_together = True
    for number, voter in enumerate(poll.voters, start=1):
        paragraph = _paragraph(document, f"{number}. {voter}", indent_cm=indent + 0.9, first_line_cm=-0.9)
        paragraph.paragraph_format.keep_together = True


def _actions(document, actions, indent: float) -> None:
    """ข้อสั่งการ under the agenda item: what, ผู้รับผิดชอบ (owners, provinces by name), กำหนดแล้วเสร็จ."""
    if not actions:
        return
    label = _paragraph(document, indent_cm=indent)
    label.paragraph_format.keep_with_next = True
    _add(label, "ข้อสั่งการ", bold=True)
    for number, action in enumerate(actions, start=1):
        paragraph = _paragraph(document, indent_cm=indent + 0.9, first_line_cm=-0.9, space_after_pt=2)
        paragraph.paragraph_format.keep_together = True
        _add(paragraph, f"{number}. {action.title}")
        if action.description:
            _add(paragraph, f" {action.description}")
        _add(paragraph, "").add_break()
        _add(paragraph, f"ผู้รับผิดชอบ: {action.owners}")
        if action.due_text:
            _add(paragraph, f" กำหนดแล้วเสร็จ: {action.due_text}")


def render_docx(doc: MinutesDocument) -> bytes:
    from docx import Document

    document = Document()
    _setup(document)
    document.core_properties.title = f"{doc.title} ครั้งที่ {doc.number_label}"
    document.core_properties.language = THAI
    _heading(document, doc)
    _people_table(document, (
        ("ผู้มาประชุม", doc.present), ("ผู้ไม่มาประชุม", doc.absent), ("ผู้เข้าร่วมประชุม", doc.supporting),
    ))  # fmt: skip

    start = _paragraph(document, space_after_pt=6)
    _add(start, "เริ่มประชุมเวลา", bold=True)
    _add(start, f" {doc.started_text}")
    for item in doc.items:
        _item(document, item)
    end = _paragraph(document, space_after_pt=18)
    _add(end, "เลิกประชุมเวลา", bold=True)
    _add(end, f" {doc.ended_text}")

    for name, position, label in (
        (doc.row.recorder_name, doc.row.recorder_position, "ผู้จดรายงานการประชุม"),
        (doc.row.reviewer_name, doc.row.reviewer_position, "ผู้ตรวจรายงานการประชุม"),
    ):
        signed = unbroken_name(name or "......................................")
        lines = [signed, *([position] if position else [])]
        for line in lines:  # the signature block stays on one page
            _paragraph(document, line, indent_cm=8).paragraph_format.keep_with_next = True
        _paragraph(document, label, indent_cm=8, space_after_pt=12)

    if doc.amendments:
        _label(document, "การแก้ไขเพิ่มเติมหลังการรับรองรายงานการประชุม")
        from meetcore.i18n.dates import be_datetime

        for number, line in enumerate(doc.amendments, start=1):
            where = f"ระเบียบวาระที่ {line.number} {line.item_title}: " if line.number else ""
            paragraph = _paragraph(document, indent_cm=0.75)
            _add(paragraph, f"{number}. {where}{line.text}")
            _add(paragraph, f" (แก้ไขโดย {line.by} เมื่อ {be_datetime(line.at, 'th')} น.)", italic=True)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def file_name(doc: MinutesDocument, extension: str) -> str:
    return f"minutes-{doc.meeting.number}-{doc.meeting.year_be}-meeting-{doc.meeting.id}.{extension}"
