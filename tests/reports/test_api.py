"""/api/v1/meetings/{id}/minutes and /attendance/report: the same services, the same refusals, as JSON."""

from __future__ import annotations

from tests.reports.conftest import DECLINE_REASON, SUBSTITUTE_NAME


def test_minutes_through_the_api(held, client, api_token, users):
    from meetcore.meetings.models import Meeting
    from meetcore.meetings.services import start_meeting

    url = f"/api/v1/meetings/{held.meeting_id}/minutes"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=api_token["participant"]).status_code == 403
    data = client.get(url, headers=api_token["chair"]).get_json()
    assert data["state"] == "draft" and data["heading"]["number"] == "1/2560"
    assert any(entry["name"] == SUBSTITUTE_NAME and entry["on_behalf_of"] for entry in data["present"])
    assert any(entry["note"] == DECLINE_REASON for entry in data["absent"])
    assert all(item["decisions"] == [held.decisions[item["item_id"]]] for item in data["items"])

    # The chair reads; only the secretariat changes.
    assert client.post(f"{url}/circulate", json={}, headers=api_token["chair"]).status_code == 403
    bad = client.put(url, json={"grouping": "alphabet"}, headers=api_token["secretariat"])
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "grouping"
    data = client.put(url, json={"grouping": "province"}, headers=api_token["secretariat"]).get_json()
    assert data["grouping"] == "province" and data["absent"][0]["group"] == "ส่วนกลาง"
    refused = client.post(f"{url}/amendments", json={"text": "x"}, headers=api_token["secretariat"])
    assert refused.status_code == 409
    sent = client.post(f"{url}/circulate", json={}, headers=api_token["secretariat"]).get_json()
    assert sent["state"] == "circulated" and sent["sent"] == len(held.present) + 1
    from meetcore.extensions import db

    start_meeting(db.session.get(Meeting, held.next_meeting_id), by=users["secretariat"])
    certified = client.post(f"{url}/certify", json={}, headers=api_token["secretariat"]).get_json()
    assert certified["state"] == "certified" and certified["meeting_status"] == "certified"
    again = client.put(url, json={"recorder_name": "x"}, headers=api_token["secretariat"])
    assert again.status_code == 409
    amendment = client.post(f"{url}/amendments", json={"text": "แก้ไขคำผิด"}, headers=api_token["secretariat"])
    assert amendment.status_code == 201
    assert client.get(url, headers=api_token["chair"]).get_json()["amendments"][0]["text"] == "แก้ไขคำผิด"


def test_attendance_report_through_the_api(held, client, api_token):
    url = f"/api/v1/meetings/{held.meeting_id}/attendance/report"
    assert client.get(url, headers=api_token["participant"]).status_code == 403
    data = client.get(url, headers=api_token["chair"]).get_json()
    assert data["totals"]["seats"] == 542 and data["totals"]["substitute"] == 1
    chiang_mai = next(row for row in data["by_province"] if row["key"] == "TH-50")
    assert (chiang_mai["seats"], chiang_mai["present"], chiang_mai["absent"]) == (7, 3, 4)
    declined = next(seat for seat in data["seats"] if seat["seat_id"] == held.declined.id)
    assert declined["rsvp"] == "declined" and declined["absence_reason"] == DECLINE_REASON
