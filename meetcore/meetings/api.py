"""/api/v1/meetings: thin, every change through meetcore.meetings.services."""

from __future__ import annotations

from flask.views import MethodView

from meetcore.api import api_blueprint, api_user, json_body, request_body
from meetcore.meetings import services
from meetcore.meetings.schemas import CancelInput, MeetingInput, MeetingOut, MeetingQuery, MeetingUpdate

blp = api_blueprint("meetings_api", __name__, "Meetings: schedule, edit, cancel, list")


@blp.route("/meetings")
class Meetings(MethodView):
    @blp.arguments(MeetingQuery, location="query")
    @blp.response(200, MeetingOut(many=True))
    def get(self, query):
        """List meetings, newest first; search with q, filter by status."""
        page = services.list_meetings(by=api_user(), **query)
        return page.items

    @blp.doc(**request_body(MeetingInput))
    @blp.response(201, MeetingOut)
    def post(self):
        """Schedule a meeting."""
        return services.schedule_meeting(json_body(), by=api_user())


@blp.route("/meetings/<int:meeting_id>")
class MeetingById(MethodView):
    @blp.response(200, MeetingOut)
    def get(self, meeting_id: int):
        """One meeting."""
        return services.get_meeting(meeting_id, by=api_user())

    @blp.doc(**request_body(MeetingUpdate))
    @blp.response(200, MeetingOut)
    def patch(self, meeting_id: int):
        """Change some fields of a draft or scheduled meeting."""
        meeting = services.get_meeting(meeting_id, by=api_user())
        return services.update_meeting(meeting, json_body(), by=api_user())


@blp.route("/meetings/<int:meeting_id>/cancel")
class MeetingCancel(MethodView):
    @blp.doc(**request_body(CancelInput))
    @blp.response(200, MeetingOut)
    def post(self, meeting_id: int):
        """Cancel a draft or scheduled meeting."""
        meeting = services.get_meeting(meeting_id, by=api_user())
        return services.cancel_meeting(meeting, json_body(), by=api_user())
