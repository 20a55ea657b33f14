"""Who may see and change the agenda, tried from the outside: pages and /api/v1."""

from __future__ import annotations

import pytest

from meetcore.agenda import services
from tests.agenda.support import STANDARD_TITLES, events, item_id, outline
from tests.conftest import sign_in


@pytest.fixture()
def sections(meeting, users):
    services.insert_standard_sections(meeting, by=users["secretariat"])
    return meeting


def page_writes(meeting) -> list[tuple[str, str, dict]]:
    """Every page request that changes the agenda (or shows a form that would)."""
    first = item_id(meeting.id, STANDARD_TITLES[0])
    second = item_id(meeting.id, STANDARD_TITLES[1])
    base = f"/meetings/{meeting.id}/agenda"
    return [
        ("post", f"{base}/items", {"title": "แอบเพิ่ม", "parent_id": ""}),
        ("get", f"{base}/items/{first}/edit", {}),
        ("post", f"{base}/items/{first}/edit", {"title": "แอบแก้"}),
        ("post", f"{base}/items/{second}/move", {"direction": "up"}),
        ("post", f"{base}/items/{second}/move", {"direction": "indent"}),
        ("post", f"{base}/items/{second}/move", {"parent_id": str(first)}),
        ("post", f"{base}/items/{second}/move", {"parent_id": ""}),  # already there: still refused
        ("get", f"{base}/items/{first}/delete", {}),
        ("post", f"{base}/items/{first}/delete", {}),
        ("post", f"{base}/standard-sections", {}),
    ]


def test_anonymous_is_sent_to_sign_in_and_changes_nothing(client, sections):
    before = outline(sections.id)
    response = client.get(f"/meetings/{sections.id}/agenda")
    assert response.status_code == 302 and "/login" in response.location
    for method, path, data in page_writes(sections):
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 302 and "/login" in response.location, (method, path)
    assert outline(sections.id) == before


def test_chair_is_refused_every_write(as_chair, sections):
    before, log = outline(sections.id), events(sections.id)
    assert as_chair.get(f"/meetings/{sections.id}/agenda").status_code == 200
    for method, path, data in page_writes(sections):
        response = getattr(as_chair, method)(path, data=data)
        assert response.status_code == 403, (method, path, data)
    assert outline(sections.id) == before and events(sections.id) == log


def test_participant_is_refused_reading_and_writing(client, users, sections):
    sign_in(client, users["participant"])
    before = outline(sections.id)
    assert client.get(f"/meetings/{sections.id}/agenda").status_code == 403
    for method, path, data in page_writes(sections):
        assert getattr(client, method)(path, data=data).status_code == 403, (method, path)
    assert outline(sections.id) == before


def api_writes(meeting) -> list[tuple[str, str, dict | None]]:
    first = item_id(meeting.id, STANDARD_TITLES[0])
    second = item_id(meeting.id, STANDARD_TITLES[1])
    return [
        ("post", f"/api/v1/meetings/{meeting.id}/agenda", {"title": "แอบเพิ่ม"}),
        ("post", f"/api/v1/meetings/{meeting.id}/agenda/standard-sections", None),
        ("patch", f"/api/v1/agenda-items/{first}", {"title": "แอบแก้"}),
        ("post", f"/api/v1/agenda-items/{second}/move", {"position": 0}),
        ("delete", f"/api/v1/agenda-items/{first}", None),
    ]


def test_api_without_a_valid_token_is_401(client, sections):
    reads = [("get", f"/api/v1/meetings/{sections.id}/agenda", None),
             ("get", f"/api/v1/agenda-items/{item_id(sections.id, STANDARD_TITLES[0])}", None)]
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        for method, path, body in reads + api_writes(sections):
            response = getattr(client, method)(path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.get_json()["error"]["code"] == "unauthenticated"
    assert len(outline(sections.id)) == 6


def test_api_chair_token_reads_but_every_write_is_403(client, api_token, sections):
    before, log = outline(sections.id), events(sections.id)
    assert client.get(f"/api/v1/meetings/{sections.id}/agenda", headers=api_token["chair"]).status_code == 200
    for method, path, body in api_writes(sections):
        response = getattr(client, method)(path, json=body, headers=api_token["chair"])
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"]["code"] == "forbidden"
    assert outline(sections.id) == before and events(sections.id) == log


def test_api_participant_token_cannot_even_read(client, api_token, sections):
    response = client.get(f"/api/v1/meetings/{sections.id}/agenda", headers=api_token["participant"])
    assert response.status_code == 403
    for method, path, body in api_writes(sections):
        assert getattr(client, method)(path, json=body, headers=api_token["participant"]).status_code == 403
    assert len(outline(sections.id)) == 6
