"""Derived statuses of each seat: present, present by substitute, late, left early, absent (with reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetcore.attendance.models import Attendance
from meetcore.attendance.statuses import seat_statuses, status_counts
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from tests.clock import MEETING_DAY, in_bangkok

T0 = in_bangkok(MEETING_DAY, 10)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def _held(meeting, users, *, started=T0, ended=T0 + 3 * HOUR):
    """The meeting as if planned for T0..T0+3h and put in session / ended at the given times."""
    from meetcore.meetings.services import end_meeting, start_meeting

    start_meeting(meeting, by=users["secretariat"])
    if ended is not None:
        end_meeting(meeting, by=users["secretariat"])
    db.session.execute(
        sa.update(Meeting).where(Meeting.id == meeting.id).values(start_at=T0, end_at=T0 + 3 * HOUR)
    )
    for kind, at in (("meeting.started", started), ("meeting.ended", ended)):
        db.session.execute(
            sa.update(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == kind)
            .values(created_at=at)
        )
    db.session.commit()
    return db.session.get(Meeting, meeting.id, populate_existing=True)


def _interval(meeting, seat, joined, left=None, kind="self", name=None):
    db.session.add(
        Attendance(
            meeting_id=meeting.id, seat_id=seat.id, kind=kind, connection_id=f"test:{joined.timestamp()}",
            attendee_name=name or seat.name, attendee_position=seat.position, joined_at=joined, left_at=left,
        )
    )  # fmt: skip


@pytest.fixture()
def history(scheduled, seats, users):
    meeting = _held(scheduled, users)
    _interval(meeting, seats["cm_sd"], T0 - 5 * MIN)  # early, still here
    _interval(meeting, seats["cm_lab"], T0 + 20 * MIN, T0 + 3 * HOUR + MIN)  # late
    _interval(meeting, seats["cm_vg"], T0, T0 + HOUR)  # left early
    _interval(meeting, seats["cm_ph"], T0 + 10 * MIN, T0 + 2 * HOUR + 50 * MIN, "substitute", "นายแทน ดี")
    _interval(meeting, seats["cm_po"], T0 - 30 * MIN, T0 - 20 * MIN)  # only in the waiting room
    _interval(meeting, seats["central"], T0 + HOUR, T0 + 2 * HOUR, "site")
    _interval(meeting, seats["central"], T0 + 2 * HOUR + 30 * MIN)
    seats["sk_sd"].absence_reason = "ติดราชการ"
    db.session.commit()
    return meeting


def _by_seat(meeting, users, **kwargs) -> dict:
    return {entry.seat.id: entry for entry in seat_statuses(meeting, by=users["chair"], **kwargs)}


def test_statuses(history, seats, users):
    found = _by_seat(history, users, now=T0 + 5 * HOUR)
    flags = {key: found[seat.id].flags for key, seat in seats.items()}
    assert flags == {
        "cm_sd": ["present"],
        "cm_lab": ["present", "late"],
        "cm_vg": ["present", "left_early"],
        "cm_ph": ["substitute"],  # within the grace at both ends
        "cm_po": ["absent"],  # left before the meeting started
        "sk_sd": ["absent"],
        "central": ["present", "late"],  # first ticked by the roll call an hour in, still here
    }
    assert found[seats["sk_sd"].id].absence_reason == "ติดราชการ"
    assert found[seats["cm_lab"].id].first_joined_at == T0 + 20 * MIN
    assert found[seats["cm_vg"].id].last_left_at == T0 + HOUR
    [substitute] = found[seats["cm_ph"].id].attendees
    assert (substitute.name, substitute.as_substitute) == ("นายแทน ดี", True)
    totals = status_counts(list(found.values()))
    assert totals == {"seats": 15, "present": 4, "substitute": 1, "absent": 10, "late": 2, "left_early": 1}


def test_the_grace_is_configurable(app, history, seats, users):
    app.config["MEETCORE_LATE_GRACE_MINUTES"] = 5
    try:
        found = _by_seat(history, users, now=T0 + 5 * HOUR)
    finally:
        app.config["MEETCORE_LATE_GRACE_MINUTES"] = 15
    assert found[seats["cm_ph"].id].flags == ["substitute", "late", "left_early"]


def test_a_meeting_that_started_late_makes_nobody_late_for_the_wait(scheduled, seats, users):
    meeting = _held(scheduled, users, started=T0 + 30 * MIN)
    _interval(meeting, seats["cm_lab"], T0 + 20 * MIN, T0 + 3 * HOUR)
    _interval(meeting, seats["cm_sd"], T0 + 50 * MIN, T0 + 3 * HOUR)
    db.session.commit()
    found = _by_seat(meeting, users, now=T0 + 4 * HOUR)
    assert found[seats["cm_lab"].id].flags == ["present"]
    assert found[seats["cm_sd"].id].flags == ["present", "late"]


def test_a_meeting_that_ended_early_makes_nobody_early_for_it(scheduled, seats, users):
    meeting = _held(scheduled, users, ended=T0 + HOUR)
    _interval(meeting, seats["cm_lab"], T0, T0 + HOUR - 10 * MIN)
    _interval(meeting, seats["cm_sd"], T0, T0 + 30 * MIN)
    db.session.commit()
    found = _by_seat(meeting, users, now=T0 + 4 * HOUR)
    assert found[seats["cm_lab"].id].flags == ["present"]
    assert found[seats["cm_sd"].id].flags == ["present", "left_early"]


def test_while_in_session_a_seat_that_left_counts_as_left_early(scheduled, seats, users):
    meeting = _held(scheduled, users, ended=None)
    _interval(meeting, seats["cm_lab"], T0, T0 + HOUR)
    db.session.commit()
    assert _by_seat(meeting, users, now=T0 + 2 * HOUR)[seats["cm_lab"].id].flags == ["present", "left_early"]


def test_before_the_start_the_waiting_room_counts(scheduled, seats, users):
    _interval(scheduled, seats["cm_sd"], datetime.now(UTC) - MIN)
    db.session.commit()
    assert _by_seat(scheduled, users)[seats["cm_sd"].id].flags == ["present"]


def test_the_overview_page_and_the_api(as_secretariat, client, api_token, history, seats):
    page = as_secretariat.get(f"/meetings/{history.id}/attendance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-seat="{seats["cm_lab"].id}" data-status="present late"' in html
    assert "ติดราชการ" in html and "นายแทน ดี" in html
    body = client.get(f"/api/v1/meetings/{history.id}/attendance", headers=api_token["chair"]).get_json()
    assert body["totals"]["late"] == 2
    entry = next(e for e in body["seats"] if e["seat_id"] == seats["cm_vg"].id)
    assert entry["left_early"] is True and entry["status"] == "present" and entry["province_code"] == "TH-50"
    participant = client.get(f"/api/v1/meetings/{history.id}/attendance", headers=api_token["participant"])
    assert participant.status_code == 403


def test_the_api_setting(client, api_token, scheduled):
    url = f"/api/v1/meetings/{scheduled.id}/attendance/settings"
    ok = client.put(url, json={"requires_identity_code": True}, headers=api_token["secretariat"])
    assert ok.status_code == 200 and ok.get_json() == {"requires_identity_code": True}
    for bad in ({"requires_identity_code": "yes"}, {}, {"requires_identity_code": True, "x": 1}):
        response = client.put(url, json=bad, headers=api_token["secretariat"])
        assert response.status_code == 422
    assert (
        client.put(url, json={"requires_identity_code": False}, headers=api_token["chair"]).status_code == 403
    )
    assert db.session.get(Meeting, scheduled.id, populate_existing=True).requires_identity_code is True
