"""End to end, in a network namespace (tests/video/stage.py): Janus, the app and three headless Chromium pages
with a fake camera and microphone. The studio (the chair's page) publishes and two provinces decode its
video; the chair gives the floor to province A, A publishes and province B decodes A's video; the chair
takes the floor back and A's publisher is gone at Janus.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from meetcore.video.janus_api import JanusServer
from tests.video.stage import (
    ADMIN_KEY,
    CEILING,
    STALL,
    TOKEN_SECRET,
    frames,
    in_namespace,
    message,
    strings,
    tone_wav,
    video,
    video_stage,
    video_stats,
    wait_for_frames,
    wait_until,
)

# Its database is a SQLite file of its own in either pass: `make test` runs it in the SQLite pass only.
pytestmark = pytest.mark.single_pass

TOKEN_TTL = 20
ONE_EACH = {"video": 1, "audio": 1}
PHONE = {"width": 390, "height": 844}  # province B watches on a phone, held upright, then sideways


METRICS_TOKEN = "video-e2e-metrics-token"


def scraped_publishers(stage) -> dict[str, float]:
    """meetcore_video_publishers by server, as the app's /metrics gives it."""
    answer = requests.get(f"{stage.server.base_url}/metrics", timeout=30,
                          headers={"Authorization": f"Bearer {METRICS_TOKEN}"})  # fmt: skip
    answer.raise_for_status()
    return {sample.labels["server"]: sample.value for family in text_string_to_metric_families(answer.text)
            if family.name == "meetcore_video_publishers" for sample in family.samples}  # fmt: skip


def test_studio_floor_and_provinces_in_a_network_namespace(tmp_path):
    in_namespace(__file__, "test_studio_floor_and_provinces_in_a_network_namespace", scenario, tmp_path)


def scenario(tmp_path) -> None:
    settings = {
        "MEETCORE_VIDEO_RECORD": "1",
        "MEETCORE_VIDEO_TALKING_LEVEL": "90",  # anything louder than a hush is talking
        "MEETCORE_VIDEO_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "MEETCORE_VIDEO_TOKEN_TTL": str(TOKEN_TTL),  # renewed every TOKEN_TTL/2 s, on the running session
        "MEETCORE_METRICS_TOKEN": METRICS_TOKEN,
    }
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    shown = ("({status: v.status, publishing: v.publishing, feeds: v.feeds, talking: v.talking,"
             " connects: v.connects, audioOnly: v.audioOnly, lowBandwidth: v.panel.lowBandwidth,"
             " restored: v.restored})")  # fmt: skip
    # Every fake microphone plays a steady tone: the studio talks without a pause, so Janus says "talking"
    # once, and a page that joins later learns it only from the list of publishers.
    tone = [f"--use-file-for-fake-audio-capture={tone_wav(tmp_path / 'tone.wav')}"]
    with video_stage(tmp_path, "e2e", rtp_ports="30000-30200", env=settings, page_options={"b": phone},
                     shown_on_failure=shown, browser_args=tone) as stage:
        run_scenario(stage)
        blocked = [line for line in stage.console if "Content Security Policy" in line]
        assert not blocked, blocked  # Janus's script and the video panel work under the policy


def run_scenario(stage) -> None:
    pages, staff, data, config, database_url = (stage.pages, stage.staff, stage.data, stage.config,
                                                stage.database_url)  # fmt: skip
    chair = pages["chair"]
    wait_until(lambda: video(chair, "v.publishing"), message="the studio publishing")
    studio_id = video(chair, "v.config.publisher_id")
    for name in ("a", "b"):
        wait_for_frames(pages[name], studio_id, f"province {name.upper()} decoding the studio")
    # One element per stream: the studio's tile holds one <video> and one <audio>, however often
    # janus.js reports the tracks again.
    for name in ("a", "b"):
        wait_until(lambda name=name: media_of(pages[name]).get(str(studio_id)) == ONE_EACH,
                   message=f"{name}: one video and one audio element for the studio")  # fmt: skip
    # The phone (B, upright): the studio is the speaker, large, and nothing runs off the screen.
    assert video(pages["b"], "v.mainFeed") == studio_id
    assert fits_the_screen(pages["b"])

    # The token is renewed on the running Janus session: no reconnect, decoding goes on.
    wait_until(lambda: video(pages["b"], "v.tokenRefreshes") >= 2, timeout=TOKEN_TTL * 4,
               message="B's token renewed twice")  # fmt: skip
    assert video(pages["b"], "v.connects") == 1, "renewing the token reconnected"
    before = frames(pages["b"]).get(str(studio_id), 0)
    wait_until(lambda: frames(pages["b"]).get(str(studio_id), 0) > before + 10,
               timeout=STALL, message="B decoding after its first token expired")  # fmt: skip

    # Simulcast: province B on a slow line asks for the low layer and gets a smaller picture.
    def b_width() -> int:
        return video_stats(pages["b"])[str(studio_id)]["width"]

    full = b_width()
    pages["b"].click("[data-video-panel] button[aria-pressed]:not([hidden]) >> nth=-1")
    wait_until(lambda: 0 < b_width() < full, message="B receiving the studio's low layer")
    # The line recovers: B asks for the full picture again. Which picture arrives then is the studio
    # browser's to decide: on a loaded machine it stops encoding the upper layers (CPU adaptation;
    # Janus: "No packet received on substream 2 for a while, falling back to 1"), for minutes. So
    # what is waited for is B's own request, and later B decoding A, however slowly.
    pages["b"].click("[data-video-panel] button[aria-pressed]:not([hidden]) >> nth=-1")
    wait_until(lambda: video(pages["b"], "!v.panel.lowBandwidth"), message="B asking for more")
    # The active speaker: Janus's talking events reach the pages (the fake microphone beeps).
    # Polled inside the page: a talking spell between two round trips of a loaded machine counts.
    pages["a"].wait_for_function(
        "id => ((window.meetcoreVideo && window.meetcoreVideo.talking) || []).includes(id)",
        arg=studio_id, polling=50, timeout=CEILING * 1000,
    )  # fmt: skip
    room = video(chair, "v.config.room")
    api = JanusServer(config.http_url, token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY)

    def participants() -> dict[int, dict]:
        answer = api.videoroom({"request": "listparticipants", "room": room})
        return {p["id"]: p for p in answer["participants"]}

    def publishing_ids() -> set[int]:
        return {id for id, p in participants().items() if p.get("publisher")}

    # B's page joins again while the studio talks: no new "talking" comes from Janus (the tone goes on),
    # yet B knows at once, from the list of publishers Janus gives on joining.
    wait_until(lambda: participants().get(studio_id, {}).get("talking"),
               message="the studio talking at Janus")  # fmt: skip
    pages["b"].reload()
    wait_until(lambda: video(pages["b"], "v.status") == "joined", message="B's page joined again")
    wait_until(lambda: studio_id in (video(pages["b"], "v.talking") or []), timeout=10,
               message="B, joined again, knowing the studio talks")  # fmt: skip

    # The chair gives the floor to province A: A publishes, B decodes A's video.
    a_seat = data.seats["self"]
    ack = staff.call("floor.grant", {"meeting_id": data.meeting_id, "seat_id": a_seat})
    assert ack["ok"], ack
    wait_until(lambda: video(pages["a"], "v.publishing"), message="province A publishing")
    a_id = video(pages["a"], "v.config.publisher_id")
    wait_for_frames(pages["b"], a_id, "B decoding A")

    assert {studio_id, a_id} <= publishing_ids()
    # /metrics counts the publishers Janus has in the open rooms (issue 18, item 3), as Janus tells them.
    wait_until(lambda: scraped_publishers(stage) == {config.http_url: len(publishing_ids())},
               message="/metrics counting the room's publishers")  # fmt: skip
    for name in ("b", "chair"):
        wait_until(lambda name=name: media_of(pages[name]).get(str(a_id)) == ONE_EACH,
                   message=f"{name}: one video and one audio element for A")  # fmt: skip
    assert all(counts == ONE_EACH for counts in media_of(pages["b"]).values())

    # B's phone: A (the floor) is the speaker, large; the studio beside it: below it upright,
    # right of it sideways. The chair's page is a grid of who publishes.
    wait_until(lambda: video(pages["b"], "v.mainFeed") == a_id, message="A large on B's phone")
    main, studio = tile_box(pages["b"], a_id), tile_box(pages["b"], studio_id)
    assert main["width"] > studio["width"] and studio["y"] >= main["y"] + main["height"] - 1
    assert fits_the_screen(pages["b"])
    pages["b"].set_viewport_size({"width": PHONE["height"], "height": PHONE["width"]})
    def beside() -> bool:
        main, studio = tile_box(pages["b"], a_id), tile_box(pages["b"], studio_id)
        return studio["x"] >= main["x"] + main["width"] - 1

    wait_until(beside, message="the studio beside A, on the phone held sideways")
    assert tile_box(pages["b"], a_id)["width"] > tile_box(pages["b"], studio_id)["width"]
    assert fits_the_screen(pages["b"])
    assert chair.evaluate("() => document.querySelector('.video-grid').dataset.layout") == "grid"

    # The chair mutes A's microphone at Janus (moderate), then unmutes it; then stops A's video, and
    # A is told so in its language; then lets it again.
    mute = chair.locator(f'[data-feed="{a_id}"] [data-moderate=audio]')
    mute.click()
    wait_until(lambda: mute.get_attribute("data-muted") == "true", message="A muted by the chair")
    mute.click()
    wait_until(lambda: mute.get_attribute("data-muted") == "false", message="A unmuted by the chair")
    stop = chair.locator(f'[data-feed="{a_id}"] [data-moderate=video]')
    stop.click()
    wait_until(lambda: stop.get_attribute("data-muted") == "true", message="A's video stopped")
    stopped_text = strings(pages["a"])["video_stopped_by_chair"]
    wait_until(lambda: message(pages["a"]) == stopped_text, message="A told its video was stopped")
    stop.click()
    wait_until(lambda: stop.get_attribute("data-muted") == "false", message="A's video allowed again")

    # A opens the meeting in a second tab: it takes the video over (publishing under the same id,
    # never "already exists"); the first tab stops and says why.
    pages["a2"] = pages["a"].context.new_page()
    pages["a2"].goto(pages["a"].url)
    wait_until(lambda: video(pages["a2"], "v.publishing"), message="A's second tab publishing")
    wait_until(lambda: video(pages["a"], "v.status") == "superseded", message="A's first tab told")
    assert message(pages["a"]) == strings(pages["a"])["superseded"]
    assert not video(pages["a"], "v.publishing")
    assert "exists" not in message(pages["a2"]) and a_id in publishing_ids()
    pages["a"] = pages["a2"]

    # The chair takes the floor back: A's publisher is gone at Janus; the studio goes on.
    assert staff.call("floor.revoke", {"meeting_id": data.meeting_id})["ok"]
    wait_until(lambda: a_id not in publishing_ids(), message="A's publisher gone at Janus")
    assert studio_id in publishing_ids()
    wait_until(lambda: not video(pages["a"], "v.publishing"), message="A's page no longer publishing")

    # The meeting ends: B's page says so (no video error); the room is closed and Janus's recordings
    # become playable files, listed with their start times (the studio's and A's, audio and video).
    assert staff.call("meeting.end", {"meeting_id": data.meeting_id}, timeout=120)["ok"]
    wait_until(lambda: video(pages["b"], "v.status") == "ended", message="B told the meeting ended")
    assert message(pages["b"]) == strings(pages["b"])["ended"]
    wait_until(lambda: recordings_made(database_url, data.meeting_id), message="recordings processed")
    assert_recordings(database_url, data.meeting_id, studio_id, a_id)
    # Then the one file of the session is composed from those pieces, as long as the session.
    built = lambda: recording_built(database_url, data.meeting_id)  # noqa: E731
    wait_until(built, timeout=300, message="the session's one file")
    assert_one_file(database_url, data.meeting_id)


def media_of(page) -> dict:
    """{feed: {"video": n, "audio": n}}: the media elements of every remote tile in the page."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.video-tile[data-feed]')]
        .filter((tile) => tile.dataset.feed !== 'self')
        .map((tile) => [tile.dataset.feed, {video: tile.querySelectorAll('video').length,
                                            audio: tile.querySelectorAll('audio').length}]))""")


def tile_box(page, feed) -> dict:
    return page.locator(f'.video-tile[data-feed="{feed}"]').bounding_box()


def fits_the_screen(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def recordings_made(database_url: str, meeting_id: int) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        done = connection.execute(
            sa.text("SELECT recordings_processed_at FROM video_rooms WHERE meeting_id = :m"),
            {"m": meeting_id},
        ).scalar_one()
    engine.dispose()
    return done is not None


def recording_built(database_url: str, meeting_id: int) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        state = connection.execute(
            sa.text("SELECT state, error FROM video_recording_builds WHERE meeting_id = :m"),
            {"m": meeting_id},
        ).one_or_none()
    engine.dispose()
    assert state is None or state.state != "failed", state.error
    return state is not None and state.state == "done"


def assert_one_file(database_url: str, meeting_id: int) -> None:
    """The file composed of the real pieces (janus-pp-rec's) lasts the session, the log's start to end."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rec_dir, file_name = connection.execute(
            sa.text("SELECT rec_dir, file_name FROM video_rooms JOIN video_recording_builds "
                    "USING (meeting_id) WHERE meeting_id = :m"), {"m": meeting_id}
        ).one()  # fmt: skip
        started, ended = (
            connection.execute(
                sa.text("SELECT created_at FROM meeting_events WHERE meeting_id = :m AND kind = :k"),
                {"m": meeting_id, "k": kind},
            ).scalar_one()
            for kind in ("meeting.started", "meeting.ended")
        )
    engine.dispose()
    started, ended = (value if isinstance(value, datetime) else datetime.fromisoformat(value)
                      for value in (started, ended))  # fmt: skip
    command = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    command.append(str(Path(rec_dir) / file_name))
    probe = subprocess.run(command, capture_output=True, text=True, check=True)
    assert abs(float(probe.stdout) - (ended - started).total_seconds()) < 1.0


def assert_recordings(database_url: str, meeting_id: int, studio_id: int, a_id: int) -> None:
    import sqlalchemy as sa

    from meetcore.video.services import SEAT_BASE, STUDIO_BASE

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT file_name, kind, publisher, started_at, size_bytes FROM video_recordings "
                    "WHERE meeting_id = :m"), {"m": meeting_id}
        ).all()  # fmt: skip
        rec_dir = connection.execute(
            sa.text("SELECT rec_dir FROM video_rooms WHERE meeting_id = :m"), {"m": meeting_id}
        ).scalar_one()
    engine.dispose()
    found = {(row.publisher, row.kind) for row in rows}
    studio, speaker = f"studio-{studio_id - STUDIO_BASE}", f"seat-{a_id - SEAT_BASE}"
    assert {(studio, "video"), (studio, "audio"), (speaker, "video"), (speaker, "audio")} <= found, rows
    for row in rows:
        assert row.started_at is not None and row.size_bytes > 0
        assert (Path(rec_dir) / row.file_name).stat().st_size == row.size_bytes
