"""The secretariat's dashboard: every assignment, overdue first, filtered and paginated; a fan-out action
("every พมจ.") as the grid of the 76 provinces by region, coloured by progress."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from meetcore.actions.dashboard import DashboardFilters, dashboard
from meetcore.actions.progress import report_progress
from tests import clock
from tests.actions.followup_support import (
    ONE_HOME,
    agency,
    assignment_of,
    client_for,
    give,
    given_meeting,
)

TODAY = clock.days_after_meeting(14)  # the day the dashboard is looked at


@pytest.fixture()
def given(app_ctx, reference, users):
    """Every พมจ. (76) due 30 days after the meeting; Chiang Mai's labour office due 9 days after it
    (overdue on TODAY); and a central unit with no due date. Chiang Mai's พมจ. is done, Songkhla's in
    progress."""
    secretary = users["secretariat"]
    meeting = given_meeting(users)
    social_map = give(meeting, {"role_code": "social_development", "provinces": "all"}, by=secretary)
    one_home = give(
        meeting,
        {"agency_id": agency("labour", "TH-50").id},
        by=secretary,
        title=ONE_HOME,
        due=clock.days_after_meeting(9),
    )
    report_progress(
        assignment_of(social_map, agency("social_development", "TH-50")).id,
        {"status": "done", "note": "เสร็จแล้ว"},
        by=secretary,
    )
    report_progress(
        assignment_of(social_map, agency("social_development", "TH-90")).id,
        {"status": "in_progress", "note": "ลงพื้นที่"},
        by=secretary,
    )
    return {"meeting": meeting, "social_map": social_map, "one_home": one_home}


def test_overdue_comes_first_then_nearest_due(given, users):
    board = dashboard(by=users["chair"], today=TODAY, per_page=100)
    rows = board.page.items
    assert board.page.total == 77
    assert rows[0].action.id == given["one_home"].id and rows[0].state == "overdue"
    assert [r.state for r in rows[1:]].count("done") == 1 and rows[-1].state == "done"  # closed ones last
    assert board.counts["overdue"] == 1 and board.counts["done"] == 1 and board.counts["in_progress"] == 1
    assert board.counts["open"] == 75 and board.counts["all"] == 77


def test_filters_and_pages(given, users):
    by = users["secretariat"]
    overdue = dashboard(by=by, today=TODAY, filters=DashboardFilters(status="overdue"))
    assert [r.action.id for r in overdue.page.items] == [given["one_home"].id]
    south = dashboard(
        by=by, today=TODAY, filters=DashboardFilters(region="south", role_code="social_development")
    )
    assert south.page.total == 14 and {r.agency.province.region for r in south.page.items} == {"south"}
    found = dashboard(by=by, today=TODAY, filters=DashboardFilters(q="one home"))
    assert [r.action.id for r in found.page.items] == [given["one_home"].id]
    by_agency = dashboard(by=by, today=TODAY, filters=DashboardFilters(q="เชียงใหม่"))
    assert by_agency.page.total == 2  # Chiang Mai's พมจ. and labour office
    first = dashboard(by=by, today=TODAY, page=1, per_page=50)
    second = dashboard(by=by, today=TODAY, page=2, per_page=50)
    assert first.page.pages == 2 and len(first.page.items) == 50 and len(second.page.items) == 27
    ids = {r.assignment.id for r in first.page.items} | {r.assignment.id for r in second.page.items}
    assert len(ids) == 77


def test_dashboard_page_over_http(app_ctx, given, users):
    page = client_for(app_ctx, users["secretariat"].email).get("/actions?status=in_progress")
    assert page.status_code == 200
    states = re.findall(r'data-state="([a-z_]+)"', page.text)
    assert states == ["in_progress"]
    assert f'data-action="{given["social_map"].id}"' in page.text  # the fan-out summary card
    everything = client_for(app_ctx, users["chair"].email).get(
        f"/actions?meeting={given['meeting'].id}&page=2"
    )
    assert everything.status_code == 200 and 'aria-current="page"' in everything.text


def test_fan_out_grid_by_region_coloured_by_progress(app_ctx, given, users):
    page = client_for(app_ctx, users["chair"].email).get(f"/actions/{given['social_map'].id}")
    assert page.status_code == 200
    cells = dict(re.findall(r'data-province="(TH-\d\d)" data-state="([a-z_]+)"', page.text))
    assert len(cells) == 76 and "TH-10" not in cells  # Bangkok has no พมจ.
    assert cells["TH-50"] == "done" and cells["TH-90"] == "in_progress"
    assert set(cells.values()) == {"done", "in_progress", "open"}
    regions = re.findall(r'<section data-region="([a-z]+)">', page.text)
    assert regions == ["north", "northeast", "central", "east", "west", "south"]


def test_grid_shows_overdue_provinces(app_ctx, reference, users):
    meeting = given_meeting(users)
    action = give(
        meeting,
        {"role_code": "social_development", "provinces": ["TH-50", "TH-51"]},
        by=users["secretariat"],
        due=clock.TODAY - timedelta(days=30),  # overdue on the real day the page is asked for
    )
    page = client_for(app_ctx, users["secretariat"].email).get(f"/actions/{action.id}")
    cells = dict(re.findall(r'data-province="(TH-\d\d)" data-state="([a-z_]+)"', page.text))
    assert cells["TH-50"] == cells["TH-51"] == "overdue"
    assert cells["TH-52"] == "none" and len(cells) == 76  # not given this action: shown blank
