"""What the secretariat sees while an office file is made PDF (issue 16, item 4), in Chromium against a
real server that converts beside the request: the upload answers at once; the live console's document
list says "Converting to PDF…" and its projector picker lists the document greyed out; when the PDF is
made, both change live (agenda.document_pdf), without a reload. LibreOffice is the stand-in of
tests/agenda/test_document_conversion.py, which waits until the test lets it go."""

from __future__ import annotations

import pytest

from tests.agenda.test_document_conversion import DOCX, FakeOffice
from tests.live.browsers import chromium, live_value, sign_in, wait_until
from tests.live.servers import LiveClient, ServerProcess, scratch_database_url
from tests.starting import start_command

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture()
def server(tmp_path):
    from tests.live.test_servers import _prepare

    office = FakeOffice(tmp_path / "office")
    url = scratch_database_url(tmp_path, "conversion_browser")
    data = _prepare(url, items=1)
    server = ServerProcess(url, tmp_path, name="conversion")
    server.env["PATH"] = office.path()  # MEETCORE_AGENDA_PDF_IN_APP is 1 by default: the server converts
    server.start()
    actor = LiveClient(server, {"api_token": data["token"]})
    try:
        assert actor.call("meeting.start", start_command(data["meeting_id"]))["ok"]  # the projector's
        yield server, office, data["meeting_id"], data["items"][0]
    finally:
        actor.close()
        server.stop()


def test_the_console_shows_the_conversion_and_its_end_live(server):
    server, office, meeting_id, item_id = server
    with chromium() as browser:
        context = browser.new_context()
        console = context.new_page()
        sign_in(console, server.base_url, "sec@example.org")
        console.goto(f"{server.base_url}/meetings/{meeting_id}/live")
        wait_until(lambda: live_value(console, "live.connected"), message="the console to join")

        editor = context.new_page()
        editor.goto(f"{server.base_url}/meetings/{meeting_id}/agenda/items/{item_id}/edit")
        editor.set_input_files("#document-file", files=[{"name": "นโยบาย.docx", "mimeType": DOCX_TYPE,
                                                         "buffer": DOCX}])  # fmt: skip
        with editor.expect_navigation():  # the upload, answered with the item's page again
            editor.locator("#document-file").evaluate("input => input.form.requestSubmit()")
        assert editor.locator("#documents .pdf-pending").count() == 1  # the answer came before the PDF
        assert not office.finished()

        listed = console.locator("[data-document-id][data-pdf-state=pending]")
        listed.wait_for()
        note = listed.locator(".pdf-pending").inner_text().strip(" ·")
        assert note in ("กำลังแปลงเป็น PDF…", "Converting to PDF…")
        option = console.locator("#f-projector-document option")
        option.wait_for(state="attached")  # an option is never "visible" to Playwright
        assert option.is_disabled() and "PDF" in option.inner_text()
        assert console.locator("[data-key=projector-show]").is_disabled()

        office.let_go()
        console.locator("[data-document-id][data-pdf-state=ready]").wait_for(timeout=60_000)
        assert console.locator(".pdf-pending").count() == 0
        wait_until(lambda: not option.is_disabled(), timeout=30, message="the picker to offer the PDF")
        assert option.inner_text() == "นโยบาย"
        assert console.locator("[data-key=projector-show]").is_enabled()
        context.close()
