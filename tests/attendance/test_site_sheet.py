"""Issue 15 (4): every provincial hall's site link at once, as a printable sheet and a CSV, re-issuable for
one province (its earlier link stops working, the others go on)."""

from __future__ import annotations

import csv
import html
import io
import re
import urllib.parse

import pytest


@pytest.fixture
def next_meeting(reference_meeting) -> int:
    return reference_meeting["next_meeting_id"]


def _sheet(client, meeting_id: int, **form) -> tuple[str, list[list[str]]]:
    response = client.post(f"/meetings/{meeting_id}/sites/sheet", data=form)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    [href] = re.findall(r'id="sheet-csv"[^>]*href="data:text/csv;charset=utf-8,([^"]*)"', page)
    text = urllib.parse.unquote(html.unescape(href))
    assert text.startswith("\ufeff")  # Excel reads the Thai names
    return page, list(csv.reader(io.StringIO(text[1:])))


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def test_all_76_links_at_once_then_one_province_again(as_secretariat, next_meeting):
    page, rows = _sheet(as_secretariat, next_meeting)
    header, lines = rows[0], rows[1:]
    assert header[:2] == ["รหัสจังหวัด", "จังหวัด (ภาษาไทย)"]  # the sheet speaks Thai first
    codes = {line[0] for line in lines}
    assert len(lines) == len(codes) == 76 and "TH-10" not in codes
    assert page.count('<tr data-province="') == 76 and "ลิงก์ห้องประชุมศาลากลางจังหวัด" in page
    links = {line[0]: line[5] for line in lines}
    assert all(line[4] == "7" for line in lines)  # seven seats per province
    assert as_secretariat.get(_path(links["TH-50"])).status_code == 200  # the hall opens its page

    _page, again = _sheet(as_secretariat, next_meeting, province_code="TH-50")
    assert [line[0] for line in again[1:]] == ["TH-50"]
    assert as_secretariat.get(_path(links["TH-50"])).status_code == 410  # the lost link no longer works
    assert as_secretariat.get(_path(again[1][5])).status_code == 200
    assert as_secretariat.get(_path(links["TH-90"])).status_code == 200  # the other provinces' go on


def test_a_province_without_seats_gets_no_sheet(as_secretariat, next_meeting):
    response = as_secretariat.post(f"/meetings/{next_meeting}/sites/sheet", data={"province_code": "TH-10"})
    assert response.status_code == 422
    assert "site-sheet" not in response.get_data(as_text=True)


def test_a_chair_cannot_issue_the_sheet(as_chair, next_meeting):
    response = as_chair.post(f"/meetings/{next_meeting}/sites/sheet")
    assert response.status_code == 403
