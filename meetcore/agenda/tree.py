"""Reading the agenda: the numbered tree of a meeting's items, their documents, and the agenda as live
clients hold it (the snapshot's "agenda", which every structural agenda event carries whole)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from meetcore.agenda.files import pdf_of
from meetcore.agenda.models import AgendaDocument, AgendaItem
from meetcore.extensions import db


def meeting_items(meeting_id: int) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def build_tree(items: list[AgendaItem]) -> list[dict]:
    """[{"item": AgendaItem, "number": "5.1", "children": [...]}, ...] in order."""
    by_parent: dict[int | None, list[AgendaItem]] = defaultdict(list)
    for item in items:
        by_parent[item.parent_id].append(item)

    def build(parent_id, prefix):
        nodes = []
        for index, item in enumerate(by_parent.get(parent_id, []), start=1):
            number = f"{prefix}{index}"
            nodes.append({"item": item, "number": number, "children": build(item.id, number + ".")})
        return nodes

    return build(None, "")


def public_tree(meeting_id: int) -> list[dict]:
    """The tree as agenda_tree gives it, for readers already allowed into the meeting (participants)."""
    return build_tree(meeting_items(meeting_id))


def walk(nodes: list[dict], depth: int = 0):
    """(node, depth) for every node of a tree, in agenda order."""
    for node in nodes:
        yield node, depth
        yield from walk(node["children"], depth + 1)


def find_node(nodes: list[dict], item_id: int) -> dict | None:
    for node, _depth in walk(nodes):
        if node["item"].id == item_id:
            return node
    return None


def document_out(document: AgendaDocument) -> dict:
    """A document as live pages and the API show it (no storage key: files are read through the app)."""
    return {
        "id": document.id,
        "item_id": document.agenda_item_id,
        "title": document.title,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "pdf": pdf_of(document) is not None,  # the projector can show it
        "pdf_state": document.pdf_state,  # an office file's PDF: pending, ready or failed; None otherwise
    }


def item_documents(item_id: int) -> list[AgendaDocument]:
    return list(
        db.session.scalars(
            sa.select(AgendaDocument)
            .where(AgendaDocument.agenda_item_id == item_id)
            .order_by(AgendaDocument.position, AgendaDocument.id)
        )
    )


def meeting_documents(meeting_id: int) -> dict[int, list[AgendaDocument]]:
    """Every document of the meeting by item id, in each item's order, from one query."""
    found: dict[int, list[AgendaDocument]] = {}
    rows = db.session.scalars(
        sa.select(AgendaDocument)
        .where(AgendaDocument.meeting_id == meeting_id)
        .order_by(AgendaDocument.agenda_item_id, AgendaDocument.position, AgendaDocument.id)
    )
    for document in rows:
        found.setdefault(document.agenda_item_id, []).append(document)
    return found


def agenda_state(meeting_id: int) -> list[dict]:
    """The agenda as live clients hold it: [{id, number, title, presenter, state, documents, children}]."""
    documents = meeting_documents(meeting_id)

    def node(entry: dict) -> dict:
        item = entry["item"]
        return {
            "id": item.id,
            "number": entry["number"],
            "title": item.title,
            "presenter": item.presenter,
            "state": item.state,
            "documents": [document_out(document) for document in documents.get(item.id, ())],
            "children": [node(child) for child in entry["children"]],
        }

    return [node(entry) for entry in public_tree(meeting_id)]
