"""Audio-only mode end to end, in the network namespace of test_browser.py (Janus, the app, headless
Chromium with fake camera and microphone; issue 16, item 5): the chair's studio publishes; a province decodes
its video, then switches to audio only: Janus stops sending it video (no video RTP arrives: the inbound-rtp
video bytesReceived stops growing over ~3 s) while the audio keeps arriving, and the page asks Janus once
(no loop of configure requests, each answer prompting the next); switched back, video flows again.
Meanwhile the province's page reports its line, which the staff's board receives live.
"""

from __future__ import annotations

import time

import pytest

from tests.video.stage import in_namespace, message, strings, video, video_stage, wait_for_frames, wait_until

# Its database is a SQLite file of its own in either pass: `make test` runs it in the SQLite pass only.
pytestmark = pytest.mark.single_pass

QUIET_SECONDS = 3
THAI = {"locale": "th-TH"}


def test_a_province_in_audio_only_mode_receives_no_video(tmp_path):
    in_namespace(__file__, "test_a_province_in_audio_only_mode_receives_no_video", scenario, tmp_path)


def scenario(tmp_path) -> None:
    shown = ("({status: v.status, audioOnly: v.audioOnly, feeds: v.feeds, "
             "may: v.config && v.config.may_publish, publisher: String(v.panel.publisher)})")
    with video_stage(tmp_path, "audio-only", rtp_ports="30300-30500", env={"MEETCORE_VIDEO_RECORD": "0"},
                     page_options={"chair": THAI, "a": THAI}, shown_on_failure=shown) as stage:  # fmt: skip
        assert stage.staff.call("join", {"meeting_id": stage.data.meeting_id})["ok"]
        audio_only_scenario(stage.pages, stage.staff, stage.data)


def inbound(page) -> dict:
    """Bytes received so far by the page's video subscriber, per kind."""
    return page.evaluate("() => window.meetcoreVideo.inboundBytes()")


def growth_over(page, seconds: float) -> dict:
    before = inbound(page)
    time.sleep(seconds)
    after = inbound(page)
    return {kind: after[kind] - before[kind] for kind in ("audio", "video")}


def audio_only_scenario(pages, staff, data) -> None:
    chair, a = pages["chair"], pages["a"]
    wait_until(lambda: video(chair, "v.publishing"), message="the studio publishing")
    studio = video(chair, "v.config.publisher_id")
    wait_for_frames(a, studio, "the province decoding the studio")
    flowing = growth_over(a, QUIET_SECONDS)
    assert flowing["video"] > 0 and flowing["audio"] > 0, flowing

    configures = []  # the page's configure requests to Janus's HTTP API
    a.on("request", lambda request: configures.append(request.url)
         if '"request":"configure"' in (request.post_data or "") else None)  # fmt: skip
    a.click("[data-key=video-audio-only]")
    wait_until(lambda: video(a, "v.audioOnly"), message="audio-only mode")
    assert message(a) == strings(a)["audio_only_on"]  # says what it does, in Thai
    time.sleep(1)  # what Janus had sent before the configure arrives
    quiet = growth_over(a, QUIET_SECONDS)
    print(f"\naudio only, over {QUIET_SECONDS} s: video {quiet['video']} B, audio {quiet['audio']} B "
          f"(before: video {flowing['video']} B, audio {flowing['audio']} B)")
    assert quiet["video"] == 0, quiet  # no video RTP arrives
    assert quiet["audio"] > 0, quiet  # the audio goes on
    # One configure says it; a page that configured again on each answer sent ~10 a second (~180 kbit/s).
    assert len(configures) <= 2, f"{len(configures)} configure requests in {QUIET_SECONDS + 1} s"

    a.click("[data-key=video-audio-only]")
    wait_until(lambda: growth_over(a, 1)["video"] > 0, message="video flowing again")

    # The province's page has reported its line; the staff's board heard of it live.
    seat_endpoint = f"seat-{data.seats['self']}"
    def reports(events) -> list[dict]:
        return [e for e in events
                if e["kind"] == "video.quality" and e["payload"]["endpoint"] == seat_endpoint]  # fmt: skip

    staff.wait_for(reports, timeout=30)
    last = reports(staff.events)[-1]
    assert last["payload"]["quality"]["level"] in ("good", "weak", "bad")
    assert last["payload"]["quality"]["bitrate_in"] > 0
