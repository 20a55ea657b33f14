"""Provincial sites: links issued by the secretariat (console, API, CLI), the roll-call page with plain form
posts, and the site.roll_call live command; each tick is an attendance interval of kind "site"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetcore.attendance import processes, sites
from meetcore.attendance.matrix import board
from meetcore.attendance.models import SiteLink
from meetcore.extensions import db
from meetcore.transaction import commit
from tests.attendance.helpers import intervals, last_seq, logged, present
from tests.factories import SEVEN_ROLES, seat_at
from tests.live.browsers import wait_until

FOUR_ROLES = ["vice_governor", "public_health", "labour", "social_development"]


@pytest.fixture()
def site_token(scheduled, users) -> str:
    """A roll-call link of Chiang Mai's hall."""
    return sites.issue_site_link(scheduled, {"province_code": "TH-50"}, by=users["secretariat"]).token


def _present_cells(matrix) -> set[tuple[str, str]]:
    cells = set()
    for block in matrix.regions:
        for row in block.rows:
            for cell in row.cells:
                if cell is not None and cell.present:
                    cells.add((row.province.code, cell.seat.role.code))
    for cell in matrix.central:
        if cell.present:
            cells.add((None, cell.seat.role.code))
    return cells


def test_a_site_ticking_four_roles_makes_exactly_those_seats_present(client, site_token, scheduled, users):
    page = client.get(f"/site/{site_token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert html.count('name="present"') == 7  # Chiang Mai's seven roles, not Songkhla's
    chosen = [seat_at(scheduled, "TH-50", role).id for role in FOUR_ROLES]
    response = client.post(f"/site/{site_token}", data={"present": [str(i) for i in chosen]})
    assert response.status_code == 302

    matrix = board(scheduled, by=users["secretariat"])
    assert _present_cells(matrix) == {("TH-50", role) for role in FOUR_ROLES}
    assert matrix.totals.present == 4
    rows = intervals(scheduled)
    assert {row.seat_id for row in rows} == set(chosen) and {row.kind for row in rows} == {"site"}
    assert all(row.left_at is None and row.remote_addr == "127.0.0.1" for row in rows)
    assert "checked" in client.get(f"/site/{site_token}").get_data(as_text=True)

    # Untick one: its interval closes; posting the same again changes nothing.
    response = client.post(f"/site/{site_token}", data={"present": [str(i) for i in chosen[:3]]})
    assert response.status_code == 302
    assert _present_cells(board(scheduled, by=users["secretariat"])) == {("TH-50", r) for r in FOUR_ROLES[:3]}
    seq = last_seq(scheduled)
    client.post(f"/site/{site_token}", data={"present": [str(i) for i in chosen[:3]]})
    assert last_seq(scheduled) == seq and len(intervals(scheduled)) == 4


def test_a_form_naming_another_provinces_seat_changes_nothing(client, site_token, scheduled):
    songkhla = seat_at(scheduled, "TH-90", "labour").id
    chiang_mai = seat_at(scheduled, "TH-50", "labour").id
    for data in ({"present": [str(chiang_mai), str(songkhla)]}, {"present": ["x"]}, {"present": ["-3"]}):
        response = client.post(f"/site/{site_token}", data=data)
        assert response.status_code == 422
    assert intervals(scheduled) == []


def test_the_roll_call_over_socketio(live, site_token, scheduled, users):
    sio = live(auth={"site_token": site_token})
    assert sio.is_connected()
    ack = sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert ack["ok"]
    site = ack["snapshot"]["attendance"]["site"]
    assert site["province_code"] == "TH-50"
    assert [seat["role_code"] for seat in site["seats"]] == SEVEN_ROLES and "seats" not in ack["snapshot"][
        "attendance"
    ]

    seat = seat_at(scheduled, "TH-50", "labour")
    tick = sio.emit(
        "site.roll_call", {"meeting_id": scheduled.id, "seat_id": seat.id, "present": True}, callback=True
    )
    assert (
        tick["ok"]
        and tick["changed"] is True
        and tick["present"] is True
        and tick["seq"] == last_seq(scheduled)
    )
    again = sio.emit(
        "site.roll_call", {"meeting_id": scheduled.id, "seat_id": seat.id, "present": True}, callback=True
    )
    assert again["ok"] and again["changed"] is False
    assert present(scheduled) == {seat.id: "site"}
    [row] = intervals(scheduled)
    assert row.connection_id.startswith("site:")

    # Leaving the page does not end the roll call: the people are still in the hall.
    sio.disconnect()
    assert present(scheduled) == {seat.id: "site"}

    sio = live(auth={"site_token": site_token})
    sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    untick = sio.emit(
        "site.roll_call", {"meeting_id": scheduled.id, "seat_id": seat.id, "present": False}, callback=True
    )
    assert untick["ok"] and untick["changed"] is True
    assert present(scheduled) == {}


def test_a_site_acts_only_on_its_own_provinces_seats_in_its_meeting(
    live, site_token, scheduled, other_meeting
):
    sio = live(auth={"site_token": site_token})
    seq = last_seq(scheduled)
    songkhla = seat_at(scheduled, "TH-90", "labour")
    other = seat_at(other_meeting, "TH-50", "labour")
    central = seat_at(scheduled, None, "permanent_secretary")
    cases = [
        ({"meeting_id": scheduled.id, "seat_id": songkhla.id, "present": True}, "forbidden"),
        ({"meeting_id": scheduled.id, "seat_id": central.id, "present": True}, "forbidden"),
        ({"meeting_id": scheduled.id, "seat_id": other.id, "present": True}, "not_found"),
        ({"meeting_id": other_meeting.id, "seat_id": other.id, "present": True}, "forbidden"),
        ({"meeting_id": scheduled.id, "seat_id": 99999, "present": True}, "not_found"),
    ]
    for payload, code in cases:
        ack = sio.emit("site.roll_call", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == code, (payload, ack)
    assert intervals() == [] and last_seq(scheduled) == seq
    assert sio.emit("join", {"meeting_id": other_meeting.id}, callback=True)["error"]["code"] == "forbidden"


def test_a_withdrawn_link_stops_working_at_once(client, live, site_token, scheduled, users):
    sio = live(auth={"site_token": site_token})
    sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert sites.revoke_site_links(scheduled, "TH-50", by=users["secretariat"]) == 1
    seat = seat_at(scheduled, "TH-50", "labour")
    wait_until(lambda: not sio.is_connected(), timeout=1, message="the hall's screen was closed")
    page = client.get(f"/site/{site_token}")
    assert page.status_code == 410 and 'id="link-refused"' in page.get_data(as_text=True)
    assert client.post(f"/site/{site_token}", data={"present": [str(seat.id)]}).status_code == 410
    assert not live(auth={"site_token": site_token}).is_connected()
    assert intervals() == []


def test_an_expired_or_unknown_link_is_refused(client, live, site_token):
    db.session.execute(sa.update(SiteLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/site/{site_token}").status_code == 410
    assert not live(auth={"site_token": site_token}).is_connected()
    assert client.get("/site/nothing-like-a-token").status_code == 403
    assert not live(auth={"site_token": "forged"}).is_connected()


def test_the_secretariat_ticks_from_the_console_the_chair_and_seats_cannot(
    staff_socket, seat_socket, seats, scheduled
):
    seat = seats["central"]
    payload = {"meeting_id": scheduled.id, "seat_id": seat.id, "present": True}
    chair = staff_socket("chair", scheduled)
    assert chair.emit("site.roll_call", payload, callback=True)["error"]["code"] == "forbidden"
    participant = seat_socket(seats["cm_sd"])
    own = {**payload, "seat_id": seats["cm_sd"].id}
    assert participant.emit("site.roll_call", own, callback=True)["error"]["code"] == "forbidden"
    assert present(scheduled) == {seats["cm_sd"].id: "self"}
    secretariat = staff_socket("secretariat", scheduled)
    assert secretariat.emit("site.roll_call", payload, callback=True)["ok"]
    assert present(scheduled)[seat.id] == "site"
    [row] = intervals(scheduled, seat_id=seat.id)
    assert row.connection_id.startswith("user:")


def test_the_roll_call_closes_with_the_meeting(live, client, site_token, scheduled, users):
    from meetcore.meetings.services import end_meeting, start_meeting

    end_meeting(start_meeting(scheduled, by=users["secretariat"]), by=users["secretariat"])
    seat = seat_at(scheduled, "TH-50", "labour")
    sio = live(auth={"site_token": site_token})
    sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    ack = sio.emit(
        "site.roll_call", {"meeting_id": scheduled.id, "seat_id": seat.id, "present": True}, callback=True
    )
    assert ack["error"]["code"] == "conflict"
    assert client.post(f"/site/{site_token}", data={"present": [str(seat.id)]}).status_code == 409
    assert intervals() == []


# --- issuing links ---------------------------------------------------------------------------------------


def test_the_console_issues_shows_once_and_withdraws(as_secretariat, scheduled):
    page = as_secretariat.get(f"/meetings/{scheduled.id}/sites")
    assert page.status_code == 200 and 'data-province="TH-50"' in page.get_data(as_text=True)
    response = as_secretariat.post(f"/meetings/{scheduled.id}/sites", data={"province_code": "TH-50"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    token = html.split("/site/", 1)[1].split('"', 1)[0]
    [link] = db.session.scalars(sa.select(SiteLink)).all()
    assert link.token_hash != token and len(link.token_hash) == 64
    assert as_secretariat.get(f"/site/{token}").status_code == 200
    assert link.expires_at == scheduled.end_at + timedelta(hours=12)
    response = as_secretariat.post(f"/meetings/{scheduled.id}/sites/TH-50/revoke")
    assert response.status_code == 302
    assert as_secretariat.get(f"/site/{token}").status_code == 410


def test_a_province_without_seats_or_unknown_gets_no_link(as_secretariat, scheduled):
    for code in ("TH-10", "XX-99", ""):
        response = as_secretariat.post(f"/meetings/{scheduled.id}/sites", data={"province_code": code})
        assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(SiteLink.id))) == 0


def test_the_chair_cannot_issue_site_links(as_chair, scheduled):
    assert (
        as_chair.post(f"/meetings/{scheduled.id}/sites", data={"province_code": "TH-50"}).status_code == 403
    )
    assert as_chair.get(f"/meetings/{scheduled.id}/sites").status_code == 200


def test_the_cli_issues_a_link(app, scheduled, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sites", "link", str(scheduled.id), "TH-50"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://meetcore.test/site/")
    assert client.get(url.removeprefix("http://meetcore.test")).status_code == 200
    from meetcore.eventlog.models import MeetingEvent

    issued = db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.kind == "attendance.site_link_issued")
    ).one()
    assert (issued.actor_name, issued.actor_user_id) == ("system:cli", None)  # the system, by its name
    result = runner.invoke(args=["sites", "link", str(scheduled.id), "TH-99"])
    assert result.exit_code != 0 and "TH-99" in result.output
    result = runner.invoke(args=["sites", "revoke", str(scheduled.id), "TH-50"])
    assert result.exit_code == 0 and result.output.strip() == "1 revoked"


def test_the_api_issues_and_withdraws(client, api_token, scheduled):
    headers = api_token["secretariat"]
    response = client.post(
        f"/api/v1/meetings/{scheduled.id}/site-links", json={"province_code": "th-50"}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["province_code"] == "TH-50" and body["url"].endswith(body["token"])
    listing = client.get(f"/api/v1/meetings/{scheduled.id}/site-links", headers=headers).get_json()
    assert {"province_code": "TH-50", "seats": 7, "ticked": 0, "live_links": 1} in listing
    bad = client.post(
        f"/api/v1/meetings/{scheduled.id}/site-links", json={"province": "TH-50"}, headers=headers
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_input"
    chair = client.post(
        f"/api/v1/meetings/{scheduled.id}/site-links",
        json={"province_code": "TH-50"},
        headers=api_token["chair"],
    )
    assert chair.status_code == 403
    gone = client.delete(f"/api/v1/meetings/{scheduled.id}/site-links/TH-50", headers=headers)
    assert gone.get_json() == {"revoked": 1}


def test_the_ticks_end_with_the_meeting(client, site_token, scheduled, users):
    from meetcore.meetings.services import end_meeting, start_meeting
    from tests.attendance.helpers import logged

    seat = seat_at(scheduled, "TH-50", "labour")
    start_meeting(scheduled, by=users["secretariat"])
    client.post(f"/site/{site_token}", data={"present": [str(seat.id)]})
    end_meeting(scheduled, by=users["secretariat"])
    assert present(scheduled) == {seat.id: "site"}  # until a heartbeat (or `meetcore attendance sweep`)
    assert processes.close_finished_roll_calls() == 1
    [row] = intervals(scheduled)
    [ended] = logged(scheduled, "meeting.ended")
    assert row.left_at == ended.created_at and present(scheduled) == {}
    assert processes.close_finished_roll_calls() == 0


def test_a_tick_on_a_seat_held_in_person_tells_its_provinces_hall_only(staff_socket, seat_socket, seats,
                                                                      scheduled, users):  # fmt: skip
    """The tick changes no presence (the invitee is connected in person): no publication while no hall of
    the province follows; once one has a link, the next tick is published with that province's seats for
    it, and the ticks published are kept (attendance_boards.published_ticks)."""
    from meetcore.attendance.models import AttendanceBoard

    cm_sd = seats["cm_sd"]
    seat_socket(cm_sd)  # in person: present "self"
    secretariat = staff_socket("secretariat", scheduled)
    tick = {"meeting_id": scheduled.id, "seat_id": cm_sd.id}
    before = len(logged(scheduled, "attendance.board"))
    assert secretariat.emit("site.roll_call", {**tick, "present": True}, callback=True)["changed"]
    assert len(logged(scheduled, "attendance.board")) == before  # no hall to tell, no presence moved
    assert db.session.get(AttendanceBoard, scheduled.id, populate_existing=True).published_ticks == [cm_sd.id]

    sites.issue_site_link(scheduled, {"province_code": "TH-50"}, by=users["secretariat"])
    commit()
    assert secretariat.emit("site.roll_call", {**tick, "present": False}, callback=True)["changed"]
    [*_, event] = logged(scheduled, "attendance.board")
    assert event.payload["seats"] == [] and set(event.payload["sites"]) == {"TH-50"}
    [entry] = [s for s in event.payload["sites"]["TH-50"]["seats"] if s["seat_id"] == cm_sd.id]
    assert (entry["ticked"], entry["present"]) == (False, "self")
    assert db.session.get(AttendanceBoard, scheduled.id, populate_existing=True).published_ticks == []
