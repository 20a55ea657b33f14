"""The official minutes of the reference meeting after a scripted live session, as PDF and DOCX: every heading
field in order, every present seat under ผู้มาประชุม (the substitute with "แทน"), every absent seat with its
reason under ผู้ไม่มาประชุม, each agenda item's decision; a first page that is not blank; Thai runs in Word
carrying the complex-script font, size and language."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from meetcore.extensions import db
from tests.conftest import sign_in
from tests.reports.conftest import (
    DECLINE_REASON,
    RECORDER,
    REVIEWER,
    SUBSTITUTE_NAME,
    SUBSTITUTE_POSITION,
)
from tests.reports.support import (
    THAI,
    W,
    docx_paragraphs,
    docx_runs,
    first_page_ink,
    in_order,
    norm,
    pdf_fonts,
    pdf_text,
    run_property,
    run_text,
    squeeze,
)

FORBIDDEN = ("บันทึกการประชุม", "ผู้ที่ไม่เข้าประชุม", "เปิดประชุมเวลา", "ปิดประชุมเวลา")


def _expected(held) -> dict:
    """What the document must say, read from the meeting's own data."""
    import sqlalchemy as sa

    from meetcore.agenda.models import AgendaItem
    from meetcore.attendance.statuses import meeting_times
    from meetcore.i18n.dates import be_date_long
    from meetcore.meetings.models import Meeting
    from meetcore.reports.content import thai_time
    from meetcore.seats.models import Seat

    meeting = db.session.get(Meeting, held.meeting_id)
    times = meeting_times(meeting)
    present_ids = {seat.id for seat in held.present} | {held.substitute.id}
    seats = db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id)).all()
    items = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)).all()
    return {
        "heading": [
            "รายงาน" + meeting.series.name,
            f"ครั้งที่ {meeting.number}/{meeting.year_be}",
            "เมื่อ" + be_date_long(times.started_at, "th"),
            "ณ " + meeting.venue,
        ],
        "started": "เริ่มประชุมเวลา " + thai_time(times.started_at),
        "ended": "เลิกประชุมเวลา " + thai_time(times.ended_at),
        "present": [seat.name for seat in held.present if seat.role.code != "secretariat"],
        "supporting": [seat.name for seat in held.present if seat.role.code == "secretariat"],
        "absent": [seat for seat in seats if seat.id not in present_ids],
        "items": items,
    }


def _check_text(text: str, held) -> None:
    """The checks shared by the PDF and the DOCX, on the text of the whole document."""
    text = norm(text)
    expected = _expected(held)
    positions = in_order(text, expected["heading"] + [
        "ผู้มาประชุม", "ผู้ไม่มาประชุม", "ผู้เข้าร่วมประชุม", expected["started"], expected["ended"],
        "ผู้จดรายงานการประชุม", "ผู้ตรวจรายงานการประชุม",
    ])  # fmt: skip
    present_at, absent_at, supporting_at, started_at, ended_at = positions[4:9]
    for name in expected["present"]:
        at = text.find(norm(name), present_at)
        assert present_at < at < absent_at, f"{name} is not under ผู้มาประชุม"
    substitute = text.find(norm(SUBSTITUTE_NAME), present_at)
    assert present_at < substitute < absent_at
    behalf = norm(f"{SUBSTITUTE_POSITION} แทน {held.substitute.name}")
    assert text.find(behalf, present_at) == substitute + len(norm(SUBSTITUTE_NAME)), (
        "no แทน … for the substitute"
    )
    for name in expected["supporting"]:
        assert supporting_at < text.find(norm(name), supporting_at) < started_at
    assert len(expected["absent"]) > 500
    for seat in expected["absent"]:
        at = text.find(norm(seat.name), absent_at)
        assert absent_at < at < supporting_at, f"absent {seat.name} is not under ผู้ไม่มาประชุม"
    declined = text.find(norm(held.declined.name), absent_at)
    reason = text.find(norm(DECLINE_REASON), declined)
    assert declined < reason < text.find("ตัวอย่าง", declined + len(norm(held.declined.name))), (
        "the reason does not follow the declined seat"
    )
    last = started_at
    for item in sorted(expected["items"], key=lambda item: text.find(norm(held.texts[item.id]))):
        minutes_at = text.find(norm(held.texts[item.id]), started_at)
        decision_at = text.find(norm("มติที่ประชุม" + held.decisions[item.id]), minutes_at)
        assert started_at < minutes_at < decision_at < ended_at, f"item {item.title}: text then its decision"
        assert decision_at > last
        last = decision_at
    assert norm(RECORDER[0]) in text[ended_at:] and norm(REVIEWER[0]) in text[ended_at:]
    for word in FORBIDDEN:
        assert norm(word) not in text


@pytest.fixture()
def secretariat_client(client, users):
    sign_in(client, users["secretariat"])
    return client


def test_pdf_of_the_held_reference_meeting(held, secretariat_client, tmp_path):
    response = secretariat_client.get(f"/meetings/{held.meeting_id}/minutes/export.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    data = response.data
    assert data.startswith(b"%PDF")
    _check_text(pdf_text(data, tmp_path), held)
    ink, pixels = first_page_ink(data, tmp_path)
    assert ink > pixels * 0.01, f"the first page looks blank ({ink} of {pixels} pixels not white)"
    fonts = pdf_fonts(data, tmp_path)
    assert fonts and all("Sarabun" in name and embedded for name, embedded in fonts), fonts


def test_docx_of_the_held_reference_meeting_from_the_cli(held, app, tmp_path):
    out = tmp_path / "minutes.docx"
    result = CliRunner().invoke(
        app.cli,
        ["minutes", "export", str(held.meeting_id), "--format", "docx", "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    _check_text("\n".join(docx_paragraphs(data)), held)
    thai_runs = [run for run in docx_runs(data) if THAI.search(run_text(run))]
    assert len(thai_runs) > 500
    for run in thai_runs:
        assert run_property(run, "rFonts", "cs") == "TH Sarabun New", run_text(run)
        assert run_property(run, "szCs", "val") == run_property(run, "sz", "val") is not None
        assert run_property(run, "lang", "bidi") == "th-TH"
        assert run_property(run, "lang", "eastAsia") == "th-TH"
    # Word opens only run properties in the schema's order.
    from meetcore.reports.documents import RPR_ORDER

    for run in docx_runs(data):
        tags = [child.tag.rsplit("}", 1)[-1] for child in run.find(f"{{{W}}}rPr")]
        assert tags == sorted(tags, key=RPR_ORDER.index), tags


def test_grouping_by_province_puts_a_heading_per_province(held, secretariat_client):
    from meetcore.meetings.models import Meeting
    from meetcore.reports.content import build_document
    from meetcore.reports.documents import render_docx

    document = build_document(db.session.get(Meeting, held.meeting_id), "province")
    titles = [group.title for group in document.absent]
    assert titles[0] == "ส่วนกลาง"
    assert "จังหวัดเชียงใหม่" in titles and len(titles) == 77  # central + 76 provinces
    by_role = build_document(db.session.get(Meeting, held.meeting_id), "role")
    assert "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด" in [group.title for group in by_role.absent]
    text = squeeze("\n".join(docx_paragraphs(render_docx(document))))
    assert text.index("จังหวัดเชียงใหม่") < text.index(squeeze(held.declined.name))
    page = secretariat_client.get(f"/meetings/{held.meeting_id}/minutes?group=role")
    assert page.status_code == 200
    assert "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด" in page.get_data(as_text=True)
