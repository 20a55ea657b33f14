"""The invitation's agenda links each item's documents through the invitee's own join link."""

from __future__ import annotations

import io

import pytest

from tests.invitations.support import deliver, only_invite

PDF = b"%PDF-1.4\n% agenda paper\n%%EOF\n"


@pytest.fixture(autouse=True)
def files_in_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


def test_each_invitee_gets_document_links_that_open_with_their_own_link(small_meeting, users, smtp, client):
    from flask import g

    from meetcore.agenda.documents import add_document
    from meetcore.agenda.services import add_item
    from meetcore.invitations.sending import send_invitations

    item = add_item(small_meeting, {"title": "เรื่องเพื่อพิจารณา"}, by=users["secretariat"])
    document = add_document(item, io.BytesIO(PDF), "paper.pdf", "เอกสารประกอบวาระ", by=users["secretariat"])
    send_invitations(small_meeting, by=users["secretariat"])
    deliver()
    received = only_invite(smtp)
    assert len(received) == 5
    joins = set()
    g.pop("_login_user", None)
    for invite in received.values():
        join = invite.event.url.value
        joins.add(join)
        link = f"{join}/documents/{document.id}"
        assert f"เอกสารประกอบวาระ: {link}" in invite.text
        assert f'href="{link}"' in invite.html
        assert client.get(link.removeprefix("http://meetcore.test")).data == PDF
    assert len(joins) == 5  # personal links, not one shared address
