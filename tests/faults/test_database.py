"""PostgreSQL, stopped under a live meeting on a server process of its own: every command is still answered
(issue 20, item 5)."""

from __future__ import annotations

import pytest

from tests.faults.processes import PostgresCluster
from tests.live.servers import LiveClient, ServerProcess
from tests.live.test_servers import _prepare, _sign_in

# meetcore.live.events.INTERNAL_ERROR in each language: chosen without the database.
INTERNAL_ERROR_TH = "เกิดข้อผิดพลาดในระบบ การดำเนินการล่าสุดของท่านยังไม่ได้บันทึก โปรดลองใหม่อีกครั้ง"
INTERNAL_ERROR_EN = "Something went wrong on our side; your last action was not saved. Try again."


@pytest.fixture()
def cluster():
    cluster = PostgresCluster().init()
    yield cluster
    cluster.remove()


@pytest.fixture()
def live_meeting(tmp_path, cluster):
    """A server on the throwaway cluster, a live meeting, the secretariat's console (signed in with a
    session cookie, English chosen in the account) and a seat (Thai, the default), both joined."""
    data = _prepare(cluster.url, items=2, seats=1)
    _choose_english(cluster.url, "sec@example.org")
    server = ServerProcess(cluster.url, tmp_path).start()
    http = _sign_in(server, "sec@example.org", "long enough password")
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies)
    console = LiveClient(server, {}, headers={"Cookie": cookies})
    [(_, seat_token)] = data["seats"]
    seat = LiveClient(server, {"seat_token": seat_token})
    for client in (console, seat):
        assert client.call("join", {"meeting_id": data["meeting_id"]})["ok"]
    assert console.call("meeting.start", {"meeting_id": data["meeting_id"], "confirm_early": True})["ok"]
    yield console, seat, data
    for client in (console, seat):
        client.close()
    server.stop()


def _choose_english(url: str, email: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("UPDATE users SET locale = 'en' WHERE email = %s", (email,))


def _internal_error(message: str) -> dict:
    return {"ok": False, "error": {"code": "internal_error", "message": message}}


def test_every_command_is_answered_internal_error_while_the_database_is_down(live_meeting, cluster):
    console, seat, data = live_meeting
    meeting_id, item_id = data["meeting_id"], data["items"][1]
    cluster.stop()
    moved = console.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item_id})
    assert moved == _internal_error(INTERNAL_ERROR_EN)
    assert seat.call("floor.request", {"meeting_id": meeting_id}) == _internal_error(INTERNAL_ERROR_TH)
    cluster.start()  # and once it is back, the same connection acts again (the pool recovers by itself)
    assert console.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item_id})["ok"]


# Each language's answer to a page asked for while the database is out (meetcore.web.HTTP_MESSAGES[503]).
UNREACHABLE_TH = "ขณะนี้ MeetCore ติดต่อฐานข้อมูลไม่ได้ ยังไม่มีการเปลี่ยนแปลงใด โปรดลองใหม่ในอีกสักครู่"
UNREACHABLE_EN = "MeetCore cannot reach its database just now; nothing was changed. Try again in a minute."


def test_pages_asked_for_while_the_database_is_down_say_so_in_the_language_at_hand(tmp_path, cluster):
    """The error page reads nothing (no signed-in user, no account language): the secretariat signed in gets
    the default language's page, a visitor who chose English gets English, the API a JSON error, all 503."""
    import requests

    data = _prepare(cluster.url, items=1, seats=0)
    server = ServerProcess(cluster.url, tmp_path).start()
    try:
        signed_in = _sign_in(server, "sec@example.org", "long enough password")
        visitor = requests.Session()
        assert visitor.get(server.base_url + "/lang/en", timeout=10).status_code == 200  # the sign-in page
        cluster.stop()
        page = signed_in.get(f"{server.base_url}/meetings/{data['meeting_id']}", timeout=30)
        assert (page.status_code, page.headers.get("Retry-After")) == (503, "30"), page.text[:300]
        assert UNREACHABLE_TH in page.text and 'lang="th"' in page.text and "Traceback" not in page.text
        page = visitor.get(server.base_url + "/join/a-personal-link-read-from-the-database", timeout=30)
        assert page.status_code == 503 and UNREACHABLE_EN in page.text and 'lang="en"' in page.text
        api = requests.get(f"{server.base_url}/api/v1/meetings", timeout=30,
                           headers={"Authorization": f"Bearer {data['token']}"})  # fmt: skip
        assert api.status_code == 503
        assert api.json() == {"error": {"code": "database_unavailable", "message": UNREACHABLE_TH}}
        cluster.start()
        meeting_page = f"{server.base_url}/meetings/{data['meeting_id']}"
        assert signed_in.get(meeting_page, timeout=30).status_code == 200
    finally:
        server.stop()
