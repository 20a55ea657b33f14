"""/api/v1/meetings/{id}/seats and /board: thin, every change through meetcore.seats.services."""

from __future__ import annotations

from flask.views import MethodView

from meetcore.api import api_blueprint, api_user, json_body, request_body
from meetcore.attendance import matrix
from meetcore.meetings.services import get_meeting
from meetcore.seats import services
from meetcore.seats.schemas import (
    AddSeatsInput,
    AddSeatsOut,
    BoardOut,
    RosterQuery,
    SeatInput,
    SeatOut,
    SeatUpdate,
)

blp = api_blueprint("seats_api", __name__, "Seat roster and attendance board")


@blp.route("/meetings/<int:meeting_id>/seats")
class Seats(MethodView):
    @blp.arguments(RosterQuery, location="query")
    @blp.response(200, SeatOut(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
    def get(self, query, meeting_id: int):
        """The roster, by region, province (Thai order) and role; search with q, filter by region or role.

        X-Total-Count gives the number of matching seats over all pages.
        """
        meeting = get_meeting(meeting_id, by=api_user())
        page = services.list_roster(meeting, by=api_user(), **query)
        return page.items, {"X-Total-Count": str(page.total)}

    @blp.doc(**request_body(SeatInput))
    @blp.response(201, SeatOut)
    @blp.alt_response(409, description="The seat (province, role) is on the roster already")
    def post(self, meeting_id: int):
        """Add one seat with its invitee."""
        meeting = get_meeting(meeting_id, by=api_user())
        return services.add_seat(meeting, json_body(), by=api_user())


@blp.route("/meetings/<int:meeting_id>/seats/bulk")
class SeatsBulk(MethodView):
    @blp.doc(**request_body(AddSeatsInput))
    @blp.response(201, AddSeatsOut)
    def post(self, meeting_id: int):
        """Add the chosen provinces × provincial roles, and central roles, in one step.

        Seats that exist already are listed under "skipped" and left as they are.
        """
        meeting = get_meeting(meeting_id, by=api_user())
        result = services.add_seats(meeting, json_body(), by=api_user())
        return {"created": result.created, "skipped": result.skipped}


@blp.route("/meetings/<int:meeting_id>/seats/<int:seat_id>")
class SeatById(MethodView):
    @blp.response(200, SeatOut)
    def get(self, meeting_id: int, seat_id: int):
        """One seat."""
        meeting = get_meeting(meeting_id, by=api_user())
        return services.get_seat(meeting, seat_id, by=api_user())

    @blp.doc(**request_body(SeatUpdate))
    @blp.response(200, SeatOut)
    def patch(self, meeting_id: int, seat_id: int):
        """Change the invitee, the substitute or the recorded reply of a seat."""
        meeting = get_meeting(meeting_id, by=api_user())
        seat = services.get_seat(meeting, seat_id, by=api_user())
        return services.update_seat(seat, json_body(), by=api_user())

    @blp.response(204)
    def delete(self, meeting_id: int, seat_id: int):
        """Remove a seat (refused when it has attendance records)."""
        meeting = get_meeting(meeting_id, by=api_user())
        seat = services.get_seat(meeting, seat_id, by=api_user())
        services.remove_seat(seat, by=api_user())


@blp.route("/meetings/<int:meeting_id>/board")
class AttendanceBoard(MethodView):
    @blp.response(200, BoardOut)
    def get(self, meeting_id: int):
        """The province × role matrix with each seat's status, and totals per role, province and region."""
        meeting = get_meeting(meeting_id, by=api_user())
        return matrix.board(meeting, by=api_user())
