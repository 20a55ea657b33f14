"""Live fan-out: how fast and at what cost one change reaches every participant of a big live meeting.

Builds a scratch database with the reference meeting (542 seats), starts its next meeting, issues a
personal link per seat and a secretariat API token, then runs real server processes (`python -m meetcore
run`, gevent, websocket only) and Socket.IO clients over aiohttp websockets (bench/live_clients.py: lean
ones by default, python-socketio AsyncClients with --client-kind socketio) in a few client processes, all
on loopback, and prints:

1. one process, N participants (default 2,000; several connections per seat): the delay from the driver's
   send to each participant's receipt of an agenda change (agenda.set_current -> agenda.current) and of a
   minutes update (minutes.update -> the numbered minutes.text readers get) and of a projector page turn
   (projector.turn -> projector.turned, an agenda PDF shown by the secretariat), p50 / p99 / max over R
   rounds; the server's CPU time per broadcast (psutil) and its memory per connection;
2. the bare python-socketio baseline (bench/live_baseline_server.py) with the same clients, the same
   payloads and the same rounds, and the protocol's cost per delivery relative to it;
3. the same fan-out across two processes sharing Redis (clients split between them, driver on the first);
4. a join burst (default 600 connections evenly within 60 s), then whether the attendance board shows
   exactly the seats connected, and after they leave, none.

    .venv/bin/python bench/live_fanout.py                     # full size: 2,000 clients, 20 rounds
    .venv/bin/python bench/live_fanout.py --clients 500       # quick check
    .venv/bin/python bench/live_fanout.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/live_fanout.py --kinds projector --skip redis --skip burst   # page turns only

See docs/performance.md ("Live fan-out") for what is measured, the figures and the targets. Bounded in
count and time, loopback only; it stops by itself and stops every process it started.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import live_clients
import live_servers
import psutil
from live_servers import SECRET_KEY, ServerProcess, baseline_server, cpu_seconds, meetcore_server

TARGET_P99_MS = 150.0
TARGET_RATIO = 1.2
TARGET_P99_TWO_PROCESSES_MS = 250.0  # issue 18: 4,000 participants over two processes and Redis
TARGET_KIB_PER_CONNECTION = 100.0
TARGET_CPU_MS_PER_JOIN = 3.0
EXPECT_TIMEOUT = 20.0  # seconds a round waits for every client before counting the missing
BASELINE_SEQ = 10_000_000  # seq numbers of the baseline's messages (never a meeting's)
MINUTES_LINE = "ที่ประชุมรับทราบความคืบหน้าการจัดทำแผนที่ทางสังคมของจังหวัด รอบที่ {}"
PROJECTOR_PAGES = 40  # the slides the secretariat shows: a policy deck of 40 pages
# The kinds of change the one-process phase broadcasts, by name: what the participants receive.
KINDS = {"agenda": "agenda change", "minutes": "minutes update", "projector": "projector page turn"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- the scratch database ---


@dataclass
class Meeting:
    app: object
    url: str
    meeting_id: int
    token: str
    seats: list[tuple[int, str]]  # (seat id, personal link token), in roster order
    items: list[int]  # agenda item ids, in agenda order
    document_id: int  # the agenda PDF the projector shows


def prepare(database_url: str | None, workdir: Path) -> Meeting:
    os.environ["MEETCORE_INSTANCE_DIR"] = str(workdir / "instance-prepare")
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.agenda.services import public_tree, walk
    from meetcore.auth.services import create_api_token, create_user
    from meetcore.demo.reference_meeting import load_reference_meeting
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting as MeetingRow
    from meetcore.meetings.services import start_meeting
    from meetcore.seats.links import issue_seat_link
    from meetcore.seats.services import ordered_seats

    url = database_url or f"sqlite:///{workdir / 'live.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgresql"):
        create_database(url)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "MEETCORE_ASYNC_MODE": "threading"}
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        loaded = load_reference_meeting()
        user = create_user("bench.live@example.org", role="secretariat", display_name="Live bench")
        token = create_api_token(user, label="bench/live_fanout.py")
        meeting = db.session.get(MeetingRow, loaded["next_meeting_id"])
        document = add_slides(meeting, by=user)
        start_meeting(meeting, by=user)
        # The reference meeting is today: its links' default expiry (end + 12 h) may be near or past.
        expires_at = datetime.now(UTC) + timedelta(days=1)
        seats = [
            (seat.id, issue_seat_link(seat, expires_at=expires_at, by=user))
            for seat in ordered_seats(meeting, by=user)
        ]
        db.session.commit()
        items = [node["item"].id for node, _depth in walk(public_tree(meeting.id))]
        result = Meeting(app, url, meeting.id, token, seats, items, document.id)
        db.session.remove()
        db.engine.dispose()
    return result


def add_slides(meeting, *, by):
    """The policy slides, a PDF of PROJECTOR_PAGES pages, filed under the first agenda item (the page turns
    never read it: the server sends the page number, each browser draws the page from its own copy)."""
    import io

    from meetcore.agenda.documents import add_document
    from meetcore.agenda.services import public_tree, walk

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' PDF maker
    from tests.video.test_browser_projector import pdf_with_pages

    first = next(node["item"] for node, _depth in walk(public_tree(meeting.id)))
    slides = io.BytesIO(pdf_with_pages(PROJECTOR_PAGES))
    return add_document(first, slides, "นโยบายเร่งด่วน.pdf", by=by)


def create_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it does not exist (through the server's
    "postgres" database); an existing one is emptied by prepare()."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def open_seats(meeting: Meeting) -> set[int]:
    """The seats with an open attendance interval, read from the database."""
    import sqlalchemy as sa

    from meetcore.attendance.models import Attendance
    from meetcore.extensions import db

    with meeting.app.app_context():
        rows = db.session.scalars(
            sa.select(Attendance.seat_id)
            .where(Attendance.meeting_id == meeting.meeting_id, Attendance.left_at.is_(None))
            .distinct()
        ).all()
        db.session.remove()
    return set(rows)


def wait_until_no_one_present(meeting: Meeting, timeout: float = 120) -> int:
    """After the clients left: wait for the server to close every interval; returns how many stay open."""
    deadline = time.monotonic() + timeout
    while True:
        still = len(open_seats(meeting))
        if still == 0 or time.monotonic() > deadline:
            return still
        time.sleep(0.5)


# --- the driver (the secretariat's connection) and the client processes ---


class Driver:
    """The secretariat's connection (sync python-socketio client in this process): sends the commands and
    records the events it receives."""

    def __init__(self, url: str, auth: dict | None):
        import socketio

        self.events: list[tuple[float, dict]] = []
        self.condition = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_event)
        self.sio.connect(url, transports=["websocket"], auth=auth, wait_timeout=30)
        # python-engineio's client closes its own connection once it has had nothing to send for
        # max(ping interval, ping timeout) + 5 s (25 s here), i.e. when the server's ping is 5 s late; a
        # browser's socket.io-client waits ping interval + ping timeout (40 s) for it. A loaded server's pings
        # queue behind what it still has to send, so the bench's chair left on its own ("packet queue is
        # empty, aborting", then "transport error") where a browser would have stayed: it waits as long as
        # a browser now (the write loop reads ping_timeout at each turn).
        self.sio.eio.ping_timeout = self.sio.eio.ping_interval + self.sio.eio.ping_timeout

    def _on_event(self, data) -> None:
        with self.condition:
            self.events.append((time.monotonic(), data))
            self.condition.notify_all()

    def call(self, name: str, data: dict, timeout: float = 60) -> dict:
        ack = self.sio.call(name, data, timeout=timeout)
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise RuntimeError(f"{name} refused: {ack!r}"[:500])
        return ack

    def wait_event(self, predicate, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for _, data in self.events:
                    if isinstance(data, dict) and predicate(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.condition.wait(remaining)

    def event_with_seq(self, seq: int) -> dict | None:
        return self.wait_event(lambda data: data.get("seq") == seq, timeout=10)

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass


class Clients:
    """The client processes (bench/live_clients.py), each an asyncio loop of participants."""

    def __init__(self, count: int, nice: int = 0, kind: str = "lean"):
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        for index in range(count):
            parent, child = context.Pipe()
            process = context.Process(
                target=live_clients.run, args=(child, nice, kind), daemon=True, name=f"live-clients-{index}"
            )
            process.start()
            child.close()
            self.pipes.append(parent)
            self.processes.append(process)
        self.ps = [psutil.Process(process.pid) for process in self.processes]

    def ask(self, name: str, per_process: list[dict]) -> list[dict]:
        for pipe, arguments in zip(self.pipes, per_process, strict=True):
            pipe.send((name, arguments))
        answers = [pipe.recv() for pipe in self.pipes]
        for answer in answers:
            if "error" in answer:
                raise RuntimeError(f"client process: {name}: {answer['error']}")
        return answers

    def ask_all(self, name: str, **arguments) -> list[dict]:
        return self.ask(name, [arguments] * len(self.pipes))

    def cpu(self) -> float:
        return sum(cpu_seconds(process) for process in self.ps)

    def connect(self, targets: list[tuple], *, concurrency: int, schedule: list[float] | None = None) -> dict:
        """Spread the targets over the processes (round robin) and connect them; join times in ms."""
        count = len(self.pipes)
        per_process = []
        for index in range(count):
            arguments: dict = {"targets": targets[index::count], "concurrency": concurrency}
            if schedule is not None:
                arguments["schedule"] = schedule[index::count]
            per_process.append(arguments)
        answers = self.ask("connect", per_process)
        return {
            "connected": sum(a["connected"] for a in answers),
            "failed": sum(a["failed"] for a in answers),
            "errors": [error for a in answers for error in a["errors"]][:5],
            "join_ms": [ms for a in answers for ms in a["join_ms"]],
            "seconds": max(a["seconds"] for a in answers),
        }

    def disconnect(self) -> int:
        return sum(answer["disconnected"] for answer in self.ask_all("disconnect"))

    def stats(self) -> dict:
        """Messages received by kind since the last call, and the connections lost, over all processes."""
        kinds: dict[str, dict[str, int]] = {}  # cohort -> kind -> messages
        lost: list[str] = []
        for answer in self.ask_all("stats"):
            for cohort, counts in answer["kinds"].items():
                mine = kinds.setdefault(cohort, {})
                for kind, count in counts.items():
                    mine[kind] = mine.get(kind, 0) + count
            lost.extend(answer["lost"])
        return {"kinds": kinds, "lost": len(lost), "lost_reasons": sorted(set(lost))[:5]}

    def close(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("quit", {}))
            except OSError:
                pass
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


# --- rounds of broadcasts ---


@dataclass
class Rounds:
    """The figures of R broadcasts of one kind."""

    label: str
    recipients: int  # deliveries per broadcast: the participants and the driver
    payload_bytes: int = 0
    delays: dict[int, list[float]] = field(default_factory=dict)  # group -> delays in ms
    completion: list[float] = field(default_factory=list)  # per round: ms until the last participant
    server_cpu: list[float] = field(default_factory=list)  # per server: CPU seconds, all rounds
    client_cpu: float = 0.0
    rounds: int = 0
    missing: int = 0
    deferred: int = 0
    lost: int = 0  # connections lost during the rounds
    round_cpu: list[float] = field(default_factory=list)  # per round: the servers' CPU ms
    sent_at: list[float] = field(default_factory=list)  # per round: time.monotonic() at the send
    kinds: dict[str, int] = field(default_factory=dict)  # messages the participants received, by kind

    def all_delays(self) -> list[float]:
        return [delay for group in self.delays.values() for delay in group]

    def cpu_per_broadcast_ms(self, server: int | None = None) -> float:
        total = sum(self.server_cpu) if server is None else self.server_cpu[server]
        return total / max(self.rounds, 1) * 1000

    def cpu_per_delivery_us(self) -> float:
        return self.cpu_per_broadcast_ms() * 1000 / max(self.recipients, 1)

    def summary(self) -> dict:
        delays = self.all_delays()
        reached = [ms for ms in self.completion if ms is not None]
        result = {
            "label": self.label,
            "rounds": self.rounds,
            "recipients": self.recipients,
            "payload_bytes": self.payload_bytes,
            "p50_ms": percentile(delays, 0.50),
            "p99_ms": percentile(delays, 0.99),
            "max_ms": max(delays, default=float("nan")),
            "all_reached_median_ms": statistics.median(reached) if reached else None,
            "per_round": [
                {"all_reached_ms": ms, "server_cpu_ms": cpu, "sent_at": sent}
                for ms, cpu, sent in zip(self.completion, self.round_cpu, self.sent_at, strict=False)
            ],
            "server_cpu_per_broadcast_ms": [s / max(self.rounds, 1) * 1000 for s in self.server_cpu],
            "server_cpu_per_delivery_us": self.cpu_per_delivery_us(),
            "client_cpu_per_broadcast_ms": self.client_cpu / max(self.rounds, 1) * 1000,
            "missing_deliveries": self.missing,
            "lost_connections": self.lost,
            "messages_by_kind": self.kinds,
            "deferred_publications": self.deferred,
        }
        if len(self.delays) > 1:
            result["by_server"] = {
                group: {
                    "p50_ms": percentile(values, 0.5),
                    "p99_ms": percentile(values, 0.99),
                    "max_ms": max(values, default=float("nan")),
                }
                for group, values in sorted(self.delays.items())
            }
        return result


@dataclass
class Series:
    """One kind of broadcast measured over the rounds: `send(r)` makes a driver send one command and
    returns (send time, seq of the message the participants receive, deferred?)."""

    result: Rounds
    send: object
    servers: list[ServerProcess]
    cohort: str
    sent: dict[int, float] = field(default_factory=dict)


def run_rounds(series: list[Series], *, rounds: int, gap: float, clients: Clients, warmup: int = 0) -> None:
    """R rounds; in each, every series in turn sends one broadcast, waits until every client of its cohort
    has it, then `gap` seconds. Interleaving MeetCore and the baseline round by round means a change in
    the machine's load weighs on both alike. The `warmup` rounds before them are not counted: the first
    command of its kind in a process pays one-time costs (imports, compiled statements and schemas)."""
    for number in range(warmup):
        for one in series:
            _started, seq, _deferred = one.send(-1 - number)
            clients.ask_all("expect", seq=seq, cohort=one.cohort, timeout=EXPECT_TIMEOUT)
            time.sleep(gap)
    clients.stats()
    for _ in range(rounds):
        for one in series:
            result = one.result
            cpu_before = [server.cpu() for server in one.servers]
            clients_before = clients.cpu()
            started, seq, deferred = one.send(result.rounds)
            answers = clients.ask_all("expect", seq=seq, cohort=one.cohort, timeout=EXPECT_TIMEOUT)
            used = [server.cpu() - before for server, before in zip(one.servers, cpu_before, strict=True)]
            for index, seconds in enumerate(used):
                result.server_cpu[index] += seconds
            result.round_cpu.append(sum(used) * 1000)
            result.client_cpu += clients.cpu() - clients_before
            result.missing += sum(max(0, a["expected"] - a["got"]) for a in answers)
            result.deferred += bool(deferred)
            one.sent[seq] = started
            result.sent_at.append(started)  # the machine's monotonic clock: lines up with other logs
            result.rounds += 1
            time.sleep(gap)
    stats = clients.stats()
    for one in series:
        last: dict[int, float] = {}
        for answer in clients.ask_all("collect", seqs=list(one.sent)):
            for seq, receipts in answer.items():
                for received, group in receipts:
                    one.result.delays.setdefault(group, []).append((received - one.sent[seq]) * 1000)
                    last[seq] = max(last.get(seq, received), received)
        one.result.completion = [
            (last[seq] - one.sent[seq]) * 1000 if seq in last else None for seq in one.sent
        ]
        one.result.kinds = stats["kinds"].get(one.cohort, {})
        one.result.lost = stats["lost"]


class MinutesWriter:
    """The secretariat's Yjs document of one agenda item's minutes (pycrdt), kept across phases so that
    every update it sends builds on everything it sent before."""

    def __init__(self, meeting_id: int, item_id: int):
        import pycrdt

        self.meeting_id, self.item_id = meeting_id, item_id
        self.doc = pycrdt.Doc()
        self.text = self.doc.get("minutes", type=pycrdt.Text)
        self.count = 0

    def next_update(self) -> str:
        state = self.doc.get_state()
        self.count += 1
        self.text += (" " if self.count > 1 else "") + MINUTES_LINE.format(self.count)
        return base64.b64encode(self.doc.get_update(state)).decode("ascii")


def agenda_sender(driver: Driver, meeting: Meeting, templates: dict):
    items = meeting.items

    def send(round_number: int):
        item_id = items[(round_number + 1) % len(items)]
        started = time.monotonic()
        ack = driver.call("agenda.set_current", {"meeting_id": meeting.meeting_id, "item_id": item_id})
        event = driver.event_with_seq(ack["seq"])
        if event is not None:
            templates.setdefault("agenda", event)
        return started, ack["seq"], False

    return send


def minutes_sender(driver: Driver, meeting: Meeting, writer: MinutesWriter, templates: dict):
    def send(round_number: int):
        update = writer.next_update()
        started = time.monotonic()
        ack = driver.call(
            "minutes.update", {"meeting_id": meeting.meeting_id, "item_id": writer.item_id, "update": update}
        )
        # Readers get the numbered minutes.text: at once when the block's last publication is older than
        # MINUTES_TEXT_INTERVAL_MS (then in the update's own transaction: seq == ack seq), else later.
        event = driver.wait_event(
            lambda d: (
                d.get("kind") == "minutes.text"
                and d.get("seq", 0) >= ack["seq"]
                and (d.get("payload") or {}).get("item_id") == writer.item_id
            ),
            timeout=10,
        )
        if event is None:
            raise RuntimeError(f"no minutes.text after minutes.update (ack {ack})")
        templates.setdefault("minutes", event)
        return started, event["seq"], event["seq"] != ack["seq"]

    return send


def projector_sender(driver: Driver, meeting: Meeting, templates: dict):
    """The secretariat's page turns: the agenda PDF is put on the projector at the first call, then each
    round turns to the next page (after the last, back to the first)."""
    turned = [0]  # the page shown; 0: the document is not shown yet

    def send(round_number: int):
        if not turned[0]:
            shown = {"meeting_id": meeting.meeting_id, "document_id": meeting.document_id, "page": 1,
                     "pages": PROJECTOR_PAGES}  # fmt: skip
            driver.call("projector.show", shown)
            turned[0] = 1
        turned[0] = turned[0] % PROJECTOR_PAGES + 1
        started = time.monotonic()
        ack = driver.call("projector.turn", {"meeting_id": meeting.meeting_id, "page": turned[0]})
        event = driver.event_with_seq(ack["seq"])
        if event is not None:
            templates.setdefault("projector", event)
        return started, ack["seq"], False

    return send


def baseline_sender(driver: Driver, templates: dict, kind: str, counter: list[int]):
    """The baseline's driver sends the very message MeetCore sent in its last round of the same kind,
    renumbered, and the server emits it as it came."""

    def send(round_number: int):
        counter[0] += 1
        message = {**templates[kind], "seq": BASELINE_SEQ + counter[0]}
        started = time.monotonic()
        ack = driver.call("broadcast", message)
        return started, ack["seq"], False

    return send


def wire_bytes(message: dict | None) -> int:
    if not message:
        return 0
    return len(json.dumps(["event", message], separators=(",", ":")).encode())


# --- the phases ---


def seat_targets(
    meeting: Meeting,
    cohort: str,
    urls: list[str],
    count: int,
    seats: list[tuple[int, str]] | None = None,
    per_process: int = 1,
) -> list[tuple]:
    """`count` participant connections over the seats (round robin), spread evenly over `urls`."""
    seats = seats or meeting.seats
    targets = []
    for index in range(count):
        seat_id, token = seats[index % len(seats)]
        group = (index // per_process) % len(urls)
        targets.append(
            (urls[group], {"seat_token": token}, {"meeting_id": meeting.meeting_id}, cohort, group)
        )
    return targets


def connect_all(
    clients: Clients,
    targets: list[tuple],
    concurrency: int,
    what: str,
    servers: list[ServerProcess],
    spread_over: float | None = None,
) -> dict:
    """Connect and join every target (evenly spread over `spread_over` seconds if given); also the
    servers' CPU time per join and what the clients were sent meanwhile (attendance board publications go
    to every participant already in)."""
    log(f"connecting {len(targets)} {what} ...")
    clients.stats()
    cpu_before = [server.cpu() for server in servers]
    schedule = None
    if spread_over:
        start = time.monotonic() + 0.5
        schedule = [start + spread_over * index / len(targets) for index in range(len(targets))]
    outcome = clients.connect(targets, concurrency=concurrency, schedule=schedule)
    outcome["server_cpu_by_server"] = [
        server.cpu() - before for server, before in zip(servers, cpu_before, strict=True)
    ]
    outcome["server_cpu_s"] = sum(outcome["server_cpu_by_server"])
    outcome.update(clients.stats())
    joins = outcome["join_ms"]
    log(
        f"  {outcome['connected']} joined in {outcome['seconds']:.1f} s, {outcome['failed']} failed, "
        f"{outcome['lost']} lost; join p50 {percentile(joins, 0.5):.0f} ms, "
        f"p99 {percentile(joins, 0.99):.0f} ms; server CPU {outcome['server_cpu_s']:.1f} s "
        f"({outcome['server_cpu_s'] / max(outcome['connected'], 1) * 1000:.0f} ms per join)"
    )
    received = {kind: n for counts in outcome["kinds"].values() for kind, n in counts.items()}
    log(f"  messages the participants received meanwhile: {received}")
    for error in outcome["errors"] + outcome["lost_reasons"]:
        log(f"  error: {error}")
    return outcome


def idle_cpu(servers: list[ServerProcess], seconds: float) -> list[dict]:
    """Each server's CPU time over `seconds` of no command (pings, the heartbeat...), as a share of one
    core, and its busiest second (a periodic task shows as one busy second)."""
    if seconds <= 0:
        return [{"share": float("nan"), "busiest_second_ms": float("nan")} for _ in servers]
    first = [server.cpu() for server in servers]
    previous, busiest = list(first), [0.0] * len(servers)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(1.0)
        now = [server.cpu() for server in servers]
        busiest = [max(b, (n - p) * 1000) for b, n, p in zip(busiest, now, previous, strict=True)]
        previous = now
    wall = time.monotonic() - started
    return [
        {"share": (last - cpu) / wall, "busiest_second_ms": most}
        for last, cpu, most in zip(previous, first, busiest, strict=True)
    ]


def memory_per_connection(server: ServerProcess, before: int, connected: int) -> dict:
    time.sleep(1.0)
    after = server.rss()
    return {
        "rss_before_mib": before / 2**20,
        "rss_after_mib": after / 2**20,
        "per_connection_kib": (after - before) / max(connected, 1) / 1024,
    }


@contextmanager
def pinned(pin: bool, clients: Clients):
    """With --pin, for the one-process phase: its servers on the first CPU, the client processes and this
    process (the drivers) on the others. The Redis phase's two servers need both cores: it runs unpinned."""
    if not pin:
        yield
        return
    everything = os.sched_getaffinity(0)
    live_servers.SERVER_CPUS, others = live_servers.split_cpus()
    for pid in [0] + [process.pid for process in clients.processes]:
        os.sched_setaffinity(pid, others)
    try:
        yield
    finally:
        live_servers.SERVER_CPUS = None
        for pid in [0] + [process.pid for process in clients.processes]:
            os.sched_setaffinity(pid, everything)


def phase_single(
    args,
    meeting: Meeting,
    clients: Clients,
    workdir: Path,
    writer: MinutesWriter,
    results: dict,
    started: list,
) -> None:
    """One MeetCore process with N participants and, unless skipped, the bare baseline with N clients of
    its own, their rounds interleaved. The same rounds are first run with no participant (the drivers
    alone), which gives each server's fixed cost of one command, apart from its cost per delivery."""
    with_baseline = "baseline" not in args.skip
    log(
        f"== one process: {args.clients} participants"
        + (", and the bare baseline ==" if with_baseline else " ==")
    )
    server = meetcore_server(
        "single", meeting.url, workdir, settings=args.server_env, profile=args.profile
    ).start()
    started.append(server)
    driver = Driver(server.url, {"api_token": meeting.token})
    bare = bare_driver = None
    try:
        driver.call("join", {"meeting_id": meeting.meeting_id})
        if with_baseline:
            bare = baseline_server("baseline", workdir).start()
            started.append(bare)
            bare_driver = Driver(bare.url, None)
            bare_driver.call("join", {"staff": True})
        templates: dict = {}
        counter = [0]

        def rounds_of(kind: str, label: str, participants: int, loaded: bool) -> list[Series]:
            if kind == "agenda":
                send = agenda_sender(driver, meeting, templates)
            elif kind == "projector":
                send = projector_sender(driver, meeting, templates)
            else:
                send = minutes_sender(driver, meeting, writer, templates)
            suffix = "" if loaded else ", no participant"
            series = [
                Series(Rounds(label + suffix, participants + 1, server_cpu=[0.0]), send, [server], "meetcore")
            ]
            if bare is not None:
                bare_rounds = Rounds(
                    f"baseline, {kind}-size payload{suffix}", participants + 1, server_cpu=[0.0]
                )
                bare_send = baseline_sender(bare_driver, templates, kind, counter)
                series.append(Series(bare_rounds, bare_send, [bare], "baseline"))
            run_rounds(series, rounds=args.rounds, gap=args.gap, clients=clients, warmup=args.warmup)
            for one in series:
                one.result.payload_bytes = wire_bytes(templates.get(kind))
                show(one.result)
            return series

        kinds = tuple((kind, KINDS[kind]) for kind in args.kinds)
        with_rounds = "rounds" not in args.skip
        if with_rounds:
            log("  the drivers alone (the fixed cost of one command):")
            unloaded = {kind: rounds_of(kind, label, 0, loaded=False) for kind, label in kinds}

        rss_before = server.rss()
        targets = seat_targets(meeting, "meetcore", [server.url], args.clients)
        if args.profile:
            server.process.send_signal(signal.SIGUSR1)  # bench/profiled_server.py: profile the joins
        outcome = connect_all(clients, targets, args.concurrency, "participants", [server])
        if args.profile:
            server.process.send_signal(signal.SIGUSR2)
            log(f"  the server's profile of the joins: {args.profile} (python -m pstats)")
        memory = memory_per_connection(server, rss_before, outcome["connected"])
        log(
            f"  MeetCore server RSS {memory['rss_before_mib']:.0f} -> {memory['rss_after_mib']:.0f} MiB: "
            f"{memory['per_connection_kib']:.1f} KiB per connection"
        )
        single = results["single"] = {"connect": summarize_connect(outcome), "memory": memory}
        if bare is not None:
            bare_rss = bare.rss()
            targets = [(bare.url, None, {}, "baseline", 0) for _ in range(args.clients)]
            # Joined at MeetCore's pace: the server pings each connection every 25 s from when it came,
            # so clients that all came within 2 s would be pinged in one burst every 25 s, on the cores
            # the MeetCore rounds use too (a meeting's participants do not come all in the same second).
            bare_outcome = connect_all(
                clients, targets, args.concurrency, "baseline clients", [bare], spread_over=outcome["seconds"]
            )
            bare_memory = memory_per_connection(bare, bare_rss, bare_outcome["connected"])
            log(
                f"  baseline server RSS {bare_memory['rss_before_mib']:.0f} -> "
                f"{bare_memory['rss_after_mib']:.0f} MiB: "
                f"{bare_memory['per_connection_kib']:.1f} KiB per connection"
            )
            results["baseline"] = {"connect": summarize_connect(bare_outcome), "memory": bare_memory}
            if bare_outcome["connected"] != outcome["connected"]:
                log("  WARNING: MeetCore and the baseline have different numbers of clients connected")
        if with_rounds:
            time.sleep(1.0)  # let the last attendance board publication pass
            run_single_rounds(args, server, bare, rounds_of, kinds, unloaded, outcome, results)
        clients.disconnect()
        still = wait_until_no_one_present(meeting)
        single["left_open"] = still
        log(f"  participants left; seats still present after the disconnects: {still}")
    finally:
        for one in (driver, bare_driver):
            if one is not None:
                one.close()
        for one in (server, bare):
            if one is not None:
                one.stop()


def run_single_rounds(args, server, bare, rounds_of, kinds, unloaded: dict, outcome: dict, results: dict):
    """With everyone connected: the idle phase, then the interleaved rounds of each kind."""
    single = results["single"]
    idle_servers = [server] + ([bare] if bare is not None else [])
    idle = idle_cpu(idle_servers, args.idle_seconds)
    single["idle"] = idle[0]
    if bare is not None:
        results["baseline"]["idle"] = idle[1]
    shown = [
        f"{name} {one['share'] * 100:.1f} % of a core (busiest second {one['busiest_second_ms']:.0f} ms)"
        for name, one in zip(("MeetCore", "baseline"), idle, strict=False)
    ]
    log(f"  idle for {args.idle_seconds:.0f} s with everyone connected, server CPU: " + "; ".join(shown))
    log(f"  with the participants connected ({args.rounds} rounds of each, interleaved):")
    for kind, label in kinds:
        series = rounds_of(kind, label, outcome["connected"], loaded=True)
        single[kind] = series[0].result.summary()
        single[kind]["unloaded"] = unloaded[kind][0].result.summary()
        if bare is not None:
            results["baseline"][kind] = series[1].result.summary()
            results["baseline"][kind]["unloaded"] = unloaded[kind][1].result.summary()


def phase_redis(
    args,
    meeting: Meeting,
    clients: Clients,
    workdir: Path,
    writer: MinutesWriter,
    results: dict,
    started: list,
) -> None:
    channel = f"meetcore-bench-{uuid.uuid4().hex}"
    log(f"== two processes over Redis ({args.redis_url}, channel {channel}): {args.clients} participants ==")
    servers = [
        meetcore_server(
            name, meeting.url, workdir, redis_url=args.redis_url, channel=channel, settings=args.server_env
        ).start()
        for name in ("redis-a", "redis-b")
    ]
    started.extend(servers)
    driver = Driver(servers[0].url, {"api_token": meeting.token})
    try:
        driver.call("join", {"meeting_id": meeting.meeting_id})
        rss_before = [server.rss() for server in servers]
        urls = [s.url for s in servers]
        targets = seat_targets(meeting, "meetcore", urls, args.clients, per_process=len(clients.pipes))
        outcome = connect_all(
            clients, targets, args.concurrency, "participants (half on each process)", servers
        )
        memory = [
            memory_per_connection(s, before, outcome["connected"] // 2)
            for s, before in zip(servers, rss_before, strict=True)
        ]
        redis = results["redis"] = {
            "channel": channel,
            "connect": summarize_connect(outcome),
            "memory": memory,
        }
        for index, (name, one) in enumerate(zip(("A", "B"), memory, strict=True)):
            one["cpu_per_join_ms"] = (
                outcome["server_cpu_by_server"][index] * 1000 / max(outcome["connected"] // 2, 1)
            )
            log(
                f"  server {name}: RSS {one['rss_before_mib']:.0f} -> {one['rss_after_mib']:.0f} MiB, "
                f"{one['per_connection_kib']:.1f} KiB per connection; "
                f"{one['cpu_per_join_ms']:.1f} ms CPU per join"
            )
        time.sleep(1.0)
        kinds = (("agenda", "agenda change over Redis"), ("minutes", "minutes update over Redis"))
        for kind, label in kinds if "rounds" not in args.skip else ():
            captured: dict = {}
            if kind == "agenda":
                send = agenda_sender(driver, meeting, captured)
            else:
                send = minutes_sender(driver, meeting, writer, captured)
            rounds = Rounds(label, outcome["connected"] + 1, server_cpu=[0.0, 0.0])
            series = Series(rounds, send, servers, "meetcore")
            run_rounds([series], rounds=args.rounds, gap=args.gap, clients=clients, warmup=args.warmup)
            rounds.payload_bytes = wire_bytes(captured.get(kind))
            show(rounds, servers=["A (driver)", "B"])
            redis[kind] = rounds.summary()
        clients.disconnect()
        still = wait_until_no_one_present(meeting)
        redis["left_open"] = still
        log(f"  participants left; seats still present after the disconnects: {still}")
    finally:
        driver.close()
        for server in servers:
            server.stop()


def phase_burst(args, meeting: Meeting, clients: Clients, workdir: Path, started: list) -> dict:
    seats = meeting.seats[: min(args.burst_seats, len(meeting.seats), args.burst_clients)]
    expected = {seat_id for seat_id, _ in seats}
    log(
        f"== join burst: {args.burst_clients} connections for {len(expected)} seats within "
        f"{args.burst_seconds:.0f} s =="
    )
    before = open_seats(meeting)
    server = meetcore_server("burst", meeting.url, workdir, settings=args.server_env).start()
    started.append(server)
    driver = Driver(server.url, {"api_token": meeting.token})
    try:
        snapshot = driver.call("join", {"meeting_id": meeting.meeting_id})["snapshot"]
        watch = BoardWatch(driver, snapshot)
        targets = seat_targets(meeting, "burst", [server.url], args.burst_clients, seats=seats)
        first = time.monotonic() + 1.0
        step = args.burst_seconds / max(args.burst_clients, 1)
        schedule = [first + index * step for index in range(args.burst_clients)]
        clients.stats()
        cpu_before, wall_before = server.cpu(), time.monotonic()
        outcome = clients.connect(targets, concurrency=args.burst_clients, schedule=schedule)
        cpu_used, wall = server.cpu() - cpu_before, time.monotonic() - wall_before
        outcome.update(clients.stats())
        joins = outcome["join_ms"]
        log(
            f"  {outcome['connected']} joined, {outcome['failed']} failed, the last "
            f"{wall - 1.0:.1f} s after the first; join p50 {percentile(joins, 0.5):.0f} ms, "
            f"p99 {percentile(joins, 0.99):.0f} ms, max {max(joins, default=0):.0f} ms; "
            f"server CPU {cpu_used:.1f} s ({cpu_used / wall * 100:.0f} % of a core)"
        )
        log(f"  messages the participants received meanwhile: {outcome['kinds'].get('burst', {})}")
        for error in outcome["errors"] + outcome["lost_reasons"]:
            log(f"  error: {error}")
        if outcome["lost"]:
            log(f"  LOST {outcome['lost']} connections during the burst")
        time.sleep(2.0)  # the attendance board publishes at most every MEETCORE_BOARD_INTERVAL_MS (500)
        connected_seats = expected if outcome["failed"] == 0 else None
        checks = board_checks(meeting, driver, watch, clients, expected, connected_seats)
        checks["present_before"] = len(before)
        clients.disconnect()
        left_open = wait_until_no_one_present(meeting)
        watch_empty = watch.wait_for(set(), timeout=5)  # the departures' publication, then the snapshot
        after = driver.call("join", {"meeting_id": meeting.meeting_id})["snapshot"]["attendance"]
        totals = after["counts"]["totals"]
        gone = left_open == 0 and not after.get("seats") and totals["present"] + totals["substitute"] == 0
        checks["after_leaving"] = {
            "open_in_database": left_open,
            "snapshot_seats": len(after.get("seats", {})),
            "live_board": len(watch.present),
            "ok": gone and watch_empty,
        }
        log(
            f"  after all left: database {left_open} open, snapshot {len(after.get('seats', {}))} present, "
            f"live board {len(watch.present)} present: {'OK' if gone and watch_empty else 'FAIL'}"
        )
        return {
            "clients": args.burst_clients,
            "seats": len(expected),
            "seconds": args.burst_seconds,
            "connect": summarize_connect(outcome),
            "lost": outcome["lost"],
            "messages": outcome["kinds"].get("burst", {}),
            "join_max_ms": max(joins, default=None),
            "server_cpu_s": cpu_used,
            "server_cpu_share": cpu_used / wall,
            "checks": checks,
        }
    finally:
        driver.close()
        server.stop()


class BoardWatch:
    """The secretariat's live board: the staff snapshot's present seats, then the seats of every
    attendance.board (the staff's copy)."""

    def __init__(self, driver: Driver, snapshot: dict):
        self.driver = driver
        self.present = {int(seat_id) for seat_id in snapshot["attendance"].get("seats", {})}
        self.seq = snapshot["last_seq"]
        self.gaps = 0  # events missing from the numbered sequence (none, if the protocol holds)

    def update(self) -> None:
        with self.driver.condition:
            events = [data for _, data in self.driver.events if isinstance(data, dict)]
        for data in sorted(events, key=lambda d: d.get("seq", 0)):
            if data.get("seq", 0) <= self.seq:
                continue
            self.gaps += data["seq"] != self.seq + 1
            self.seq = data["seq"]
            if data.get("kind") == "attendance.board":
                for entry in data["payload"].get("seats", ()):
                    if entry["present"]:
                        self.present.add(entry["seat_id"])
                    else:
                        self.present.discard(entry["seat_id"])

    def wait_for(self, expected: set[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self.update()
            if self.present == expected or time.monotonic() > deadline:
                return self.present == expected
            time.sleep(0.1)


def board_checks(
    meeting: Meeting,
    driver: Driver,
    watch: BoardWatch,
    clients: Clients,
    expected: set[int],
    connected: set[int] | None,
) -> dict:
    """Is the board right? The database, a fresh staff snapshot, the secretariat's live board and every
    participant's live counts must all show exactly the seats connected as present."""
    if connected is None:
        log("  some joins failed: the seats actually connected are unknown, so the checks compare with all")
    want = connected or expected
    in_database = open_seats(meeting)
    live_ok = watch.wait_for(want, timeout=5)
    # After the live board: a snapshot shows the board as last published, as the events have told it.
    snapshot = driver.call("join", {"meeting_id": meeting.meeting_id})["snapshot"]["attendance"]
    in_snapshot = {int(seat_id) for seat_id in snapshot.get("seats", {})}
    totals = snapshot["counts"]["totals"]
    boards = [tuple(pair) for answer in clients.ask_all("boards") for pair in answer["boards"]]
    right = sum(count for seen, count in boards if seen is not None and sum(seen) == len(want))
    participants = sum(count for _, count in boards)
    checks = {
        "database": {"present": len(in_database), "ok": in_database == want},
        "snapshot": {
            "present": len(in_snapshot),
            "totals": totals,
            "ok": in_snapshot == want
            and totals["present"] + totals["substitute"] == len(want)
            and totals["absent"] == totals["seats"] - len(want),
        },
        "live_board": {
            "present": len(watch.present),
            "seq_gaps": watch.gaps,
            "ok": live_ok and not watch.gaps,
        },
        "participants_counts": {"right": right, "of": participants, "ok": right == participants},
    }
    seats_total = totals["seats"]
    log(f"  board check: {len(want)} seats connected of {seats_total}")
    for name, check in checks.items():
        detail = ", ".join(f"{k} {v}" for k, v in check.items() if k not in ("ok", "totals"))
        log(f"    {name:<20} {'OK' if check['ok'] else 'FAIL'} ({detail})")
    checks["ok"] = all(check["ok"] for check in checks.values())
    log(f"  board after the burst: {'OK' if checks['ok'] else 'FAIL'}")
    return checks


def summarize_connect(outcome: dict) -> dict:
    joins = outcome["join_ms"]
    return {
        "connected": outcome["connected"],
        "failed": outcome["failed"],
        "seconds": outcome["seconds"],
        "join_p50_ms": percentile(joins, 0.5),
        "join_p99_ms": percentile(joins, 0.99),
    } | join_cpu(outcome)


def join_cpu(outcome: dict) -> dict:
    """The servers' CPU over the joins, and per join, when connect_all measured it (the burst does not)."""
    if "server_cpu_s" not in outcome:
        return {}
    cpu = outcome["server_cpu_s"]
    return {"server_cpu_s": cpu, "cpu_per_join_ms": cpu * 1000 / max(outcome["connected"], 1)}


def show(rounds: Rounds, servers: list[str] | None = None) -> None:
    s = rounds.summary()
    cpu = ", ".join(
        f"{name} {ms:.1f}"
        for name, ms in zip(servers or ["server"], s["server_cpu_per_broadcast_ms"], strict=True)
    )
    head = f"  {rounds.label}: {s['rounds']} rounds x {s['recipients']} deliveries ({s['payload_bytes']} B): "
    if s["recipients"] <= 1:  # the driver alone: only the server's cost is of interest
        log(head + f"server CPU per command {cpu} ms")
        return
    log(
        head + f"delay p50 {s['p50_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, max {s['max_ms']:.0f} ms; "
        f"all reached (median) {s['all_reached_median_ms'] or float('nan'):.0f} ms; "
        f"server CPU per broadcast {cpu} ms ({s['server_cpu_per_delivery_us']:.1f} us per delivery); "
        f"client processes' CPU per broadcast {s['client_cpu_per_broadcast_ms']:.0f} ms"
        + (f"; MISSING {s['missing_deliveries']}" if s["missing_deliveries"] else "")
        + (f"; LOST {s['lost_connections']} connections" if s["lost_connections"] else "")
        + (f"; {s['deferred_publications']} deferred" if s["deferred_publications"] else "")
    )
    for group, figures in (s.get("by_server") or {}).items():
        name = (servers or [])[group] if servers and group < len(servers) else str(group)
        log(
            f"    clients of {name}: p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
            f"max {figures['max_ms']:.0f} ms"
        )


def split_cost(figures: dict) -> tuple[float, float]:
    """(fixed server CPU per command in ms, server CPU per further delivery in us): from the rounds with
    the drivers alone and the rounds with every participant connected."""
    unloaded = figures["unloaded"]
    fixed = unloaded["server_cpu_per_broadcast_ms"][0]
    extra = figures["recipients"] - unloaded["recipients"]
    marginal = (figures["server_cpu_per_broadcast_ms"][0] - fixed) * 1000 / max(extra, 1)
    return fixed, marginal


def join_verdicts(results: dict) -> list[str]:
    """Memory per connection and server CPU per join, MeetCore's beside the baseline's, against the
    targets (issue 18): what a big meeting costs before anything is said in it."""
    single, baseline = results.get("single"), results.get("baseline") or {}
    if not single:
        return []
    lines = []
    figures = (
        ("memory per connection", single["memory"]["per_connection_kib"],
         baseline.get("memory", {}).get("per_connection_kib"), "KiB", TARGET_KIB_PER_CONNECTION),
        ("server CPU per join", single["connect"]["cpu_per_join_ms"],
         baseline.get("connect", {}).get("cpu_per_join_ms"), "ms", TARGET_CPU_MS_PER_JOIN),
    )  # fmt: skip
    for name, ours, bare, unit, target in figures:
        beside = f" vs baseline {bare:.1f} {unit}" if bare is not None else ""
        met = "met" if ours <= target else "NOT met"
        lines.append(f"{name}: {ours:.1f} {unit}{beside} (target <= {target:.0f} {unit}): {met}")
    return lines


def kinds_in(phase: dict | None) -> list[str]:
    """The kinds of change whose rounds a phase ran."""
    return [kind for kind in KINDS if kind in (phase or {})]


def p99_verdicts(phase: dict | None, target: float, where: str) -> list[str]:
    """The p99 delay of each kind of change in a phase that ran its rounds, against its target."""
    lines = []
    for kind in kinds_in(phase):
        p99 = phase[kind]["p99_ms"]
        lines.append(
            f"p99 of one {kind} update to {phase[kind]['recipients'] - 1} participants{where}: "
            f"{p99:.0f} ms (target <= {target:.0f} ms): {'met' if p99 <= target else 'NOT met'}"
        )
    return lines


def verdicts(results: dict) -> list[str]:
    lines = join_verdicts(results)
    single = results.get("single")
    lines += p99_verdicts(single, TARGET_P99_MS, "")
    baseline = results.get("baseline")
    if single and baseline:
        for kind in kinds_in(baseline):
            ours, bare = single[kind], baseline[kind]
            # The cost per delivery is server CPU (docs/performance.md). The delay's p50 is shown beside it:
            # MeetCore's includes the command's own work before the broadcast (validate, lock, write,
            # commit), the baseline's does not.
            cpu_ratio = ours["server_cpu_per_delivery_us"] / bare["server_cpu_per_delivery_us"]
            p50_ratio = ours["p50_ms"] / bare["p50_ms"]
            met = "met" if cpu_ratio <= TARGET_RATIO else "NOT met"
            lines.append(
                f"cost per delivery, {kind}: server CPU {ours['server_cpu_per_delivery_us']:.1f} vs "
                f"{bare['server_cpu_per_delivery_us']:.1f} us = {cpu_ratio:.2f}x "
                f"(target <= {TARGET_RATIO}x): {met}; delay p50 {ours['p50_ms']:.0f} vs "
                f"{bare['p50_ms']:.0f} ms = {p50_ratio:.2f}x"
            )
            fixed, marginal = split_cost(ours), split_cost(bare)
            lines.append(
                f"  of which fixed per command (drivers alone): {fixed[0]:.1f} vs {marginal[0]:.1f} ms; "
                f"per further delivery: {fixed[1]:.1f} vs {marginal[1]:.1f} us = "
                f"{fixed[1] / marginal[1] if marginal[1] > 0 else float('nan'):.2f}x"
            )
    lines += p99_verdicts(results.get("redis"), TARGET_P99_TWO_PROCESSES_MS, " over two processes and Redis")
    burst = results.get("burst")
    if burst:
        lines.append(
            f"join burst board: {'OK' if burst['checks']['ok'] else 'FAIL'}; after leaving: "
            f"{'OK' if burst['checks']['after_leaving']['ok'] else 'FAIL'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000, help="participant connections (default 2000)")
    parser.add_argument("--rounds", type=int, default=40, help="broadcasts of each kind (default 40)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="uncounted broadcasts of each kind before them (default 3)"
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=0.6,
        help="seconds between rounds (default 0.6, above the minutes' 0.5 s coalescing)",
    )
    parser.add_argument("--client-processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument(
        "--client-kind",
        choices=sorted(live_clients.KINDS),
        default="lean",
        help="lean: Socket.IO spoken directly over aiohttp websockets (default); socketio: AsyncClients",
    )
    parser.add_argument("--concurrency", type=int, default=10, help="joins in flight per client process")
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=31.0,
        help="measure the servers' CPU with everyone connected and nothing sent for this long "
        "(default 31: one MeetCore heartbeat, MEETCORE_HEARTBEAT_SECONDS=30; 0 skips)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="server processes on the first CPU, the client processes and the drivers on the others: "
        "the machine's cores shared the way a server and its remote participants would not share them",
    )
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="niceness of the client processes (default 0; e.g. 10 gives the server the CPU first)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="MEETCORE_NAME=VALUE",
        help="a setting for the MeetCore server processes (repeatable), e.g. MEETCORE_BOARD_INTERVAL_MS=2000",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a scratch SQLite file; a PostgreSQL database given here is emptied",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("MEETCORE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--burst-clients", type=int, default=600, help="connections of the join burst")
    parser.add_argument("--burst-seconds", type=float, default=60.0, help="the burst's length (default 60)")
    parser.add_argument(
        "--burst-seats",
        type=int,
        default=450,
        help="distinct seats of the burst (default 450 of 542: the rest must stay absent)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["single", "baseline", "redis", "burst", "rounds"],
        help="leave out a phase (repeatable); the baseline needs the single phase; 'rounds' leaves out the "
        "broadcasts (and the idle phase): the joins' memory and CPU only",
    )
    parser.add_argument(
        "--kinds",
        type=lambda text: text.split(","),
        default=list(KINDS),
        help="the changes the one-process phase broadcasts, comma-separated (default all: "
        + ",".join(KINDS)
        + ")",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="run the one-process phase's server under bench/profiled_server.py and profile (cProfile, "
        "on CPU time) its participants' joins into this file",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (server logs)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.rounds < 1 or args.client_processes < 1:
        parser.error("--clients, --rounds and --client-processes must be at least 1")
    try:
        args.server_env = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        parser.error("--server-env takes MEETCORE_NAME=VALUE")
    if not args.kinds or set(args.kinds) - set(KINDS):
        parser.error(f"--kinds takes some of {','.join(KINDS)}")
    if "single" in args.skip and "baseline" not in args.skip:
        args.skip.append("baseline")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    workdir = Path(tempfile.mkdtemp(prefix="meetcore-live-bench-"))
    started: list[ServerProcess] = []
    clients: Clients | None = None
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_start": os.getloadavg(),
        },
        "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    try:
        log(f"scratch directory {workdir}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        meeting = prepare(args.database_url, workdir)
        log(
            f"meeting {meeting.meeting_id}: live, {len(meeting.seats)} seats with links, "
            f"{len(meeting.items)} agenda items; {args.client_processes} client processes"
        )
        clients = Clients(args.client_processes, args.client_nice, args.client_kind)
        writer = MinutesWriter(meeting.meeting_id, meeting.items[0])
        if "single" not in args.skip:
            with pinned(args.pin, clients):
                phase_single(args, meeting, clients, workdir, writer, results, started)
        if "redis" not in args.skip:
            if redis_reachable(args.redis_url):
                phase_redis(args, meeting, clients, workdir, writer, results, started)
            else:
                log(f"== two processes over Redis: SKIPPED, no Redis at {args.redis_url} ==")
        if "burst" not in args.skip:
            results["burst"] = phase_burst(args, meeting, clients, workdir, started)
        results["machine"]["load_average_end"] = os.getloadavg()
        log("== verdicts ==")
        for line in verdicts(results):
            log("  " + line)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
            log(f"figures written to {args.json}")
        return 0
    finally:
        if clients is not None:
            clients.close()
        for server in started:
            server.stop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    sys.exit(main())
