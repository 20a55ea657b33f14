"""The agenda editor in the browser, as the secretariat: plain HTML forms, no JavaScript."""

from __future__ import annotations

import re

import pytest

from meetcore.agenda import services
from meetcore.agenda.models import AgendaItem
from meetcore.extensions import db
from meetcore.minutes.models import Decision
from tests.agenda.support import (
    STANDARD_TITLES,
    events,
    item_count,
    item_id,
    outline,
    schedule_another_meeting,
    set_status,
)


@pytest.fixture()
def console(as_secretariat):
    """The secretariat's browser, in English (the page texts below are the English source strings)."""
    as_secretariat.get("/lang/en")
    return as_secretariat


@pytest.fixture()
def sections(meeting, users):
    services.insert_standard_sections(meeting, by=users["secretariat"])
    return meeting


def url(meeting, tail=""):
    return f"/meetings/{meeting.id}/agenda{tail}"


def forms(html: str) -> list[str]:
    return re.findall(r"<form\b.*?</form>", html, flags=re.S)


def test_empty_agenda_says_so_and_offers_the_standard_sections_and_the_add_form(console, meeting):
    page = console.get(url(meeting))
    assert page.status_code == 200
    assert "The agenda is empty." in page.text
    assert "Insert the Thai standard sections" in page.text
    assert f'action="{url(meeting, "/items")}"' in page.text
    assert 'aria-current="page"' in page.text and "Agenda" in page.text


def test_every_form_carries_the_csrf_token(console, sections, users):
    services.add_item(sections, {"title": "ย่อย", "parent_id": item_id(sections.id, STANDARD_TITLES[4])},
                      by=users["secretariat"])
    page = console.get(url(sections)).text
    found = forms(page)
    assert len(found) >= 9  # sign-out, 7 items' move forms, add form
    for form in found:
        assert 'name="csrf_token"' in form
    assert 'method="post"' in page


def test_insert_standard_sections_button(console, meeting):
    response = console.post(url(meeting, "/standard-sections"))
    assert response.status_code == 302
    page = console.get(response.location)
    assert "6 standard sections have been added." in page.text
    for number, title in enumerate(STANDARD_TITLES, start=1):
        assert re.search(rf'agenda-number">{number}</span>\s*<span class="agenda-title">{title}<', page.text)
    assert "Insert the Thai standard sections" not in page.text  # all there: no button any more
    console.post(url(meeting, "/standard-sections"))
    assert item_count(meeting.id) == 6


def test_editor_shows_numbers_and_labelled_buttons(console, sections, users):
    parent = item_id(sections.id, STANDARD_TITLES[4])
    services.add_item(sections, {"title": "ONE HOME", "parent_id": parent}, by=users["secretariat"])
    page = console.get(url(sections)).text
    assert re.search(r'agenda-number">5\.1</span>\s*<span class="agenda-title">ONE HOME<', page)
    assert 'aria-label="Move 5.1 ONE HOME up"' in page
    assert 'aria-label="Move 5.1 ONE HOME down"' in page
    assert "Indent 5.1 ONE HOME" in page and "Outdent 5.1 ONE HOME" in page
    assert 'aria-label="Edit 5.1 ONE HOME"' in page and 'aria-label="Delete 5.1 ONE HOME"' in page
    # The first item cannot go up; the top level cannot be outdented.
    first = forms(page)[1]
    assert re.search(r'value="up"[^>]*disabled', first) and re.search(r'value="outdent"[^>]*disabled', first)


def test_add_item_under_a_parent(console, sections):
    parent = item_id(sections.id, STANDARD_TITLES[4])
    assert f'<option value="{parent}"' in console.get(url(sections)).text
    response = console.post(url(sections, "/items"), data={
        "title": "การจัดทำแผนที่ทางสังคม", "parent_id": str(parent), "presenter": "ประธาน",
        "duration_minutes": "20", "description": "",
    })
    assert response.status_code == 302
    new_id = item_id(sections.id, "การจัดทำแผนที่ทางสังคม")
    assert response.location.endswith(f"#item-{new_id}")
    assert ("5.1", "การจัดทำแผนที่ทางสังคม") in outline(sections.id)
    stored = db.session.get(AgendaItem, new_id)
    assert (stored.presenter, stored.duration_minutes, stored.description) == ("ประธาน", 20, None)
    assert "The item has been added." in console.get(response.location).text


def test_add_item_at_the_top_level(console, meeting):
    console.post(url(meeting, "/items"), data={"title": "เรื่องแรก", "parent_id": ""})
    console.post(url(meeting, "/items"), data={"title": "เรื่องที่สอง", "parent_id": ""})
    assert outline(meeting.id) == [("1", "เรื่องแรก"), ("2", "เรื่องที่สอง")]


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ({"title": "   "}, "Title"),
        ({"title": "ok", "duration_minutes": "soon"}, "Duration (minutes)"),
        ({"title": "ok", "duration_minutes": "-5"}, "Duration (minutes)"),
    ],
)
def test_bad_add_is_a_422_with_the_error_and_saves_nothing(console, meeting, data, label):
    seq = len(events(meeting.id))
    response = console.post(url(meeting, "/items"), data={"parent_id": "", "presenter": "ผู้เสนอ", **data})
    assert response.status_code == 422
    assert 'class="flash flash-error"' in response.text and label in response.text
    assert 'value="ผู้เสนอ"' in response.text  # what was typed is kept
    assert item_count() == 0 and len(events(meeting.id)) == seq


def test_add_under_an_item_of_another_meeting_is_a_422(console, meeting, users):
    other = schedule_another_meeting(users["secretariat"])
    foreign = services.add_item(other, {"title": "ที่อื่น"}, by=users["secretariat"])
    response = console.post(url(meeting, "/items"), data={"title": "x", "parent_id": str(foreign.id)})
    assert response.status_code == 422
    assert "another meeting" in response.text
    assert item_count(meeting.id) == 0


def test_edit_item(console, sections):
    target = item_id(sections.id, STANDARD_TITLES[5])
    page = console.get(url(sections, f"/items/{target}/edit"))
    assert page.status_code == 200
    assert f'value="{STANDARD_TITLES[5]}"' in page.text and "Edit agenda item 6" in page.text
    response = console.post(url(sections, f"/items/{target}/edit"), data={
        "title": "เรื่องอื่น ๆ (ถ้ามี)", "presenter": "", "duration_minutes": "5", "description": "",
    })
    assert response.status_code == 302
    stored = db.session.get(AgendaItem, target)
    db.session.refresh(stored)
    assert (stored.title, stored.duration_minutes, stored.section) == ("เรื่องอื่น ๆ (ถ้ามี)", 5, 6)


def test_bad_edit_is_a_422_and_saves_nothing(console, sections):
    target = item_id(sections.id, STANDARD_TITLES[5])
    response = console.post(url(sections, f"/items/{target}/edit"), data={"title": "", "presenter": "ก"})
    assert response.status_code == 422
    assert 'class="flash flash-error"' in response.text and "Title" in response.text
    assert outline(sections.id)[-1] == ("6", STANDARD_TITLES[5])
    assert db.session.get(AgendaItem, target).presenter is None


@pytest.mark.parametrize(
    ("direction", "title", "expected"),
    [
        ("up", STANDARD_TITLES[1], [1, 0, 2, 3, 4, 5]),
        ("down", STANDARD_TITLES[0], [1, 0, 2, 3, 4, 5]),
    ],
)
def test_up_and_down_buttons(console, sections, direction, title, expected):
    response = console.post(url(sections, f"/items/{item_id(sections.id, title)}/move"),
                            data={"direction": direction})
    assert response.status_code == 302
    assert [t for _n, t in outline(sections.id)] == [STANDARD_TITLES[i] for i in expected]


def test_indent_and_outdent_buttons(console, sections):
    third = item_id(sections.id, STANDARD_TITLES[2])
    console.post(url(sections, f"/items/{third}/move"), data={"direction": "indent"})
    assert outline(sections.id)[1:3] == [("2", STANDARD_TITLES[1]), ("2.1", STANDARD_TITLES[2])]
    page = console.get(url(sections)).text
    assert "Outdent 2.1" in page and "The item has been moved." in page
    console.post(url(sections, f"/items/{third}/move"), data={"direction": "outdent"})
    assert [t for _n, t in outline(sections.id)] == list(STANDARD_TITLES)


def test_a_button_that_cannot_apply_is_a_422_and_changes_nothing(console, sections):
    first = item_id(sections.id, STANDARD_TITLES[0])
    response = console.post(url(sections, f"/items/{first}/move"), data={"direction": "up"})
    assert response.status_code == 422
    assert "already the first" in response.text
    assert [t for _n, t in outline(sections.id)] == list(STANDARD_TITLES)


def test_move_under_form_on_the_edit_page(console, sections):
    sixth = item_id(sections.id, STANDARD_TITLES[5])
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    page = console.get(url(sections, f"/items/{sixth}/edit")).text
    assert f'<option value="{fifth}"' in page and f'<option value="{sixth}"' not in page  # not under itself
    console.post(url(sections, f"/items/{sixth}/move"), data={"parent_id": str(fifth)})
    assert outline(sections.id)[-1] == ("5.1", STANDARD_TITLES[5])
    console.post(url(sections, f"/items/{sixth}/move"), data={"parent_id": ""})
    assert outline(sections.id)[-1] == ("6", STANDARD_TITLES[5])


def test_moving_under_its_own_sub_item_through_the_form_is_refused(console, sections, users):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    child = services.add_item(sections, {"title": "ลูก", "parent_id": fifth}, by=users["secretariat"])
    response = console.post(url(sections, f"/items/{fifth}/move"), data={"parent_id": str(child.id)})
    assert response.status_code == 422
    assert outline(sections.id)[4:6] == [("5", STANDARD_TITLES[4]), ("5.1", "ลูก")]


def test_delete_shows_a_confirmation_first_and_deletes_only_on_post(console, sections, users):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    child = services.add_item(sections, {"title": "ลูก", "parent_id": fifth}, by=users["secretariat"])
    services.add_item(sections, {"title": "หลาน", "parent_id": child.id}, by=users["secretariat"])
    page = console.get(url(sections, f"/items/{fifth}/delete"))
    assert page.status_code == 200
    assert "Delete this agenda item?" in page.text
    assert "Its 2 sub-items will be deleted too:" in page.text
    assert "ลูก" in page.text and "หลาน" in page.text and 'name="csrf_token"' in page.text
    assert item_count(sections.id) == 8  # looking deletes nothing
    response = console.post(url(sections, f"/items/{fifth}/delete"))
    assert response.status_code == 302
    assert "The item and its 2 sub-items have been deleted." in console.get(response.location).text
    assert [t for _n, t in outline(sections.id)] == [t for t in STANDARD_TITLES if t != STANDARD_TITLES[4]]
    assert outline(sections.id)[-1] == ("5", STANDARD_TITLES[5])


def test_delete_with_a_decision_is_refused(console, sections):
    fifth = item_id(sections.id, STANDARD_TITLES[4])
    db.session.add(Decision(meeting_id=sections.id, agenda_item_id=fifth, text="อนุมัติ"))
    db.session.commit()
    page = console.get(url(sections, f"/items/{fifth}/delete")).text
    assert "A decision is recorded" in page and "Yes, delete" not in page
    response = console.post(url(sections, f"/items/{fifth}/delete"))
    assert response.status_code == 409
    assert item_count(sections.id) == 6


def test_an_item_of_another_meeting_is_not_found_under_this_meeting(console, sections, users):
    other = schedule_another_meeting(users["secretariat"])
    foreign = services.add_item(other, {"title": "ที่อื่น"}, by=users["secretariat"])
    for method, tail in [("get", "/edit"), ("get", "/delete"), ("post", "/delete"), ("post", "/move")]:
        path = url(sections, f"/items/{foreign.id}{tail}")
        response = getattr(console, method)(path, data={"direction": "up"})
        assert response.status_code == 404, (method, tail)
    assert item_count(other.id) == 1
    assert console.get(url(sections, "/items/999999/edit")).status_code == 404
    assert console.get("/meetings/999999/agenda").status_code == 404


def test_an_ended_meeting_shows_the_agenda_read_only(console, sections):
    set_status(sections.id, "ended")
    page = console.get(url(sections)).text
    assert "can no longer be changed" in page
    assert "/move" not in page and "Add an item" not in page and "standard-sections" not in page
    assert STANDARD_TITLES[0] in page
    response = console.post(url(sections, "/items"), data={"title": "สาย"})
    assert response.status_code == 409
    assert "can no longer be changed" in response.text
    first = item_id(sections.id, STANDARD_TITLES[0])
    for method in ("get", "post"):
        response = getattr(console, method)(url(sections, f"/items/{first}/edit"), data={"title": "สาย"})
        assert response.status_code == 409 and "can no longer be changed" in response.text
    delete_page = console.get(url(sections, f"/items/{first}/delete")).text
    assert "can no longer be changed" in delete_page and "Yes, delete" not in delete_page
    assert console.post(url(sections, f"/items/{first}/delete")).status_code == 409
    assert outline(sections.id) == [(str(n), t) for n, t in enumerate(STANDARD_TITLES, start=1)]


def test_chair_sees_the_agenda_read_only(as_chair, sections):
    as_chair.get("/lang/en")
    page = as_chair.get(url(sections))
    assert page.status_code == 200
    for title in STANDARD_TITLES:
        assert title in page.text
    # Only the sign-out form of the page frame: no editing forms, links or buttons.
    assert len(forms(page.text)) == 1 and "logout" in forms(page.text)[0]
    assert "/move" not in page.text and "/edit" not in page.text and "/delete" not in page.text
    assert "Add an item" not in page.text


def test_meeting_overview_lists_the_agenda_through_the_shared_macro(console, sections):
    page = console.get(f"/meetings/{sections.id}").text
    assert re.search(rf'agenda-number">6</span>\s*<span class="agenda-title">{STANDARD_TITLES[5]}<', page)
