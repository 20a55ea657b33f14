"""The document projector from the outside, over the live protocol (issue 16, item 4): the secretariat shows
an agenda PDF and turns its pages, each turn one small event carrying the state; the floor holder may
present, another seat may not; the snapshot has the projector's state; bad input changes nothing."""

from __future__ import annotations

import io
import json

import pytest

from meetcore.extensions import db
from tests.factories import SocketClients, seat_at

PDF = b"%PDF-1.4\n% slides\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def files_in_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.fixture()
def document(live_meeting, users):
    from meetcore.agenda.documents import add_document
    from meetcore.agenda.services import add_item

    item = add_item(live_meeting, {"title": "นโยบายเร่งด่วน"}, by=users["secretariat"])
    return add_document(item, io.BytesIO(PDF), "นโยบาย.pdf", by=users["secretariat"])


@pytest.fixture()
def connect(app_ctx):
    clients = SocketClients(app_ctx)

    def open_client(http=None, auth=None):
        sio = clients.connect(http, auth)
        assert sio.is_connected()
        return sio

    yield open_client
    clients.close()


def events_of(sio, prefix: str = "projector.") -> list[dict]:
    return [packet["args"][0] for packet in sio.get_received()
            if packet["name"] == "event" and packet["args"][0]["kind"].startswith(prefix)]  # fmt: skip


def joined(sio, meeting) -> dict:
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"], ack
    return ack["snapshot"]


def test_the_secretariat_shows_a_document_and_turns_its_pages(
    live_meeting, document, users, as_secretariat, connect
):
    from meetcore.seats.links import issue_seat_link

    staff = connect(as_secretariat)
    token = issue_seat_link(seat_at(live_meeting, "TH-50", "labour"), by=users["secretariat"])
    seat = connect(auth={"seat_token": token})
    assert joined(staff, live_meeting)["projector"] is None
    joined(seat, live_meeting)
    values = {"meeting_id": live_meeting.id, "document_id": document.id, "page": 1, "pages": 12}
    assert staff.emit("projector.show", values, callback=True)["ok"]
    ack = staff.emit("projector.turn", {"meeting_id": live_meeting.id, "page": 2}, callback=True)
    assert ack["ok"] and ack["seq"]
    [shown, turned] = events_of(seat)  # the seat follows, one event per turn
    assert shown["kind"] == "projector.shown" and shown["payload"]["projector"]["document_id"] == document.id
    assert turned["kind"] == "projector.turned" and turned["seq"] == ack["seq"]
    assert turned["payload"]["projector"] == {"document_id": document.id, "title": "นโยบาย", "page": 2,
                                              "pages": 12, "presenter": users["secretariat"].display_name}
    assert len(json.dumps(turned)) < 300  # a page turn costs a province almost nothing
    # A page that joins later gets the page in its snapshot; a page beyond the end changes nothing.
    late = connect(as_secretariat)
    assert joined(late, live_meeting)["projector"]["page"] == 2
    beyond = staff.emit("projector.turn", {"meeting_id": live_meeting.id, "page": 13}, callback=True)
    assert not beyond["ok"] and beyond["error"]["code"] == "invalid_input"
    assert events_of(seat) == []
    assert staff.emit("projector.stop", {"meeting_id": live_meeting.id}, callback=True)["ok"]
    assert events_of(seat)[0]["payload"] == {"projector": None}
    nothing = staff.emit("projector.turn", {"meeting_id": live_meeting.id, "page": 1}, callback=True)
    assert nothing["error"]["code"] == "conflict"


def test_the_floor_holder_may_present_and_another_seat_may_not(live_meeting, document, users, connect):
    from meetcore.floor.services import grant_floor
    from meetcore.seats.links import issue_seat_link

    holder, other = seat_at(live_meeting, "TH-50", "labour"), seat_at(live_meeting, "TH-90", "labour")
    holder_sio = connect(auth={"seat_token": issue_seat_link(holder, by=users["secretariat"])})
    other_sio = connect(auth={"seat_token": issue_seat_link(other, by=users["secretariat"])})
    db.session.commit()
    values = {"meeting_id": live_meeting.id, "document_id": document.id}
    refused = other_sio.emit("projector.show", values, callback=True)
    assert not refused["ok"] and refused["error"]["code"] == "projector_may_not_present"
    grant_floor(live_meeting, seat_id=holder.id, by=users["chair"])
    db.session.commit()
    assert holder_sio.emit("projector.show", values, callback=True)["ok"]
    turned = other_sio.emit("projector.turn", {"meeting_id": live_meeting.id, "page": 2}, callback=True)
    assert turned["error"]["code"] == "projector_may_not_present"


def test_only_pdf_documents_of_the_meeting(live_meeting, document, users, as_secretariat, connect):
    from meetcore.agenda.documents import add_document

    staff = connect(as_secretariat)
    from meetcore.agenda.models import AgendaItem

    item = db.session.get(AgendaItem, document.agenda_item_id)
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 40)
    image = add_document(item, png, "map.png", by=users["secretariat"])
    meeting_id = live_meeting.id
    answer = staff.emit("projector.show", {"meeting_id": meeting_id, "document_id": image.id}, callback=True)
    assert answer["error"]["code"] == "invalid_input"
    missing = staff.emit("projector.show", {"meeting_id": meeting_id, "document_id": 999}, callback=True)
    assert missing["error"]["code"] == "not_found"
    assert staff.emit("projector.show", {"meeting_id": live_meeting.id, "document_id": "1"},
                      callback=True)["error"]["code"] == "invalid_input"  # fmt: skip


# --- a provincial hall's screen reads the document being shown, through its site link ------------------


def hall_link(meeting, users, province: str = "TH-50") -> str:
    from meetcore.attendance.sites import issue_site_link

    token = issue_site_link(meeting, {"province_code": province}, by=users["secretariat"]).token
    db.session.commit()  # the test is the entry point
    return token


def hall_fetch(client, token: str, document_id: int):
    return client.get(f"/site/{token}/documents/{document_id}/pdf")


def refused_with(response, status: int, message: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:300])
    assert "application/pdf" not in response.content_type and message in text, text[:2000]


def test_a_halls_screen_reads_only_the_document_being_shown(live_meeting, document, users, client):
    from meetcore.agenda.documents import add_document
    from meetcore.agenda.models import AgendaItem
    from meetcore.video.projector import show_document, stop_showing

    token = hall_link(live_meeting, users)
    item = db.session.get(AgendaItem, document.agenda_item_id)
    other = add_document(item, io.BytesIO(PDF.replace(b"slides", b"budget")), "งบประมาณ.pdf",
                         by=users["secretariat"])  # fmt: skip
    db.session.commit()
    not_shown = "จอของห้องประชุมศาลากลางจังหวัดเปิดได้เฉพาะเอกสารที่กำลังนำเสนอ"
    refused_with(hall_fetch(client, token, document.id), 403, not_shown)  # nothing is shown yet

    show_document(live_meeting, document.id, pages=1, by=users["secretariat"])
    db.session.commit()
    shown = hall_fetch(client, token, document.id)
    assert shown.status_code == 200 and shown.content_type == "application/pdf"
    assert shown.get_data() == PDF and "no-store" in shown.headers["Cache-Control"]
    refused_with(hall_fetch(client, token, other.id), 403, not_shown)  # filed, but not on the projector
    refused_with(hall_fetch(client, "not-a-site-link", document.id), 403, "ลิงก์")

    stop_showing(live_meeting, by=users["secretariat"])
    db.session.commit()
    refused_with(hall_fetch(client, token, document.id), 403, not_shown)


def test_a_hall_of_another_meeting_or_a_withdrawn_link_reads_nothing(live_meeting, document, users, client):
    from meetcore.attendance.sites import SiteLinkRevoked, revoke_site_links, site_actor_from_token
    from meetcore.errors import PermissionDenied
    from meetcore.meetings.services import start_meeting
    from meetcore.video.projector import open_pdf_for_hall, show_document
    from tests.video.conftest import schedule

    show_document(live_meeting, document.id, pages=1, by=users["secretariat"])
    token = hall_link(live_meeting, users)
    elsewhere = start_meeting(schedule(users, "การประชุมอีกคณะหนึ่ง", 2), by=users["secretariat"])
    other_hall = hall_link(elsewhere, users)
    # The other meeting's hall asks for this meeting's document: its own projector shows nothing.
    refused_with(hall_fetch(client, other_hall, document.id), 403, "เอกสารนี้ไม่ได้กำลังนำเสนออยู่")
    # Its screen, asking the service for this meeting's document by id, is told the link is another's.
    with pytest.raises(PermissionDenied) as refused:
        open_pdf_for_hall(live_meeting.id, document.id, reader=site_actor_from_token(other_hall))
    assert str(refused.value.message) == "ลิงก์นี้เป็นของการประชุมอื่น"
    assert hall_fetch(client, token, document.id).status_code == 200

    screen = site_actor_from_token(token)  # a screen that opened its page before the link was withdrawn
    revoke_site_links(live_meeting, "TH-50", by=users["secretariat"])
    db.session.commit()
    withdrawn = "ลิงก์ห้องประชุมจังหวัดนี้ถูกเพิกถอนแล้ว"
    refused_with(hall_fetch(client, token, document.id), 410, withdrawn)
    with pytest.raises(SiteLinkRevoked):
        open_pdf_for_hall(live_meeting.id, document.id, reader=screen)


def test_a_hall_reads_nothing_once_the_meeting_has_ended(live_meeting, document, users, client):
    from meetcore.meetings.services import end_meeting
    from meetcore.video.projector import show_document

    show_document(live_meeting, document.id, pages=1, by=users["secretariat"])
    token = hall_link(live_meeting, users)
    end_meeting(live_meeting, by=users["secretariat"])
    db.session.commit()
    refused_with(hall_fetch(client, token, document.id), 409, "นำเสนอเอกสารได้เฉพาะระหว่างการประชุม")
