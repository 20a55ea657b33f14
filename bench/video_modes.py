"""Per-site bandwidth of a participant page in the three ways a province can follow a meeting (issue 16):

1. **video**: the chair's studio and one floor holder (province B) publish; province A's page receives both
   pictures and both sounds;
2. **audio only**: the same, with A's page in audio-only mode (window.meetcoreVideo.setAudioOnly(true)):
   Janus sends it no video;
3. **projector + audio only**: the secretariat shows an agenda PDF and turns a page every few seconds; A's
   page, still audio only, draws each page itself (pdf.js) from the document it fetched once.

Set-up: the stage of the video browser tests (tests/video/stage.py): a network namespace of its own
(`unshare --net`) with a veth pair, a private Janus, `meetcore run` on SQLite with the reference meeting in
session, and headless Chromium (fake camera and microphone) with the chair's page and two province pages. A's
page is reloaded once with the DevTools protocol's Network domain on, so that every websocket frame and HTTP
response it receives is counted.

For each mode, over a window (default 30 s), what A's page receives, in kbit/s:

- media, from the browser's getStats: the RTP payload per kind (inbound-rtp bytesReceived), and the whole
  transport (transport bytesReceived: SRTP with its RTP headers, RTCP, STUN) plus 28 bytes of IPv4 and UDP
  header per packet: what the site's line carries for the media;
- the live connection: the Socket.IO frames' payload (Network.webSocketFrameReceived) and, on the line,
  that plus 56 bytes per frame (websocket header and TCP/IPv4 with timestamps; an upper bound: several frames
  can share a segment);
- Janus's HTTP API (janus.js's long polls and the answers to its requests: signalling, no media), and the
  app's HTTP responses (Network.loadingFinished, bytes as transferred): in the projector mode, the one-time
  fetches when the document is first shown (pdf.js, the PDF; pdf.js's worker is fetched by a worker, out of
  the page's sight, so its size is taken from its response's Content-Length) are reported apart, with how
  long they take on a line of --line-kbits.

It then says whether a site on a --line-kbits (default 256) line follows the slides in audio-only mode: the
projector mode's total on the line within the line's rate, every page turn drawn on A's page, and how long
the first show's one-time fetch takes on that line (idle, and beside the audio-only mode's own traffic).

    sudo .venv/bin/python bench/video_modes.py                    # 30 s per mode, a page every 5 s
    sudo .venv/bin/python bench/video_modes.py --window 60 --turn-every 3 --json modes.json

Needs root (a network namespace), Janus, Chromium and ip, like the video browser tests; it stops by itself and
leaves nothing behind. See docs/performance.md ("Per-site bandwidth by mode").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live.browsers import sign_in  # noqa: E402
from tests.video.stage import IN_NAMESPACE, video, video_stage, wait_for_frames, wait_until, why_not  # noqa: E402
from tests.video.test_browser_projector import pdf_with_pages  # noqa: E402

IP_UDP_HEADER = 28  # IPv4 20 + UDP 8 bytes per media packet
WS_TCP_HEADER = 56  # websocket frame header (<= 4 bytes from the server) + TCP/IPv4 with timestamps (52)
RTP_PORTS = "31000-31200"

# The page's peer connections, summed: RTP payload per kind, and the transports' bytes and packets.
MEDIA_COUNTERS = """async () => {
  const panel = window.meetcoreVideo.panel;
  const out = {audio: 0, video: 0, transport: 0, packets: 0, sent: 0};
  const handles = [panel.subscriber, panel.publisher].filter((h) => h && h.webrtcStuff && h.webrtcStuff.pc);
  for (const handle of handles) {
    const stats = await handle.webrtcStuff.pc.getStats();
    let pairPackets = 0;
    let transportPackets = null;
    stats.forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind in out) out[report.kind] += report.bytesReceived || 0;
      else if (report.type === 'transport') {
        out.transport += report.bytesReceived || 0;
        out.sent += report.bytesSent || 0;
        if (report.packetsReceived !== undefined) {
          transportPackets = (transportPackets || 0) + report.packetsReceived;
        }
      } else if (report.type === 'candidate-pair' && report.nominated) {
        pairPackets += report.packetsReceived || 0;
      }
    });
    out.packets += transportPackets === null ? pairPackets : transportPackets;
  }
  return out;
}"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load() -> float:
    return os.getloadavg()[0]


@dataclass
class Traffic:
    """What the DevTools protocol reports of one page: websocket frames received, HTTP responses."""

    janus_url: str  # Janus's HTTP API: janus.js's requests and long polls (signalling, not media)
    frames: int = 0
    frame_bytes: int = 0
    http: dict[str, int] = field(default_factory=dict)  # the app's url -> bytes as transferred
    janus_bytes: int = 0
    janus_responses: int = 0
    urls: dict[str, str] = field(default_factory=dict)  # request id -> url

    def attach(self, page) -> None:
        session = page.context.new_cdp_session(page)
        session.on("Network.webSocketFrameReceived", self.frame)
        session.on(
            "Network.responseReceived", lambda e: self.urls.__setitem__(e["requestId"], e["response"]["url"])
        )
        session.on("Network.loadingFinished", self.finished)
        session.send("Network.enable")

    def frame(self, event: dict) -> None:
        response = event["response"]
        self.frames += 1
        data = response.get("payloadData", "")
        self.frame_bytes += len(data) * 3 // 4 if response.get("opcode") == 2 else len(data.encode())

    def finished(self, event: dict) -> None:
        url = self.urls.get(event["requestId"], event["requestId"])
        size = int(event.get("encodedDataLength", 0))
        if url.startswith(self.janus_url):
            self.janus_bytes += size
            self.janus_responses += 1
        else:
            self.http[url] = self.http.get(url, 0) + size

    def totals(self) -> dict:
        return {"frames": self.frames, "frame_bytes": self.frame_bytes, "http_bytes": sum(self.http.values()),
                "janus_bytes": self.janus_bytes, "janus_responses": self.janus_responses}  # fmt: skip


def media(page) -> dict:
    return page.evaluate(MEDIA_COUNTERS)


def kbits(count: float, seconds: float) -> float:
    return count * 8 / seconds / 1000


def measure(page, traffic: Traffic, seconds: float, every=None) -> dict:
    """The page's inbound traffic over `seconds`; `every()` runs about four times a second (page turns)."""
    load_before = load()
    media_before, traffic_before = media(page), traffic.totals()
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if every is not None:
            every()
        page.wait_for_timeout(250)  # lets Playwright deliver the DevTools events meanwhile
    media_after, traffic_after = media(page), traffic.totals()
    wall = time.monotonic() - started
    got = {key: media_after[key] - media_before[key] for key in media_after}
    sent = {key: traffic_after[key] - traffic_before[key] for key in traffic_after}
    rates = {
        "seconds": wall,
        "video_rtp_kbit_s": kbits(got["video"], wall),
        "audio_rtp_kbit_s": kbits(got["audio"], wall),
        "media_line_kbit_s": kbits(got["transport"] + IP_UDP_HEADER * got["packets"], wall),
        "media_packets_s": got["packets"] / wall,
        "page_sends_media_kbit_s": kbits(got["sent"], wall),
        "socket_frames_s": sent["frames"] / wall,
        "socket_payload_kbit_s": kbits(sent["frame_bytes"], wall),
        "socket_line_kbit_s": kbits(sent["frame_bytes"] + WS_TCP_HEADER * sent["frames"], wall),
        "http_kbit_s": kbits(sent["http_bytes"], wall),
        "janus_http_kbit_s": kbits(sent["janus_bytes"], wall),
        "janus_responses_s": sent["janus_responses"] / wall,
        "load_average": [load_before, load()],
    }
    rates["total_line_kbit_s"] = sum(
        rates[key] for key in ("media_line_kbit_s", "socket_line_kbit_s", "http_kbit_s", "janus_http_kbit_s")
    )
    return rates


def show(name: str, rates: dict) -> None:
    log(
        f"  {name}: total on the line {rates['total_line_kbit_s']:.1f} kbit/s = media "
        f"{rates['media_line_kbit_s']:.1f} (video RTP {rates['video_rtp_kbit_s']:.1f}, audio RTP "
        f"{rates['audio_rtp_kbit_s']:.1f}, {rates['media_packets_s']:.0f} packets/s) + live socket "
        f"{rates['socket_line_kbit_s']:.2f} (payload {rates['socket_payload_kbit_s']:.2f}, "
        f"{rates['socket_frames_s']:.2f} frames/s) + Janus's HTTP API {rates['janus_http_kbit_s']:.2f} "
        f"({rates['janus_responses_s']:.1f} responses/s) + the app's HTTP {rates['http_kbit_s']:.2f}; "
        f"the page sent {rates['page_sends_media_kbit_s']:.1f} kbit/s of RTCP; load average "
        f"{rates['load_average'][0]:.1f} -> {rates['load_average'][1]:.1f}"
    )


# --- the projector -----------------------------------------------------------------------------------------


def upload_slides(browser, base_url: str, database_url: str, data, pages: int) -> int:
    """The secretariat files a PDF of `pages` pages under the first agenda item (the console's form, as the
    projector's browser test does); returns the document's id."""
    console = browser.new_context(locale="th-TH").new_page()
    sign_in(console, base_url, data.secretariat[0])
    console.goto(f"{base_url}/meetings/{data.meeting_id}/agenda/items/{data.items[0]}/edit")
    upload = {"name": "นโยบายเร่งด่วน.pdf", "mimeType": "application/pdf", "buffer": pdf_with_pages(pages)}
    console.set_input_files("#document-file", files=[upload])
    console.locator("#document-file").evaluate("input => input.form.requestSubmit()")
    console.wait_for_url("**#documents")
    console.context.close()
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:  # the newest document: the one just filed
        document_id = connection.scalar(sa.text("SELECT max(id) FROM agenda_documents"))
    engine.dispose()
    return int(document_id)


def projector(page, expression: str):
    return page.evaluate(f"() => {{ const p = window.meetcoreProjector; return p ? ({expression}) : null; }}")


class Presenter:
    """The secretariat turning a page every `every` seconds (over its live connection)."""

    def __init__(self, staff, meeting_id: int, pages: int, every: float):
        self.staff, self.meeting_id, self.pages, self.every = staff, meeting_id, pages, every
        self.page, self.turns, self.due = 1, 0, time.monotonic() + every

    def __call__(self) -> None:
        if time.monotonic() < self.due:
            return
        self.page = self.page % self.pages + 1
        answer = self.staff.call("projector.turn", {"meeting_id": self.meeting_id, "page": self.page})
        if not answer.get("ok"):
            raise RuntimeError(f"projector.turn refused: {answer}")
        self.turns += 1
        self.due += self.every


# pdf.js's worker script, fetched by the worker (out of the page's DevTools session): its size as served.
WORKER_SIZE = """async () => {
  const response = await fetch(window.pdfjsLib.GlobalWorkerOptions.workerSrc, {method: 'HEAD'});
  return Number(response.headers.get('content-length') || 0);
}"""


def first_show(stage, a, traffic: Traffic, document_id: int, pages: int) -> dict:
    """Show the document and wait until A's page drew page 1: the one-time fetches that took."""
    before = dict(traffic.http)
    values = {"meeting_id": stage.data.meeting_id, "document_id": document_id, "page": 1, "pages": pages}
    answer = stage.staff.call("projector.show", values)
    if not answer.get("ok"):
        raise RuntimeError(f"projector.show refused: {answer}")
    wait_until(lambda: projector(a, "p.shownPage") == 1, message="page 1 drawn on A's page")
    a.wait_for_timeout(1000)  # the last DevTools events of the fetches
    fetched = {
        url: size - before.get(url, 0) for url, size in traffic.http.items() if size > before.get(url, 0)
    }
    worker = a.evaluate(WORKER_SIZE)
    return {"fetched": fetched, "worker_bytes": worker}


# --- the run -----------------------------------------------------------------------------------------------


def modes(stage, args) -> dict:
    pages, staff, data = stage.pages, stage.staff, stage.data
    chair, a, b = pages["chair"], pages["a"], pages["b"]
    assert staff.call("join", {"meeting_id": data.meeting_id})["ok"]
    traffic = Traffic(stage.config.http_url)
    traffic.attach(a)
    a.reload()  # the live connection and the video session again, now with the DevTools protocol watching
    wait_until(lambda: video(chair, "v.publishing"), message="the studio publishing")
    studio = video(chair, "v.config.publisher_id")
    assert staff.call("floor.grant", {"meeting_id": data.meeting_id, "seat_id": data.seats["substitute"]})[
        "ok"
    ]
    wait_until(lambda: video(b, "v.publishing"), message="province B (the floor) publishing")
    speaker = video(b, "v.config.publisher_id")
    wait_for_frames(a, studio, "A decoding the studio")
    wait_for_frames(a, speaker, "A decoding the floor holder")
    a.wait_for_timeout(args.settle * 1000)
    results: dict = {"window_s": args.window, "turn_every_s": args.turn_every, "line_kbit_s": args.line_kbits}

    log(f"video: A receives the studio and the floor holder ({args.window:.0f} s)")
    results["video"] = measure(a, traffic, args.window)
    show("video", results["video"])

    a.evaluate("() => window.meetcoreVideo.setAudioOnly(true)")
    wait_until(lambda: video(a, "v.audioOnly"), message="audio-only mode")
    a.wait_for_timeout(args.settle * 1000)  # what Janus sent before the configure took effect
    log(f"audio only ({args.window:.0f} s)")
    results["audio_only"] = measure(a, traffic, args.window)
    show("audio only", results["audio_only"])

    document_id = upload_slides(
        chair.context.browser, stage.server.base_url, stage.database_url, data, args.pages
    )
    shown = first_show(stage, a, traffic, document_id, args.pages)
    once = sum(shown["fetched"].values()) + shown["worker_bytes"]
    results["first_show"] = {**shown, "bytes": once, "seconds_on_line": once * 8 / (args.line_kbits * 1000)}
    parts = [f"{Path(url).name} {size / 1000:.0f} kB" for url, size in shown["fetched"].items()]
    parts.append(f"pdf.worker.js {shown['worker_bytes'] / 1000:.0f} kB")
    seconds = results["first_show"]["seconds_on_line"]
    log(f"first show: {once / 1000:.0f} kB fetched once ({', '.join(parts)}): {seconds:.0f} s on a "
        f"{args.line_kbits} kbit/s line")  # fmt: skip
    a.wait_for_timeout(args.settle * 1000)
    drawn_before = len(projector(a, "p.renders"))
    presenter = Presenter(staff, data.meeting_id, args.pages, args.turn_every)
    log(f"projector + audio only: a page turned every {args.turn_every:g} s ({args.window:.0f} s)")
    results["projector_audio_only"] = measure(a, traffic, args.window, every=presenter)
    caught_up = caught_up_with(a, presenter.page)
    drawn = len(projector(a, "p.renders")) - drawn_before
    state = projector(a, "{shown: p.shownPage, presenter: p.presenterPage, following: p.following}")
    results["projector_audio_only"].update(
        turns=presenter.turns, drawn=drawn, fetches=projector(a, "p.fetches"), caught_up=caught_up,
        last_turn=presenter.page, page_a=state,
    )  # fmt: skip
    show("projector + audio only", results["projector_audio_only"])
    fetches = results["projector_audio_only"]["fetches"]
    log(f"  {presenter.turns} page turns (the last to page {presenter.page}), {drawn} pages drawn on A's "
        f"page, document fetched {fetches} time(s); A's page: {state}")  # fmt: skip
    results["verdict"] = verdict(results, args.line_kbits)
    return results


def caught_up_with(page, number: int, timeout: float = 30) -> bool:
    """Whether A's page shows the presenter's last page within `timeout` s (a liveness wait: a bench reports
    a page left behind rather than stopping)."""
    try:
        wait_until(lambda: projector(page, "p.shownPage") == number, timeout=timeout, message="A on the page")
    except AssertionError:
        return False
    return True


def verdict(results: dict, line: int) -> dict:
    mode = results["projector_audio_only"]
    follows = (mode["total_line_kbit_s"] <= line and mode["caught_up"] and mode["drawn"] >= mode["turns"]
               and mode["fetches"] == 1)  # fmt: skip
    headroom = line - results["audio_only"]["total_line_kbit_s"]  # what the audio leaves for the fetch
    return {
        "follows_slides_on_line": follows,
        "headroom_kbit_s": line - mode["total_line_kbit_s"],
        "first_show_seconds": results["first_show"]["seconds_on_line"],
        "first_show_seconds_beside_audio": results["first_show"]["bytes"] * 8 / (headroom * 1000)
        if headroom > 0
        else None,
    }


def inner(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="meetcore-video-modes-"))
    try:
        log(f"in the namespace; load average {load():.1f} on {os.cpu_count()} CPUs")
        with video_stage(folder, "modes", rtp_ports=RTP_PORTS, env={"MEETCORE_VIDEO_RECORD": "0"}) as stage:
            results = modes(stage, args)
        results["load_average_end"] = os.getloadavg()
        v = results["verdict"]
        log(
            f"a site on a {args.line_kbits} kbit/s line follows the slides in audio-only mode: "
            f"{'YES' if v['follows_slides_on_line'] else 'NO'} ({v['headroom_kbit_s']:.0f} kbit/s to spare); "
            f"the first show's one-time fetch takes {v['first_show_seconds']:.0f} s on that line idle, "
            f"{v['first_show_seconds_beside_audio'] or float('inf'):.0f} s beside the audio"
        )
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured per mode (default 30)")
    parser.add_argument(
        "--turn-every", type=float, default=5.0, help="seconds between page turns (default 5)"
    )
    parser.add_argument("--pages", type=int, default=40, help="pages of the PDF shown (default 40)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after each switch (default 3)")
    parser.add_argument("--line-kbits", type=int, default=256, help="the province's line (default 256)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if os.environ.get(IN_NAMESPACE):
        return inner(args)
    reason = why_not()
    if reason:
        print(f"video_modes: {reason}; nothing was measured", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k != "MEETCORE_TEST_DATABASE_URL"}
    env[IN_NAMESPACE] = "1"
    forwarded = [f"--window={args.window}", f"--turn-every={args.turn_every}", f"--pages={args.pages}",
                 f"--settle={args.settle}", f"--line-kbits={args.line_kbits}"]  # fmt: skip
    if args.json:
        forwarded.append(f"--json={Path(args.json).resolve()}")
    command = ["unshare", "--net", "--", sys.executable, str(Path(__file__).resolve()), *forwarded]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
