"""/api/v1 agenda: the tree of a meeting and writes to its items; thin, every change through
meetcore.agenda.services."""

from __future__ import annotations

from flask.views import MethodView

from meetcore.agenda import services
from meetcore.agenda.schemas import AgendaItemInput, AgendaItemOut, AgendaItemUpdate, MoveInput
from meetcore.api import api_blueprint, api_user, json_body, request_body
from meetcore.meetings.services import get_meeting

blp = api_blueprint("agenda_api", __name__, "Agenda: the numbered tree of items of a meeting")


@blp.route("/meetings/<int:meeting_id>/agenda")
class MeetingAgenda(MethodView):
    @blp.response(200, AgendaItemOut(many=True))
    def get(self, meeting_id: int):
        """The agenda as a tree: top-level items in order, each with its numbered children."""
        meeting = get_meeting(meeting_id, by=api_user())
        return services.agenda_tree(meeting, by=api_user())

    @blp.doc(**request_body(AgendaItemInput))
    @blp.response(201, AgendaItemOut)
    def post(self, meeting_id: int):
        """Add an item as the last one under parent_id (or at the end of the top level)."""
        meeting = get_meeting(meeting_id, by=api_user())
        item = services.add_item(meeting, json_body(), by=api_user())
        return services.item_node(item, by=api_user())


@blp.route("/meetings/<int:meeting_id>/agenda/standard-sections")
class StandardSections(MethodView):
    @blp.response(200, AgendaItemOut(many=True))
    def post(self, meeting_id: int):
        """Add the Thai standard sections 1-6 that are missing (safe to repeat); returns the whole tree."""
        meeting = get_meeting(meeting_id, by=api_user())
        services.insert_standard_sections(meeting, by=api_user())
        return services.agenda_tree(meeting, by=api_user())


@blp.route("/agenda-items/<int:item_id>")
class AgendaItemById(MethodView):
    @blp.response(200, AgendaItemOut)
    def get(self, item_id: int):
        """One item with its number and sub-items."""
        item = services.get_item(item_id, by=api_user())
        return services.item_node(item, by=api_user())

    @blp.doc(**request_body(AgendaItemUpdate))
    @blp.response(200, AgendaItemOut)
    def patch(self, item_id: int):
        """Change some fields; a parent_id given moves the item to the end of that parent."""
        item = services.get_item(item_id, by=api_user())
        item = services.update_item(item, json_body(), by=api_user())
        return services.item_node(item, by=api_user())

    @blp.response(204)
    def delete(self, item_id: int):
        """Delete the item and all its sub-items; the items after it are renumbered."""
        item = services.get_item(item_id, by=api_user())
        services.delete_item(item, by=api_user())


@blp.route("/agenda-items/<int:item_id>/move")
class AgendaItemMove(MethodView):
    @blp.doc(**request_body(MoveInput))
    @blp.response(200, AgendaItemOut)
    def post(self, item_id: int):
        """Move the item under parent_id (null: top level) and/or to position (0-based; default last)."""
        item = services.get_item(item_id, by=api_user())
        item = services.move_item(item, json_body(), by=api_user())
        return services.item_node(item, by=api_user())
