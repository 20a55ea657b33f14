"""Personal join links: issued once, stored as a hash, refused when unknown, withdrawn or expired."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetcore.actors import SYSTEM_MAIL, SYSTEM_REPORTS
from meetcore.agenda.models import AgendaItem
from meetcore.errors import Conflict, InvalidInput, PermissionDenied
from meetcore.extensions import db
from meetcore.seats import links, services
from meetcore.seats.models import SeatLink
from meetcore.tokenlinks import hash_token
from tests.factories import seat_at


@pytest.fixture()
def seat(small_roster, users):
    seat = seat_at(small_roster, "TH-50", "social_development")
    services.update_seat(
        seat,
        {"name": "นางสาวพัฒนา สังคมดี", "position": "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่"},
        by=users["secretariat"],
    )
    section = AgendaItem(
        meeting_id=small_roster.id, position=0, section=1, title="เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ"
    )
    db.session.add(section)
    db.session.flush()
    db.session.add_all(
        [
            AgendaItem(meeting_id=small_roster.id, parent_id=section.id, position=0, title="นโยบายเร่งด่วน"),
            AgendaItem(meeting_id=small_roster.id, position=1, section=2, title="เรื่องรับรองรายงานการประชุม"),
        ]
    )
    db.session.commit()
    return seat_at(small_roster, "TH-50", "social_development")


def _link(token: str) -> SeatLink:
    return db.session.scalars(sa.select(SeatLink).where(SeatLink.token_hash == hash_token(token))).one()


def test_a_link_opens_its_seat_and_only_the_hash_is_kept(seat, small_roster, users):
    token = links.issue_seat_link(seat, by=users["secretariat"])
    assert len(token) >= 40
    link = _link(token)
    assert link.token_hash != token and token not in (link.token_hash,)
    assert link.expires_at == small_roster.end_at + timedelta(hours=12)
    assert links.seat_for_link(token).id == seat.id
    assert links.live_link_count(seat) == 1


def test_unknown_revoked_and_expired_links_are_refused(seat, users):
    with pytest.raises(links.SeatLinkUnknown) as caught:
        links.seat_for_link("not-a-token")
    assert caught.value.status == 403
    revoked = links.issue_seat_link(seat, by=users["secretariat"])
    assert links.revoke_seat_links(seat, by=users["secretariat"]) == 1
    with pytest.raises(links.SeatLinkRevoked) as caught:
        links.seat_for_link(revoked)
    assert caught.value.status == 410 and "withdrawn" in str(caught.value.message)
    expired = links.issue_seat_link(seat, by=users["secretariat"])
    _link(expired).expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(links.SeatLinkExpired) as caught:
        links.seat_for_link(expired)
    assert caught.value.status == 410 and "expired on" in str(caught.value.message)


def test_a_link_cannot_be_born_expired_or_for_a_cancelled_meeting(seat, small_roster, users):
    with pytest.raises(InvalidInput) as caught:
        links.issue_seat_link(
            seat, expires_at=datetime.now(UTC) - timedelta(hours=1), by=users["secretariat"]
        )
    assert caught.value.field == "expires_at"
    from meetcore.meetings.services import cancel_meeting

    cancel_meeting(small_roster, {"reason": "เลื่อน"}, by=users["secretariat"])
    with pytest.raises(Conflict):
        links.issue_seat_link(seat, by=users["secretariat"])


def test_issuing_and_revoking_are_logged(seat, small_roster, users):
    from meetcore.eventlog.models import MeetingEvent

    links.issue_seat_link(seat, by=users["secretariat"])
    links.revoke_seat_links(seat, by=users["secretariat"])
    kinds = db.session.scalars(
        sa.select(MeetingEvent.kind).where(MeetingEvent.meeting_id == small_roster.id)
    ).all()
    assert kinds[-2:] == ["seats.link_issued", "seats.links_revoked"]


def test_links_are_issued_and_withdrawn_by_someone_named_who_may(seat, small_roster, users):
    """Issue 19, item 3: no call issues or withdraws a link as nobody; a chair, or the system acting with a
    chair's rights, is refused and nothing changes; the mailer issues links under its own name."""
    from meetcore.eventlog.models import MeetingEvent

    with pytest.raises(TypeError):
        links.issue_seat_link(seat)
    for actor in (users["chair"], SYSTEM_REPORTS):
        with pytest.raises(PermissionDenied):
            links.issue_seat_link(seat, by=actor)
    assert links.live_link_count(seat) == 0
    links.issue_seat_link(seat, by=SYSTEM_MAIL)
    with pytest.raises(TypeError):
        links.revoke_seat_links(seat)
    with pytest.raises(PermissionDenied):
        links.revoke_seat_links(seat, by=users["chair"])
    assert links.live_link_count(seat) == 1
    issued = db.session.scalars(
        sa.select(MeetingEvent).where(
            MeetingEvent.meeting_id == small_roster.id, MeetingEvent.kind == "seats.link_issued"
        )
    ).one()
    assert (issued.actor_name, issued.actor_user_id) == ("system:mail", None)


def test_the_join_page_shows_meeting_seat_and_agenda_without_signing_in(seat, small_roster, client, users):
    token = links.issue_seat_link(seat, by=users["secretariat"])
    client.get("/lang/th")  # the invitee's page in Thai, as the invitation sends them
    response = client.get(f"/join/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert small_roster.title in html
    assert re.search(r"พ\.ศ\. 25\d\d", html)  # the date in the Buddhist Era
    assert "น." in html and "เชียงใหม่" in html
    assert "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด" in html and "นางสาวพัฒนา สังคมดี" in html
    assert "นโยบายเร่งด่วน" in html and "1.1" in html and "เรื่องรับรองรายงานการประชุม" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # The way in: the identity check of the same link, as the decree asks before joining.
    assert f'href="/join/{token}/identity"' in html


def test_the_join_page_refuses_bad_links_clearly(seat, client, users):
    response = client.get("/join/unknown-token")
    assert response.status_code == 403
    assert "This join link is not valid." in response.get_data(as_text=True)
    token = links.issue_seat_link(seat, by=users["secretariat"])
    links.revoke_seat_links(seat, by=users["secretariat"])
    response = client.get(f"/join/{token}")
    assert response.status_code == 410 and "withdrawn" in response.get_data(as_text=True)
    token = links.issue_seat_link(seat, by=users["secretariat"])
    _link(token).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/join/{token}")
    assert response.status_code == 410 and "expired on" in response.get_data(as_text=True)


def test_the_secretariat_issues_and_withdraws_links_from_the_seat_page(seat, small_roster, as_secretariat):
    base = f"/meetings/{small_roster.id}/roster/{seat.id}"
    response = as_secretariat.post(f"{base}/link")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    url = re.search(r'<p class="link-box" id="new-link">([^<]+)</p>', html).group(1)
    assert url.startswith("http://meetcore.test/join/")
    assert as_secretariat.get(url.removeprefix("http://meetcore.test")).status_code == 200
    response = as_secretariat.post(f"{base}/revoke", follow_redirects=True)
    assert "1 join link has been withdrawn." in response.get_data(as_text=True)
    assert as_secretariat.get(url.removeprefix("http://meetcore.test")).status_code == 410


def test_demo_participant_links_open(reference_meeting, client):
    from meetcore.demo.accounts import participant_links

    links = participant_links(reference_meeting["next_meeting_id"], count=2)
    assert len(links) == 2
    for _label, url in links:
        assert client.get("/join/" + url.rsplit("/", 1)[1]).status_code == 200
