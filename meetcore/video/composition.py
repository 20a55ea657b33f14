"""What one meeting's recording shows, and the ffmpeg command that composes it (issue 16, item 6).

The session runs from the log's `meeting.started` to its `meeting.ended`. Its floor events say who held the
floor when; its `agenda.current` events give the chapters. The pieces are janus-pp-rec's files, one per
publisher's stream, each with the time its first packet arrived (VideoRecording.started_at). The layout:
the studio (the chair's camera) fills the picture while nobody holds the floor; during a turn the floor
speaker's picture (their seat's or their provincial hall's) fills it with the studio small in a corner.
A screen shared as the main content (a "share-..." piece: the studio's or the floor speaker's) takes the
large picture for as long as it was shared, the studio small in its corner. Before a piece starts and after
it stops the picture is black; every audio piece is mixed in at its own offset over silence, so the file is
exactly as long as the session.

Nothing here writes rows: meetcore.video.recording_worker runs the command and keeps the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from meetcore.agenda.tree import build_tree, meeting_items, walk
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.video.models import VideoRecording

FLOOR_KINDS = (
    "floor.requested",
    "floor.withdrawn",
    "floor.granted",
    "floor.revoked",
    "floor.limit_set",
    "floor.closed",
)
SESSION_KINDS = ("meeting.started", "meeting.ended", "agenda.current", *FLOOR_KINDS)
# The studio's picture while someone else holds the floor: this fraction of the width, bottom right.
INSET = 4
MARGIN = 4


class NothingToCompose(Exception):
    """The meeting has no session (never started or ended) or no recorded piece inside it."""


@dataclass(frozen=True)
class Turn:
    """One floor holder's turn, in seconds from the session's start."""

    seat_id: int
    province_id: int | None
    start: float
    end: float


@dataclass(frozen=True)
class Chapter:
    item_id: int
    title: str
    start: float
    end: float

    def as_dict(self) -> dict:
        return {"item_id": self.item_id, "title": self.title, "start": self.start, "end": self.end}


@dataclass
class Session:
    started_at: datetime
    ended_at: datetime
    turns: list[Turn] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def seconds(self, moment: datetime) -> float:
        """A moment as seconds into the session, kept within it."""
        return min(max((moment - self.started_at).total_seconds(), 0.0), self.duration)


@dataclass(frozen=True)
class Piece:
    path: Path
    kind: str  # audio | video
    publisher: str | None  # "studio-3", "seat-12", "site-40"; "share-seat-12": the screen it shared
    offset: float  # seconds into the session of its first frame (negative: it began before the session)


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    fps: int


# --- the session, from the event log --------------------------------------------------------------------


def read_session(meeting: Meeting) -> Session:
    events = list(
        db.session.scalars(
            sa.select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind.in_(SESSION_KINDS))
            .order_by(MeetingEvent.seq)
        )
    )
    started = next((e.created_at for e in events if e.kind == "meeting.started"), None)
    ended = next((e.created_at for e in reversed(events) if e.kind == "meeting.ended"), None)
    if started is None or ended is None or ended <= started:
        raise NothingToCompose("the meeting has no session: it never started or has not ended")
    session = Session(started, ended)
    session.turns = _turns(session, [e for e in events if e.kind in FLOOR_KINDS])
    session.chapters = _chapters(meeting, session, [e for e in events if e.kind == "agenda.current"])
    return session


def _holder(event: MeetingEvent) -> dict | None:
    holder = (event.payload.get("floor") or {}).get("holder")
    return holder if isinstance(holder, dict) and holder.get("seat_id") else None


def _turns(session: Session, events: list[MeetingEvent]) -> list[Turn]:
    """Each holder from the event that gave them the floor to the one that took it (or the session's end)."""
    from meetcore.seats.models import Seat

    turns, current, since = [], None, None
    for event in [*events, None]:
        holder = _holder(event) if event is not None else None
        seat_id = holder["seat_id"] if holder else None
        if event is not None and seat_id == current:
            continue
        at = session.seconds(event.created_at) if event is not None else session.duration
        if current is not None and at > since:
            seat = db.session.get(Seat, current)
            turns.append(Turn(current, seat.province_id if seat else None, since, at))
        current, since = seat_id, at
    return turns


def _chapters(meeting: Meeting, session: Session, events: list[MeetingEvent]) -> list[Chapter]:
    """One chapter from each agenda.current to the next (or the session's end), titled "number title"."""
    titles = {
        node["item"].id: f"{node['number']}. {node['item'].title}"
        for node, _depth in walk(build_tree(meeting_items(meeting.id)))
    }
    chapters = []
    marks = [(session.seconds(e.created_at), e.payload.get("item_id")) for e in events]
    marks.append((session.duration, None))
    for (start, item_id), (end, _next) in zip(marks, marks[1:], strict=False):
        if item_id is not None and end > start:
            chapters.append(
                Chapter(item_id, titles.get(item_id, str(item_id)), round(start, 3), round(end, 3))
            )
    return chapters


def session_pieces(
    session: Session, recordings: list[VideoRecording], folder: Path, chairs: set[str] = frozenset()
) -> list[Piece]:
    """The recorded files that overlap the session, with their offsets. When a chair's studio (`chairs`:
    "studio-<account id>") published video, the studio's picture is the chair's: another studio camera
    (the secretariat's) is heard, not shown."""
    pieces = []
    for row in recordings:
        path = folder / row.file_name
        if row.started_at is None or not path.is_file() or row.kind not in ("audio", "video"):
            continue
        offset = (row.started_at - session.started_at).total_seconds()
        if offset < session.duration:
            pieces.append(Piece(path, row.kind, row.publisher, offset))
    if any(piece.kind == "video" and piece.publisher in chairs for piece in pieces):
        pieces = [
            p for p in pieces if not (p.kind == "video" and _is_studio(p) and p.publisher not in chairs)
        ]
    return pieces


def chair_studios(meeting: Meeting, recordings: list[VideoRecording]) -> set[str]:
    """The studio publishers that are the meeting's chair: its chair account, or chair accounts."""
    from meetcore.auth.models import User

    ids = {
        int(row.publisher.removeprefix("studio-"))
        for row in recordings
        if (row.publisher or "").startswith("studio-") and row.publisher.removeprefix("studio-").isdigit()
    }
    chairs = set(db.session.scalars(sa.select(User.id).where(User.id.in_(ids), User.role == "chair")))
    if meeting.chair_user_id in ids:
        chairs = {meeting.chair_user_id}
    return {f"studio-{user_id}" for user_id in chairs}


def _is_studio(piece: Piece) -> bool:
    return bool(piece.publisher and piece.publisher.startswith("studio-"))


def _is_share(piece: Piece) -> bool:
    return bool(piece.publisher and piece.publisher.startswith("share-"))


# --- the ffmpeg command -------------------------------------------------------------------------------------


def _between(turns: list[Turn]) -> str:
    return "+".join(f"between(t,{turn.start:.3f},{turn.end:.3f})" for turn in turns) or "0"


def _speaks(piece: Piece, turn: Turn) -> bool:
    return piece.publisher in (f"seat-{turn.seat_id}", f"site-{turn.province_id}")


def _fit(width: int, height: int) -> str:
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1"
    )


def _video_filters(session: Session, pieces: list[tuple[int, Piece]], layout: Layout) -> list[str]:
    """Overlays on the black canvas [0:v], bottom to top: the studio large outside turns, each floor
    speaker large during their own turns, each shared screen large while it plays (with the studio small in
    its corner), the studio small during turns. Ends in [v].

    A piece is shown from its first frame to its last (overlay's eof_action=pass): a shared screen needs
    no times of its own, its recording lasts as long as it was shared."""
    small = (layout.width // INSET // 2 * 2, layout.height // INSET // 2 * 2)
    corner = f"W-w-{MARGIN}:H-h-{MARGIN}"
    any_turn = _between(session.turns)
    studios = [index for index, piece in pieces if _is_studio(piece)]
    shares = [index for index, piece in pieces if _is_share(piece)]
    filters: list[str] = []
    layers: list[tuple[str, str, str]] = []  # (stream, position, enable), bottom first
    share_layers: list[tuple[str, str, str]] = []
    small_layers: list[tuple[str, str, str]] = []
    for index, piece in pieces:
        start = f"setpts=PTS-STARTPTS+{max(piece.offset, 0):.3f}/TB"
        if _is_studio(piece):
            copies = "".join(f"[x{index}_{share}]" for share in shares)
            filters.append(f"[{index}:v]{start},split={2 + len(shares)}[l{index}][s{index}]{copies}")
            filters.append(f"[l{index}]{_fit(layout.width, layout.height)}[L{index}]")
            filters.append(f"[s{index}]{_fit(*small)}[S{index}]")
            filters += [f"[x{index}_{share}]{_fit(*small)}[X{index}_{share}]" for share in shares]
            layers.append((f"L{index}", "0:0", f"not({any_turn})"))
            small_layers.append((f"S{index}", corner, any_turn))
            continue
        if _is_share(piece):
            filters.append(f"[{index}:v]{start},{_fit(layout.width, layout.height)}[H{index}]")
            shown = f"H{index}"
            for studio in studios:  # the studio small on the screen itself: both end when the screen does
                filters.append(f"[{shown}][X{studio}_{index}]overlay={corner}:eof_action=pass[H{index}_{studio}]")
                shown = f"H{index}_{studio}"
            share_layers.append((shown, "0:0", "1"))
            continue
        turns = [turn for turn in session.turns if _speaks(piece, turn)]
        if turns:
            filters.append(f"[{index}:v]{start},{_fit(layout.width, layout.height)}[L{index}]")
            layers.append((f"L{index}", "0:0", _between(turns)))
    last = "0:v"
    for step, (stream, position, enable) in enumerate(layers + share_layers + small_layers):
        filters.append(f"[{last}][{stream}]overlay={position}:eof_action=pass:enable='{enable}'[c{step}]")
        last = f"c{step}"
    filters.append(f"[{last}]null[v]")
    return filters


def _audio_filters(pieces: list[tuple[int, Piece]]) -> list[str]:
    """Every audio piece at its offset, mixed over the silence [1:a] that lasts the whole session. Ends in
    [a]."""
    filters, labels = [], ["1:a"]
    for index, piece in pieces:
        delay = round(max(piece.offset, 0) * 1000)
        filters.append(f"[{index}:a]aresample=48000,adelay={delay}:all=1[a{index}]")
        labels.append(f"a{index}")
    mix = "".join(f"[{label}]" for label in labels)
    filters.append(f"{mix}amix=inputs={len(labels)}:normalize=0:duration=first:dropout_transition=0[a]")
    return filters


def chapters_metadata(chapters: list[Chapter]) -> str:
    """ffmpeg's FFMETADATA1 text: the chapters the file carries (players list them as its chapters)."""

    def escaped(text: str) -> str:
        for special in ("\\", "=", ";", "#", "\n"):
            text = text.replace(special, "\\" + special)
        return text

    lines = [";FFMETADATA1"]
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(chapter.start * 1000)}",
            f"END={round(chapter.end * 1000)}",
            f"title={escaped(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def compose_command(
    session: Session, pieces: list[Piece], layout: Layout, metadata: Path, target: Path, encoder: list[str]
) -> list[str]:
    """One ffmpeg run: inputs 0 (black) and 1 (silence) last the session; then the pieces (one that began
    before the session is cut at its start with -ss); then the chapters. Progress goes to stdout."""
    duration = f"{session.duration:.3f}"
    command = [
        "ffmpeg",
        "-nostdin",
        "-y",
        "-v",
        "error",
        "-progress",
        "pipe:1",
        "-f",
        "lavfi",
        "-i",
        f"color=black:s={layout.width}x{layout.height}:r={layout.fps}:d={duration}",
        "-f",
        "lavfi",
        "-t",
        duration,
        "-i",
        "anullsrc=r=48000:cl=stereo",
    ]
    numbered = []
    for index, piece in enumerate(pieces, start=2):
        if piece.offset < 0:
            command += ["-ss", f"{-piece.offset:.3f}"]
        command += ["-i", str(piece.path)]
        numbered.append((index, piece))
    chapters_input = len(pieces) + 2
    command += ["-f", "ffmetadata", "-i", str(metadata)]
    video = [(index, piece) for index, piece in numbered if piece.kind == "video"]
    audio = [(index, piece) for index, piece in numbered if piece.kind == "audio"]
    graph = _video_filters(session, video, layout) + _audio_filters(audio)
    return command + [
        "-filter_complex",
        ";".join(graph),
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-map_metadata",
        str(chapters_input),
        "-map_chapters",
        str(chapters_input),
        "-t",
        duration,
        *encoder,
        "-f",
        "webm",
        str(target),
    ]
