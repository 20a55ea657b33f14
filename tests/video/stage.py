"""The stage of the video browser tests (test_browser.py, test_browser_share.py): a network namespace with a
veth pair, Janus with its ICE bound to it, the app on SQLite, a meeting in session and three headless
Chromium pages with a fake camera and microphone: the chair's (signed in), province A's and province B's
(each through a personal link and the identity check).

Janus ignores loopback when gathering ICE candidates, so each test re-runs itself under `unshare --net`
(root) with a veth pair (10.200.0.1 <-> 10.200.0.2). Inside the namespace there is no PostgreSQL: a
scenario runs on SQLite, once (the PostgreSQL pass skips it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from meetcore.video.janus_process import JanusConfig, JanusProcess, janus_binary, janus_lib_dir
from tests.live.browsers import CHROMIUM, CHROMIUM_ARGS, confirm_identity, prepare_reference, sign_in
from tests.live.browsers import wait_until as _wait_until
from tests.live.servers import LiveClient, ServerProcess

IN_NAMESPACE = "MEETCORE_VIDEO_E2E_NETNS"
VETH = ("mcv0", "mcv1")
ADDRESSES = ("10.200.0.1", "10.200.0.2")
FRAMES = 60
TOKEN_SECRET = "e2e-token-secret"
ADMIN_KEY = "e2e-admin-key"
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # plain host candidates Janus can use
    "--autoplay-policy=no-user-gesture-required",
]

# On a loaded machine (issue 12: a load of 4 on 2 cores) a scenario is slow, not stuck. Decoding waits
# fail when decoding stops making progress (no new frame for STALL seconds), not after a budget tuned on a
# quiet machine; a state with no such measure of progress gets a generous ceiling.
STALL = 45
CEILING = 240


def wait_until(predicate, timeout: float = CEILING, message: str = "condition"):
    return _wait_until(predicate, timeout=timeout, interval=0.25, message=message)


def video(page, expression: str):
    return page.evaluate(f"() => {{ const v = window.meetcoreVideo; return v ? ({expression}) : null; }}")


def video_stats(page) -> dict:
    return page.evaluate("async () => window.meetcoreVideo ? await window.meetcoreVideo.videoStats() : {}")


def frames(page) -> dict:
    return page.evaluate("async () => window.meetcoreVideo ? await window.meetcoreVideo.framesDecoded() : {}")


def wait_for_frames(page, feed, message: str) -> None:
    """FRAMES frames of one feed decoded; fails only when no new frame came for STALL seconds."""
    best, progressed_at = -1, time.monotonic()
    while True:
        decoded = frames(page)
        count = decoded.get(str(feed), 0)
        if count >= FRAMES:
            return
        if count > best:
            best, progressed_at = count, time.monotonic()
        elif time.monotonic() - progressed_at > STALL:
            raise AssertionError(f"{message}: no new frame for {STALL} s at {count}; by feed: {decoded}")
        time.sleep(0.25)


def strings(page) -> dict:
    return page.evaluate("() => JSON.parse(document.querySelector('[data-video-panel]').dataset.strings)")


def message(page) -> str:
    return page.evaluate(
        "() => { const m = document.querySelector('.video-message');"
        " return m && !m.hidden ? m.textContent : ''; }"
    )


# --- the namespace -----------------------------------------------------------------------------------------


def why_not() -> str | None:
    """Why a scenario cannot run here (None: it can)."""
    if os.environ.get("MEETCORE_TEST_DATABASE_URL") and not os.environ.get(IN_NAMESPACE):
        return "runs once, on the SQLite pass (the namespace has no PostgreSQL; the scenario is the same)"
    if janus_binary() is None or janus_lib_dir() is None:
        return "Janus is not installed (Debian package `janus`)"
    if os.geteuid() != 0:
        return "needs root for a network namespace (unshare --net)"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare (util-linux) and ip (iproute2)"
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM}"
    return None


def in_namespace(test_file: str, test_name: str, scenario, tmp_path) -> None:
    """Run ``scenario(tmp_path)`` inside the network namespace: directly when this process is in it, else
    by running the test ``test_name`` of ``test_file`` again under `unshare --net`, whose result is ours."""
    reason = why_not()
    if reason:
        pytest.skip(reason)
    if os.environ.get(IN_NAMESPACE):
        scenario(tmp_path)
        return
    env = {
        k: v for k, v in os.environ.items() if k not in ("MEETCORE_TEST_DATABASE_URL", "PYTEST_XDIST_WORKER")
    }
    env[IN_NAMESPACE] = "1"
    result = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:xdist", "-s",
         f"{Path(test_file).resolve()}::{test_name}"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    print(result.stdout[-3000:])  # the figures the scenario printed
    # What failed comes first (the long report ends with the server's and Janus's logs), then the tail.
    failed = [line for line in result.stdout.splitlines() if line.startswith("E ")]
    assert result.returncode == 0 and " passed" in result.stdout, (
        "\n".join(failed[:6]) + "\n...\n" + result.stdout[-6000:] + result.stderr[-3000:]
    )


def _network() -> None:
    """Inside the namespace: loopback up, and a veth pair whose two ends carry the media."""
    a, b = VETH
    for command in (
        ["ip", "link", "set", "lo", "up"],
        ["ip", "link", "add", a, "type", "veth", "peer", "name", b],
        ["ip", "addr", "add", f"{ADDRESSES[0]}/24", "dev", a],
        ["ip", "addr", "add", f"{ADDRESSES[1]}/24", "dev", b],
        ["ip", "link", "set", a, "up"],
        ["ip", "link", "set", b, "up"],
    ):
        subprocess.run(command, check=True)


def tone_wav(path: Path, seconds: float = 2.0, rate: int = 48_000) -> Path:
    """A WAV of a steady 440 Hz tone at half scale: Chromium's fake microphone plays it in a loop
    (--use-file-for-fake-audio-capture), a speaker who never pauses, where its own beeps come and go."""
    import math
    import struct
    import wave

    samples = b"".join(struct.pack("<h", int(16_000 * math.sin(2 * math.pi * 440 * n / rate)))
                       for n in range(int(seconds * rate)))  # fmt: skip
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)
    return path


class chromium_with_media:
    """tests.live.browsers.chromium, with a fake camera and microphone (`args`: more of Chromium's flags)."""

    def __init__(self, args: list[str] | None = None):
        self.args = list(args or [])

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEDIA_ARGS + self.args
        )
        return self.browser

    def __exit__(self, *exc):
        self.browser.close()
        self._playwright.stop()


# --- the stage ---------------------------------------------------------------------------------------------


@dataclass
class Stage:
    pages: dict  # "chair", "a", "b": Playwright pages
    staff: LiveClient  # the secretariat's console over an API token
    data: object  # tests.live.browsers.ReferenceData
    server: ServerProcess
    config: JanusConfig
    database_url: str
    errors: list[str] = field(default_factory=list)  # uncaught page errors, "name: error"
    console: list[str] = field(default_factory=list)  # console lines, "name: text"


@contextmanager
def video_stage(tmp_path, name: str, *, rtp_ports: str, env: dict, page_options: dict | None = None,
                shown_on_failure: str = "{status: v.status, feeds: v.feeds}",
                browser_args: list[str] | None = None):  # fmt: skip
    """The stage, inside the namespace: ``env`` is the app's video settings beyond Janus's, ``page_options``
    a page's browser-context options by name, ``shown_on_failure`` what of each page's video state a failed
    assertion reports, ``browser_args`` more of Chromium's flags. The meeting is started; no page error may
    have happened by the end."""
    _network()
    config = JanusConfig(tmp_path / "janus", token_secret=TOKEN_SECRET, admin_key=ADMIN_KEY,
                         admin_secret="e2e-admin-secret", ice_interface=VETH[0],
                         rtp_port_range=rtp_ports)  # fmt: skip
    janus = JanusProcess(config).start()
    database_url = f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    data = prepare_reference(database_url)
    server = ServerProcess(database_url, tmp_path, name=f"video-{name}")
    server.base_url = f"http://localhost:{server.port}"  # a secure context: getUserMedia works
    server.env.update(
        MEETCORE_JANUS_URLS=config.http_url,
        MEETCORE_JANUS_PUBLIC_URL=config.http_url,
        MEETCORE_JANUS_TOKEN_SECRET=TOKEN_SECRET,
        MEETCORE_JANUS_ADMIN_KEY=ADMIN_KEY,
        MEETCORE_VIDEO_FLOOR_CHECK_SECONDS="2",
        **env,
    )
    server.start()
    staff = None
    try:
        staff = LiveClient(server, {"api_token": data.api_token})
        assert staff.call("meeting.start", {"meeting_id": data.meeting_id})["ok"]
        with chromium_with_media(browser_args) as browser:
            stage = Stage({}, staff, data, server, config, database_url)
            for page_name in ("chair", "a", "b"):
                options = (page_options or {}).get(page_name, {})
                page = browser.new_context(**{"locale": "en-GB", **options}).new_page()
                page.set_default_timeout(60_000)
                page.on("pageerror", lambda error, n=page_name: stage.errors.append(f"{n}: {error}"))
                page.on("console", lambda line, n=page_name: stage.console.append(f"{n}: {line.text}"))
                stage.pages[page_name] = page
            sign_in(stage.pages["chair"], server.base_url, data.chair)
            stage.pages["chair"].goto(f"{server.base_url}/meetings/{data.meeting_id}/chair")
            confirm_identity(stage.pages["a"], server.base_url, data.seat_links["self"], name="A",
                             position="พมจ.")  # fmt: skip
            confirm_identity(stage.pages["b"], server.base_url, data.seat_links["substitute"], name="B",
                             position="ผู้แทน", substitute=True)  # fmt: skip
            try:
                yield stage
            except Exception as error:  # a failed check or a Playwright timeout: show the pages
                shown = (f"Object.assign({shown_on_failure}, {{message: v.panel.message.textContent,"
                         " publishFailures: v.panel.publishFailures || 0})")
                states = {n: video(page, shown) for n, page in stage.pages.items()}
                raise AssertionError(
                    f"{error}\nvideo: {states}\nurls: {[p.url for p in stage.pages.values()]}\n"
                    f"console: {stage.console[-40:]}\nerrors: {stage.errors}\n"
                    f"server: {server.log_path.read_text()[-3000:]}\njanus: {janus.log_tail(3000)}"
                ) from None
            assert not stage.errors, stage.errors
    finally:
        if staff is not None:
            staff.close()
        server.stop()
        janus.stop()
