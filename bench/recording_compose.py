"""What composing a meeting's recording costs (issue 16, item 6; docs/recordings.md).

A synthetic session of --minutes minutes: the studio publishing throughout, and a floor speaker every other
two minutes (one turn of 2 minutes in 4), each publisher a VP8 WebM and an Opus piece as janus-pp-rec makes
them (ffmpeg's lavfi testsrc and sine), a chapter every --chapter-minutes. The same ffmpeg command the
recording worker runs (meetcore.video.composition.compose_command, meetcore.video.recording_worker's
encoder) is timed: wall time, ffmpeg's CPU time, both per minute of meeting, and the file's size.

    .venv/bin/python bench/recording_compose.py --minutes 5 --size 640x360 --fps 15

No database and no app: only the composition and the encoder settings are measured.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meetcore.video.composition import Chapter, Piece, Session, Turn, chapters_metadata, compose_command  # noqa: E402
from meetcore.video.recording_worker import _encoder, _layout, probe_duration, run_ffmpeg  # noqa: E402

TURN, EVERY = 120, 240  # a speaker holds the floor 2 minutes in every 4


def make_piece(path: Path, kind: str, seconds: float, size: str, fps: int, pattern: str) -> None:
    if kind == "video":
        source = f"{pattern}=size={size}:rate={fps}:duration={seconds}"
        codec = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-threads", "1", "-b:v", "400k"]
    else:
        source = f"sine=frequency=440:sample_rate=48000:duration={seconds}"
        codec = ["-c:a", "libopus", "-b:a", "32k"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source, *codec, str(path)],
        check=True,
    )


def synthetic_session(minutes: float, chapter_minutes: float) -> Session:
    start = datetime(2000, 1, 1, tzinfo=UTC)  # any moment: only differences count
    duration = minutes * 60
    session = Session(start, start + timedelta(seconds=duration))
    session.turns = [
        Turn(100 + n, None, at, min(at + TURN, duration))
        for n, at in enumerate(range(60, int(duration), EVERY))
    ]
    marks = [m * 60 for m in range(0, int(minutes), max(1, int(chapter_minutes)))]
    session.chapters = [
        Chapter(n, f"วาระที่ {n + 1}", at, (marks + [duration])[n + 1]) for n, at in enumerate(marks)
    ]
    return session


def pieces_for(session: Session, folder: Path, size: str, fps: int) -> list[Piece]:
    pieces = []
    for kind, suffix in (("video", "webm"), ("audio", "opus")):
        path = folder / f"studio-{kind}.{suffix}"
        make_piece(path, kind, session.duration, size, fps, "testsrc")
        pieces.append(Piece(path, kind, "studio-1", 0.0))
        for turn in session.turns:
            path = folder / f"seat-{turn.seat_id}-{kind}.{suffix}"
            make_piece(path, kind, turn.end - turn.start, size, fps, "testsrc2")
            pieces.append(Piece(path, kind, f"seat-{turn.seat_id}", turn.start))
    return pieces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--chapter-minutes", type=float, default=2)
    parser.add_argument(
        "--size", default="640x360", help="the composed picture (MEETCORE_VIDEO_RECORDING_SIZE)"
    )
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", default="500k")
    parser.add_argument("--piece-size", default="640x360", help="the publishers' pictures")
    args = parser.parse_args()
    config = {
        "MEETCORE_VIDEO_RECORDING_SIZE": args.size,
        "MEETCORE_VIDEO_RECORDING_FPS": args.fps,
        "MEETCORE_VIDEO_RECORDING_BITRATE": args.bitrate,
    }
    session = synthetic_session(args.minutes, args.chapter_minutes)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        made = time.monotonic()
        pieces = pieces_for(session, folder, args.piece_size, args.fps)
        made = time.monotonic() - made
        metadata = folder / "chapters.txt"
        metadata.write_text(chapters_metadata(session.chapters), encoding="utf-8")
        target = folder / "meeting.webm"
        command = compose_command(session, pieces, _layout(config), metadata, target, _encoder(config))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        run_ffmpeg(command, session.duration, lambda _percent: True)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        minutes = session.duration / 60
        print(
            f"session            {minutes:.1f} min, {len(session.turns)} floor turns, "
            f"{len(session.chapters)} chapters, {len(pieces)} pieces ({made:.1f} s to make them)"
        )
        print(f"composed           {args.size} at {args.fps} fps, VP8 {args.bitrate} + Opus 48k")
        print(f"wall time          {wall:.1f} s  = {wall / minutes:.2f} s per minute of meeting")
        print(f"ffmpeg CPU time    {cpu:.1f} s  = {cpu / minutes:.2f} s per minute of meeting")
        size, length = target.stat().st_size / 1e6, probe_duration(target)
        print(f"file              {size:.1f} MB = {size / minutes:.2f} MB a minute; duration {length:.2f} s")


if __name__ == "__main__":
    main()
