"""/api/v1/meetings/{id}/attendance and /site-links: thin, every change through meetcore.attendance."""

from __future__ import annotations

from flask.views import MethodView

from meetcore.api import api_blueprint, api_user, json_body, request_body
from meetcore.attendance import services, sites
from meetcore.attendance.schemas import AttendanceSettingsInput, SiteLinkInput
from meetcore.attendance.statuses import SeatAttendance, seat_statuses, status_counts
from meetcore.mail.message import public_url
from meetcore.meetings.services import get_meeting

blp = api_blueprint("attendance_api", __name__, "Attendance: statuses, identity-code setting, site links")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _status(entry: SeatAttendance) -> dict:
    seat = entry.seat
    return {
        "seat_id": seat.id,
        "province_code": seat.province.code if seat.province else None,
        "role_code": seat.role.code,
        "invitee": seat.name,
        "status": entry.status,
        "late": entry.late,
        "left_early": entry.left_early,
        "present_now": entry.present_now,
        "first_joined_at": _iso(entry.first_joined_at),
        "last_left_at": _iso(entry.last_left_at),
        "absence_reason": entry.absence_reason,
        "attendees": [
            {"name": person.name, "position": person.position, "as_substitute": person.as_substitute}
            for person in entry.attendees
        ],
    }


@blp.route("/meetings/<int:meeting_id>/attendance")
class Attendance(MethodView):
    @blp.response(200)
    def get(self, meeting_id: int):
        """Every seat's status: present, substitute or absent (with the reason), late, left early, who sat."""
        meeting = get_meeting(meeting_id, by=api_user())
        statuses = seat_statuses(meeting, by=api_user())
        return {
            "requires_identity_code": meeting.requires_identity_code,
            "totals": status_counts(statuses),
            "seats": [_status(entry) for entry in statuses],
        }


@blp.route("/meetings/<int:meeting_id>/attendance/settings")
class AttendanceSettings(MethodView):
    @blp.doc(**request_body(AttendanceSettingsInput))
    @blp.response(200)
    def put(self, meeting_id: int):
        """Ask (or stop asking) participants for a one-time code e-mailed to their seat's address."""
        meeting = get_meeting(meeting_id, by=api_user())
        meeting = services.update_settings(meeting, json_body(), by=api_user())
        return {"requires_identity_code": meeting.requires_identity_code}


@blp.route("/meetings/<int:meeting_id>/site-links")
class SiteLinks(MethodView):
    @blp.response(200)
    def get(self, meeting_id: int):
        """Every province with seats: its seats, seats ticked by its hall now, and live site links."""
        meeting = get_meeting(meeting_id, by=api_user())
        return [
            {
                "province_code": site.province.code,
                "seats": site.seats,
                "ticked": site.ticked,
                "live_links": site.live_links,
            }
            for site in sites.site_overview(meeting, by=api_user())
        ]

    @blp.doc(**request_body(SiteLinkInput))
    @blp.response(201)
    def post(self, meeting_id: int):
        """Issue a roll-call link for a province's hall. The token is returned once; only its hash is kept."""
        meeting = get_meeting(meeting_id, by=api_user())
        issued = sites.issue_site_link(meeting, json_body(), by=api_user())
        return {
            "link_id": issued.link.id,
            "province_code": issued.link.province.code,
            "expires_at": _iso(issued.link.expires_at),
            "token": issued.token,
            "url": public_url("attendance.site", token=issued.token),
        }


@blp.route("/meetings/<int:meeting_id>/site-links/<province_code>")
class SiteLinksOfProvince(MethodView):
    @blp.response(200)
    def delete(self, meeting_id: int, province_code: str):
        """Withdraw every live roll-call link of the province's hall."""
        meeting = get_meeting(meeting_id, by=api_user())
        return {"revoked": sites.revoke_site_links(meeting, province_code, by=api_user())}
