"""Documents of agenda items: filed by the secretariat, read by everyone in the meeting and no one else."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from meetcore.agenda import documents, services
from meetcore.agenda.models import AgendaDocument
from meetcore.extensions import db
from tests.agenda.support import events, schedule_another_meeting, set_status

PDF = b"%PDF-1.4\n% a small report\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def files_in_tmp(app, tmp_path, monkeypatch):
    """Uploaded files go to this test's folder, not the working tree's instance/."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


@pytest.fixture()
def console(as_secretariat):
    as_secretariat.get("/lang/en")
    return as_secretariat


@pytest.fixture()
def item(meeting, users):
    return services.add_item(meeting, {"title": "รายงานผลการดำเนินงาน"}, by=users["secretariat"])


def upload(client, meeting, item, data: bytes = PDF, name: str = "รายงาน.pdf", title: str = ""):
    return client.post(
        f"/meetings/{meeting.id}/agenda/items/{item.id}/documents",
        data={"file": (io.BytesIO(data), name), "title": title},
        content_type="multipart/form-data",
    )


def stored(meeting) -> list[AgendaDocument]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AgendaDocument).where(AgendaDocument.meeting_id == meeting.id)))


def test_the_secretariat_files_a_document_and_the_item_page_lists_it(console, meeting, item, files_in_tmp):
    response = upload(console, meeting, item, title="  รายงาน   ไตรมาส 3 ")
    assert response.status_code == 302 and response.headers["Location"].endswith("#documents")
    [document] = stored(meeting)
    assert (document.title, document.filename, document.size) == ("รายงาน ไตรมาส 3", "รายงาน.pdf", len(PDF))
    assert (files_in_tmp / "attachments" / "agenda" / document.storage_key).read_bytes() == PDF
    page = console.get(f"/meetings/{meeting.id}/agenda/items/{item.id}/edit").get_data(as_text=True)
    assert "รายงาน ไตรมาส 3" in page and f"/meetings/{meeting.id}/documents/{document.id}" in page
    [(_seq, _kind, payload)] = [e for e in events(meeting.id) if e[1] == "agenda.documents"]
    assert payload["item_id"] == item.id
    assert [d["title"] for d in payload["documents"]] == ["รายงาน ไตรมาส 3"]
    # The staff read it back, shown in the browser (a PDF), never cached.
    response = console.get(f"/meetings/{meeting.id}/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf" and "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "Attach a file of one of these types"),
        ("report.pdf", b"MZ\x90\x00 renamed program", "content is not a .pdf file."),
        ("report.pdf", b"", "The attached file is empty."),
        ("", PDF, "Choose the file to upload."),
    ],
)
def test_a_bad_file_is_refused_clearly_and_nothing_is_kept(console, meeting, item, files_in_tmp, name, data,
                                                           message):  # fmt: skip
    before = events(meeting.id)
    response = upload(console, meeting, item, data=data, name=name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(meeting) == [] and events(meeting.id) == before
    assert not any(path.is_file() for path in files_in_tmp.rglob("*"))


def test_a_file_over_the_limit_is_refused(console, meeting, item, app, monkeypatch, files_in_tmp):
    monkeypatch.setitem(app.config, "MEETCORE_AGENDA_DOCUMENT_MAX_MB", 1)
    response = upload(console, meeting, item, data=PDF + b"0" * (1024 * 1024))
    assert response.status_code == 422 and "larger than 1 MB" in response.get_data(as_text=True)
    assert stored(meeting) == []
    assert list((files_in_tmp / "attachments" / "agenda").iterdir()) == []


def test_removing_asks_first_then_the_file_goes(console, meeting, item, files_in_tmp):
    upload(console, meeting, item)
    [document] = stored(meeting)
    path = files_in_tmp / "attachments" / "agenda" / document.storage_key
    url = f"/meetings/{meeting.id}/agenda/documents/{document.id}/remove"
    page = console.get(url).get_data(as_text=True)
    assert "Remove this document?" in page and path.exists()
    assert console.post(url).status_code == 302
    assert stored(meeting) == [] and not path.exists()
    assert [e[2]["documents"] for e in events(meeting.id) if e[1] == "agenda.documents"][-1] == []
    assert console.get(f"/meetings/{meeting.id}/documents/{document.id}").status_code == 404


def test_only_the_secretariat_files_documents(as_chair, meeting, item, users):
    response = upload(as_chair, meeting, item)
    assert response.status_code == 403 and stored(meeting) == []
    with pytest.raises(Exception) as refused:
        documents.add_document(item, io.BytesIO(PDF), "a.pdf", by=users["participant"])
    assert refused.value.status == 403


def test_no_documents_once_the_meeting_has_ended(console, meeting, item):
    set_status(meeting.id, "ended")
    response = upload(console, meeting, item)
    assert response.status_code == 409 and stored(meeting) == []


def test_readers_anonymous_refused_seat_links_of_this_meeting_only(client, console, meeting, item, users,
                                                                   reference):  # fmt: skip
    from meetcore.seats.links import issue_seat_link
    from meetcore.seats.services import add_seats, ordered_seats

    upload(console, meeting, item)
    [document] = stored(meeting)
    add_seats(meeting, {"provinces": ["TH-50"], "roles": ["labour"]}, by=users["secretariat"])
    token = issue_seat_link(ordered_seats(meeting, by=users["secretariat"])[0], by=users["secretariat"])
    other = schedule_another_meeting(users["secretariat"])
    add_seats(other, {"provinces": ["TH-50"], "roles": ["labour"]}, by=users["secretariat"])
    other_token = issue_seat_link(ordered_seats(other, by=users["secretariat"])[0], by=users["secretariat"])

    from flask import g

    g.pop("_login_user", None)  # the test's app context is shared: forget the secretariat's sign-in
    anonymous = client.application.test_client()
    assert anonymous.get(f"/meetings/{meeting.id}/documents/{document.id}").status_code == 401
    assert anonymous.get(f"/join/{token}/documents/{document.id}").data == PDF
    assert anonymous.get(f"/join/{other_token}/documents/{document.id}").status_code == 404
    refused = anonymous.get("/join/not-a-token").status_code  # as the join page refuses the link
    assert anonymous.get(f"/join/not-a-token/documents/{document.id}").status_code == refused != 200
    # The join page lists the document behind the same link.
    page = anonymous.get(f"/join/{token}").get_data(as_text=True)
    assert f"/join/{token}/documents/{document.id}" in page


def test_the_live_snapshot_and_events_carry_the_documents(console, meeting, item, users):
    from meetcore.agenda.tree import agenda_state

    upload(console, meeting, item, title="สไลด์")
    [node] = agenda_state(meeting.id)
    assert [d["title"] for d in node["documents"]] == ["สไลด์"] and "storage_key" not in node["documents"][0]
