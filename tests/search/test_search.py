"""Search across meetings for an agenda item, a decision or an action, in Thai (no spaces between words)
or English; paginated and highlighted; for the secretariat and the chair only."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from meetcore.agenda.models import AgendaItem
from meetcore.extensions import db
from meetcore.minutes.models import Decision
from meetcore.search.services import search
from meetcore.search.text import highlight, query_terms
from tests.actions.followup_support import agency, client_for, give, given_meeting
from tests.clock import days_after_meeting


@pytest.fixture()
def archive(app_ctx, bare_reference_meeting, users):
    """The reference meeting's agenda (without the demo's record of it), a decision on the social map and
    two actions of a later meeting."""
    first = bare_reference_meeting["meeting_id"]
    social_map_item = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == first, AgendaItem.title.like("%Social Map%"))
    ).one()
    db.session.add(
        Decision(
            meeting_id=first,
            agenda_item_id=social_map_item.id,
            text="ที่ประชุมมีมติเห็นชอบให้ทุกจังหวัดจัดทำแผนที่ทางสังคม ภายในเดือนมิถุนายน 2560",
        )
    )
    db.session.commit()
    later = given_meeting(users, series="คณะทำงานอื่น")
    give(
        later,
        {"role_code": "social_development", "provinces": ["TH-50"]},
        by=users["secretariat"],
        title="รายงานความคืบหน้าการดำเนินงานศูนย์ช่วยเหลือสังคม",
        description="ส่งภายใน 30 วัน 100% ครบถ้วน",
    )
    give(
        later,
        {"agency_id": agency("labour", "TH-90").id},
        by=users["secretariat"],
        title="Update the ONE HOME team roster",
        due=days_after_meeting(60),
    )
    return {"first": first, "later": later}


def _kinds(results) -> list[tuple[str, int]]:
    return [(hit.kind, hit.id) for hit in results.page.items]


def test_thai_word_inside_a_longer_run_is_found(archive, users):
    results = search("สังคม", by=users["secretariat"], per_page=100)
    kinds = {hit.kind for hit in results.page.items}
    assert kinds == {"agenda", "decision", "action"}
    titles = " ".join(str(hit.title) for hit in results.page.items)
    # "สังคม" is inside "แผนที่ทางสังคม", which word segmentation keeps as one word ("ทางสังคม").
    assert "แผนที่ทาง<mark>สังคม</mark>" in titles
    assert results.counts["decision"] == 1 and results.counts["action"] == 1


def test_english_ignores_case(archive, users):
    results = search("social MAP", by=users["chair"])
    assert "agenda" in {hit.kind for hit in results.page.items}
    assert any("<mark>Social</mark> <mark>Map</mark>" in str(hit.title) for hit in results.page.items)
    actions = search("one home roster", by=users["chair"], kind="action")
    assert [hit.kind for hit in actions.page.items] == ["action"] and actions.page.total == 1


def test_every_term_must_be_there(archive, users):
    both = search("แผนที่ มิถุนายน", by=users["secretariat"])
    assert [hit.kind for hit in both.page.items] == ["decision"]
    assert search("แผนที่ ไม่มีคำนี้แน่นอน", by=users["secretariat"]).page.total == 0


def test_wildcards_are_plain_characters(archive, users):
    assert search("100%", by=users["secretariat"]).page.total == 1
    assert search("%", by=users["secretariat"]).page.total == 1  # only the text that holds a "%"
    assert search("_", by=users["secretariat"]).page.total == 0


def test_sara_am_typed_in_two_keys_still_matches(archive, users):
    decomposed = "ดําเนินงาน"  # NIKHAHIT + SARA AA, as some keyboards type SARA AM
    assert decomposed != "ดำเนินงาน"
    assert search(decomposed, by=users["secretariat"]).page.total == 1
    assert query_terms(decomposed) == ["ดำเนินงาน"]
    assert str(highlight("การด\u0e4d\u0e32เนินงาน", ["ดำเนิน"])) == "การ<mark>ด\u0e4d\u0e32เนิน</mark>งาน"


def test_kind_filter_and_pages(archive, users):
    everything = search("การ", by=users["secretariat"], per_page=5)
    assert everything.page.total > 10 and everything.page.pages > 2
    seen = []
    for number in range(1, everything.page.pages + 1):
        seen += _kinds(search("การ", by=users["secretariat"], per_page=5, page=number))
    assert len(seen) == len(set(seen)) == everything.page.total
    agenda_only = search("การ", by=users["secretariat"], kind="agenda", per_page=100)
    assert {hit.kind for hit in agenda_only.page.items} == {"agenda"}
    assert agenda_only.page.total == everything.counts["agenda"]
    # Newest meeting first: the later meeting's action before the reference meeting's items.
    assert everything.page.items[0].meeting.id == archive["later"].id


def test_search_page(app_ctx, archive, users):
    page = client_for(app_ctx, users["secretariat"].email).get("/search", query_string={"q": "แผนที่ทางสังคม"})
    assert page.status_code == 200
    assert "<mark>แผนที่ทางสังคม</mark>" in page.text
    assert re.findall(r'<li data-kind="(\w+)"', page.text).count("decision") == 1
    narrowed = client_for(app_ctx, users["chair"].email).get(
        "/search?q=%E0%B8%AA%E0%B8%B1%E0%B8%87%E0%B8%84%E0%B8%A1&kind=action"
    )
    assert set(re.findall(r'<li data-kind="(\w+)"', narrowed.text)) == {"action"}
    empty = client_for(app_ctx, users["chair"].email).get("/search")
    assert empty.status_code == 200 and "<mark>" not in empty.text


def test_only_staff_search(app_ctx, archive, users):
    assert client_for(app_ctx, users["participant"].email).get("/search?q=x").status_code == 403
    assert client_for(app_ctx).get("/search?q=x").status_code == 302
