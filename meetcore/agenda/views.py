"""The secretariat's agenda editor. Thin: load → call one service → render or redirect.

Every change is a plain POST form (works with no JavaScript); bad input re-renders the page with the
translated error and status 422 (409 when the meeting no longer allows changes) and saves nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from meetcore.agenda import documents, services
from meetcore.auth.permissions import can_edit, require_editor
from meetcore.errors import Conflict, DomainError, InvalidInput, NotFound
from meetcore.link_limits import link_limit
from meetcore.meetings.services import get_meeting
from meetcore.storage import StorageRefused
from meetcore.transaction import refuse

bp = Blueprint("agenda", __name__)

ITEM_TEXT_FIELDS = ("title", "description", "presenter")
MOVES = {
    "up": services.move_up,
    "down": services.move_down,
    "indent": services.indent,
    "outdent": services.outdent,
}


def item_form_to_input(form, *, with_parent: bool) -> dict:
    """The add/edit form as the service's input: the boxes the form has, an empty one meaning "none"."""
    data = {name: form[name] for name in ITEM_TEXT_FIELDS if name in form}
    numbers = ("duration_minutes", "parent_id") if with_parent else ("duration_minutes",)
    for name in numbers:
        if name in form:
            data[name] = form[name].strip() or None
    return data


def _item_of(meeting, item_id: int):
    item = services.get_item(item_id, by=current_user)
    if item.meeting_id != meeting.id:
        raise NotFound(_("Agenda item %(id)s does not exist.", id=item_id))
    return item


def _parent_options(agenda: list[dict], exclude: set[int] = frozenset()) -> list[dict]:
    """Every item as a choice of parent, in agenda order, indented by depth."""
    return [
        {"id": node["item"].id, "number": node["number"], "title": node["item"].title, "depth": depth}
        for node, depth in services.walk(agenda)
        if node["item"].id not in exclude
    ]


def _editor_page(meeting, *, form=None, error_field=None, status: int = 200):
    agenda = services.agenda_tree(meeting, by=current_user)
    editable = can_edit(current_user) and services.agenda_editable(meeting)
    return render_template(
        "agenda/editor.html",
        meeting=meeting,
        agenda=agenda,
        editable=editable,
        missing_sections=services.missing_standard_sections(meeting, by=current_user) if editable else [],
        parent_options=_parent_options(agenda),
        form=form or {},
        error_field=error_field,
    ), status


def _item_page(meeting, item, *, form=None, error_field=None, status: int = 200):
    agenda = services.agenda_tree(meeting, by=current_user)
    node = services.item_node(item, by=current_user)
    subtree = {n["item"].id for n, _depth in services.walk([node])}
    if form is None:
        form = {name: getattr(item, name) or "" for name in ITEM_TEXT_FIELDS}
        form["duration_minutes"] = "" if item.duration_minutes is None else item.duration_minutes
    return render_template(
        "agenda/item_form.html",
        meeting=meeting,
        item=item,
        node=node,
        form=form,
        error_field=error_field,
        parent_options=_parent_options(agenda, exclude=subtree),
        documents=documents.item_documents(item.id),
        max_mb=documents.STORE.max_bytes() // (1024 * 1024),
    ), status


def _failed(error, page):
    """Undo whatever the failed call began, tell the user why, and show the page again."""
    refuse()
    flash(str(error.message), "error")
    return page(error)


def _to_item(meeting_id: int, item_id: int):
    return redirect(url_for("agenda.editor", meeting_id=meeting_id, _anchor=f"item-{item_id}"))


@bp.get("/meetings/<int:meeting_id>/agenda")
@login_required
def editor(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    return _editor_page(meeting)


@bp.post("/meetings/<int:meeting_id>/agenda/items")
@login_required
def add(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        item = services.add_item(meeting, item_form_to_input(request.form, with_parent=True), by=current_user)
    except (InvalidInput, Conflict) as error:
        return _failed(error, lambda e: _editor_page(meeting, form=request.form, error_field=e.field,
                                                      status=e.status))
    flash(_("The item has been added."), "success")
    return _to_item(meeting.id, item.id)


@bp.route("/meetings/<int:meeting_id>/agenda/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int, item_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    item = _item_of(meeting, item_id)
    if not services.agenda_editable(meeting):
        flash(_("This meeting has ended or was cancelled, so its agenda can no longer be changed."), "error")
        return _editor_page(meeting, status=409)
    if request.method == "POST":
        try:
            services.update_item(item, item_form_to_input(request.form, with_parent=False), by=current_user)
        except (InvalidInput, Conflict) as error:
            return _failed(error, lambda e: _item_page(meeting, _item_of(meeting, item_id), form=request.form,
                                                        error_field=e.field, status=e.status))
        flash(_("The item has been saved."), "success")
        return _to_item(meeting.id, item_id)
    return _item_page(meeting, item)


@bp.post("/meetings/<int:meeting_id>/agenda/items/<int:item_id>/move")
@login_required
def move(meeting_id: int, item_id: int):
    """One of the ↑ ↓ indent outdent buttons (field direction), or the edit page's "move under" form."""
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    item = _item_of(meeting, item_id)
    direction = request.form.get("direction")
    try:
        if direction in MOVES:
            MOVES[direction](item, by=current_user)
        elif "parent_id" in request.form:
            parent_id = request.form["parent_id"].strip() or None
            if str(item.parent_id or "") == (parent_id or ""):
                flash(_("The item is already there."), "info")
                return _to_item(meeting.id, item_id)
            services.move_item(item, {"parent_id": parent_id}, by=current_user)
        else:
            raise InvalidInput(_("Choose where to move the item."))
    except (InvalidInput, Conflict) as error:
        return _failed(error, lambda e: _editor_page(meeting, status=e.status))
    flash(_("The item has been moved."), "success")
    return _to_item(meeting.id, item_id)


@bp.route("/meetings/<int:meeting_id>/agenda/items/<int:item_id>/delete", methods=["GET", "POST"])
@login_required
def delete(meeting_id: int, item_id: int):
    """GET: what will be deleted, and a confirmation button. POST: delete it."""
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    item = _item_of(meeting, item_id)
    if request.method == "POST":
        try:
            deleted = services.delete_item(item, by=current_user)
        except (InvalidInput, Conflict) as error:
            return _failed(error, lambda e: _editor_page(meeting, status=e.status))
        sub_items = len(deleted) - 1
        if sub_items:
            flash(ngettext("The item and its %(num)d sub-item have been deleted.",
                           "The item and its %(num)d sub-items have been deleted.", sub_items), "success")
        else:
            flash(_("The item has been deleted."), "success")
        return redirect(url_for("agenda.editor", meeting_id=meeting.id))
    summary = services.deletion_summary(item, by=current_user)
    return render_template("agenda/delete.html", meeting=meeting, item=item, **summary,
                           editable=services.agenda_editable(meeting))


@bp.post("/meetings/<int:meeting_id>/agenda/standard-sections")
@login_required
def standard_sections(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        added = services.insert_standard_sections(meeting, by=current_user)
    except (InvalidInput, Conflict) as error:
        return _failed(error, lambda e: _editor_page(meeting, status=e.status))
    if added:
        flash(ngettext("%(num)d standard section has been added.",
                       "%(num)d standard sections have been added.", len(added)), "success")
    else:
        flash(_("All six standard sections are already on the agenda."), "info")
    return redirect(url_for("agenda.editor", meeting_id=meeting.id))


# --- documents of an item --------------------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/agenda/items/<int:item_id>/documents")
@login_required
def upload_document(meeting_id: int, item_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    item = _item_of(meeting, item_id)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput(_("Choose the file to upload."), field="file")
        title = request.form.get("title")
        documents.add_document(item, upload.stream, upload.filename, title, by=current_user)
    except (InvalidInput, Conflict, StorageRefused) as error:
        return _failed(error, lambda e: _item_page(meeting, _item_of(meeting, item_id), error_field=e.field,
                                                    status=e.status))  # fmt: skip
    flash(_("The document has been added."), "success")
    return redirect(url_for("agenda.edit", meeting_id=meeting.id, item_id=item_id, _anchor="documents"))


@bp.route("/meetings/<int:meeting_id>/agenda/documents/<int:document_id>/remove", methods=["GET", "POST"])
@login_required
def remove_document(meeting_id: int, document_id: int):
    """GET: which document, and a confirmation button. POST: remove it."""
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    document = documents.get_document(meeting.id, document_id)
    if request.method == "POST":
        item_id = document.agenda_item_id
        try:
            documents.remove_document(document, by=current_user)
        except (InvalidInput, Conflict) as error:
            return _failed(error, lambda e: _editor_page(meeting, status=e.status))
        flash(_("The document has been removed."), "success")
        return redirect(url_for("agenda.edit", meeting_id=meeting.id, item_id=item_id, _anchor="documents"))
    return render_template("agenda/remove_document.html", meeting=meeting, document=document)


# Shown in the browser; anything else is downloaded (never rendered as a page of this site).
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def _document_response(readable: documents.ReadableDocument) -> Response:
    document = readable.document
    content_type, name = document.content_type, document.filename
    if readable.as_pdf:  # the PDF made of an office file on upload (the projector's)
        content_type, name = "application/pdf", f"{name.rpartition('.')[0] or name}.pdf"
    etag = False if readable.as_pdf else document.sha256  # the hash is the uploaded file's
    response = send_file(readable.path, mimetype=content_type, download_name=name,
                         as_attachment=content_type not in INLINE_TYPES, etag=etag, conditional=True,
                         max_age=0)  # fmt: skip
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refused(error: DomainError) -> Response:
    refuse()
    page = render_template("seats/join_refused.html", status=error.status, message=error.message)
    return Response(page, status=error.status)


@bp.get("/meetings/<int:meeting_id>/documents/<int:document_id>")
def document(meeting_id: int, document_id: int):
    """A document, to staff accounts and to the seats and sites that joined this meeting in this browser."""
    from meetcore.live.actors import actor_for_connection

    try:
        reader = actor_for_connection(None)
        return _document_response(documents.open_document(meeting_id, document_id, reader=reader))
    except DomainError as error:
        return _refused(error)


@bp.get("/meetings/<int:meeting_id>/documents/<int:document_id>/pdf")
def document_pdf(meeting_id: int, document_id: int):
    """A document as the projector shows it (a PDF, or the PDF made of an office file), to the same
    readers as the document."""
    from meetcore.live.actors import actor_for_connection

    try:
        reader = actor_for_connection(None)
        readable = documents.open_document(meeting_id, document_id, reader=reader, as_pdf=True)
        return _document_response(readable)
    except DomainError as error:
        return _refused(error)


@bp.get("/join/<token>/documents/<int:document_id>")
def document_by_link(token: str, document_id: int):
    """A document through the personal link of a seat of its meeting (the invitation's links)."""
    from meetcore.live.actors import seat_actor_from_token

    try:
        reader = seat_actor_from_token(token)
        return _document_response(documents.open_document(reader.meeting_id, document_id, reader=reader))
    except DomainError as error:
        return _refused(error)


@bp.get("/site/<token>/documents/<int:document_id>/pdf")
@link_limit()
def hall_document_pdf(token: str, document_id: int):
    """The projector's document for a provincial hall's screen, through its site link: only the document
    being shown, while the meeting is in session (meetcore.video.projector.open_pdf_for_hall)."""
    from meetcore.attendance.sites import site_actor_from_token
    from meetcore.video.projector import open_pdf_for_hall

    try:
        reader = site_actor_from_token(token)
        return _document_response(open_pdf_for_hall(reader.meeting_id, document_id, reader=reader))
    except DomainError as error:
        return _refused(error)
