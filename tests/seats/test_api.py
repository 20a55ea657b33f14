"""/api/v1/meetings/{id}/seats and /board: shape, writes, errors and bearer-token permissions."""

from __future__ import annotations

import pytest

from tests.factories import seat_at
from tests.seats.helpers import seat_count


def test_roster_shape_and_total(small_roster, client, api_token):
    response = client.get(f"/api/v1/meetings/{small_roster.id}/seats", headers=api_token["chair"])
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "16"
    seats = response.get_json()
    assert len(seats) == 16
    first, chiang_mai = seats[0], seats[2]
    assert first["scope"] == "central" and first["province"] is None
    assert first["role"]["code"] == "permanent_secretary"
    assert chiang_mai["scope"] == "provincial"
    assert chiang_mai["province"] == {
        "id": chiang_mai["province"]["id"],
        "code": "TH-50",
        "name_th": "เชียงใหม่",
        "name_en": "Chiang Mai",
        "region": "north",
    }
    assert set(chiang_mai) == {
        "id",
        "meeting_id",
        "scope",
        "province",
        "role",
        "name",
        "position",
        "email",
        "substitute_name",
        "substitute_position",
        "substitute_email",
        "rsvp",
        "absence_reason",
    }
    assert chiang_mai["role"]["short_th"] == "รองผู้ว่าฯ" and chiang_mai["rsvp"] == "pending"


def test_roster_query_arguments(small_roster, client, api_token):
    url = f"/api/v1/meetings/{small_roster.id}/seats"
    response = client.get(
        url, query_string={"region": "south", "per_page": 3, "page": 2}, headers=api_token["admin"]
    )
    assert response.headers["X-Total-Count"] == "7" and len(response.get_json()) == 3
    response = client.get(url, query_string={"q": "สงขลา", "role": "labour"}, headers=api_token["admin"])
    assert [s["province"]["code"] for s in response.get_json()] == ["TH-90"]
    response = client.get(url, query_string={"per_page": 5000}, headers=api_token["admin"])
    assert response.status_code == 422


def test_bulk_add_reports_created_and_skipped(small_roster, client, api_token):
    response = client.post(
        f"/api/v1/meetings/{small_roster.id}/seats/bulk",
        headers=api_token["secretariat"],
        json={"provinces": ["TH-50", "TH-10"], "roles": ["labour"]},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert [(s["province"]["code"], s["role"]["code"]) for s in body["created"]] == [("TH-10", "labour")]
    assert body["skipped"] == [{"province_code": "TH-50", "role_code": "labour"}]


def test_add_one_seat_and_a_duplicate_is_409(small_roster, client, api_token):
    url = f"/api/v1/meetings/{small_roster.id}/seats"
    response = client.post(
        url,
        headers=api_token["secretariat"],
        json={"province_code": "TH-10", "role_code": "labour", "name": "ก", "email": "a@example.org"},
    )
    assert response.status_code == 201 and response.get_json()["email"] == "a@example.org"
    response = client.post(
        url, headers=api_token["secretariat"], json={"province_code": "TH-10", "role_code": "labour"}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and "is already on the roster" in error["message"]
    assert seat_count(small_roster) == 17


def test_patch_and_delete_a_seat(small_roster, client, api_token):
    seat = seat_at(small_roster, "TH-50", "labour")
    url = f"/api/v1/meetings/{small_roster.id}/seats/{seat.id}"
    response = client.patch(url, headers=api_token["secretariat"], json={"email": "x@"})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "email"
    assert "“x@” is not a valid e-mail address." in response.get_json()["error"]["message"]
    response = client.patch(
        url, headers=api_token["secretariat"], json={"name": "นายเอพีไอ", "rsvp": "accepted"}
    )
    assert response.status_code == 200
    assert (response.get_json()["name"], response.get_json()["rsvp"]) == ("นายเอพีไอ", "accepted")
    response = client.patch(url, headers=api_token["secretariat"], json={"province_code": "TH-10"})
    assert response.status_code == 422  # a seat does not move: remove it and add another
    assert client.delete(url, headers=api_token["secretariat"]).status_code == 204
    assert client.get(url, headers=api_token["secretariat"]).status_code == 404
    assert seat_count(small_roster) == 15


def test_malformed_json_is_a_clear_422(small_roster, client, api_token):
    response = client.post(
        f"/api/v1/meetings/{small_roster.id}/seats/bulk",
        data="{not json",
        headers={**api_token["secretariat"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "The request body is not valid JSON."


def test_board_shape(small_roster, client, api_token):
    response = client.get(f"/api/v1/meetings/{small_roster.id}/board", headers=api_token["chair"])
    assert response.status_code == 200
    board = response.get_json()
    assert [r["code"] for r in board["roles"]][:2] == ["vice_governor", "public_health"]
    assert [block["region"] for block in board["regions"]] == ["north", "south"]
    row = board["regions"][0]["rows"][0]
    assert row["province"]["code"] == "TH-50" and len(row["cells"]) == 7
    assert row["cells"][0]["status"] == "invited" and row["cells"][0]["present"] is False
    assert board["totals"] == {
        "seats": 16,
        "present": 0,
        "invited": 16,
        "accepted": 0,
        "declined": 0,
        "substitute": 0,
    }
    assert [c["role_code"] for c in board["central"]] == ["permanent_secretary", "secretariat"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer mc_wrong"}, {"Authorization": "Basic eDp5"}]
)
def test_calls_without_a_valid_token_get_401(small_roster, client, headers):
    seat = seat_at(small_roster, "TH-50", "labour")
    base = f"/api/v1/meetings/{small_roster.id}"
    calls = [
        ("get", f"{base}/seats"),
        ("post", f"{base}/seats"),
        ("post", f"{base}/seats/bulk"),
        ("get", f"{base}/seats/{seat.id}"),
        ("patch", f"{base}/seats/{seat.id}"),
        ("delete", f"{base}/seats/{seat.id}"),
        ("get", f"{base}/board"),
    ]
    for method, url in calls:
        response = getattr(client, method)(url, headers=headers, json={"role_code": "labour"})
        assert response.status_code == 401, (method, url)
        assert response.get_json()["error"]["code"] == "unauthenticated"
    assert seat_count(small_roster) == 16


@pytest.mark.parametrize("role", ["chair", "participant"])
def test_chair_and_participant_tokens_cannot_change_the_roster(small_roster, client, api_token, role):
    seat = seat_at(small_roster, "TH-50", "labour")
    base = f"/api/v1/meetings/{small_roster.id}"
    headers = api_token[role]
    assert (
        client.post(
            f"{base}/seats/bulk", headers=headers, json={"provinces": "all", "roles": ["labour"]}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/seats", headers=headers, json={"province_code": "TH-10", "role_code": "labour"}
        ).status_code
        == 403
    )
    assert client.patch(f"{base}/seats/{seat.id}", headers=headers, json={"name": "x"}).status_code == 403
    assert client.delete(f"{base}/seats/{seat.id}", headers=headers).status_code == 403
    assert seat_count(small_roster) == 16 and seat_at(small_roster, "TH-50", "labour").name is None


def test_participant_token_cannot_read_the_roster(small_roster, client, api_token):
    assert (
        client.get(f"/api/v1/meetings/{small_roster.id}/seats", headers=api_token["participant"]).status_code
        == 403
    )
    assert (
        client.get(f"/api/v1/meetings/{small_roster.id}/board", headers=api_token["participant"]).status_code
        == 403
    )


def test_openapi_lists_the_seat_endpoints(app_ctx, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/meetings/{meeting_id}/seats",
        "/api/v1/meetings/{meeting_id}/seats/bulk",
        "/api/v1/meetings/{meeting_id}/seats/{seat_id}",
        "/api/v1/meetings/{meeting_id}/board",
    } <= set(paths)
