"""Fixtures of the video tests: two real Janus processes (generated configurations in a temporary
directory, HTTP API on free loopback ports), the app configured to use them, and meetings with seats."""

from __future__ import annotations

import pytest

from meetcore.video.janus_process import JanusConfig, JanusProcess, janus_binary, janus_lib_dir
from tests.factories import live, schedule_soon, seat_socket, staff_socket  # noqa: F401  (fixtures)

TOKEN_SECRET = "video-test-token-secret"
ADMIN_KEY = "video-test-admin-key"
PROVINCES = ["TH-50", "TH-90"]  # Chiang Mai, Songkhla
ROLES = ["social_development", "labour"]


def require_janus() -> None:
    if janus_binary() is None or janus_lib_dir() is None:
        pytest.skip("Janus is not installed (Debian package `janus`)")


@pytest.fixture(scope="session")
def janus_pair(tmp_path_factory):
    """Two Janus servers: A and B."""
    require_janus()
    started = []
    try:
        for name in ("a", "b"):
            config = JanusConfig(
                tmp_path_factory.mktemp(f"janus-{name}"),
                token_secret=TOKEN_SECRET,
                admin_key=ADMIN_KEY,
                admin_secret="video-test-admin-secret",
            )
            started.append(JanusProcess(config).start())
        yield started
    finally:
        for process in started:
            process.stop()


@pytest.fixture()
def video_app(app_ctx, janus_pair, tmp_path):
    """The app pointed at Janus A only (video_app.config changes are undone afterwards)."""
    values = {
        "MEETCORE_JANUS_URLS": janus_pair[0].config.http_url,
        "MEETCORE_JANUS_PUBLIC_URL": "/janus-ws",
        "MEETCORE_JANUS_TOKEN_SECRET": TOKEN_SECRET,
        "MEETCORE_JANUS_ADMIN_KEY": ADMIN_KEY,
        "MEETCORE_VIDEO_RECORD": 0,
        "MEETCORE_VIDEO_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "MEETCORE_VIDEO_TOKEN_TTL": 600,
    }
    saved = {key: app_ctx.config.get(key) for key in values}
    app_ctx.config.update(values)
    yield app_ctx
    app_ctx.config.update(saved)


def schedule(users, title: str, number: int):
    from meetcore.seats.services import add_seats

    meeting = schedule_soon(users, series_name="คณะทำงานทดสอบวิดีโอ", title=title, number=number,
                            venue="ห้องประชุม 5", hours=2)  # fmt: skip
    add_seats(meeting, {"provinces": PROVINCES, "roles": ROLES}, by=users["secretariat"])
    return meeting


@pytest.fixture()
def scheduled(video_app, reference, users):
    return schedule(users, "การประชุมทดสอบวิดีโอ", 1)


@pytest.fixture()
def live_meeting(scheduled, users):
    from meetcore.meetings.services import start_meeting

    return start_meeting(scheduled, by=users["secretariat"])


def tick_at_the_hall(meeting, seat) -> None:
    """The provincial hall's roll call has `seat` in the room."""
    from meetcore.actors import SYSTEM_CLI
    from meetcore.attendance.services import Connection
    from meetcore.attendance.sites import apply_roll_call, issue_site_link, site_actor_from_token

    token = issue_site_link(meeting, {"province_code": seat.province.code}, by=SYSTEM_CLI).token
    apply_roll_call(meeting, {"present": [seat.id]}, by=site_actor_from_token(token), via=Connection(None))
