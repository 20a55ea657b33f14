"""Audio-only mode end to end, in the network namespace of test_browser.py (Janus, the app, headless
Chromium with fake camera and microphone; issue 16, item 5): the chair's studio publishes; a province decodes
its video, then switches to audio only: Janus stops sending it video (no video RTP arrives: the inbound-rtp
video bytesReceived stops growing over ~3 s) while the audio keeps arriving; switched back, video flows
again. Meanwhile the province's page reports its line, which the staff's board receives live.
"""

from __future__ import annotations

import time

from meetcore.video.janus_process import JanusConfig, JanusProcess
from tests.live.browsers import confirm_identity, prepare_reference, sign_in
from tests.live.servers import LiveClient, ServerProcess
from tests.video.namespace import in_namespace
from tests.video.test_browser import (
    ADMIN_KEY,
    TOKEN_SECRET,
    VETH,
    _network,
    chromium_with_media,
    message,
    strings,
    video,
    wait_for_frames,
    wait_until,
)

NODE = "test_a_province_in_audio_only_mode_receives_no_video"
QUIET_SECONDS = 3


def test_a_province_in_audio_only_mode_receives_no_video(tmp_path):
    if in_namespace(__file__, NODE):
        scenario(tmp_path)


def scenario(tmp_path) -> None:
    _network()
    config = JanusConfig(tmp_path / "janus", token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY,
                         admin_secret="e2e-admin-secret", ice_interface=VETH[0],
                         rtp_port_range="30300-30500")  # fmt: skip
    janus = JanusProcess(config).start()
    database_url = f"sqlite:///{tmp_path / 'audio-only.sqlite3'}"
    data = prepare_reference(database_url)
    server = ServerProcess(database_url, tmp_path, name="video-audio-only")
    server.base_url = f"http://localhost:{server.port}"
    server.env.update(
        MEETCORE_JANUS_URLS=config.http_url,
        MEETCORE_JANUS_PUBLIC_URL=config.http_url,
        MEETCORE_JANUS_TOKEN_SECRET=TOKEN_SECRET,
        MEETCORE_JANUS_ADMIN_KEY=ADMIN_KEY,
        MEETCORE_VIDEO_RECORD="0",
    )
    server.start()
    staff = None
    try:
        staff = LiveClient(server, {"api_token": data.api_token})
        assert staff.call("meeting.start", {"meeting_id": data.meeting_id})["ok"]
        assert staff.call("join", {"meeting_id": data.meeting_id})["ok"]
        with chromium_with_media() as browser:
            pages, errors, console = {}, [], []
            for name in ("chair", "a"):
                page = browser.new_context(locale="th-TH").new_page()
                page.set_default_timeout(60_000)
                page.on("pageerror", lambda error, name=name: errors.append(f"{name}: {error}"))
                page.on("console", lambda msg, name=name: console.append(f"{name}: {msg.text}"))
                pages[name] = page
            sign_in(pages["chair"], server.base_url, data.chair)
            pages["chair"].goto(f"{server.base_url}/meetings/{data.meeting_id}/chair")
            confirm_identity(pages["a"], server.base_url, data.seat_links["self"], name="A", position="พมจ.")
            try:
                audio_only_scenario(pages, staff, data)
            except AssertionError as error:
                states = {name: {**video(page, "({status: v.status, audioOnly: v.audioOnly, feeds: v.feeds, "
                                               "may: v.config && v.config.may_publish, "
                                               "publisher: String(v.panel.publisher)})"),
                                 "message": message(page)}
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

    a.click("[data-key=video-audio-only]")
    wait_until(lambda: video(a, "v.audioOnly"), message="audio-only mode")
    assert message(a) == strings(a)["audio_only_on"]  # says what it does, in Thai
    time.sleep(1)  # what Janus had sent before the configure arrives
    quiet = growth_over(a, QUIET_SECONDS)
    print(f"\naudio only, over {QUIET_SECONDS} s: video {quiet['video']} B, audio {quiet['audio']} B "
          f"(before: video {flowing['video']} B, audio {flowing['audio']} B)")
    assert quiet["video"] == 0, quiet  # no video RTP arrives
    assert quiet["audio"] > 0, quiet  # the audio goes on

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
