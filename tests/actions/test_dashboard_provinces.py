"""An action given to two provinces is labelled with those provinces on the dashboard, not "every province"
(issue 15, item 3); one given to every province says so."""

from __future__ import annotations

import re

from tests.actions.followup_support import give, given_meeting
from tests.conftest import sign_in

TWO = "ติดตามผู้ประสบภัยน้ำท่วม"
EVERY = "จัดทำแผนที่ทางสังคม"


def _card(page: str, title: str) -> str:
    cards = re.findall(r'<section class="card" data-action="\d+">(.*?)</section>', page, re.S)
    return next(card for card in cards if title in card)


def test_the_dashboard_names_the_provinces_of_an_action(reference, users, client):
    meeting = given_meeting(users)
    by = users["secretariat"]
    provinces = ["TH-50", "TH-90"]
    two = give(meeting, {"agency_id": None, "role_code": "social_development", "provinces": provinces},
               by=by, title=TWO)
    every = give(meeting, {"agency_id": None, "role_code": "social_development", "provinces": "all"}, by=by,
                 title=EVERY)
    sign_in(client, by)
    page = client.get("/actions").get_data(as_text=True)
    card = _card(page, TWO)
    assert "เชียงใหม่, สงขลา" in card and "ทุกจังหวัด" not in card
    assert "ทุกจังหวัด" in _card(page, EVERY)
    assert "Actions given to every province" not in page and "มอบหมายให้ทุกจังหวัด" not in page
    # The same words in English documents (the minutes say them in Thai: meetcore.reports.content).
    from meetcore.actions.owners import owners_of_actions

    owners = owners_of_actions([two, every])
    assert owners[two.id].provinces_text("en") == "Chiang Mai, Songkhla"
    assert owners[every.id].provinces_text("en") == "every province"
