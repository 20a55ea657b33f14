"""Screen sharing end to end, in the network namespace of tests/video/stage.py (Janus, the app, three headless
Chromium pages): the chair gives the floor to province A, A shares its screen (getDisplayMedia: Chromium's
fake capture, `--use-fake-device-for-media-stream` with `--use-fake-ui-for-media-stream`, gives a 1280x720
"Entire screen" in headless mode, so no test hook is needed), the chair and province B decode the shared
screen (getStats) in the shared-content slot; the chair takes the floor back and the share is gone at Janus
and from B's page (issue 16, item 3).
"""

from __future__ import annotations

import pytest

from meetcore.video.janus_api import JanusServer
from tests.video.stage import (
    ADMIN_KEY,
    TOKEN_SECRET,
    in_namespace,
    message,
    strings,
    video,
    video_stage,
    wait_for_frames,
    wait_until,
)

# Its database is a SQLite file of its own in either pass: `make test` runs it in the SQLite pass only.
pytestmark = pytest.mark.single_pass

NODE = "test_screen_sharing_reaches_two_provinces_and_ends_with_the_floor"


def test_screen_sharing_reaches_two_provinces_and_ends_with_the_floor(tmp_path):
    in_namespace(__file__, NODE, scenario, tmp_path)


def scenario(tmp_path) -> None:
    with video_stage(tmp_path, "share", rtp_ports="30300-30500", env={"MEETCORE_VIDEO_RECORD": "0"},
                     shown_on_failure="({status: v.status, sharing: v.sharing, feeds: v.feeds})") as stage:
        api = JanusServer(stage.config.http_url, token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY)
        share_scenario(stage.pages, stage.staff, stage.data, api)


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
