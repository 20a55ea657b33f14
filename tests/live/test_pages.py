"""The live pages from the outside (Flask test client): who may open which page, and what each one offers."""

from __future__ import annotations

import json
import re

import pytest

from meetcore.actors import SEAT_SESSION_KEY
from tests.conftest import sign_in


def _config(response) -> dict:
    pattern = rb'<script type="application/json" id="live-config">(.*?)</script>'
    match = re.search(pattern, response.data, re.S)
    assert match, "the page carries its settings for the browser module"
    return json.loads(match.group(1))


@pytest.fixture()
def seat(meeting, reference, users):
    from meetcore.seats.services import add_seat

    return add_seat(meeting, {"province_code": "TH-50", "role_code": "social_development",
                              "name": "ตัวอย่าง พมจ.เชียงใหม่"}, by=users["secretariat"])  # fmt: skip


@pytest.fixture()
def other_meeting(users):
    from meetcore.meetings.services import schedule_meeting
    from tests.conftest import MEETING_INPUT

    return schedule_meeting({**MEETING_INPUT, "number": 2, "title": "การประชุมอื่น"}, by=users["secretariat"])


def _as_seat(client, seat, meeting_id=None):
    with client.session_transaction() as session:
        session[SEAT_SESSION_KEY] = {
            "seat_id": seat.id, "meeting_id": meeting_id or seat.meeting_id,
            "attendee_name": "สมชาย ใจดี", "attendee_position": "พมจ.", "as_substitute": False,
        }  # fmt: skip


@pytest.mark.parametrize("path", ["/meetings/{id}/live", "/meetings/{id}/chair"])
def test_anonymous_visitors_are_sent_to_sign_in(client, meeting, path):
    response = client.get(path.format(id=meeting.id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/meetings/{id}/live", "/meetings/{id}/chair"])
def test_participant_accounts_cannot_open_the_staff_pages(client, users, meeting, path):
    sign_in(client, users["participant"])
    assert client.get(path.format(id=meeting.id)).status_code == 403


def test_secretariat_console_offers_the_controls(as_secretariat, meeting):
    response = as_secretariat.get(f"/meetings/{meeting.id}/live")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    config = _config(response)
    assert config["page"] == "console" and config["meeting_id"] == meeting.id
    assert config["can_edit"] is True and config["can_run_floor"] is True
    assert "owners" in config  # the action form's choices
    assert b'id="live-read-only"' not in response.data
    assert b"dist/minutes-editor.js" in response.data and b"dist/live-client.js" in response.data
    assert b'id="live-connection"' in response.data  # the connection indicator
    assert f'/meetings/{meeting.id}/live'.encode() in response.data  # the Live tab


def test_chair_sees_the_console_read_only(as_chair, meeting):
    response = as_chair.get(f"/meetings/{meeting.id}/live")
    assert response.status_code == 200
    config = _config(response)
    assert config["can_edit"] is False and "owners" not in config
    assert b'id="live-read-only"' in response.data


def test_chair_cannot_use_the_secretariat_controls(app_ctx, as_chair, meeting):
    """What the console hides from the chair, the server refuses too."""
    from meetcore.extensions import socketio

    sio = socketio.test_client(app_ctx, flask_test_client=as_chair)
    try:
        for name, payload in [("meeting.start", {}), ("meeting.end", {}),
                              ("agenda.set_current", {"item_id": 1})]:  # fmt: skip
            ack = sio.emit(name, {"meeting_id": meeting.id, **payload}, callback=True)
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", name
    finally:
        sio.disconnect()


def test_chair_view(as_chair, meeting):
    response = as_chair.get(f"/meetings/{meeting.id}/chair")
    assert response.status_code == 200
    config = _config(response)
    assert config["page"] == "chair" and config["can_run_floor"] is True and config["can_edit"] is False
    assert config["regions"]["north"] and config["strings"]["grant"]
    assert b'data-live="floor"' in response.data and b'data-live="completeness"' in response.data


def test_unknown_meeting_is_a_clear_404(as_secretariat):
    assert as_secretariat.get("/meetings/4242/live").status_code == 404
    assert as_secretariat.get("/meetings/4242/chair").status_code == 404


def test_participant_page_without_a_seat_identity_is_refused_clearly(client, meeting):
    response = client.get(f"/live/{meeting.id}")
    assert response.status_code == 403
    assert b'id="live-refused" data-reason="no_identity"' in response.data
    assert b"/join/" in response.data  # what a personal link looks like
    assert b"live-config" not in response.data


def test_participant_page_with_the_seat_identity(client, seat):
    _as_seat(client, seat)
    response = client.get(f"/live/{seat.meeting_id}")
    assert response.status_code == 200
    config = _config(response)
    assert config["page"] == "participant" and config["seat_id"] == seat.id
    assert config["can_edit"] is False and config["can_run_floor"] is False
    assert "owners" not in config
    assert "สมชาย ใจดี" in response.data.decode()
    for part in ("current", "reader", "agenda", "my-floor", "my-actions"):
        assert f'data-live="{part}"'.encode() in response.data
    assert b"minutes-editor.js" not in response.data  # readers need no Yjs


def test_a_seat_identity_of_one_meeting_cannot_open_another(client, seat, other_meeting):
    _as_seat(client, seat)
    response = client.get(f"/live/{other_meeting.id}")
    assert response.status_code == 403
    assert b'data-reason="other_meeting"' in response.data and b"live-config" not in response.data


def test_a_forged_identity_naming_a_seat_of_another_meeting_is_refused(client, seat, other_meeting):
    _as_seat(client, seat, meeting_id=other_meeting.id)  # the session says meeting B, the seat is of A
    response = client.get(f"/live/{other_meeting.id}")
    assert response.status_code == 404
    assert b'data-reason="no_seat"' in response.data and b"live-config" not in response.data


def test_staff_opening_a_participant_address_go_to_their_own_page(as_secretariat, meeting):
    response = as_secretariat.get(f"/live/{meeting.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}/live")


def test_pages_speak_thai_and_english(client, seat):
    from flask_babel import refresh

    _as_seat(client, seat)
    assert _config(client.get(f"/live/{seat.meeting_id}"))["locale"] == "th"  # Thai first
    client.get("/lang/en")
    refresh()  # the test's app context outlives requests: forget the language cached for the last one
    english = _config(client.get(f"/live/{seat.meeting_id}"))
    assert english["locale"] == "en" and english["strings"]["connected"] == "Connected"
