"""The console's start button for a meeting a week ahead, in Chromium (issue 15, item 3): it asks first,
naming the scheduled day, and starts when the secretariat says yes. The question was drawn but never shown:
the meeting section redrew only when the state or the end's question changed, so the button did nothing."""

from __future__ import annotations

import pytest

from tests.clock import MEETING_DAY, be_year, local_input
from tests.live.browsers import PASSWORD, chromium, live_value, sign_in, wait_until
from tests.live.servers import ServerProcess, scratch_database_url


def _prepare(database_url: str) -> int:
    """A secretariat account and a meeting scheduled a week ahead; its id."""
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.auth.services import create_user
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        user = create_user("sec@example.org", role="secretariat", password=PASSWORD, display_name="Sec")
        meeting = schedule_meeting({
            "series_name": "คณะทำงานทดสอบ", "title": "การประชุมทดสอบ", "number": 1,
            "start_at": local_input(MEETING_DAY, 10), "end_at": local_input(MEETING_DAY, 12),
            "status": "scheduled",
        }, by=user)  # fmt: skip
        db.session.commit()  # the test is the entry point: the server reads what it made
        meeting_id = meeting.id
        db.session.remove()
        db.engine.dispose()
    return meeting_id


@pytest.fixture()
def console(tmp_path):
    url = scratch_database_url(tmp_path, "early_start")
    meeting_id = _prepare(url)
    server = ServerProcess(url, tmp_path, name="early").start()
    try:
        with chromium() as browser:
            page = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok").new_page()
            page.set_default_timeout(20_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, server.base_url, "sec@example.org")
            page.goto(f"{server.base_url}/meetings/{meeting_id}/live")
            wait_until(lambda: live_value(page, "live.state !== null && live.connected"), message="the join")
            yield page
            assert errors == []
    finally:
        server.stop()


def test_starting_a_week_early_asks_then_starts(console):
    page = console
    page.click("[data-key=start-ask]")
    question = page.locator("#live-start-early")
    question.wait_for()
    asked = question.inner_text()  # the scheduled day, in Thai with its Buddhist-Era year
    assert str(MEETING_DAY.day) in asked and str(be_year(MEETING_DAY)) in asked
    assert live_value(page, "live.state.meeting.status") == "scheduled"
    page.click("[data-key=start-no]")  # not yet: back to the one button, nothing started
    page.locator("[data-key=start-ask]").wait_for()
    assert live_value(page, "live.state.meeting.status") == "scheduled"
    page.click("[data-key=start-ask]")
    page.click("[data-key=start]")
    wait_until(lambda: live_value(page, "live.state.meeting.status") == "live", message="the start")
