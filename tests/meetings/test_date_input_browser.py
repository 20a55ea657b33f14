"""The meeting form in Chromium, in Thai, as a secretariat types it (issue 15, item 1): a day/month/BE-year
date in a text box (not the browser's mm/dd/yyyy picker, which read 12/01/2570 as the year 2570 AD), said back
in words as it is typed; 24-hour times; a year years away asked about with a box to tick."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.clock import TODAY, be_input, days_after_meeting, thai_date, thai_date_long
from tests.live.browsers import PASSWORD, chromium, sign_in
from tests.live.servers import ServerProcess, scratch_database_url

FORM_DAY = days_after_meeting(10)


def _prepare(database_url: str) -> None:
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.auth.services import create_user
    from meetcore.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        create_user("sec@example.org", role="secretariat", password=PASSWORD, display_name="Sec")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def server(tmp_path):
    database_url = scratch_database_url(tmp_path, "dates")
    _prepare(database_url)
    process = ServerProcess(database_url, tmp_path, name="dates").start()
    yield process
    process.stop()


def _fill_meeting(page, title: str, day_typed: str) -> None:
    page.fill("#series_name", "คณะทำงานขับเคลื่อนนโยบายด้านสังคม")
    page.fill("#title", title)
    page.fill("#number", "1")
    page.click("#date")
    page.keyboard.type(day_typed)
    page.click("#start_time")
    page.keyboard.type("9.30")
    page.click("#end_time")  # leaving the start time writes it as 09:30
    page.keyboard.type("12:00")
    page.click("#venue")


def test_a_secretariat_types_a_buddhist_era_date_in_thai(server, tmp_path):
    with chromium() as browser:
        context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok")
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, server.base_url, "sec@example.org")
        page.goto(server.base_url + "/meetings/new")
        assert page.get_attribute("#date", "type") == "text"
        assert page.get_attribute("#start_time", "type") == "text"
        assert page.get_attribute("#date", "placeholder") == "วว/ดด/ปปปป (พ.ศ.)"

        _fill_meeting(page, "ประชุมติดตามงาน", be_input(FORM_DAY))
        # The day typed, said back in words: the reader sees at once which day was understood.
        assert page.text_content("#date-hint").strip() == thai_date_long(FORM_DAY)
        assert page.input_value("#start_time") == "09:30"
        page.click("form.form-grid button[type=submit]")
        page.wait_for_url(lambda url: "/meetings/new" not in url)
        text = page.text_content("body")
        assert thai_date(FORM_DAY) in text or thai_date_long(FORM_DAY) in text
        assert "09:30" in text or "9:30" in text

        # A year years away (2580 for 2570, a slip of a key) is a question, with a box to tick.
        far = TODAY + timedelta(days=3660)
        page.goto(server.base_url + "/meetings/new")
        _fill_meeting(page, "ประชุมที่พิมพ์ปีผิด", be_input(far).replace("/", ""))  # digits only: slashes added
        assert page.input_value("#date") == be_input(far)
        page.click("form.form-grid button[type=submit]")
        assert "มากกว่า 2 ปี" in page.text_content("body")
        assert page.is_visible("#confirm_date")
        page.check("#confirm_date")
        page.click("form.form-grid button[type=submit]")
        page.wait_for_url(lambda url: "/meetings/new" not in url)
        assert thai_date(far) in page.text_content("body") or thai_date_long(far) in page.text_content("body")
        assert not errors, errors
        context.close()
