"""The roster and board pages, from the outside (HTTP): rendering, forms, files, permissions, query counts."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from meetcore.attendance.models import Attendance
from meetcore.auth.models import User
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats import services
from meetcore.seats.models import Seat
from meetcore.transaction import commit
from tests.conftest import sign_in
from tests.factories import SEVEN_ROLES, seat_at
from tests.seats.helpers import seat_count


def _cells(html: str) -> int:
    return len(re.findall(r'<td class="cell s-(?!none)[a-z]+" data-seat="\d+"', html))


# --- the reference meeting -------------------------------------------------------------------------------


def test_reference_meeting_board_is_76_by_7_with_532_seats(reference_meeting, as_secretariat):
    html = as_secretariat.get(f"/meetings/{reference_meeting['meeting_id']}/board").get_data(as_text=True)
    assert _cells(html) == 532
    assert html.count('<tr class="province"') == 76
    assert html.count('<th scope="col" class="role"') == 7
    assert '<abbr title="Vice Governor">Vice Gov.</abbr>' in html  # short role names in the header
    assert "เชียงใหม่" in html and 'name="csrf_token"' in html
    assert html.count('data-central-seat="') == reference_meeting["seats"] - 532
    # present/seats for all provinces, from the demo's record of 1/2560: seats with an attendance interval
    attended = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Attendance.seat_id)))
        .join(Seat, Attendance.seat_id == Seat.id)
        .where(Attendance.meeting_id == reference_meeting["meeting_id"], Seat.province_id.is_not(None))
    )
    assert 0 < attended < 532
    assert f'<td class="total">{attended}/532</td>' in html


def test_board_in_english_uses_english_names(reference_meeting, as_secretariat):
    as_secretariat.get("/lang/en")
    html = as_secretariat.get(f"/meetings/{reference_meeting['meeting_id']}/board").get_data(as_text=True)
    assert '<abbr title="Vice Governor">Vice Gov.</abbr>' in html
    assert "Chiang Mai" in html and "North" in html


def test_reference_meeting_roster_shows_532_provincial_seats(reference_meeting, as_secretariat):
    response = as_secretariat.get(f"/meetings/{reference_meeting['meeting_id']}/roster")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"<strong>532</strong>\s*provincial seats in 76 provinces", html)
    assert html.count('<tr class="seat-row"') == 100  # first page
    assert 'rel="next"' in html
    # The meeting has ended: no add or import form, but names can still be corrected.
    assert 'id="add-seats"' not in html and 'name="file"' not in html
    assert "/roster/" in html and "Edit" in html
    page6 = as_secretariat.get(f"/meetings/{reference_meeting['meeting_id']}/roster?page=6").get_data(
        as_text=True
    )
    assert page6.count('<tr class="seat-row"') == reference_meeting["seats"] - 500


def test_roster_search_box(reference_meeting, as_secretariat):
    html = as_secretariat.get(f"/meetings/{reference_meeting['meeting_id']}/roster?q=เชียงใหม่").get_data(
        as_text=True
    )
    assert html.count('<tr class="seat-row"') == 7
    html = as_secretariat.get(
        f"/meetings/{reference_meeting['meeting_id']}/roster?region=south&role=labour"
    ).get_data(as_text=True)
    assert html.count('<tr class="seat-row"') == 14


# --- editing through the pages ---------------------------------------------------------------------------


def test_add_seats_form_all_provinces_by_region_or_picked(upcoming, as_secretariat):
    url = f"/meetings/{upcoming.id}/roster"
    html = as_secretariat.get(url).get_data(as_text=True)
    assert 'id="add-seats"' in html and 'name="csrf_token"' in html
    assert html.count('name="provinces"') == 77
    response = as_secretariat.post(
        f"{url}/seats",
        data={
            "provinces_mode": "pick",
            "provinces": ["TH-50", "TH-10"],
            "roles": ["labour", "vice_governor"],
        },
    )
    assert response.status_code == 302
    assert seat_count(upcoming) == 4
    response = as_secretariat.post(
        f"{url}/seats",
        data={"provinces_mode": "region", "region": "north", "roles": ["labour"]},
        follow_redirects=True,
    )
    assert "8 seats have been added. 1 was on the roster already" in response.get_data(as_text=True)
    as_secretariat.post(
        f"{url}/seats",
        data={"provinces_mode": "all", "roles": SEVEN_ROLES, "central_roles": ["permanent_secretary"]},
    )
    assert seat_count(upcoming) == 535  # 76 × 7, Bangkok's two seats picked above, one central seat


def test_add_seats_form_errors_are_shown_and_nothing_saved(upcoming, as_secretariat):
    url = f"/meetings/{upcoming.id}/roster/seats"
    response = as_secretariat.post(url, data={"provinces_mode": "region", "region": "", "roles": ["labour"]})
    assert response.status_code == 422
    assert "Choose the provinces" in response.get_data(as_text=True)
    response = as_secretariat.post(url, data={"provinces_mode": "all"})
    assert response.status_code == 422 and "Choose at least one role." in response.get_data(as_text=True)
    assert seat_count(upcoming) == 0


def test_add_one_seat_and_duplicate_refused(small_roster, as_secretariat):
    url = f"/meetings/{small_roster.id}/roster/new"
    assert as_secretariat.get(url).status_code == 200
    response = as_secretariat.post(url, data={"province_code": "TH-10", "role_code": "labour", "name": "ก"})
    assert response.status_code == 302
    response = as_secretariat.post(url, data={"province_code": "TH-50", "role_code": "labour", "name": "ข"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "“Provincial Labour Officer, Chiang Mai” is already on the roster" in html
    assert seat_count(small_roster) == 17


def test_edit_seat_page(small_roster, as_secretariat):
    seat = seat_at(small_roster, "TH-50", "labour")
    url = f"/meetings/{small_roster.id}/roster/{seat.id}"
    html = as_secretariat.get(url).get_data(as_text=True)
    assert 'name="email"' in html and 'name="csrf_token"' in html
    response = as_secretariat.post(url, data={"name": "นายแก้ไข", "email": "bad@", "rsvp": "pending"})
    assert response.status_code == 422
    assert "“bad@” is not a valid e-mail address." in response.get_data(as_text=True)
    assert seat_at(small_roster, "TH-50", "labour").name is None
    response = as_secretariat.post(
        url, data={"name": "นายแก้ไข", "email": "ok@example.org", "rsvp": "accepted"}
    )
    assert response.status_code == 302
    seat = seat_at(small_roster, "TH-50", "labour")
    assert (seat.name, seat.email, seat.rsvp) == ("นายแก้ไข", "ok@example.org", "accepted")


def test_remove_asks_for_confirmation(small_roster, as_secretariat):
    seat = seat_at(small_roster, "TH-50", "labour")
    url = f"/meetings/{small_roster.id}/roster/{seat.id}/remove"
    html = as_secretariat.get(url).get_data(as_text=True)
    assert "Remove this seat?" in html and "Chiang Mai" in html and 'name="csrf_token"' in html
    assert seat_count(small_roster) == 16
    assert as_secretariat.post(url).status_code == 302
    assert seat_count(small_roster) == 15


def test_export_buttons_download_files(small_roster, as_chair):
    html = as_chair.get(f"/meetings/{small_roster.id}/roster").get_data(as_text=True)
    assert "export.csv" in html and "export.xlsx" in html
    response = as_chair.get(f"/meetings/{small_roster.id}/roster/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    response = as_chair.get(f"/meetings/{small_roster.id}/roster/export.xlsx")
    assert len(list(load_workbook(io.BytesIO(response.data))["roster"].iter_rows())) == 17


def test_import_form_shows_every_row_error_and_saves_nothing(small_roster, as_secretariat):
    content = b"province_code,role_code,email\nTH-10,labour,a@example.org\nTH-99,labour,x@\n"
    response = as_secretariat.post(
        f"/meetings/{small_roster.id}/roster/import", data={"file": (io.BytesIO(content), "roster.csv")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Row 3, province_code: “TH-99” is not a known province code." in html
    assert "Row 3, email: “x@” is not a valid e-mail address." in html
    # One banner (issue 15, item 6: a flash above the list said the first error again).
    assert html.count('role="alert"') == 1 and html.count("“TH-99” is not a known province code.") == 1
    assert seat_count(small_roster) == 16
    response = as_secretariat.post(
        f"/meetings/{small_roster.id}/roster/import", data={"file": (io.BytesIO(b"%PDF"), "minutes.pdf")}
    )
    assert response.status_code == 422 and "Only CSV and XLSX files" in response.get_data(as_text=True)
    response = as_secretariat.post(f"/meetings/{small_roster.id}/roster/import", data={})
    assert response.status_code == 422


def test_import_form_imports(small_roster, as_secretariat):
    content = "province_code,role_code,name\nTH-10,labour,นายนำเข้า\n".encode()
    response = as_secretariat.post(
        f"/meetings/{small_roster.id}/roster/import",
        data={"file": (io.BytesIO(content), "roster.csv")},
        follow_redirects=True,
    )
    assert "1 seats added, 0 changed, 0 unchanged" in response.get_data(as_text=True)
    assert seat_at(small_roster, "TH-10", "labour").name == "นายนำเข้า"


# --- permissions from the outside ------------------------------------------------------------------------


def _pages(meeting, seat) -> dict[str, list[str]]:
    base = f"/meetings/{meeting.id}"
    return {
        "read": [
            f"{base}/roster",
            f"{base}/board",
            f"{base}/roster/export.csv",
            f"{base}/roster/export.xlsx",
        ],
        "edit_get": [f"{base}/roster/new", f"{base}/roster/{seat.id}", f"{base}/roster/{seat.id}/remove"],
        "post": [
            f"{base}/roster/seats",
            f"{base}/roster/new",
            f"{base}/roster/{seat.id}",
            f"{base}/roster/{seat.id}/remove",
            f"{base}/roster/import",
            f"{base}/roster/{seat.id}/link",
            f"{base}/roster/{seat.id}/revoke",
        ],
    }


def test_anonymous_visitors_are_sent_to_sign_in(small_roster, client):
    pages = _pages(small_roster, seat_at(small_roster, "TH-50", "labour"))
    for url in pages["read"] + pages["edit_get"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in pages["post"]:
        response = client.post(url, data={"provinces_mode": "all", "roles": ["labour"]})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert seat_count(small_roster) == 16


def test_chair_sees_roster_and_board_read_only(small_roster, as_chair):
    seat = seat_at(small_roster, "TH-50", "labour")
    pages = _pages(small_roster, seat)
    for url in pages["read"]:
        assert as_chair.get(url).status_code == 200, url
    html = as_chair.get(f"/meetings/{small_roster.id}/roster").get_data(as_text=True)
    assert 'id="add-seats"' not in html and 'name="file"' not in html and f"/roster/{seat.id}" not in html
    for url in pages["edit_get"]:
        assert as_chair.get(url).status_code == 403, url
    for url in pages["post"]:
        assert (
            as_chair.post(url, data={"provinces_mode": "all", "roles": ["labour"], "name": "x"}).status_code
            == 403
        )
    assert seat_count(small_roster) == 16 and seat_at(small_roster, "TH-50", "labour").name is None


def test_participant_accounts_cannot_see_or_edit_the_roster(small_roster, client, users):
    sign_in(client, users["participant"])
    pages = _pages(small_roster, seat_at(small_roster, "TH-50", "labour"))
    for url in pages["read"] + pages["edit_get"]:
        assert client.get(url).status_code == 403, url
    for url in pages["post"]:
        assert client.post(url, data={"provinces_mode": "all", "roles": ["labour"]}).status_code == 403, url
    assert seat_count(small_roster) == 16


# --- constant query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["board", "roster"])
def test_query_count_does_not_grow_with_the_roster(upcoming, as_secretariat, users, count_queries, page):
    url = f"/meetings/{upcoming.id}/{page}"
    ids = (upcoming.id, users["secretariat"].id)
    services.add_seats(
        upcoming,
        {"provinces": ["TH-50"], "roles": SEVEN_ROLES, "central_roles": ["secretariat"]},
        by=users["secretariat"],
    )
    as_secretariat.get(url)  # warm-up
    db.session.remove()  # the test and the client share a session: start each request with an empty one
    with count_queries() as small:
        assert as_secretariat.get(url).status_code == 200
    # The requests committed (expiring every row), and the session they were read in is gone: read again.
    upcoming, secretariat = db.session.get(Meeting, ids[0]), db.session.get(User, ids[1])
    services.add_seats(
        upcoming,
        {"provinces": "all", "roles": SEVEN_ROLES, "central_roles": ["permanent_secretary"]},
        by=secretariat,
    )
    commit()  # the test is the entry point of its service calls
    db.session.remove()
    with count_queries() as full:
        response = as_secretariat.get(url)
    assert seat_count(db.session.get(Meeting, ids[0])) == 534
    if page == "board":
        assert _cells(response.get_data(as_text=True)) == 532
    assert full.count == small.count, full.statements
    assert full.count <= 10


def test_meeting_overview_counts_the_roster(reference_meeting, as_secretariat):
    meeting = db.session.get(Meeting, reference_meeting["meeting_id"])
    html = as_secretariat.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "532 provincial seats in 76 provinces" in html
