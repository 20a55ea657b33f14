"""The site page in headless Chromium against a real server: with the Socket.IO client loaded, each tick is
sent at once (site.roll_call) and holds without pressing the form's button; what the board tells the hall of
its seats since (a tick on another screen, a new attendee's name, the attendee connected in person) shows
without a reload."""

from __future__ import annotations

import sqlalchemy as sa

from tests.attendance.test_crash import _prepare
from tests.live.browsers import chromium, wait_until
from tests.live.servers import LiveClient, ServerProcess, scratch_database_url


def _open_site_intervals(engine) -> set[int]:
    with engine.connect() as connection:
        return set(
            connection.scalars(
                sa.text("SELECT seat_id FROM attendance WHERE kind = 'site' AND left_at IS NULL")
            )
        )


def _api_token(database_url: str) -> str:
    from meetcore import create_app
    from meetcore.auth.models import User
    from meetcore.auth.services import create_api_token
    from meetcore.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        token = create_api_token(db.session.scalars(sa.select(User)).one())
        db.session.commit()  # the test is the entry point: the servers read what it made
        db.session.remove()
        db.engine.dispose()
    return token


def _site_token(database_url: str, meeting_id: int) -> str:
    from meetcore import create_app
    from meetcore.actors import SYSTEM_CLI
    from meetcore.attendance.sites import issue_site_link
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        token = issue_site_link(
            db.session.get(Meeting, meeting_id), {"province_code": "TH-50"}, by=SYSTEM_CLI
        ).token
        db.session.commit()  # the test is the entry point: the servers read what it made
        db.session.remove()
        db.engine.dispose()
    return token


def _open_hall(browser, server, token: str, errors: list[str], *, live: bool = True):
    """The hall's page, its roll call joined (and with `live`, its live parts' state in), errors collected."""
    page = browser.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.base_url}/site/{token}")
    page.locator("#roll-call[data-live=joined]").wait_for()
    if live:
        # A function, not an expression: polling an expression evaluates a string, which the CSP forbids.
        page.wait_for_function("() => window.meetcoreHall && window.meetcoreHall.state")
    return page


def test_ticks_are_sent_one_by_one(tmp_path):
    url = scratch_database_url(tmp_path, "attendance_site_browser")
    data = _prepare(url)
    token = _site_token(url, data["meeting_id"])
    engine = sa.create_engine(url)
    server = ServerProcess(url, tmp_path, name="site").start()
    try:
        with chromium() as browser:
            errors: list[str] = []
            page = _open_hall(browser, server, token, errors, live=False)
            [box] = page.locator("input[name=present]").all()
            seat_id = int(box.get_attribute("value"))
            box.check()
            wait_until(lambda: _open_site_intervals(engine) == {seat_id}, message="the tick to be saved")
            wait_until(lambda: page.inner_text("#roll-call-status"), message="the acknowledgement")
            box.uncheck()
            wait_until(lambda: _open_site_intervals(engine) == set(), message="the untick to be saved")
            page.reload()
            assert not page.locator("input[name=present]").is_checked()
            assert errors == []
    finally:
        server.stop()
        engine.dispose()


def test_the_hall_page_shows_what_the_board_tells_of_its_seats(tmp_path):
    import requests

    url = scratch_database_url(tmp_path, "attendance_site_board")
    data = _prepare(url)
    token, api_token = _site_token(url, data["meeting_id"]), _api_token(url)
    server = ServerProcess(url, tmp_path, name="site").start()
    clients: list[LiveClient] = []
    try:
        with chromium() as browser:
            errors: list[str] = []
            page = _open_hall(browser, server, token, errors)
            [box] = page.locator("input[name=present]").all()
            seat_id = int(box.get_attribute("value"))
            item = page.locator("ul.roll-call li")
            assert not box.is_checked() and not item.locator("[data-part=also]").is_visible()

            # Another screen of the same hall ticks the seat; the attendee connects in person.
            other = LiveClient(server, {"site_token": token})
            in_person = LiveClient(server, {"seat_token": data["token"]})
            clients += [other, in_person]
            meeting = {"meeting_id": data["meeting_id"]}
            assert other.call("join", meeting)["ok"] and in_person.call("join", meeting)["ok"]
            assert other.call("site.roll_call", {**meeting, "seat_id": seat_id, "present": True})["ok"]
            wait_until(box.is_checked, message="the tick made on the other screen")
            wait_until(item.locator("[data-part=also]").is_visible, message="the attendee in person")

            # The secretariat names another attendee.
            renamed = requests.patch(
                f"{server.base_url}/api/v1/meetings/{data['meeting_id']}/seats/{seat_id}",
                json={"name": "นางสาวแทนที่ ชื่อใหม่"},
                headers={"Authorization": f"Bearer {api_token}"},
                timeout=10,
            )
            assert renamed.status_code == 200, renamed.text
            wait_until(lambda: item.locator("[data-part=name]").inner_text() == "นางสาวแทนที่ ชื่อใหม่",
                       message="the new name")  # fmt: skip
            assert errors == []
    finally:
        for client in clients:
            client.close()
        server.stop()


# A board that reaches the page with the site's seats as they were before this screen's tick (read before
# the tick, under the meeting's lock, so of a seq no later than the tick's acknowledgement) or while the tick
# is still in flight, drawn as a stand-in state: the box keeps the tick. A later board decides.
SHOW_A_BOARD = """([seq, pending]) => {
  const hall = window.meetcoreHall, box = document.querySelector('input[name=present]');
  if (pending) box.dataset.pending = '1'; else delete box.dataset.pending;
  const site = hall.state.attendance.site;
  hall.connection.lastSeq = seq;
  hall.state.attendance.site = {...site, seats: site.seats.map((seat) => ({...seat, ticked: false}))};
  hall.render();
  return box.checked;
}"""


def test_a_board_older_than_this_screens_tick_does_not_take_it_back(tmp_path):
    url = scratch_database_url(tmp_path, "attendance_site_stale_board")
    data = _prepare(url)
    token = _site_token(url, data["meeting_id"])
    server = ServerProcess(url, tmp_path, name="site").start()
    try:
        with chromium() as browser:
            errors: list[str] = []
            page = _open_hall(browser, server, token, errors)
            [box] = page.locator("input[name=present]").all()
            box.check()
            wait_until(lambda: box.get_attribute("data-seq") is not None, message="the acknowledgement")
            assert box.get_attribute("data-pending") is None
            saved_at = int(box.get_attribute("data-seq"))

            assert page.evaluate(SHOW_A_BOARD, [saved_at, False]), "a board as old as the tick took it back"
            assert page.evaluate(SHOW_A_BOARD, [saved_at + 1, True]), "a board took back a tick in flight"
            assert not page.evaluate(SHOW_A_BOARD, [saved_at + 1, False]), "a later board was not shown"
            assert errors == []
    finally:
        server.stop()
