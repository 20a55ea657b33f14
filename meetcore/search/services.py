"""Searching agenda items, decisions and action items across every meeting (the secretariat's search page).

Normalised substring matching (meetcore.search.text) straight on the domain tables, on SQLite and
PostgreSQL alike: no index to keep in step with the other domains' writers. docs/performance.md ("Search")
gives the figures behind this choice: at the size of a ministry's archive a scan answers in milliseconds,
finds every text that holds the words as typed, and needs no Thai word segmentation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from meetcore.actions.models import ActionItem
from meetcore.agenda.models import AgendaItem
from meetcore.auth.permissions import require_staff
from meetcore.errors import InvalidInput
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import Page
from meetcore.minutes.models import Decision
from meetcore.search.text import highlight, matches_all, query_terms

KINDS = ("agenda", "decision", "action")
SNIPPET_WIDTH = 220


@dataclass
class Hit:
    kind: str
    id: int
    meeting: Meeting
    title: object  # safe HTML with <mark>s
    snippet: object | None
    agenda_item_id: int | None
    extra: dict = field(default_factory=dict)


@dataclass
class SearchResults:
    query: str
    terms: list[str]
    kind: str | None
    page: Page
    counts: dict[str, int]


def _candidates(kind: str, terms: list[str]):
    """(kind, id, meeting_id) of the matching rows of one kind."""
    label = sa.literal_column(f"'{kind}'").label("kind")  # a constant of ours, never user input
    if kind == "agenda":
        return sa.select(label, AgendaItem.id.label("id"), AgendaItem.meeting_id.label("meeting_id")).where(
            matches_all([AgendaItem.title, AgendaItem.description], terms)
        )
    if kind == "decision":
        return sa.select(label, Decision.id.label("id"), Decision.meeting_id.label("meeting_id")).where(
            matches_all([Decision.text], terms)
        )
    return sa.select(label, ActionItem.id.label("id"), ActionItem.meeting_id.label("meeting_id")).where(
        matches_all([ActionItem.title, ActionItem.description], terms)
    )


def search(
    query: str | None, *, by, kind: str | None = None, page: int = 1, per_page: int = 25
) -> SearchResults:
    """The agenda items, decisions and actions holding every term of the query, newest meeting first."""
    require_staff(by)
    terms = query_terms(query)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(_l("Search agenda items, decisions or actions."), field="kind")
    empty = Page(items=[], total=0, page=page, per_page=per_page)
    if not terms:
        return SearchResults(query=query or "", terms=[], kind=kind, page=empty, counts={})
    # One scan of the three tables gives both the counts per kind and the page: the matching rows are
    # only (kind, id, meeting) triples, cheap to hold even for a word found in every text.
    union = sa.union_all(*(_candidates(k, terms) for k in KINDS)).subquery()
    order = sa.case({"agenda": 0, "decision": 1, "action": 2}, value=union.c.kind, else_=3)
    matching = db.session.execute(
        sa.select(union.c.kind, union.c.id, union.c.meeting_id)
        .join(Meeting, Meeting.id == union.c.meeting_id)
        .order_by(Meeting.start_at.desc(), Meeting.id.desc(), order, union.c.id)
    ).all()
    counts = dict(Counter(row.kind for row in matching))
    chosen = [row for row in matching if kind is None or row.kind == kind]
    rows = chosen[(page - 1) * per_page : page * per_page]
    total = len(chosen)
    return SearchResults(
        query=query or "",
        terms=terms,
        kind=kind,
        page=Page(items=_hits(rows, terms), total=total, page=page, per_page=per_page),
        counts=counts,
    )


def _hits(rows, terms: list[str]) -> list[Hit]:
    ids: dict[str, list[int]] = {k: [] for k in KINDS}
    for kind, row_id, _meeting_id in rows:
        ids[kind].append(row_id)
    meetings = {
        m.id: m
        for m in db.session.scalars(
            sa.select(Meeting).options(joinedload(Meeting.series)).where(Meeting.id.in_({r[2] for r in rows}))
        )
    }
    agenda = {
        i.id: i for i in db.session.scalars(sa.select(AgendaItem).where(AgendaItem.id.in_(ids["agenda"])))
    }
    decisions = {
        d.id: d for d in db.session.scalars(sa.select(Decision).where(Decision.id.in_(ids["decision"])))
    }
    actions = {
        a.id: a for a in db.session.scalars(sa.select(ActionItem).where(ActionItem.id.in_(ids["action"])))
    }
    item_titles = dict(
        db.session.execute(
            sa.select(AgendaItem.id, AgendaItem.title).where(
                AgendaItem.id.in_(
                    [d.agenda_item_id for d in decisions.values()]
                    + [a.agenda_item_id for a in actions.values() if a.agenda_item_id]
                )
            )
        ).all()
    )
    hits = []
    for kind, row_id, meeting_id in rows:
        meeting = meetings[meeting_id]
        if kind == "agenda":
            item = agenda[row_id]
            hits.append(
                Hit(
                    kind,
                    row_id,
                    meeting,
                    highlight(item.title, terms),
                    highlight(item.description, terms, width=SNIPPET_WIDTH) if item.description else None,
                    item.id,
                )
            )
        elif kind == "decision":
            decision = decisions[row_id]
            hits.append(
                Hit(
                    kind,
                    row_id,
                    meeting,
                    highlight(item_titles.get(decision.agenda_item_id), terms),
                    highlight(decision.text, terms, width=SNIPPET_WIDTH),
                    decision.agenda_item_id,
                    {"taken_at": decision.taken_at},
                )
            )
        else:
            action = actions[row_id]
            hits.append(
                Hit(
                    kind,
                    row_id,
                    meeting,
                    highlight(action.title, terms),
                    highlight(action.description, terms, width=SNIPPET_WIDTH) if action.description else None,
                    action.agenda_item_id,
                    {
                        "due_date": action.due_date,
                        "agenda_title": item_titles.get(action.agenda_item_id),
                        "cancelled": action.cancelled_at is not None,
                    },
                )
            )
    return hits
