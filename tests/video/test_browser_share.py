"""Screen sharing end to end, in the network namespace of test_browser.py (Janus, the app, three headless
Chromium pages): the chair gives the floor to province A, A shares its screen (getDisplayMedia: Chromium's
fake capture, `--use-fake-device-for-media-stream` with `--use-fake-ui-for-media-stream`, gives a 1280x720
"Entire screen" in headless mode, so no test hook is needed), the chair and province B decode the shared
screen (getStats) in the shared-content slot; the chair takes the floor back and the share is gone at Janus
and from B's page (issue 16, item 3).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from meetcore.video.janus_api import JanusServer
from meetcore.video.janus_process import JanusConfig, JanusProcess
from tests.live.browsers import confirm_identity, prepare_reference, sign_in
from tests.live.servers import LiveClient, ServerProcess
from tests.video.test_browser import (
    ADMIN_KEY,
    IN_NAMESPACE,
    TOKEN_SECRET,
    VETH,
    _network,
    _why_not,
    chromium_with_media,
    message,
    strings,
    video,
    wait_for_frames,
    wait_until,
)

NODE = "test_screen_sharing_reaches_two_provinces_and_ends_with_the_floor"


def test_screen_sharing_reaches_two_provinces_and_ends_with_the_floor(tmp_path):
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    if os.environ.get(IN_NAMESPACE):
        scenario(tmp_path)
        return
    env = {
        k: v for k, v in os.environ.items() if k not in ("MEETCORE_TEST_DATABASE_URL", "PYTEST_XDIST_WORKER")
    }
    env[IN_NAMESPACE] = "1"
    result = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:xdist", "-s",
         f"{Path(__file__).resolve()}::{NODE}"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0 and " passed" in result.stdout, (
        result.stdout[-6000:] + result.stderr[-3000:]
    )


def scenario(tmp_path) -> None:
    _network()
    config = JanusConfig(tmp_path / "janus", token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY,
                         admin_secret="e2e-admin-secret", ice_interface=VETH[0],
                         rtp_port_range="30300-30500")  # fmt: skip
    janus = JanusProcess(config).start()
    database_url = f"sqlite:///{tmp_path / 'share.sqlite3'}"
    data = prepare_reference(database_url)
    server = ServerProcess(database_url, tmp_path, name="video-share")
    server.base_url = f"http://localhost:{server.port}"  # a secure context: getDisplayMedia works
    server.env.update(
        MEETCORE_JANUS_URLS=config.http_url,
        MEETCORE_JANUS_PUBLIC_URL=config.http_url,
        MEETCORE_JANUS_TOKEN_SECRET=TOKEN_SECRET,
        MEETCORE_JANUS_ADMIN_KEY=ADMIN_KEY,
        MEETCORE_VIDEO_RECORD="0",
        MEETCORE_VIDEO_FLOOR_CHECK_SECONDS="2",
    )
    server.start()
    staff = None
    try:
        staff = LiveClient(server, {"api_token": data.api_token})
        assert staff.call("meeting.start", {"meeting_id": data.meeting_id})["ok"]
        with chromium_with_media() as browser:
            pages, errors, console = {}, [], []
            for name in ("chair", "a", "b"):
                page = browser.new_context(locale="en-GB").new_page()
                page.set_default_timeout(60_000)
                page.on("pageerror", lambda error, name=name: errors.append(f"{name}: {error}"))
                page.on("console", lambda msg, name=name: console.append(f"{name}: {msg.text}"))
                pages[name] = page
            sign_in(pages["chair"], server.base_url, data.chair)
            pages["chair"].goto(f"{server.base_url}/meetings/{data.meeting_id}/chair")
            confirm_identity(pages["a"], server.base_url, data.seat_links["self"], name="A", position="พมจ.")
            confirm_identity(pages["b"], server.base_url, data.seat_links["substitute"], name="B",
                             position="ผู้แทน", substitute=True)  # fmt: skip
            api = JanusServer(config.http_url, token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY)
            try:
                share_scenario(pages, staff, data, api)
            except AssertionError as error:
                states = {name: video(page, "({status: v.status, sharing: v.sharing, feeds: v.feeds})")
                          for name, page in pages.items()}  # fmt: skip
                raise AssertionError(
                    f"{error}\nvideo: {states}\nconsole: {console[-40:]}\nerrors: {errors}\n"
                    f"server: {server.log_path.read_text()[-3000:]}\njanus: {janus.log_tail(3000)}"
                ) from None
            assert not errors, errors
    finally:
        if staff is not None:
            staff.close()
        server.stop()
        janus.stop()


def share_scenario(pages, staff, data, api) -> None:
    chair, a, b = pages["chair"], pages["a"], pages["b"]
    wait_until(lambda: video(chair, "v.publishing"), message="the studio publishing")
    for page in (a, b):
        wait_until(lambda page=page: video(page, "v.status") == "joined", message="the provinces joined")
    # Without the floor, A has no share button (and the server would refuse it: test_sharing.py).
    assert a.locator("[data-share]").is_hidden()

    assert staff.call("floor.grant", {"meeting_id": data.meeting_id, "seat_id": data.seats["self"]})["ok"]
    wait_until(lambda: video(a, "v.publishing"), message="province A publishing")
    share_button = a.locator("[data-share]")
    share_button.wait_for(state="visible")
    share_button.click()
    wait_until(lambda: video(a, "v.sharing"), message="A sharing its screen")
    share_id = video(a, "v.config.publisher_id") + video(a, "v.config.endpoint_ids.share")
    room = video(chair, "v.config.room")

    def publishing_ids() -> set[int]:
        answer = api.videoroom({"request": "listparticipants", "room": room})
        return {p["id"] for p in answer["participants"] if p.get("publisher")}

    assert share_id in publishing_ids()
    for name, page in (("B", b), ("the chair", chair)):
        wait_for_frames(page, share_id, f"{name} decoding A's shared screen")
        wait_until(lambda page=page: video(page, "v.sharedFeed") == share_id,
                   message=f"A's screen in {name}'s shared-content slot")  # fmt: skip
    assert b.locator(f'.video-content [data-feed="{share_id}"] video').count() == 1
    assert b.locator(f'.video-grid [data-feed="{share_id}"]').count() == 0  # not among the speakers
    width = b.evaluate(f"""async () => (await window.meetcoreVideo.videoStats())["{share_id}"].width""")
    assert width >= 640, width  # the screen, not a thumbnail

    # The chair takes the floor back: A's share is kicked at Janus with A's publisher, and leaves B's page.
    assert staff.call("floor.revoke", {"meeting_id": data.meeting_id})["ok"]
    wait_until(lambda: share_id not in publishing_ids(), message="A's share gone at Janus")
    wait_until(lambda: video(b, "v.sharedFeed") is None, message="the share gone from B's page")
    wait_until(lambda: not video(a, "v.sharing"), message="A's page no longer sharing")
    assert message(a) in ("", strings(a)["share_ended"])
