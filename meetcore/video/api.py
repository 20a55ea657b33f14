"""/api/v1/meetings/{id}/video: the meeting's room and where it was placed, its recordings; and a seat's
join credentials for scripts and load tests. Thin: everything through meetcore.video.services."""

from __future__ import annotations

from flask.views import MethodView

from meetcore.api import api_blueprint, api_user
from meetcore.auth.permissions import require_editor
from meetcore.errors import NotFound
from meetcore.extensions import db
from meetcore.meetings.services import get_meeting
from meetcore.seats.models import Seat
from meetcore.video import recordings, services

blp = api_blueprint("video_api", __name__, "Video: the meeting's Janus room, its placement and recordings")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@blp.route("/meetings/<int:meeting_id>/video")
class MeetingVideo(MethodView):
    def get(self, meeting_id: int):
        """The meeting's video room: the Janus server it was placed on, its room id, open or closed."""
        meeting = get_meeting(meeting_id, by=api_user())
        room = services.room_of(meeting)
        if room is None:
            return {"enabled": services.video_enabled(), "room": None, "loads": services.server_loads()}
        return {
            "enabled": services.video_enabled(),
            "room": {
                "janus_room_id": room.janus_room_id,
                "server_url": room.server_url,
                "open": room.is_open,
                "record": room.record,
                "created_at": _iso(room.created_at),
                "closed_at": _iso(room.closed_at),
            },
            "loads": services.server_loads(),
        }


@blp.route("/meetings/<int:meeting_id>/video/seats/<int:seat_id>/token")
class SeatToken(MethodView):
    def post(self, meeting_id: int, seat_id: int):
        """A seat's Janus credentials (secretariat only): for scripts, load tests and support."""
        user = api_user()
        require_editor(user)
        meeting = get_meeting(meeting_id, by=user)
        seat = db.session.get(Seat, seat_id)
        if seat is None or seat.meeting_id != meeting.id:
            raise NotFound()
        return services.mint_token(meeting, seat)


@blp.route("/meetings/<int:meeting_id>/video/recordings")
class Recordings(MethodView):
    def get(self, meeting_id: int):
        """The playable files made from the meeting's recordings, with their start times."""
        meeting = get_meeting(meeting_id, by=api_user())
        rows = recordings.list_recordings(meeting, by=api_user())
        names = recordings.publisher_names(rows)
        return {
            "recordings": [
                {
                    "id": row.id,
                    "file_name": row.file_name,
                    "kind": row.kind,
                    "publisher": names.get(row.publisher, row.publisher),
                    "started_at": _iso(row.started_at),
                    "size_bytes": row.size_bytes,
                }
                for row in rows
            ]
        }
