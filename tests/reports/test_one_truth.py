"""One truth about attendance (issue 15, item 3): after a meeting ends, its attendance board shows the record
(who attended, from the attendance intervals), not 0 present and "not replied"; the board, the attendance
report and the minutes say the same, all read through meetcore.attendance.statuses.seat_statuses."""

from __future__ import annotations

import re

import sqlalchemy as sa

from meetcore.extensions import db
from tests.conftest import sign_in

PRESENT_CELL = re.compile(r'<td class="cell s-present" data-seat="(\d+)"')
PRESENT_CENTRAL = re.compile(r'<tr data-central-seat="(\d+)" class="s-present">')


def test_the_ended_meetings_board_report_and_minutes_agree(held, client, users):
    from meetcore.attendance.models import Attendance
    from meetcore.attendance.services import check_out
    from meetcore.meetings.models import Meeting
    from meetcore.reports.attendance_report import attendance_report
    from meetcore.reports.content import build_document

    meeting = db.session.get(Meeting, held.meeting_id)
    assert meeting.status == "ended"
    # Everybody closes their page after the meeting: no interval is open (what the board used to count).
    for connection_id in db.session.scalars(sa.select(Attendance.connection_id).where(
            Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None))).all():  # fmt: skip
        check_out(connection_id)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None))) == 0  # fmt: skip

    sign_in(client, users["secretariat"])
    page = client.get(f"/meetings/{meeting.id}/board").get_data(as_text=True)
    on_board = {int(i) for i in PRESENT_CELL.findall(page)} | {int(i) for i in PRESENT_CENTRAL.findall(page)}
    expected = {seat.id for seat in held.present} | {held.substitute.id}
    assert on_board == expected
    assert f'<strong id="board-present">{len(expected)}</strong>' in page
    assert 'id="board-recorded"' in page

    report = attendance_report(meeting, by=users["secretariat"])
    in_report = {line.seat.id for line in report.seats if line.entry.status in ("present", "substitute")}
    assert in_report == on_board
    assert report.totals.attended == len(on_board)

    doc = build_document(meeting)
    assert doc.present_count + doc.supporting_count == len(on_board)
    absent_names = {entry.name for group in doc.absent for entry in group.entries}
    assert not absent_names & {seat.name for seat in held.present}
    assert doc.absent_count == report.totals.absent


def test_a_live_meeting_board_still_shows_who_is_connected_now(reference_meeting, users, client):
    from meetcore.attendance.services import Connection, check_in
    from meetcore.meetings.models import Meeting
    from meetcore.meetings.services import start_meeting
    from tests.factories import seat_at

    meeting = db.session.get(Meeting, reference_meeting["next_meeting_id"])
    start_meeting(meeting, by=users["secretariat"])
    seat = seat_at(meeting.id, "TH-50", "social_development")
    check_in(seat, via=Connection(connection_id="now:1", attendee_name=seat.name))
    sign_in(client, users["secretariat"])
    page = client.get(f"/meetings/{meeting.id}/board").get_data(as_text=True)
    assert {int(i) for i in PRESENT_CELL.findall(page)} == {seat.id}
    assert 'id="board-recorded"' not in page
