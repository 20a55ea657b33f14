"""The English interface shows no Thai of its own (issue 15, item 6): every message of the English catalogue
reads in English, and no page template writes Thai outside a message. What users typed (names, places,
agenda titles) stays as typed, and the official minutes and their circulation e-mail are Thai documents
whatever the interface (the correspondence regulation's form), so those templates are not read here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "meetcore" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ROOT / "templates"
THAI_DOCUMENTS = {"reports/_document.html", "reports/_document_styles.html", "reports/pdf.html",
                  "reports/email/circulate.html"}  # fmt: skip
THAI = re.compile(r"[\u0e00-\u0e7f]+")
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def english_texts(message) -> list[str]:
    """What the English interface shows for one catalogue entry: its translations, or its ids where it has
    none (gettext falls back to the id)."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy or not any(strings):
        return list(ids)
    return [string or ids[min(index, len(ids) - 1)] for index, string in enumerate(strings)]


def test_every_english_message_reads_without_thai():
    with ENGLISH.open("rb") as po:
        catalogue = read_po(po, locale="en")
    thai = [(message.id, text) for message in catalogue if message.id
            for text in english_texts(message) if THAI.search(text)]  # fmt: skip
    assert len(catalogue) > 100, "the English catalogue was not read: the check would prove nothing"
    assert thai == []


def thai_outside_messages(source: str) -> list[tuple[int, str]]:
    """Thai in a template's own text and string literals, but for a message id (its English is the
    catalogue's, checked above)."""
    tokens = [token for token in Environment(extensions=["jinja2.ext.i18n"]).lex(source)
              if token[1] != "whitespace"]  # fmt: skip
    found = []
    for index, (line, kind, value) in enumerate(tokens):
        if kind not in ("data", "string") or not THAI.search(value):
            continue
        before = [token[2] for token in tokens[max(index - 2, 0):index]]
        if kind == "string" and len(before) == 2 and before[0] in GETTEXT and before[1] == "(":
            continue
        found.append((line, " ".join(value.split())[:120]))
    return found


def test_the_lexer_finds_thai_text_and_passes_a_message_id():
    source = '<p>ครั้งที่ {{ n }}</p>{{ _("Under “เรื่องสืบเนื่อง”") }}{{ name or "ผู้เข้าประชุม" }}'
    assert [text for _line, text in thai_outside_messages(source)] == ["<p>ครั้งที่", '"ผู้เข้าประชุม"']


PAGE_TEMPLATES = sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                        if str(path.relative_to(TEMPLATES)) not in THAI_DOCUMENTS)  # fmt: skip


@pytest.mark.parametrize("template", PAGE_TEMPLATES)
def test_no_page_template_writes_thai_of_its_own(template):
    assert thai_outside_messages((TEMPLATES / template).read_text(encoding="utf-8")) == []
