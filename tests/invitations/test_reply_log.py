"""Acceptance (issue 14, item 3): replies that match nothing are visible. Real reply messages through the
LMTP listener; the admin view of the reply log lists the unknown-UID, unreadable and refused ones with their
reasons, filters and pages them, and is shown to admins and the secretariat only (checked from outside, over
HTTP, against a real server process)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.invitations.test_replies import _replies, _uid, google_reply, outlook_reply
from tests.invitations.test_reply_trust import _through_lmtp
from tests.live.servers import ServerProcess

UNREADABLE = b"From: prankster@example.net\r\nSubject: hi\r\n\r\nno calendar here\r\n"


@pytest.fixture()
def logged(invited, app_ctx):
    """One reply of each kind, read through the LMTP listener: outcome → its log row."""
    _through_lmtp(
        app_ctx,
        ("vg0@example.org", google_reply("some-other-event@google.com", "vg0@example.org", "ACCEPTED")),
        ("prankster@example.net", UNREADABLE),
        ("vg1@example.org", outlook_reply(_uid(invited), "vg0@example.org", "DELEGATED",
                                          delegate=("attacker@evil.example", "Attacker"),
                                          sender="vg1@example.org")),
        ("vg2@example.org", outlook_reply(_uid(invited), "vg2@example.org", "ACCEPTED")),
    )  # fmt: skip
    rows = {reply.outcome: reply for reply in _replies()}
    assert set(rows) == {"unknown_uid", "malformed", "refused", "applied"}
    assert rows["unknown_uid"].meeting_id is None and rows["malformed"].meeting_id is None
    return rows


def _listed(client, **query) -> dict[str, str]:
    """Reply id → its row's HTML, on the reply log page with these filters."""
    response = client.get("/calendar-replies", query_string=query)
    assert response.status_code == 200
    return dict(re.findall(r'data-reply="(\d+)">(.*?)</tr>', response.get_data(as_text=True), re.S))


def test_the_reply_log_lists_what_matched_no_meeting_and_what_was_refused_with_the_reason(
    logged, as_secretariat
):
    from flask_babel import force_locale
    from markupsafe import escape

    from meetcore.invitations.reply_reasons import reason_text

    rows = _listed(as_secretariat)
    assert set(rows) == {str(reply.id) for reply in logged.values()}
    for outcome in ("unknown_uid", "malformed", "refused"):
        reply = logged[outcome]
        with force_locale("th"):  # the page's language; the English line stays for the server's log
            thai = reason_text(reply)
        assert thai != reply.detail and str(escape(thai)) in rows[str(reply.id)], outcome
        assert str(escape(reply.detail)) not in rows[str(reply.id)], outcome
    assert "No meeting has this UID" in logged["unknown_uid"].detail
    assert "sent by vg1@example.org" in logged["refused"].detail
    assert "some-other-event@google.com" in rows[str(logged["unknown_uid"].id)]  # the UID it named
    assert "ไม่พบการประชุม" in rows[str(logged["malformed"].id)]  # Thai first: "No meeting"


def test_the_console_links_the_reply_log_for_the_secretariat_only(users, client):
    from tests.conftest import sign_in

    sign_in(client, users["secretariat"])
    assert 'href="/calendar-replies"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, users["chair"])
    page = client.get("/")
    assert page.status_code == 200 and 'href="/calendar-replies"' not in page.get_data(as_text=True)


def test_the_reply_log_filters(logged, as_secretariat):
    def ids(*outcomes):
        return {str(logged[outcome].id) for outcome in outcomes}

    assert set(_listed(as_secretariat, outcome="attention")) == ids("unknown_uid", "malformed", "refused")
    assert set(_listed(as_secretariat, outcome="refused")) == ids("refused")
    assert set(_listed(as_secretariat, unmatched="1")) == ids("unknown_uid", "malformed")
    assert set(_listed(as_secretariat, address="VG1@")) == ids("refused")  # the sender, in any case
    assert set(_listed(as_secretariat, address="prankster")) == ids("malformed")
    assert set(_listed(as_secretariat, outcome="not-an-outcome")) == ids(*logged)  # ignored, not an error


def test_the_reply_log_pages_newest_first(invited, as_secretariat):
    from meetcore.invitations.replies import ingest_reply
    from meetcore.invitations.views import REPLY_LOG_PAGE_SIZE

    for number in range(REPLY_LOG_PAGE_SIZE + 3):
        ingest_reply(UNREADABLE.replace(b"hi", f"hi {number}".encode()))
    newest_first = sorted((str(reply.id) for reply in _replies()), key=int, reverse=True)
    assert list(_listed(as_secretariat)) == newest_first[:REPLY_LOG_PAGE_SIZE]
    assert list(_listed(as_secretariat, page=2)) == newest_first[REPLY_LOG_PAGE_SIZE:]


def _csrf_token(http: requests.Session, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', http.get(url, timeout=10).text).group(1)


def _signed_in(server: ServerProcess, email: str) -> requests.Session:
    from tests.conftest import PASSWORD

    http = requests.Session()
    token = _csrf_token(http, server.base_url + "/login")
    response = http.post(server.base_url + "/login", data={"csrf_token": token, "email": email,
                         "password": PASSWORD}, allow_redirects=False, timeout=10)  # fmt: skip
    assert response.status_code == 302, response.text[:500]
    return http


def test_only_admins_and_the_secretariat_see_the_reply_log_over_http(logged, users, app_ctx, tmp_path):
    """A real server process on the same database, asked from outside as each kind of account."""
    server = ServerProcess(str(app_ctx.config["SQLALCHEMY_DATABASE_URI"]), tmp_path).start()
    try:
        url = server.base_url + "/calendar-replies"
        anonymous = requests.get(url, allow_redirects=False, timeout=10)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        for role in ("admin", "secretariat"):
            page = _signed_in(server, users[role].email).get(url, timeout=10)
            assert page.status_code == 200, role
            assert "some-other-event@google.com" in page.text and "reply-refused" in page.text, role
        for role in ("chair", "participant"):
            page = _signed_in(server, users[role].email).get(url, timeout=10)
            assert page.status_code == 403, role
            assert "some-other-event@google.com" not in page.text and "attacker@evil.example" not in page.text
    finally:
        server.stop()
