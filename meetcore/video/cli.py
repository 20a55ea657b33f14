"""`meetcore video ...`: the demo's local Janus, rooms and their placement, recordings."""

from __future__ import annotations

import atexit
import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from meetcore.commands import run_worker, stop_on_signals

video_cli = AppGroup("video", help="Video through Janus: the demo's local Janus, rooms, recordings.")


@video_cli.command("demo-run")
@click.option("--host", default=None, help="Address MeetCore listens on (default MEETCORE_HOST).")
@click.option("--port", default=None, type=int, help="Port MeetCore listens on (default MEETCORE_PORT).")
@click.pass_context
def demo_run(ctx: click.Context, host: str | None, port: int | None) -> None:
    """`meetcore run` with a local Janus on a generated configuration (instance/janus), when Janus is
    installed and MEETCORE_JANUS_URLS is not set; without Janus the demo runs without video."""
    from meetcore.commands import run_command
    from meetcore.video.janus_process import JanusConfig, JanusProcess, janus_binary, janus_lib_dir

    app = current_app
    if app.config.get("MEETCORE_JANUS_URLS"):
        click.echo(f"video: Janus at {app.config['MEETCORE_JANUS_URLS']} (MEETCORE_JANUS_URLS)", err=True)
    elif janus_binary() is None or janus_lib_dir() is None:
        click.echo(
            "video: Janus is not installed, so this demo runs WITHOUT video and audio. "
            "Install it with `sudo apt-get install janus` and run `make demo` again.",
            err=True,
        )
    else:
        config = JanusConfig(
            os.path.join(app.instance_path, "janus"),
            token_secret=app.config.get("MEETCORE_JANUS_TOKEN_SECRET") or secrets.token_urlsafe(24),
            admin_key=app.config.get("MEETCORE_JANUS_ADMIN_KEY") or secrets.token_urlsafe(24),
            admin_secret=app.config.get("MEETCORE_JANUS_ADMIN_SECRET") or secrets.token_urlsafe(24),
            rtp_port_range=app.config.get("MEETCORE_JANUS_RTP_PORT_RANGE") or "20000-40000",
        )
        janus = JanusProcess(config).start()
        atexit.register(janus.stop)
        app.config.update(
            MEETCORE_JANUS_URLS=config.http_url,
            MEETCORE_JANUS_PUBLIC_URL=config.http_url,
            MEETCORE_JANUS_TOKEN_SECRET=config.token_secret,
            MEETCORE_JANUS_ADMIN_KEY=config.admin_key,
        )
        click.echo(
            f"video: local Janus {config.http_url} (Admin API {config.admin_url}, loopback only; "
            f"media ports {config.rtp_port_range}; log {janus.log_path})",
            err=True,
        )
    ctx.invoke(run_command, host=host, port=port)


@video_cli.command("rooms")
def rooms() -> None:
    """Every meeting's room: its Janus server, room id, whether open; then the open rooms per server."""
    import sqlalchemy as sa

    from meetcore.extensions import db
    from meetcore.video.models import VideoRoom
    from meetcore.video.services import server_loads

    for room in db.session.scalars(sa.select(VideoRoom).order_by(VideoRoom.id)):
        state = "open" if room.is_open else f"closed {room.closed_at:%Y-%m-%d %H:%M}"
        click.echo(f"meeting {room.meeting_id}: room {room.janus_room_id} on {room.server_url} ({state})")
    for url, count in server_loads().items():
        click.echo(f"{url}: {count} open room(s)")


@video_cli.command("recordings")
@click.argument("meeting_id", type=int)
def recordings(meeting_id: int) -> None:
    """Turn a meeting's recordings into playable files again (janus-pp-rec) and list them."""
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.video.models import VideoRecording
    from meetcore.video.recordings import process_recordings

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise click.ClickException(f"meeting {meeting_id} does not exist")
    made = process_recordings(meeting)
    click.echo(f"{len(made)} new file(s)")
    for row in (
        db.session.query(VideoRecording).filter_by(meeting_id=meeting_id).order_by(VideoRecording.started_at)
    ):
        click.echo(
            f"{row.started_at}  {row.publisher or '?'}  {row.kind}  {row.file_name}  {row.size_bytes} B"
        )


@video_cli.command("compose")
@click.option("--loop", is_flag=True, help="Keep running: a round every MEETCORE_VIDEO_RECORDING_INTERVAL s.")
@click.option("--meeting", "meeting_id", type=int, default=None, help="Only this meeting's recording.")
@click.option("--again", is_flag=True, help="With --meeting: build its recording again, even if it is built.")
def compose(loop: bool, meeting_id: int | None, again: bool) -> None:
    """Compose each ended meeting's recording into one file with chapters (the recording worker). A build
    left unfinished by a worker that stopped is taken over once its lease runs out."""
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import unit_of_work
    from meetcore.video.models import RecordingBuild
    from meetcore.video.recording_worker import queue_build, run_forever, run_once

    app = current_app._get_current_object()
    if meeting_id is not None:
        with unit_of_work():
            meeting = db.session.get(Meeting, meeting_id)
            if meeting is None:
                raise click.ClickException(f"meeting {meeting_id} does not exist")
            queue_build(meeting, again=again)
    stop = stop_on_signals()
    if loop:
        run_worker("recording worker", run_forever, stop)
        return
    built = run_once(app, meeting_id=meeting_id, stop=stop)
    stopped = "; asked to stop: the build in progress is back in the queue" if stop.is_set() else ""
    click.echo(f"{built} recording(s) taken up{stopped}")
    for build in db.session.query(RecordingBuild).order_by(RecordingBuild.meeting_id):
        if meeting_id is None or build.meeting_id == meeting_id:
            outcome = build.file_name or build.error or ""
            click.echo(f"meeting {build.meeting_id}: {build.state} {build.progress}% {outcome}".rstrip())
