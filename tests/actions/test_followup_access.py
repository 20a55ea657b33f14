"""An agency's focal point (signed in) or agency link sees and reports on its own assignments only; the
other agencies' are "not found" to it, over HTTP, and nothing of theirs changes."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from meetcore.actions.models import ActionAssignment, ProgressReport
from meetcore.extensions import db
from tests.actions.followup_support import (
    ONE_HOME,
    agency,
    assignment_of,
    client_for,
    focal_point,
    give,
    given_meeting,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture()
def given(app_ctx, reference, users):
    """Every พมจ. makes a social map; Chiang Mai's labour office drives ONE HOME. Two focal points:
    Chiang Mai's พมจ. and Songkhla's พมจ."""
    secretary = users["secretariat"]
    meeting = given_meeting(users)
    social_map = give(meeting, {"role_code": "social_development", "provinces": "all"}, by=secretary)
    one_home = give(meeting, {"agency_id": agency("labour", "TH-50").id}, by=secretary, title=ONE_HOME)
    chiang_mai, songkhla = agency("social_development", "TH-50"), agency("social_development", "TH-90")
    return {
        "meeting": meeting,
        "social_map": social_map,
        "one_home": one_home,
        "chiang_mai": chiang_mai,
        "songkhla": songkhla,
        "mine": assignment_of(social_map, chiang_mai),
        "theirs": assignment_of(social_map, songkhla),
        "cm": client_for(app_ctx, focal_point(chiang_mai, "pmj.cm@example.org", by=secretary).email),
        "sk": client_for(app_ctx, focal_point(songkhla, "pmj.sk@example.org", by=secretary).email),
    }


def _status(assignment_id: int) -> str:
    db.session.expire_all()
    return db.session.get(ActionAssignment, assignment_id).status


def _reports(assignment_id: int) -> list[ProgressReport]:
    return list(
        db.session.scalars(
            sa.select(ProgressReport)
            .where(ProgressReport.assignment_id == assignment_id)
            .order_by(ProgressReport.id)
        )
    )


def test_focal_point_lands_on_its_agencys_items(app_ctx, given):
    response = client_for(app_ctx).post(
        "/login", data={"email": "pmj.cm@example.org", "password": "correct horse battery"}
    )
    assert response.headers["Location"].endswith("/followup")
    page = given["cm"].get("/followup")
    assert page.status_code == 200
    rows = re.findall(r'data-assignment="(\d+)"', page.text)
    assert rows == [str(given["mine"].id)]  # its own, not Songkhla's, not the labour office's
    assert "แผนที่ทางสังคม" in page.text and "ONE HOME" not in page.text


def test_another_agencys_assignment_is_not_found(given):
    theirs = given["theirs"].id
    assert given["cm"].get(f"/followup/assignments/{theirs}").status_code == 404
    assert given["cm"].get(f"/followup/assignments/{given['one_home'].assignments[0].id}").status_code == 404
    response = given["cm"].post(
        f"/followup/assignments/{theirs}/reports", data={"status": "done", "note": "แอบรายงานแทน"}
    )
    assert response.status_code == 404
    assert _status(theirs) == "open" and _reports(theirs) == []


def test_focal_point_reports_progress_kept_as_history(given):
    mine = given["mine"].id
    first = given["cm"].post(
        f"/followup/assignments/{mine}/reports",
        data={"status": "in_progress", "note": "รวบรวมข้อมูลกลุ่มเป้าหมายแล้ว 60%"},
    )
    assert first.status_code == 302
    second = given["cm"].post(
        f"/followup/assignments/{mine}/reports",
        data={
            "status": "done",
            "note": "จัดทำแผนที่ทางสังคมแล้วเสร็จ",
            "attachment": (io.BytesIO(PDF), "แผนที่ทางสังคม เชียงใหม่.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert second.status_code == 302
    reports = _reports(mine)
    assert [r.status for r in reports] == ["in_progress", "done"]
    assert reports[1].attachment_name == "แผนที่ทางสังคม เชียงใหม่.pdf"
    assert reports[1].attachment_type == "application/pdf" and reports[1].attachment_size == len(PDF)
    assert _status(mine) == "done"
    assignment = db.session.get(ActionAssignment, mine)
    assert assignment.last_note == "จัดทำแผนที่ทางสังคมแล้วเสร็จ" and assignment.last_reported_at is not None
    page = given["cm"].get(f"/followup/assignments/{mine}")
    assert page.text.count("data-report=") == 2 and "60%" in page.text
    download = given["cm"].get(f"/followup/reports/{reports[1].id}/attachment")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    # Songkhla can neither read Chiang Mai's file nor its page.
    assert given["sk"].get(f"/followup/reports/{reports[1].id}/attachment").status_code == 404


def test_secretariat_reads_every_agency_and_reports_on_its_behalf(app_ctx, given, users):
    secretary = client_for(app_ctx, users["secretariat"].email)
    theirs = given["theirs"].id
    assert secretary.get(f"/followup/assignments/{theirs}").status_code == 200
    response = secretary.post(
        f"/followup/assignments/{theirs}/reports", data={"status": "in_progress", "note": "รับแจ้งทางโทรศัพท์"}
    )
    assert response.status_code == 302
    [report] = _reports(theirs)
    assert report.user_id == users["secretariat"].id and report.reporter_name == "Secretariat"


def test_chair_reads_but_does_not_report(app_ctx, given, users):
    chair = client_for(app_ctx, users["chair"].email)
    mine = given["mine"].id
    assert chair.get(f"/followup/assignments/{mine}").status_code == 200
    assert chair.post(f"/followup/assignments/{mine}/reports", data={"status": "done"}).status_code == 403
    assert _reports(mine) == []


def test_focal_points_and_other_accounts_stay_out_of_the_console(app_ctx, given, users):
    for path in (
        "/actions",
        f"/actions/{given['social_map'].id}",
        "/search?q=สังคม",
        f"/actions/agencies/{given['songkhla'].id}",
    ):
        assert given["cm"].get(path).status_code == 403, path
    participant = client_for(app_ctx, users["participant"].email)  # an account that reports for no agency
    assert participant.get("/followup").status_code == 403
    assert participant.get(f"/followup/assignments/{given['mine'].id}").status_code == 403
    assert client_for(app_ctx).get("/followup").status_code == 302  # signed out: to the sign-in page


def _stored() -> set:
    from meetcore.actions.attachments import attachments_dir

    return set(attachments_dir().iterdir()) if attachments_dir().exists() else set()


def test_a_refused_file_keeps_nothing(app_ctx, given):
    mine = given["mine"].id
    before = _stored()
    renamed = given["cm"].post(
        f"/followup/assignments/{mine}/reports",
        data={
            "status": "done",
            "note": "ไฟล์",
            "attachment": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "report.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert renamed.status_code == 422
    wrong_type = given["cm"].post(
        f"/followup/assignments/{mine}/reports",
        data={"status": "done", "attachment": (io.BytesIO(b"#!/bin/sh\n"), "run.sh")},
        content_type="multipart/form-data",
    )
    assert wrong_type.status_code == 422
    app_ctx.config["MEETCORE_ACTION_ATTACHMENT_MAX_MB"] = 1
    try:
        too_big = given["cm"].post(
            f"/followup/assignments/{mine}/reports",
            data={"status": "done", "attachment": (io.BytesIO(PDF + b"0" * (1024 * 1024)), "big.pdf")},
            content_type="multipart/form-data",
        )
    finally:
        app_ctx.config["MEETCORE_ACTION_ATTACHMENT_MAX_MB"] = 5
    assert too_big.status_code == 422
    assert _reports(mine) == [] and _status(mine) == "open"
    assert _stored() == before


def test_agency_link_opens_that_agency_only(app_ctx, given, users):
    secretary = client_for(app_ctx, users["secretariat"].email)
    issued = secretary.post(f"/actions/agencies/{given['songkhla'].id}/links", data={"label": "ส่งทางอีเมล"})
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="new-link">([^<]+)<', issued.text).group(1)
    token = link.rsplit("/", 1)[1]
    stranger = client_for(app_ctx)  # nobody signed in
    home = stranger.get(f"/followup/link/{token}")
    assert home.status_code == 200 and home.headers["Referrer-Policy"] == "no-referrer"
    assert re.findall(r'data-assignment="(\d+)"', home.text) == [str(given["theirs"].id)]
    mine = given["mine"].id  # Chiang Mai's: not Songkhla's link's business
    assert stranger.get(f"/followup/link/{token}/assignments/{mine}").status_code == 404
    assert (
        stranger.post(
            f"/followup/link/{token}/assignments/{mine}/reports",
            data={"status": "done", "reporter_name": "x"},
        ).status_code
        == 404
    )
    assert _reports(mine) == []
    theirs = given["theirs"].id
    nameless = stranger.post(
        f"/followup/link/{token}/assignments/{theirs}/reports", data={"status": "in_progress"}
    )
    assert nameless.status_code == 422  # a link's reporter names themself
    named = stranger.post(
        f"/followup/link/{token}/assignments/{theirs}/reports",
        data={"status": "in_progress", "note": "เริ่มลงพื้นที่", "reporter_name": "นางสาวตัวอย่าง"},
    )
    assert named.status_code == 302
    [report] = _reports(theirs)
    assert report.link_id is not None and report.user_id is None and report.reporter_name == "นางสาวตัวอย่าง"
    # Withdrawn: the link opens nothing any more.
    assert secretary.post(f"/actions/agencies/{given['songkhla'].id}/links/revoke").status_code == 302
    assert stranger.get(f"/followup/link/{token}").status_code == 410
    assert stranger.get("/followup/link/not-a-real-token").status_code == 403
