"""The video panel's messages in a real browser (no network namespace needed: no media flows): a camera
the browser refuses, and a video server that cannot be reached; the rest of the live page keeps working."""

from __future__ import annotations

import os

import pytest

from tests.live.browsers import CHROMIUM, CHROMIUM_ARGS, live_value, prepare_reference, sign_in, wait_until
from tests.live.servers import LiveClient, ServerProcess, scratch_database_url
from tests.video.conftest import ADMIN_KEY, TOKEN_SECRET


@pytest.fixture()
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM} (Debian package `chromium`)")
    with sync_playwright() as playwright:
        # A fake camera, but no fake permission prompt: the browser refuses it (as a user who says no).
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream"]
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def camera_browser():
    """A browser whose fake camera and microphone are allowed."""
    from playwright.sync_api import sync_playwright

    from tests.video.stage import MEDIA_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEDIA_ARGS)
        yield chromium
        chromium.close()


def run_chair(browser, tmp_path, janus_urls: str, routes: dict | None = None):
    database_url = scratch_database_url(tmp_path, "video_messages")
    data = prepare_reference(database_url)
    server = ServerProcess(database_url, tmp_path, name="video-messages")
    server.env.update(
        MEETCORE_JANUS_URLS=janus_urls,
        MEETCORE_JANUS_PUBLIC_URL=janus_urls.split(",")[0],
        MEETCORE_JANUS_TOKEN_SECRET=TOKEN_SECRET,
        MEETCORE_JANUS_ADMIN_KEY=ADMIN_KEY,
        MEETCORE_VIDEO_RECORD="0",
    )
    server.start()
    staff = LiveClient(server, {"api_token": data.api_token})
    assert staff.call("meeting.start", {"meeting_id": data.meeting_id})["ok"]
    staff.close()
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    for pattern, handler in (routes or {}).items():
        page.route(pattern, handler)
    sign_in(page, server.base_url, data.chair)
    page.goto(f"{server.base_url}/lang/en")
    page.goto(f"{server.base_url}/meetings/{data.meeting_id}/chair")
    strings = page.evaluate("() => JSON.parse(document.querySelector('[data-video-panel]').dataset.strings)")
    return server, page, strings


def meeting_status(page) -> str | None:
    """The live page's meeting status, None until its snapshot has arrived."""
    return live_value(page, "live.state ? live.state.meeting.status : null")


def message(page) -> str:
    return page.evaluate(
        "() => { const m = document.querySelector('.video-message');"
        " return m && !m.hidden ? m.textContent : ''; }"
    )


def test_a_refused_camera_is_explained_and_the_page_keeps_working(browser, janus_pair, tmp_path):
    server, page, strings = run_chair(browser, tmp_path, janus_pair[0].config.http_url)
    try:
        wait_until(lambda: message(page) == strings["camera_refused"], message="the camera refused message")
        # The live page's snapshot may arrive after the video panel's message: wait for it, not assert.
        wait_until(lambda: meeting_status(page) == "live", message="the live page")
        assert page.evaluate("() => window.meetcoreVideo.status") == "joined"  # still sees and hears
    finally:
        server.stop()


def test_a_failed_publishing_attempt_is_tried_again(camera_browser, janus_pair, tmp_path):
    """The studio's first claim fails (a busy server): the page says so, tries again by itself and
    publishes (Janus configures the publisher; no media flows on loopback, which is not needed here)."""
    claims = []

    def refuse_the_first(route):
        claims.append(route.request.url)
        if len(claims) == 1:
            route.fulfill(status=503, content_type="application/json", body='{"ok": false}')
        else:
            route.continue_()

    server, page, strings = run_chair(camera_browser, tmp_path, janus_pair[0].config.http_url,
                                      routes={"**/video/*/claim": refuse_the_first})  # fmt: skip
    try:
        wait_until(lambda: page.evaluate("() => window.meetcoreVideo.publishing"), timeout=60,
                   message="the studio publishing after its failed first attempt")  # fmt: skip
        assert len(claims) == 2, claims
        assert message(page) == ""  # the failure message is gone once publishing works
    finally:
        server.stop()


def test_an_unreachable_video_server_is_explained_and_the_page_keeps_working(browser, janus_pair, tmp_path):
    server, page, _strings = run_chair(browser, tmp_path, "http://127.0.0.1:9/janus")
    try:
        expected = "The video server cannot be reached. The meeting goes on without video."
        wait_until(lambda: message(page) == expected, message="the unreachable message")
        assert page.evaluate("() => window.meetcoreVideo.status") == "unavailable"
        wait_until(lambda: meeting_status(page) == "live", message="the live page")
    finally:
        server.stop()


def test_the_participant_page_of_an_ended_meeting_says_it_ended(browser, janus_pair, tmp_path):
    from tests.live.browsers import confirm_identity

    database_url = scratch_database_url(tmp_path, "video_ended")
    data = prepare_reference(database_url)
    server = ServerProcess(database_url, tmp_path, name="video-ended")
    server.env.update(
        MEETCORE_JANUS_URLS=janus_pair[0].config.http_url,
        MEETCORE_JANUS_PUBLIC_URL=janus_pair[0].config.http_url,
        MEETCORE_JANUS_TOKEN_SECRET=TOKEN_SECRET,
        MEETCORE_JANUS_ADMIN_KEY=ADMIN_KEY,
        MEETCORE_VIDEO_RECORD="0",
    )
    server.start()
    try:
        staff = LiveClient(server, {"api_token": data.api_token})
        assert staff.call("meeting.start", {"meeting_id": data.meeting_id})["ok"]
        page = browser.new_context(locale="en-GB").new_page()
        page.set_default_timeout(20_000)
        confirm_identity(page, server.base_url, data.seat_links["self"], name="A", position="พมจ.")
        ended = staff.call("meeting.end", {"meeting_id": data.meeting_id}, timeout=120)
        assert ended["ok"], (ended, server.log_path.read_text()[-4000:])
        staff.close()
        page.reload()
        panel = "document.querySelector('[data-video-panel]')"
        strings = page.evaluate(f"() => JSON.parse({panel}.dataset.strings)")
        wait_until(lambda: message(page) == strings["ended"], message="the meeting-ended message")
        assert page.evaluate("() => window.meetcoreVideo.status") == "ended"
    finally:
        server.stop()
