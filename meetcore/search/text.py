"""Normalised substring matching, the same in Python and in SQL on SQLite and PostgreSQL.

Thai is written without spaces between words, so a query is matched as a substring of the text, not as a
word (docs/performance.md, "Search", measures this against word segmentation and trigram indexes).
Normalising makes the obvious variants meet:

- case (English): ASCII letters are lowered on both sides (Thai has no case). SQLite's lower() folds ASCII
  only; on PostgreSQL lower() runs under the "C" collation, which does the same and costs half of a
  locale-aware lower() (docs/performance.md);
- Thai SARA AM typed as NIKHAHIT + SARA AA ("ํา" → "ำ"), a common keyboard variant that looks the same;
- zero-width spaces (U+200B), which some word processors insert between Thai words, are dropped.

Each replace() costs a pass over every row's text, so the chain is kept to what Thai text really carries:
dropping U+200C, U+200D and U+FEFF too made a search of 20,000 texts 2.6 times slower (docs/performance.md).

A query is split on white space into terms; a text matches when it holds every term.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

ZERO_WIDTH = ("\u200b",)
SARA_AM_PARTS = "\u0e4d\u0e32"  # NIKHAHIT + SARA AA
SARA_AM = "\u0e33"
MAX_TERMS = 8
MAX_QUERY_LENGTH = 200


ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalize(text: str | None) -> str:
    """The normalised form of a text: what the SQL expression of normalized() computes in the database."""
    text = (text or "").translate(ASCII_LOWER).replace(SARA_AM_PARTS, SARA_AM)
    for char in ZERO_WIDTH:
        text = text.replace(char, "")
    return text


def query_terms(query: str | None) -> list[str]:
    """The normalised terms of a query: NFC, split on white space, duplicates dropped, at most MAX_TERMS."""
    query = unicodedata.normalize("NFC", (query or "")[:MAX_QUERY_LENGTH])
    terms = [normalize(term) for term in query.split()]
    return list(dict.fromkeys(term for term in terms if term))[:MAX_TERMS]


class ascii_lower(FunctionElement):
    """lower() of ASCII letters only: SQLite's lower(); PostgreSQL's under the "C" collation."""

    type = sa.Text()
    name = "ascii_lower"
    inherit_cache = True


@compiles(ascii_lower)
def _ascii_lower(element, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(ascii_lower, "postgresql")
def _ascii_lower_postgresql(element, compiler, **kw) -> str:
    return f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "C")'


def normalized(column) -> sa.ColumnElement:
    """SQL for normalize(column), on SQLite and PostgreSQL alike."""
    expression = sa.func.replace(ascii_lower(sa.func.coalesce(column, "")), SARA_AM_PARTS, SARA_AM)
    for char in ZERO_WIDTH:
        expression = sa.func.replace(expression, char, "")
    return expression


def like_pattern(term: str) -> str:
    """%term% with LIKE's wildcards in the term taken literally (escape character "\\")."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column, term: str) -> sa.ColumnElement:
    return normalized(column).like(like_pattern(term), escape="\\")


def matches_all(columns: list, terms: list[str]) -> sa.ColumnElement:
    """Every term is in at least one of the columns."""
    return sa.and_(*(sa.or_(*(contains(column, term) for column in columns)) for term in terms))


def _normalized_with_positions(text: str) -> tuple[str, list[int]]:
    """normalize(text), and for each of its characters the index of the original character it comes from."""
    out: list[str] = []
    positions: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in ZERO_WIDTH:
            index += 1
            continue
        if text.startswith(SARA_AM_PARTS, index):
            out.append(SARA_AM)
            positions.append(index)
            index += 2
            continue
        out.append(char.translate(ASCII_LOWER))
        positions.append(index)
        index += 1
    return "".join(out), positions


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in the original text, as (start, end) pairs, merged and in order."""
    folded, positions = _normalized_with_positions(text or "")
    spans = []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            original_end = positions[end] if end < len(positions) else len(text)
            spans.append((positions[start], original_end))
            start = folded.find(term, end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str | None, terms: list[str], *, width: int | None = None):
    """The text (or an extract of about ``width`` characters around the first match) as safe HTML with
    every match in <mark>."""
    from markupsafe import Markup, escape

    text = text or ""
    spans = match_spans(text, terms)
    start, end, prefix, suffix = 0, len(text), "", ""
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
        start = max(0, min(start, end - width))
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
    parts = [prefix]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        parts.append(escape(text[cursor:span_start]))
        parts.append(Markup("<mark>%s</mark>") % text[span_start:span_end])
        cursor = span_end
    parts.append(escape(text[cursor:end]))
    parts.append(suffix)
    return Markup("").join(parts)
