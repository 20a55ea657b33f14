"""/api/v1 from the outside: tokens, error shape, meetings and reference data, the OpenAPI document."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from tests.clock import MEETING_DAY, be_year, in_bangkok, local_input
from tests.conftest import MEETING_INPUT


def test_openapi_document_is_generated_from_the_input_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    body = spec["paths"]["/api/v1/meetings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][name]["properties"]
    assert {"series_name", "title", "number", "start_at", "end_at"} <= set(properties)
    assert {"bearer": []} in spec["security"]
    for path in ("/api/v1/provinces", "/api/v1/roles", "/api/v1/meetings/{meeting_id}"):
        assert path in spec["paths"]


def test_calls_without_a_valid_token_get_401(client, api_token):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/meetings", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthenticated"
    assert client.get("/api/v1/provinces").status_code == 401


def test_revoked_token_is_refused(client, users, api_token):
    from meetcore.auth.services import revoke_api_tokens

    assert client.get("/api/v1/meetings", headers=api_token["secretariat"]).status_code == 200
    revoke_api_tokens(users["secretariat"])
    assert client.get("/api/v1/meetings", headers=api_token["secretariat"]).status_code == 401


def test_create_read_update_cancel(client, api_token):
    headers = api_token["secretariat"]
    created = client.post("/api/v1/meetings", json=MEETING_INPUT, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["start_at"].startswith(in_bangkok(MEETING_DAY, 10).strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["number_label"] == f"1/{be_year(MEETING_DAY)}"
    meeting_id = body["id"]
    assert (
        client.get(f"/api/v1/meetings/{meeting_id}", headers=headers).get_json()["title"] == "การประชุมทดสอบ"
    )
    patched = client.patch(f"/api/v1/meetings/{meeting_id}", json={"venue": "ห้อง 5"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["venue"] == "ห้อง 5"
    listed = client.get("/api/v1/meetings?q=ทดสอบ", headers=headers).get_json()
    assert [m["id"] for m in listed] == [meeting_id]
    cancelled = client.post(f"/api/v1/meetings/{meeting_id}/cancel", json={"reason": "x"}, headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"


def test_malformed_json_is_a_422_and_saves_nothing(client, api_token):
    response = client.post(
        "/api/v1/meetings",
        data="{not json",
        content_type="application/json",
        headers=api_token["secretariat"],
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and error["message"]
    assert client.post("/api/v1/meetings", json=[1, 2], headers=api_token["secretariat"]).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_wrong_types_name_the_field_in_the_callers_language(client, api_token):
    response = client.post(
        "/api/v1/meetings", json=dict(MEETING_INPUT, number="three"), headers=api_token["secretariat"]
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "number"
    assert "number" in error["details"]["fields"]
    response = client.post(
        "/api/v1/meetings",
        json=dict(MEETING_INPUT, end_at=local_input(MEETING_DAY, 9)),
        headers={**api_token["secretariat"], "Accept-Language": "en"},
    )
    assert response.get_json()["error"]["field"] == "end_at"
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_bad_query_arguments_are_a_json_422(client, api_token):
    response = client.get("/api/v1/meetings?status=bogus", headers=api_token["chair"])
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"


def test_chair_and_participant_tokens_cannot_write(client, api_token, meeting):
    for role in ("chair", "participant"):
        response = client.post(
            "/api/v1/meetings", json=dict(MEETING_INPUT, number=5), headers=api_token[role]
        )
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
        patch = client.patch(f"/api/v1/meetings/{meeting.id}", json={"venue": "x"}, headers=api_token[role])
        assert patch.status_code == 403
    assert db.session.get(Meeting, meeting.id).venue == "ห้องประชุม 1"


def test_unknown_meeting_is_a_json_404(client, api_token):
    response = client.get("/api/v1/meetings/424242", headers=api_token["secretariat"])
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/nothing-here", headers=api_token["secretariat"]).get_json()["error"]


def test_provinces_and_roles(client, reference, api_token):
    provinces = client.get("/api/v1/provinces", headers=api_token["chair"]).get_json()
    assert len(provinces) == 77
    assert {"code": "TH-10", "name_en": "Bangkok"}.items() <= next(
        p for p in provinces if p["code"] == "TH-10"
    ).items()
    north = client.get("/api/v1/provinces?region=north", headers=api_token["chair"]).get_json()
    assert len(north) == 9
    roles = client.get("/api/v1/roles?scope=provincial", headers=api_token["chair"]).get_json()
    assert "social_development" in {r["code"] for r in roles}
    assert client.get("/api/v1/provinces?region=mars", headers=api_token["chair"]).status_code == 422
