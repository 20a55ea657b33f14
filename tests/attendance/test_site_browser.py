"""The site page in headless Chromium against a real server: with the Socket.IO client loaded, each tick is
sent at once (site.roll_call) and holds without pressing the form's button."""

from __future__ import annotations

import sqlalchemy as sa

from tests.attendance.test_crash import _prepare
from tests.live.browsers import chromium, wait_until
from tests.live.servers import ServerProcess, scratch_database_url


def _open_site_intervals(engine) -> set[int]:
    with engine.connect() as connection:
        return set(
            connection.scalars(
                sa.text("SELECT seat_id FROM attendance WHERE kind = 'site' AND left_at IS NULL")
            )
        )


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


def test_ticks_are_sent_one_by_one(tmp_path):
    url = scratch_database_url(tmp_path, "attendance_site_browser")
    data = _prepare(url)
    token = _site_token(url, data["meeting_id"])
    engine = sa.create_engine(url)
    server = ServerProcess(url, tmp_path, name="site").start()
    try:
        with chromium() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{server.base_url}/site/{token}")
            page.locator("#roll-call[data-live=joined]").wait_for()
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
