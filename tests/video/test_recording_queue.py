"""The recording worker's queue (issue 16, item 6): one build per meeting, claimed by one worker at a time
under a lease that its progress reports renew; a worker whose lease ran out is taken over, and the one that
lost it can no longer write. The composition itself: tests/video/test_recording_build.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetcore.database import utcnow
from meetcore.extensions import db
from meetcore.transaction import commit
from meetcore.video import recording_worker
from meetcore.video.models import RecordingBuild
from tests.clock import NOW
from tests.conftest import sign_in


@pytest.fixture()
def queued(meeting):
    build = recording_worker.queue_build(meeting)
    commit()
    return build


def _build(meeting) -> RecordingBuild:
    db.session.expire_all()
    return db.session.scalar(sa.select(RecordingBuild).where(RecordingBuild.meeting_id == meeting.id))


def test_queueing_twice_keeps_one_build(meeting, queued):
    assert recording_worker.queue_build(meeting).id == queued.id
    commit()
    assert db.session.scalar(sa.select(sa.func.count(RecordingBuild.id))) == 1


def test_one_worker_claims_a_build_and_a_second_finds_nothing(meeting, queued):
    assert recording_worker.claim_next("worker-a") == queued.id
    assert recording_worker.claim_next("worker-b") is None
    build = _build(meeting)
    assert (build.state, build.claimed_by, build.attempts) == ("processing", "worker-a", 1)


def test_a_silent_worker_is_taken_over_and_can_no_longer_write(meeting, queued, app_ctx):
    assert recording_worker.claim_next("worker-a") == queued.id
    assert recording_worker._report(queued.id, "worker-a", progress=30, claimed_at=NOW)
    lease = app_ctx.config["MEETCORE_VIDEO_RECORDING_LEASE_SECONDS"]
    db.session.execute(sa.update(RecordingBuild).values(claimed_at=NOW - timedelta(seconds=lease + 1)))
    commit()
    assert recording_worker.claim_next("worker-b") == queued.id  # worker-a died (or stalled)
    assert not recording_worker._report(queued.id, "worker-a", progress=60, claimed_at=NOW)
    build = _build(meeting)
    assert (build.claimed_by, build.progress, build.attempts) == ("worker-b", 0, 2)


def test_a_renewed_lease_is_not_taken_over(meeting, queued, app_ctx):
    recording_worker.claim_next("worker-a")
    lease = app_ctx.config["MEETCORE_VIDEO_RECORDING_LEASE_SECONDS"]
    renewed = utcnow() - timedelta(seconds=lease / 2)  # by the worker's last progress report
    db.session.execute(sa.update(RecordingBuild).values(claimed_at=renewed))
    commit()
    assert recording_worker.claim_next("worker-b") is None


def test_a_meeting_that_was_not_recorded_fails_with_the_reason(meeting, queued, app_ctx):
    assert recording_worker.run_once(app_ctx) == 1
    build = _build(meeting)
    assert build.state == "failed" and "not recorded" in build.error and build.claimed_by is None
    assert recording_worker.run_once(app_ctx) == 0  # a failed build waits for `compose --again`


def test_the_chair_follows_the_progress_and_a_participant_account_is_refused(
    meeting, queued, users, client, app_ctx
):
    sign_in(client, users["chair"])
    client.get("/lang/en")
    page = client.get(f"/meetings/{meeting.id}/recording")
    assert page.status_code == 200 and "The recording is being prepared" in page.get_data(as_text=True)
    assert client.get(f"/meetings/{meeting.id}/recording/status").get_json() == {
        "state": "queued",
        "progress": 0,
    }
    assert client.get(f"/meetings/{meeting.id}/recording.webm").status_code == 404  # not ready
    participant = app_ctx.test_client()
    sign_in(participant, users["participant"])
    assert participant.get(f"/meetings/{meeting.id}/recording").status_code == 403
    assert participant.get(f"/meetings/{meeting.id}/recording/status").status_code == 403


def test_seats_cannot_be_allowed_before_there_is_a_recording(meeting, users, client):
    sign_in(client, users["secretariat"])
    client.get("/lang/en")
    answer = client.post(f"/meetings/{meeting.id}/recording/seats", data={"allowed": "1"})
    assert answer.status_code == 409 and "no recording yet" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RecordingBuild.id))) == 0


def test_compose_refuses_a_meeting_that_does_not_exist(app_ctx):
    result = app_ctx.test_cli_runner().invoke(args=["video", "compose", "--meeting", "999999"])
    assert result.exit_code != 0 and "meeting 999999 does not exist" in result.output


def test_ending_a_recorded_meeting_queues_its_recording(
    live_meeting, users, video_app, tmp_path, monkeypatch
):
    """The room closes at Janus after the end commits; beside the request its pieces are made playable and
    its build queued, left to the recording worker when the app process does not compose."""
    import time

    from meetcore.meetings.services import end_meeting
    from meetcore.video.services import room_of

    monkeypatch.setitem(video_app.config, "MEETCORE_VIDEO_RECORDING_IN_APP", 0)
    room = room_of(live_meeting)
    room.record, room.rec_dir = True, str(tmp_path)
    commit()
    end_meeting(live_meeting, by=users["secretariat"])
    commit()
    deadline = time.monotonic() + 30
    while (build := _build(live_meeting)) is None and time.monotonic() < deadline:
        commit()  # a fresh read each time
        time.sleep(0.2)
    assert build is not None and (build.state, build.progress) == ("queued", 0)
    assert room_of(live_meeting).recordings_processed_at is not None


def test_the_studio_picture_is_the_chairs_and_every_voice_is_heard(meeting, users, tmp_path):
    """Two studio cameras (the chair's and the secretariat's): the picture is the chair's; both are mixed."""
    from meetcore.video.composition import (
        Layout,
        Session,
        chair_studios,
        compose_command,
        session_pieces,
    )
    from meetcore.video.models import VideoRecording

    start = NOW.replace(microsecond=0)
    session = Session(start, start + timedelta(minutes=3))
    rows = []
    for user in (users["secretariat"], users["chair"]):
        for kind, suffix in (("video", "webm"), ("audio", "opus")):
            name = f"studio-{user.id}-{kind}.{suffix}"
            (tmp_path / name).write_bytes(b"piece")
            rows.append(VideoRecording(meeting_id=meeting.id, file_name=name, kind=kind,
                                       publisher=f"studio-{user.id}", started_at=start))  # fmt: skip
    chairs = chair_studios(meeting, rows)
    assert chairs == {f"studio-{users['chair'].id}"}
    pieces = session_pieces(session, rows, tmp_path, chairs)
    shown = [(p.kind, p.publisher) for p in pieces]
    assert ("video", f"studio-{users['secretariat'].id}") not in shown
    assert ("audio", f"studio-{users['secretariat'].id}") in shown and len(pieces) == 3
    command = compose_command(session, pieces, Layout(160, 120, 10), tmp_path / "m", tmp_path / "o", [])
    graph = command[command.index("-filter_complex") + 1]
    assert "amix=inputs=3" in graph  # the silence and both studios' audio
    assert graph.count("overlay=") == 2  # the chair large outside turns, small during them
