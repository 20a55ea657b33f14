"""The document projector (issue 16, item 4): the secretariat, the chair or whoever holds the floor shows an
agenda document (a PDF) to everyone and turns its pages. Every page fetches the document once and renders
it itself (Debian's pdf.js), so a page turn is one small live event (a few dozen bytes): a province on a
weak line follows the slides in audio-only mode.

A provincial hall's screen (its site link) reads only the PDF of the document being shown, while the meeting
is in session (open_pdf_for_hall): the link is a shared screen's address, kept all meeting long, so it
opens what everyone in the room sees and nothing more.

The projector's state is the payload of the meeting's latest projector.* event (each event carries the
state it results in), so it needs no table of its own and every app process reads the same state.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.actors import SiteActor
from meetcore.agenda.documents import ReadableDocument, get_document, open_document
from meetcore.agenda.files import pdf_of
from meetcore.attendance.sites import live_site_link
from meetcore.auth.permissions import STAFF
from meetcore.errors import Conflict, InvalidInput, PermissionDenied
from meetcore.eventlog.models import MeetingEvent
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.video import services

KINDS = ("projector.shown", "projector.turned", "projector.stopped")
PAGE_LIMIT = 10_000


class MayNotPresent(PermissionDenied):
    code = "projector_may_not_present"
    default_message = _l("Only the secretariat, the chair and whoever has the floor can show a document.")


class NotOnProjector(PermissionDenied):
    code = "projector_not_shown"
    default_message = _l(
        "This document is not being shown on the projector: a provincial hall's screen can open only the "
        "document being shown."
    )


def projector_state(meeting_id: int) -> dict | None:
    """{document_id, title, page, pages, presenter} of what is shown now; None when nothing is."""
    payload = db.session.scalar(
        sa.select(MeetingEvent.payload)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.kind.in_(KINDS))
        .order_by(MeetingEvent.seq.desc())
        .limit(1)
    )
    return (payload or {}).get("projector")


def _check_presenter(meeting: Meeting, by) -> str:
    """Who presents: a staff account, or the seat (or its provincial hall) that holds the floor."""
    if getattr(by, "role", None) in STAFF:
        return by.display_name or by.email
    endpoint = services.endpoint_of(by, meeting)  # refuses a link of another meeting
    if endpoint.kind == "studio" or endpoint.publisher_id not in services.entitled_publisher_ids(meeting):
        raise MayNotPresent()
    return endpoint.display


def _check_live(meeting: Meeting) -> None:
    if meeting.status != "live":
        raise Conflict(_l("Documents can be shown only while the meeting is in session."))


def _check_page(page, pages: int | None) -> int:
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= (pages or PAGE_LIMIT):
        raise InvalidInput(_l("This document has no such page."), field="page")
    return page


def show_document(meeting: Meeting, document_id: int, *, page: int = 1, pages: int | None = None, by) -> dict:
    """Put an agenda document (PDF) of this meeting on the projector at `page`; `pages`, its page count, as
    the presenter's browser read it."""
    presenter = _check_presenter(meeting, by)
    _check_live(meeting)
    document = get_document(meeting.id, document_id)
    if pdf_of(document) is None:
        raise InvalidInput(_l("Only PDF documents can be shown on the projector."), field="document_id")
    if pages is not None and (not isinstance(pages, int) or not 1 <= pages <= PAGE_LIMIT):
        raise InvalidInput(field="pages")
    state = {"document_id": document.id, "title": document.title, "page": _check_page(page, pages),
             "pages": pages, "presenter": presenter}  # fmt: skip
    record_event(meeting, "projector.shown", {"projector": state}, by=by)
    return state


def turn_page(meeting: Meeting, page: int, *, by) -> dict:
    """Turn the projector to `page`: one small event, the whole (small) state."""
    presenter = _check_presenter(meeting, by)
    _check_live(meeting)
    state = projector_state(meeting.id)
    if state is None:
        raise Conflict(_l("No document is being shown."))
    state = {**state, "page": _check_page(page, state.get("pages")), "presenter": presenter}
    record_event(meeting, "projector.turned", {"projector": state}, by=by)
    return state


def stop_showing(meeting: Meeting, *, by) -> None:
    _check_presenter(meeting, by)
    if projector_state(meeting.id) is not None:
        record_event(meeting, "projector.stopped", {"projector": None}, by=by)


def open_pdf_for_hall(meeting_id: int, document_id: int, *, reader) -> ReadableDocument:
    """The PDF of the document on the projector now, for a provincial hall's screen of this meeting whose
    link is still live; any other document, or any document once the meeting is no longer in session, is
    refused."""
    if not isinstance(reader, SiteActor):
        raise PermissionDenied(_l("Only a provincial hall's screen opens documents through its site link."))
    live_site_link(reader)  # withdrawn or expired since the screen opened the page
    if reader.meeting_id != meeting_id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    meeting = db.session.get(Meeting, meeting_id)
    _check_live(meeting)
    shown = projector_state(meeting_id)
    if shown is None or shown["document_id"] != document_id:
        raise NotOnProjector()
    return open_document(meeting_id, document_id, reader=reader, as_pdf=True)
