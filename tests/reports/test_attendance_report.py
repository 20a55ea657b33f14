"""The attendance report of the held reference meeting: per seat (status, reply, substitute, minutes attended)
and per connection, completeness per province and per role; the page, CSV and XLSX; staff only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from meetcore.extensions import db
from tests.conftest import sign_in
from tests.factories import seat_at
from tests.reports.conftest import DECLINE_REASON, SUBSTITUTE_NAME


def _shift_session(meeting_id: int, minutes: int) -> None:
    """Make the session last ``minutes`` (the scripted session takes a second): every interval and the
    meeting.ended event move that much later."""
    from meetcore.attendance.models import Attendance
    from meetcore.eventlog.models import MeetingEvent

    ended = db.session.scalars(
        sa.select(MeetingEvent).where(
            MeetingEvent.meeting_id == meeting_id, MeetingEvent.kind == "meeting.ended"
        )
    ).one()
    ended.created_at = ended.created_at + timedelta(minutes=minutes)
    for row in db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting_id)):
        if row.left_at is not None:
            row.left_at = row.left_at + timedelta(minutes=minutes)
    db.session.commit()


def _leave_early(meeting_id: int, seat, minutes_in: int) -> None:
    from meetcore.attendance.models import Attendance
    from meetcore.attendance.statuses import meeting_times
    from meetcore.meetings.models import Meeting

    started = meeting_times(db.session.get(Meeting, meeting_id)).started_at
    for row in db.session.scalars(sa.select(Attendance).where(Attendance.seat_id == seat.id)):
        row.joined_at = started
        row.left_at = started + timedelta(minutes=minutes_in)
    db.session.commit()


def test_report_rows_completeness_and_files(held, users, client):
    from openpyxl import load_workbook

    from meetcore.attendance.services import check_out

    # Close the open intervals as the meeting's end would when browsers leave; give the session 90 minutes.
    for number in range(len(held.present)):
        check_out(f"test:{number}")
    check_out("test:substitute")
    _shift_session(held.meeting_id, 90)
    early = seat_at(held.meeting_id, "TH-90", "labour")
    _leave_early(held.meeting_id, early, 30)

    sign_in(client, users["secretariat"])
    client.get("/lang/en")
    page = client.get(f"/meetings/{held.meeting_id}/attendance/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/meetings/{held.meeting_id}/attendance/connections.csv" in html  # the decree's connection log
    assert 'data-key="TH-50" data-complete="no"' in html
    assert SUBSTITUTE_NAME in html and DECLINE_REASON in html

    response = client.get(f"/meetings/{held.meeting_id}/attendance/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 542
    by_name = {row["Invitee"]: row for row in rows}
    declined = by_name[held.declined.name]
    assert declined["Status"] == "Absent" and declined["Reason for absence"] == DECLINE_REASON
    assert declined["Reply"] == "Will not attend" and declined["Minutes attended"] == "0"
    substitute = by_name[held.substitute.name]
    assert substitute["Status"] == "Present by substitute" and substitute["Substitute"] == SUBSTITUTE_NAME
    assert 89 <= int(substitute["Minutes attended"]) <= 91
    assert by_name[early.name]["Minutes attended"] == "30"
    assert sum(row["Status"] != "Absent" for row in rows) == len(held.present) + 1

    response = client.get(f"/meetings/{held.meeting_id}/attendance/report.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == ["Seats", "Connections", "Provinces", "Roles", "Votes"]
    seats = list(workbook["Seats"].iter_rows(values_only=True))
    assert len(seats) == 543
    connections = list(workbook["Connections"].iter_rows(values_only=True))
    assert len(connections) == 1 + len(held.present) + 1
    provinces = {row[0]: row for row in workbook["Provinces"].iter_rows(values_only=True)}
    assert provinces["Chiang Mai"][1:5] == (7, 3, 0, 4)
    assert provinces["Songkhla"][1:5] == (7, 2, 1, 4)
    assert provinces["All seats"][1:5] == (542, len(held.present), 1, 542 - len(held.present) - 1)
    roles = {row[0]: row for row in workbook["Roles"].iter_rows(values_only=True)}
    assert sum(row[1] for name, row in roles.items() if name not in ("Role", "All seats")) == 542


def test_the_report_is_for_the_staff_only(held, users, client, app):
    from flask import g

    sign_in(client, users["participant"])
    for path in ("", ".csv", ".xlsx"):
        assert client.get(f"/meetings/{held.meeting_id}/attendance/report{path}").status_code == 403
    g.pop("_login_user", None)
    chair = app.test_client()
    sign_in(chair, users["chair"])
    assert chair.get(f"/meetings/{held.meeting_id}/attendance/report.csv").status_code == 200
