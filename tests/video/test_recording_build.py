"""Issue 16, item 6: a scripted 3-minute session with two agenda items becomes one playable file with two
chapters, composed by the recording worker from per-publisher pieces like those janus-pp-rec makes (VP8
WebM video, Opus audio), made here with ffmpeg's lavfi sources: the studio (red picture, 440 Hz) from 3 s
before the start until 170 s, a provincial seat (blue, 880 Hz) while it holds the floor, 41 s to 99 s; the
seat's shared screen (green, video only) from 65 s to 85 s, the studio's (yellow) from 130 s to 150 s.

The session's log is written by the real services, then its rows are moved to the script's times, counted
from tests/clock.py's NOW: started at 0, item 1 current at 5 s, the floor given at 40 s and taken back at
100 s, item 2 current at 100 s, ended at 180 s. One scratch database serves the service checks and the
playback page in Chromium (ServerProcess on the same database)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.clock import NOW
from tests.live.browsers import PASSWORD, chromium, sign_in
from tests.live.servers import ServerProcess, scratch_database_url

SESSION = 180.0
STUDIO_FROM, STUDIO_TO = -3.0, 170.0
SEAT_FROM, SEAT_TO = 41.0, 99.0
SEAT_SHARE, STUDIO_SHARE = (65.0, 85.0), (130.0, 150.0)
SCRIPT = [
    ("meeting.started", 0),
    ("agenda.current", 5),
    ("floor.granted", 40),
    ("floor.revoked", 100),
    ("agenda.current", 100),
    ("meeting.ended", 180),
]
SIZE, FPS = (160, 120), 10
CUES = "() => [...document.querySelector('video').textTracks[0].cues].map(c => [c.startTime, c.text])"
T0 = NOW.replace(microsecond=0) - timedelta(hours=2)


def require_ffmpeg() -> None:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.fail("ffmpeg is not installed (Debian package `ffmpeg`, .ci/apt-packages.txt)")


def make_piece(path: Path, source: str, seconds: float) -> None:
    if path.suffix == ".webm":
        codec = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-threads", "1", "-b:v", "50k"]
        source = f"color=c={source}:s=160x120:r={FPS}:d={seconds}"
    else:
        codec = ["-c:a", "libopus", "-b:a", "24k"]
        source = f"sine=frequency={source}:sample_rate=48000:d={seconds}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source, *codec, str(path)],
        check=True,
        timeout=300,
    )


@dataclass
class Built:
    url: str
    folder: Path
    meeting_id: int
    seat_id: int
    other_seat_id: int
    item_ids: list[int]
    item_titles: list[str]
    progress: list[int]
    build_state: str
    file: Path


def _app(url: str, **config):
    from meetcore import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MEETCORE_ASYNC_MODE": "threading",
            "MEETCORE_VIDEO_RECORDING_SIZE": f"{SIZE[0]}x{SIZE[1]}",
            "MEETCORE_VIDEO_RECORDING_FPS": FPS,
            "MEETCORE_VIDEO_RECORDING_BITRATE": "100k",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )


def _script_the_log(meeting_id: int) -> None:
    """The log's rows moved to the script's times; what came before the start an hour earlier, what came
    after a scripted row at that row's time."""
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db

    script, at = list(SCRIPT), T0 - timedelta(hours=1)
    for event in db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.meeting_id == meeting_id).order_by(MeetingEvent.seq)
    ):
        if script and event.kind == script[0][0]:
            at = T0 + timedelta(seconds=script.pop(0)[1])
        event.created_at = at
    assert not script, f"the services wrote no {script}"


def _hold_the_session(meeting_id: int, seat_id: int, item_ids: list[int]) -> None:
    """The session through the services, each step its own unit of work as its live command would be."""
    from meetcore.agenda.services import set_current_item
    from meetcore.auth.models import User
    from meetcore.extensions import db
    from meetcore.floor.services import grant_floor, revoke_floor
    from meetcore.meetings.models import Meeting
    from meetcore.meetings.services import end_meeting
    from meetcore.transaction import unit_of_work
    from tests.starting import start_now

    def user(email: str):
        return db.session.scalar(sa.select(User).where(User.email == email))

    steps = (
        lambda meeting: start_now(meeting, by=user("sec@example.org")),
        lambda meeting: set_current_item(meeting.id, item_ids[0], by=user("sec@example.org")),
        lambda meeting: grant_floor(meeting, seat_id=seat_id, by=user("chair@example.org")),
        lambda meeting: revoke_floor(meeting, by=user("chair@example.org")),
        lambda meeting: set_current_item(meeting.id, item_ids[1], by=user("sec@example.org")),
        lambda meeting: end_meeting(meeting, by=user("sec@example.org")),
    )
    for step in steps:
        with unit_of_work():
            step(db.session.get(Meeting, meeting_id))


def _record_pieces(meeting_id: int, folder: Path, chair_id: int, seat_id: int) -> None:
    from meetcore.extensions import db
    from meetcore.video.models import VideoRecording, VideoRoom

    db.session.add(
        VideoRoom(
            meeting_id=meeting_id,
            server_url="http://127.0.0.1:9",
            janus_room_id=424242,
            secret="s",
            record=True,
            rec_dir=str(folder),
            closed_at=T0 + timedelta(seconds=181),
            recordings_processed_at=T0 + timedelta(seconds=182),
        )
    )
    pieces = [
        ("studio", chair_id, "red", "440", STUDIO_FROM, STUDIO_TO),
        ("seat", seat_id, "blue", "880", SEAT_FROM, SEAT_TO),
    ]
    shares = [  # a shared screen is a publisher of its own, video only
        ("share-seat", seat_id, "green", None, *SEAT_SHARE),
        ("share-studio", chair_id, "yellow", None, *STUDIO_SHARE),
    ]
    for kind, number, colour, tone, start, end in pieces + shares:
        for stream, source, suffix in (("video", colour, "webm"), ("audio", tone, "opus")):
            if source is None:
                continue
            name = f"videoroom-424242-user-{kind}{number}-{stream}.{suffix}"
            make_piece(folder / name, source, end - start)
            db.session.add(
                VideoRecording(
                    meeting_id=meeting_id,
                    file_name=name,
                    kind=stream,
                    publisher=f"{kind}-{number}",
                    started_at=T0 + timedelta(seconds=start),
                    size_bytes=(folder / name).stat().st_size,
                )
            )


def _prepare(url: str, folder: Path) -> dict:
    """Schema, accounts, a meeting with two agenda items and two seats, its scripted session, its pieces;
    the build left as a worker that died mid-way left it (processing, an old lease, a half-written file)."""
    from flask_migrate import upgrade

    from meetcore.agenda.services import add_item
    from meetcore.auth.services import create_user
    from meetcore.directory.reference import seed_reference_data
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting
    from meetcore.minutes.models import MinutesBlock
    from meetcore.seats.models import Seat
    from meetcore.seats.services import add_seats
    from meetcore.transaction import unit_of_work
    from meetcore.video.models import RecordingBuild
    from tests.conftest import MEETING_INPUT

    upgrade(revision="head")
    with unit_of_work():
        seed_reference_data()
        secretariat = create_user(
            "sec@example.org", role="secretariat", password=PASSWORD, display_name="Sec"
        )
        chair = create_user("chair@example.org", role="chair", password=PASSWORD, display_name="Chair")
        meeting = schedule_meeting(dict(MEETING_INPUT), by=secretariat)
        items = [
            add_item(meeting, {"title": title}, by=secretariat)
            for title in ("รับรองรายงานการประชุม", "แผนงานพัฒนาสังคมจังหวัด")
        ]
        add_seats(meeting, {"provinces": ["TH-50", "TH-90"], "roles": ["social_development"]}, by=secretariat)
        seats = list(
            db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id))
        )
        ids = {
            "meeting_id": meeting.id,
            "seat_id": seats[0].id,
            "other_seat_id": seats[1].id,
            "chair_id": chair.id,
            "item_ids": [item.id for item in items],
            "item_titles": [f"{n}. {item.title}" for n, item in enumerate(items, start=1)],
        }
    _hold_the_session(ids["meeting_id"], ids["seat_id"], ids["item_ids"])
    with unit_of_work():
        _script_the_log(ids["meeting_id"])
        _record_pieces(ids["meeting_id"], folder, ids["chair_id"], ids["seat_id"])
        for item_id, text in zip(ids["item_ids"], ("ที่ประชุมรับรองรายงาน", "จังหวัดรายงานแผนงาน"), strict=True):
            block = db.session.scalar(sa.select(MinutesBlock).where(MinutesBlock.agenda_item_id == item_id))
            if block is None:
                db.session.add(MinutesBlock(meeting_id=ids["meeting_id"], agenda_item_id=item_id, text=text))
            else:
                block.text = text
        db.session.add(
            RecordingBuild(
                meeting_id=ids["meeting_id"],
                state="processing",
                progress=40,
                attempts=1,
                chapters=[],
                claimed_by="dead-worker",
                claimed_at=NOW - timedelta(hours=1),
            )
        )
    (folder / f".meeting-{ids['meeting_id']}.dead-worker.part").write_bytes(b"half a file")
    ids.pop("chair_id")
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """The session prepared, then one round of the recording worker (its progress reports kept)."""
    require_ffmpeg()
    from meetcore.extensions import db
    from meetcore.video import recording_worker
    from meetcore.video.models import RecordingBuild

    tmp_path = tmp_path_factory.mktemp("recording")
    folder = tmp_path / "recordings" / "1"
    folder.mkdir(parents=True)
    url = scratch_database_url(tmp_path, "recording")
    app = _app(url)
    progress: list[int] = []
    report = recording_worker._report
    with app.app_context():
        prepared = _prepare(url, folder)
        db.session.remove()

    def kept(build_id, token, **values):
        if "progress" in values:
            progress.append(values["progress"])
        return report(build_id, token, **values)

    patch = pytest.MonkeyPatch()
    patch.setattr(recording_worker, "_report", kept)
    patch.setattr(recording_worker, "REPORT_EVERY", 0.0)
    try:
        assert recording_worker.run_once(app) == 1
    finally:
        patch.undo()
    with app.app_context():
        build = db.session.scalar(sa.select(RecordingBuild))
        state, file_name, error = build.state, build.file_name, build.error
        db.session.remove()
    assert state == "done", error
    return Built(url, folder, progress=progress, build_state=state, file=folder / file_name, **prepared)


def ffprobe(path: Path) -> dict:
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_chapters",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def pixel(path: Path, seconds: float, x: int, y: int) -> tuple[int, int, int]:
    result = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-ss",
            str(seconds),
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-vf",
            f"crop=2:2:{x}:{y}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    )
    return tuple(result.stdout[:3])


def loudest(path: Path, start: float, seconds: float) -> float:
    result = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-ss",
            str(start),
            "-t",
            str(seconds),
            "-i",
            str(path),
            "-vn",
            "-af",
            "volumedetect",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    )
    line = next(line for line in result.stderr.splitlines() if "max_volume" in line)
    return float(line.split("max_volume:")[1].split("dB")[0])


def red(rgb) -> bool:
    return rgb[0] > 150 and rgb[1] < 90 and rgb[2] < 90


def blue(rgb) -> bool:
    return rgb[2] > 150 and rgb[0] < 90 and rgb[1] < 90


def black(rgb) -> bool:
    return max(rgb) < 40


def green(rgb) -> bool:
    return rgb[1] > 90 and rgb[0] < 60 and rgb[2] < 60


def yellow(rgb) -> bool:
    return rgb[0] > 150 and rgb[1] > 150 and rgb[2] < 90


def test_one_file_as_long_as_the_session(built):
    files = sorted(p.name for p in built.folder.iterdir() if p.name.startswith(("meeting-", ".meeting-")))
    assert files == [f"meeting-{built.meeting_id}.webm"]  # the dead worker's half-written file is gone
    probe = ffprobe(built.file)
    assert abs(float(probe["format"]["duration"]) - SESSION) < 1.0
    assert {s["codec_type"]: s["codec_name"] for s in probe["streams"]} == {"video": "vp8", "audio": "opus"}
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == SIZE


def test_two_chapters_at_the_agenda_times_in_the_file_and_the_row(built):
    from meetcore.extensions import db
    from meetcore.video.models import RecordingBuild

    chapters = ffprobe(built.file)["chapters"]
    assert [(round(float(c["start_time"]), 2), round(float(c["end_time"]), 2)) for c in chapters] == [
        (5.0, 100.0),
        (100.0, SESSION),
    ]
    assert [c["tags"]["title"] for c in chapters] == built.item_titles
    with _app(built.url).app_context():
        stored = db.session.scalar(sa.select(RecordingBuild)).chapters
        db.session.remove()
    assert stored == [
        {"item_id": built.item_ids[0], "title": built.item_titles[0], "start": 5.0, "end": 100.0},
        {"item_id": built.item_ids[1], "title": built.item_titles[1], "start": 100.0, "end": SESSION},
    ]


def test_the_floor_speaker_large_with_the_studio_small_and_gaps_black(built):
    centre, corner = (SIZE[0] // 2, SIZE[1] // 2), (SIZE[0] - 24, SIZE[1] - 19)
    assert red(pixel(built.file, 20, *centre))  # nobody holds the floor: the studio fills the picture
    assert blue(pixel(built.file, 60, *centre)) and red(pixel(built.file, 60, *corner))  # the floor's turn
    assert black(pixel(built.file, 42 - 1.5, *centre))  # the turn began at 40 s, the seat's picture at 41 s
    assert red(pixel(built.file, 120, *centre))  # the floor taken back
    assert black(pixel(built.file, 175, *centre))  # the studio stopped at 170 s: black to the end


def test_a_shared_screen_takes_the_large_picture_while_shared_with_the_studio_small(built):
    centre, corner = (SIZE[0] // 2, SIZE[1] // 2), (SIZE[0] - 24, SIZE[1] - 19)
    assert blue(pixel(built.file, 62, *centre))  # the floor speaker, before sharing
    # the speaker's screen, the studio small in its corner
    assert green(pixel(built.file, 75, *centre)) and red(pixel(built.file, 75, *corner))
    assert blue(pixel(built.file, 90, *centre))  # the screen shared no more: the speaker again
    # the studio's screen, outside any turn
    assert yellow(pixel(built.file, 140, *centre)) and red(pixel(built.file, 140, *corner))
    assert red(pixel(built.file, 155, *centre))  # then the studio itself, large


def test_a_shared_screens_recording_is_named_for_its_owner():
    from meetcore.video.recordings import _publisher_label
    from meetcore.video.services import SEAT_BASE, SHARE_SHIFT, STUDIO_BASE

    def label(pid: int) -> str | None:
        return _publisher_label(f"videoroom-7-user-{pid}-1-video-0.mjr")

    assert label(SEAT_BASE + 12) == "seat-12"
    assert label(SHARE_SHIFT + SEAT_BASE + 12) == "share-seat-12"
    assert label(SHARE_SHIFT + STUDIO_BASE + 3) == "share-studio-3"


def test_all_audio_mixed_at_its_offsets_and_silence_in_the_gaps(built):
    assert loudest(built.file, 60, 2) > -20  # the studio and the seat together
    assert loudest(built.file, 172, 6) < -80  # after the studio's audio ended


def test_progress_was_reported_while_composing(built):
    *composing, finished = built.progress
    assert len(composing) >= 3 and composing == sorted(composing) and composing[0] < composing[-1] <= 99
    assert finished == 100


def test_building_again_gives_the_same_one_file(built):
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import unit_of_work
    from meetcore.video import recording_worker
    from meetcore.video.models import RecordingBuild

    app = _app(built.url)
    before = ffprobe(built.file)
    assert recording_worker.run_once(app) == 0  # nothing waits: a done build is not built again by itself
    with app.app_context():
        with unit_of_work():
            recording_worker.queue_build(db.session.get(Meeting, built.meeting_id), again=True)
        db.session.remove()
    assert recording_worker.run_once(app) == 1
    after = ffprobe(built.file)
    assert sorted(p.name for p in built.folder.iterdir() if "meeting-" in p.name) == [built.file.name]
    assert after["chapters"] == before["chapters"]
    assert abs(float(after["format"]["duration"]) - float(before["format"]["duration"])) < 0.05
    with app.app_context():
        rows = db.session.scalars(sa.select(RecordingBuild)).all()
        assert [(row.state, row.progress, row.attempts) for row in rows] == [("done", 100, 3)]
        db.session.remove()


def _compose(built: Built, tmp_path: Path, *args: str, lease: int = 120) -> subprocess.Popen:
    """`meetcore video compose` as a process of its own, as the recording worker's service runs it; at
    320x240, so that composing lasts long enough to be stopped half-way (it sees a stop within 0.5 s)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEETCORE_")}
    env.update(
        MEETCORE_DATABASE_URL=built.url,
        MEETCORE_SECRET_KEY="recording-test",
        MEETCORE_INSTANCE_DIR=str(tmp_path / "instance"),
        MEETCORE_VIDEO_RECORDING_SIZE="320x240",
        MEETCORE_VIDEO_RECORDING_FPS=str(FPS),
        MEETCORE_VIDEO_RECORDING_BITRATE="100k",
        MEETCORE_VIDEO_RECORDING_LEASE_SECONDS=str(lease),
    )
    log = open(tmp_path / "compose.log", "ab")  # noqa: SIM115  (kept open for the process's life)
    return subprocess.Popen(
        [sys.executable, "-m", "meetcore", "video", "compose", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _row(built: Built) -> dict:
    engine = sa.create_engine(built.url)
    try:
        with engine.connect() as connection:
            return dict(
                connection.execute(
                    sa.text(
                        "SELECT state, progress, claimed_by, attempts, file_name FROM video_recording_builds"
                    )
                )
                .mappings()
                .one()
            )
    finally:
        engine.dispose()


def _wait_for_progress(built: Built, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        row = _row(built)
        if row["state"] == "processing" and row["progress"] > 0:
            return row
        time.sleep(0.3)
    raise AssertionError(f"no progress: {_row(built)}, worker exited {process.poll()}")


def test_a_restarted_worker_puts_its_build_back_and_a_killed_one_is_taken_over(built, tmp_path):
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import unit_of_work
    from meetcore.video import recording_worker

    with _app(built.url).app_context():
        with unit_of_work():
            recording_worker.queue_build(db.session.get(Meeting, built.meeting_id), again=True)
        db.session.remove()
    stopped = _compose(built, tmp_path)
    _wait_for_progress(built, stopped)
    stopped.send_signal(signal.SIGTERM)  # systemd's restart
    assert stopped.wait(timeout=60) == 0
    row = _row(built)
    assert (row["state"], row["progress"], row["claimed_by"]) == ("queued", 0, None)  # back in the queue
    assert [p.name for p in built.folder.glob(".meeting-*")] == []  # its half-written file deleted

    killed = _compose(built, tmp_path)
    taken = _wait_for_progress(built, killed)
    killed.kill()  # a crash: nothing of the worker runs
    killed.wait(timeout=30)
    assert _row(built)["state"] == "processing"
    time.sleep(1.5)  # the lease below
    assert _compose(built, tmp_path, lease=1).wait(timeout=300) == 0
    row = _row(built)
    assert (row["state"], row["progress"], row["claimed_by"]) == ("done", 100, None)
    assert row["attempts"] == taken["attempts"] + 1
    assert sorted(p.name for p in built.folder.iterdir() if "meeting-" in p.name) == [built.file.name]
    assert abs(float(ffprobe(built.file)["format"]["duration"]) - SESSION) < 1.0


def test_seats_watch_only_when_the_secretariat_allows_it(built):
    from meetcore.actors import SEAT_SESSION_KEY

    app = _app(built.url)
    seat = app.test_client()
    with seat.session_transaction() as session:
        session[SEAT_SESSION_KEY] = {"seat_id": built.seat_id, "meeting_id": built.meeting_id}
    file_url = f"/meetings/{built.meeting_id}/recording.webm"
    assert seat.get(file_url).status_code == 403
    assert seat.get(f"/meetings/{built.meeting_id}/recording").status_code == 403
    watch_link = f'href="/meetings/{built.meeting_id}/recording"'
    assert watch_link not in seat.get(f"/live/{built.meeting_id}").get_data(as_text=True)
    secretariat = app.test_client()
    secretariat.post("/login", data={"email": "sec@example.org", "password": PASSWORD})
    allowed = secretariat.post(f"/meetings/{built.meeting_id}/recording/seats", data={"allowed": "1"})
    assert allowed.status_code == 302
    part = seat.get(file_url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.headers["Content-Type"] == "video/webm" and len(part.data) == 100
    assert "item-" in seat.get(f"/meetings/{built.meeting_id}/recording/chapters.vtt").get_data(as_text=True)
    assert watch_link in seat.get(f"/live/{built.meeting_id}").get_data(as_text=True)  # the participant page
    page = seat.get(f"/meetings/{built.meeting_id}/recording").get_data(as_text=True)
    assert "จังหวัดรายงานแผนงาน" in page and "recording/seats" not in page  # the minutes; not the setting
    stranger = app.test_client()
    with stranger.session_transaction() as session:
        session[SEAT_SESSION_KEY] = {"seat_id": built.other_seat_id, "meeting_id": built.meeting_id + 1}
    assert stranger.get(file_url).status_code == 403  # a seat of another meeting
    chair = app.test_client()
    chair.post("/login", data={"email": "chair@example.org", "password": PASSWORD})
    refused = chair.post(f"/meetings/{built.meeting_id}/recording/seats", data={"allowed": "0"})
    assert refused.status_code == 403  # the chair watches, but only the secretariat decides for the seats
    secretariat.post(f"/meetings/{built.meeting_id}/recording/seats", data={"allowed": "0"})
    assert seat.get(file_url).status_code == 403


def test_playable_in_chromium_with_chapters_and_the_items_minutes(built, tmp_path):
    server = ServerProcess(built.url, tmp_path, name="recording").start()
    try:
        with chromium() as browser:
            page = browser.new_context(locale="th-TH").new_page()
            sign_in(page, server.base_url, "sec@example.org")
            page.goto(f"{server.base_url}/meetings/{built.meeting_id}/recording")
            page.wait_for_function("() => document.querySelector('video').readyState >= 2", timeout=30000)
            page.evaluate(
                "() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }"
            )
            page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=30000)
            quality = page.evaluate(
                "() => document.querySelector('video').getVideoPlaybackQuality().totalVideoFrames"
            )
            assert quality > 0
            page.evaluate("() => { document.querySelector('video').textTracks[0].mode = 'hidden'; }")
            page.wait_for_function("() => document.querySelector('video').textTracks[0].cues?.length === 2")
            cues = page.evaluate(CUES)
            assert cues == [[5.0, built.item_titles[0]], [100.0, built.item_titles[1]]]
            page.click(f"[data-item='{built.item_ids[1]}']")
            page.wait_for_function("() => document.querySelector('video').currentTime >= 100")
            shown = page.locator(f"[data-minutes-item='{built.item_ids[1]}']")
            assert shown.is_visible() and "จังหวัดรายงานแผนงาน" in shown.inner_text()
            assert not page.locator(f"[data-minutes-item='{built.item_ids[0]}']").is_visible()
    finally:
        server.stop()
