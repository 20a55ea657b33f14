"""/api/v1 agenda: the tree, writes to items, and JSON errors."""

from __future__ import annotations

import pytest

from meetcore.agenda import services
from tests.agenda.support import (
    STANDARD_TITLES,
    events,
    item_count,
    item_id,
    outline,
    schedule_another_meeting,
    set_status,
)

ITEM_KEYS = {
    "id", "meeting_id", "parent_id", "position", "number", "section", "title", "description", "presenter",
    "duration_minutes", "state", "children",
}


@pytest.fixture()
def headers(api_token):
    return api_token["secretariat"]


@pytest.fixture()
def sections(meeting, users):
    services.insert_standard_sections(meeting, by=users["secretariat"])
    return meeting


def agenda_url(meeting):
    return f"/api/v1/meetings/{meeting.id}/agenda"


def test_tree_shape(client, headers, sections, users):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    child = services.add_item(sections, {"title": "ONE HOME", "parent_id": fifth, "presenter": "ประธาน",
                                         "duration_minutes": 15}, by=users["secretariat"])
    services.add_item(sections, {"title": "พมจ. เป็นเจ้าภาพหลัก", "parent_id": child.id},
                      by=users["secretariat"])
    response = client.get(agenda_url(sections), headers=headers)
    assert response.status_code == 200
    tree = response.get_json()
    assert [node["number"] for node in tree] == ["1", "2", "3", "4", "5", "6"]
    assert [node["title"] for node in tree] == list(STANDARD_TITLES)
    assert [node["section"] for node in tree] == [1, 2, 3, 4, 5, 6]
    assert all(set(node) == ITEM_KEYS for node in tree)
    five_one = tree[4]["children"][0]
    assert set(five_one) == ITEM_KEYS
    assert {k: five_one[k] for k in ("id", "meeting_id", "parent_id", "position", "number", "section")} == {
        "id": child.id, "meeting_id": sections.id, "parent_id": fifth, "position": 0, "number": "5.1",
        "section": None,
    }
    assert (five_one["presenter"], five_one["duration_minutes"]) == ("ประธาน", 15)
    assert five_one["state"] == "pending"
    assert five_one["children"][0]["number"] == "5.1.1"
    assert five_one["children"][0]["children"] == []
    assert tree[0]["children"] == []


def test_empty_agenda_is_an_empty_list(client, headers, meeting):
    response = client.get(agenda_url(meeting), headers=headers)
    assert response.status_code == 200 and response.get_json() == []


def test_create_item_is_201_with_its_number(client, headers, sections):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    response = client.post(agenda_url(sections), json={"title": "Social Map", "parent_id": fifth},
                           headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["number"], body["parent_id"], body["position"]) == ("5.1", fifth, 0)
    assert body["title"] == "Social Map"
    assert ("5.1", "Social Map") in outline(sections.id)
    assert events(sections.id)[-1][1] == "agenda.added"


def test_get_one_item_with_its_subtree(client, headers, sections, users):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    services.add_item(sections, {"title": "ย่อย", "parent_id": fifth}, by=users["secretariat"])
    body = client.get(f"/api/v1/agenda-items/{fifth}", headers=headers).get_json()
    assert (body["number"], body["section"], body["title"]) == ("5", 5, STANDARD_TITLES[4])
    assert [c["number"] for c in body["children"]] == ["5.1"]


def test_patch_changes_only_what_is_given(client, headers, sections):
    sixth = item_id(sections.id, STANDARD_TITLES[5])
    response = client.patch(f"/api/v1/agenda-items/{sixth}", json={"presenter": "เลขานุการ"}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["title"], body["presenter"], body["number"]) == (STANDARD_TITLES[5], "เลขานุการ", "6")


def test_patch_with_parent_moves_the_item(client, headers, sections):
    sixth = item_id(sections.id, STANDARD_TITLES[5])
    first = item_id(sections.id, STANDARD_TITLES[0])
    response = client.patch(f"/api/v1/agenda-items/{sixth}", json={"parent_id": first}, headers=headers)
    body = response.get_json()
    assert (body["number"], body["parent_id"], body["section"]) == ("1.1", first, None)


def test_move(client, headers, sections):
    sixth = item_id(sections.id, STANDARD_TITLES[5])
    response = client.post(f"/api/v1/agenda-items/{sixth}/move", json={"position": 0}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["number"] == "1"
    assert [t for _n, t in outline(sections.id)] == [STANDARD_TITLES[5], *STANDARD_TITLES[:5]]
    second = item_id(sections.id, STANDARD_TITLES[1])
    body = client.post(f"/api/v1/agenda-items/{second}/move", json={"parent_id": sixth, "position": 0},
                       headers=headers).get_json()
    assert body["number"] == "1.1"
    response = client.post(f"/api/v1/agenda-items/{second}/move", json={"parent_id": None}, headers=headers)
    body = response.get_json()
    assert body["number"] == "6"


def test_move_under_own_descendant_or_another_meeting_is_422_naming_parent_id(client, headers, sections,
                                                                              users):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    child = services.add_item(sections, {"title": "ลูก", "parent_id": fifth}, by=users["secretariat"])
    foreign = services.add_item(schedule_another_meeting(users["secretariat"]), {"title": "x"},
                                by=users["secretariat"])
    before = outline(sections.id)
    for parent in (child.id, fifth, foreign.id):
        response = client.post(f"/api/v1/agenda-items/{fifth}/move", json={"parent_id": parent},
                               headers=headers)
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["code"] == "invalid_input" and error["field"] == "parent_id" and error["message"]
    assert outline(sections.id) == before


def test_delete_is_204_then_404(client, headers, sections, users):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    services.add_item(sections, {"title": "ลูก", "parent_id": fifth}, by=users["secretariat"])
    response = client.delete(f"/api/v1/agenda-items/{fifth}", headers=headers)
    assert response.status_code == 204 and response.data == b""
    assert item_count(sections.id) == 5
    assert outline(sections.id)[-1] == ("5", STANDARD_TITLES[5])
    missing = client.get(f"/api/v1/agenda-items/{fifth}", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_standard_sections_via_api_is_idempotent(client, headers, meeting):
    url = f"{agenda_url(meeting)}/standard-sections"
    first = client.post(url, headers=headers)
    assert first.status_code == 200
    assert [n["title"] for n in first.get_json()] == list(STANDARD_TITLES)
    second = client.post(url, headers=headers)
    assert second.get_json() == first.get_json()
    assert item_count(meeting.id) == 6


def test_malformed_json_is_a_422_json_error_and_saves_nothing(client, headers, meeting):
    for body in ("{not json", "[1, 2]", '"title"', "\xff"):
        response = client.post(agenda_url(meeting), data=body, content_type="application/json",
                               headers=headers)
        assert response.status_code == 422, body
        error = response.get_json()["error"]
        assert error["code"] == "invalid_input" and error["message"]
    assert item_count() == 0 and len(events(meeting.id)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 123}, "title"),
        ({"title": ["a"]}, "title"),
        ({}, "title"),
        ({"title": "ok", "duration_minutes": "ten"}, "duration_minutes"),
        ({"title": "ok", "duration_minutes": True}, "duration_minutes"),
        ({"title": "ok", "duration_minutes": 1.5}, "duration_minutes"),
        ({"title": "ok", "parent_id": "first"}, "parent_id"),
        ({"title": "ok", "parent_id": 987654}, "parent_id"),
        ({"title": "ok", "state": "done"}, "state"),
    ],
)
def test_wrong_types_are_422_naming_the_field(client, headers, meeting, body, field):
    response = client.post(agenda_url(meeting), json=body, headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == field and error["message"]
    assert item_count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": None}, "title"), ({"title": "  "}, "title"), ({"duration_minutes": -3}, "duration_minutes")],
)
def test_bad_patch_is_422_and_changes_nothing(client, headers, sections, body, field):
    sixth = item_id(sections.id, STANDARD_TITLES[5])
    response = client.patch(f"/api/v1/agenda-items/{sixth}", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    assert outline(sections.id)[-1] == ("6", STANDARD_TITLES[5])


@pytest.mark.parametrize("body", [{"position": -1}, {"position": "last"}, {}, {"parent_id": "x"}])
def test_bad_move_is_422(client, headers, sections, body):
    sixth = item_id(sections.id, STANDARD_TITLES[5])
    response = client.post(f"/api/v1/agenda-items/{sixth}/move", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert [t for _n, t in outline(sections.id)] == list(STANDARD_TITLES)


def test_unknown_item_or_meeting_is_a_404_json_error(client, headers):
    for method, path, body in [
        ("get", "/api/v1/agenda-items/424242", None),
        ("patch", "/api/v1/agenda-items/424242", {"title": "x"}),
        ("delete", "/api/v1/agenda-items/424242", None),
        ("post", "/api/v1/agenda-items/424242/move", {"position": 0}),
        ("get", "/api/v1/meetings/424242/agenda", None),
        ("post", "/api/v1/meetings/424242/agenda", {"title": "x"}),
        ("post", "/api/v1/meetings/424242/agenda/standard-sections", None),
    ]:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 404, (method, path)
        error = response.get_json()["error"]
        assert error["code"] == "not_found" and error["message"]


def test_ended_meeting_is_a_409_conflict(client, headers, sections):
    set_status(sections.id, "ended")
    response = client.post(agenda_url(sections), json={"title": "สาย"}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert client.get(agenda_url(sections), headers=headers).status_code == 200
    assert item_count(sections.id) == 6
