"""/api/v1/meetings/{id}/minutes and /attendance/report: thin, every change through meetcore.reports."""

from __future__ import annotations

from flask.views import MethodView

from meetcore.api import api_blueprint, api_user, json_body, request_body
from meetcore.meetings.services import get_meeting
from meetcore.reports import attendance_report, reading, services
from meetcore.reports.schemas import AmendmentInput, CertifyInput, CirculateInput, MinutesDetailsInput

blp = api_blueprint(
    "reports_api", __name__, "Official minutes: details, circulation, certification, amendments"
)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _people(groups) -> list[dict]:
    return [
        {"group": group.title, "name": entry.name, "position": entry.position,
         "on_behalf_of": entry.on_behalf_of, "note": entry.note}
        for group in groups
        for entry in group.entries
    ]  # fmt: skip


def _minutes(meeting_id: int) -> dict:
    meeting = get_meeting(meeting_id, by=api_user())
    doc = reading.document_for(meeting, by=api_user())
    row = doc.row
    return {
        "meeting_id": meeting.id,
        "state": row.state,
        "meeting_status": meeting.status,
        "heading": {
            "title": doc.title,
            "number": doc.number_label,
            "date": doc.date_text,
            "venue": doc.venue,
        },
        "recorder": {"name": row.recorder_name, "position": row.recorder_position},
        "reviewer": {"name": row.reviewer_name, "position": row.reviewer_position},
        "grouping": row.grouping,
        "other_attendees": row.other_attendees,
        "circulated_at": _iso(row.circulated_at),
        "comments_due": _iso(row.comments_due),
        "certified_at": _iso(row.certified_at),
        "certified_at_item_id": row.certified_at_item_id,
        "started": doc.started_text,
        "ended": doc.ended_text,
        "present": _people(doc.present),
        "absent": _people(doc.absent),
        "supporting": _people(doc.supporting),
        "items": [
            {
                "item_id": item.item_id,
                "number": item.number,
                "title": item.title,
                "text": item.text,
                "decisions": item.decisions,
                "previous_minutes_meeting_id": item.previous_minutes.id if item.previous_minutes else None,
            }
            for item in doc.items
        ],
        "amendments": [
            {"number": line.number, "text": line.text, "by": line.by, "at": _iso(line.at)}
            for line in doc.amendments
        ],
    }


@blp.route("/meetings/<int:meeting_id>/minutes")
class Minutes(MethodView):
    @blp.response(200)
    def get(self, meeting_id: int):
        """The official minutes as data: state, heading, attendance, items with decisions, amendments."""
        return _minutes(meeting_id)

    @blp.doc(**request_body(MinutesDetailsInput))
    @blp.response(200)
    def put(self, meeting_id: int):
        """Set the minute taker, the checker, the grouping of attendance and attendees without a seat."""
        services.update_details(get_meeting(meeting_id, by=api_user()), json_body(), by=api_user())
        return _minutes(meeting_id)


@blp.route("/meetings/<int:meeting_id>/minutes/circulate")
class Circulate(MethodView):
    @blp.doc(**request_body(CirculateInput))
    @blp.response(200)
    def post(self, meeting_id: int):
        """E-mail the minutes to the attendees for comment (through the outbox)."""
        result = services.circulate(get_meeting(meeting_id, by=api_user()), json_body(), by=api_user())
        return {"sent": result.sent, **_minutes(meeting_id)}


@blp.route("/meetings/<int:meeting_id>/minutes/certify")
class Certify(MethodView):
    @blp.doc(**request_body(CertifyInput))
    @blp.response(200)
    def post(self, meeting_id: int):
        """Certified at the next meeting's item "รับรองรายงานการประชุม": the minutes are locked."""
        services.certify(get_meeting(meeting_id, by=api_user()), json_body(), by=api_user())
        return _minutes(meeting_id)


@blp.route("/meetings/<int:meeting_id>/minutes/amendments")
class Amendments(MethodView):
    @blp.doc(**request_body(AmendmentInput))
    @blp.response(201)
    def post(self, meeting_id: int):
        """Record a correction to certified minutes."""
        amendment = services.amend(get_meeting(meeting_id, by=api_user()), json_body(), by=api_user())
        return {"id": amendment.id, "item_id": amendment.agenda_item_id, "text": amendment.text,
                "by": amendment.created_by_name, "at": _iso(amendment.created_at)}  # fmt: skip


@blp.route("/meetings/<int:meeting_id>/attendance/report")
class AttendanceReport(MethodView):
    @blp.response(200)
    def get(self, meeting_id: int):
        """Per seat: reply, status, substitute, first join, last leave, minutes attended; completeness."""
        report = attendance_report.attendance_report(get_meeting(meeting_id, by=api_user()), by=api_user())

        def completeness(row):
            return {"key": row.key, "title": row.title, "seats": row.seats, "present": row.present,
                    "substitute": row.substitute, "absent": row.absent, "percent": row.percent}  # fmt: skip

        return {
            "started_at": _iso(report.started_at),
            "ended_at": _iso(report.ended_at),
            "totals": completeness(report.totals),
            "by_province": [completeness(row) for row in report.by_province],
            "by_role": [completeness(row) for row in report.by_role],
            "seats": [
                {
                    "seat_id": line.seat.id,
                    "province_code": line.seat.province.code if line.seat.province else None,
                    "role_code": line.seat.role.code,
                    "invitee": line.seat.name,
                    "rsvp": line.seat.rsvp,
                    "absence_reason": line.seat.absence_reason,
                    "status": line.entry.status,
                    "substitute_name": line.seat.substitute_name,
                    "attended_by": line.attended_by,
                    "first_joined_at": _iso(line.entry.first_joined_at),
                    "last_left_at": _iso(line.entry.last_left_at),
                    "minutes_attended": line.minutes,
                    "connections": line.connections,
                }
                for line in report.seats
            ],
        }
