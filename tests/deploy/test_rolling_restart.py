"""Issue 18, item 2: a rolling restart in the middle of a meeting. Two app processes (`meetcore run`, gevent)
over a Redis of their own on a PostgreSQL database of their own; N participants connected by their personal
links (raw Socket.IO clients that behave as the page does: snapshot, numbered events, the join carried by
every connect with their last seq, the minutes kept from minutes.text splices); the secretariat types minutes
continuously (Yjs updates through minutes.update, re-sent after a reconnect from minutes.sync's answer).
Each process in turn gets SIGTERM and is started again, and between the two `meetcore db upgrade` applies
a new migration. Then: no acknowledged keystroke is lost, every client is back within 10 s of losing its
process, the minutes are the same in every client and in the database, and no seat's attendance shows a
departure longer than its client's reconnect.

The clients choose the process the way nginx's `least_conn` upstream does when one is down: the one that
accepts. The migration is a test-only one: the repository's migrations copied to a temporary folder plus
one more (a nullable column, the kind a release adds while the old code still runs), applied with the real
command; the restarted processes run the same code, which does not know that revision, as the processes of
the old release do during an upgrade.

N is MEETCORE_ROLLING_PARTICIPANTS (default 200, the acceptance's; on an idle 2-core machine the longest
reconnect is under 3 s, see docs/deploy.md)."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pycrdt
import pytest
import socketio
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tests.deploy.stack import REPO
from tests.deploy.test_stack import fresh_postgres  # noqa: F401  (a fixture)
from tests.faults.processes import RedisServer
from tests.live.servers import ServerProcess
from tests.starting import start_now

PARTICIPANTS = int(os.environ.get("MEETCORE_ROLLING_PARTICIPANTS", "200"))
STARTUP = 180  # seconds a process may take to start on a loaded machine (the clients use the other meanwhile)
BACK_WITHIN = 10.0  # seconds from losing its process to being joined again
DETECTION = 2.0  # s: a closed connection noticed by its client, and the rejoin's write
TYPING_PAUSE = 0.1  # seconds between the secretariat's keystrokes (one chunk of text each)
TEST_REVISION = "f0e1d2c3b4a5"
PASSWORD = "long enough password"
PROBE_MIGRATION = '''"""rolling restart test: one nullable column, as a release adds while the old code runs

Revision ID: %(revision)s
Revises: %(head)s
"""
from alembic import op
import sqlalchemy as sa

revision = "%(revision)s"
down_revision = "%(head)s"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("meetings", sa.Column("rolling_probe", sa.String(20), nullable=True))


def downgrade():
    op.drop_column("meetings", "rolling_probe")
'''


def _prepare(database_url: str, participants: int) -> dict:
    """Schema, a secretariat account, a live meeting with two agenda items and `participants` seats (76
    provinces a role, as many roles as needed), each with a personal link."""
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.agenda.services import add_item
    from meetcore.auth.services import create_api_token, create_user
    from meetcore.directory.reference import seed_reference_data
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting
    from meetcore.seats.links import issue_seat_link
    from tests.conftest import MEETING_INPUT
    from tests.invitations.support import add_seats

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        seed_reference_data()
        user = create_user("sec@example.org", role="secretariat", password=PASSWORD)
        meeting = schedule_meeting(dict(MEETING_INPUT, video_conference=False), by=user)
        items = [add_item(meeting, {"title": f"วาระ {n}"}, by=user).id for n in (1, 2)]
        seats = []
        for role, prefix in (("vice_governor", "vg"), ("social_development", "sd"), ("labour", "lb")):
            if len(seats) < participants:
                seats += add_seats(meeting, min(76, participants - len(seats)), role_code=role, prefix=prefix)
        assert len(seats) == participants, len(seats)
        start_now(meeting, by=user)
        db.session.commit()
        data = {
            "token": create_api_token(user),
            "meeting_id": meeting.id,
            "item_id": items[0],
            "seats": [(seat.id, issue_seat_link(seat, by=user)) for seat in seats],
        }
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return data


def _migrations_with_a_new_revision(folder: Path) -> Path:
    """The repository's migrations and one new revision after their head: a nullable column."""
    target = folder / "migrations"
    shutil.copytree(REPO / "migrations", target, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(REPO / "migrations")).get_current_head()
    (target / "versions" / f"{TEST_REVISION}_rolling_restart_probe.py").write_text(
        PROBE_MIGRATION % {"revision": TEST_REVISION, "head": head}
    )
    return target


def _splice(text: str, change: dict) -> str:
    """A reader page's minutes.text (offsets in UTF-16 units)."""
    units = text.encode("utf-16-le")
    at, delete = change["at"] * 2, change["delete"] * 2
    return (units[:at] + change["insert"].encode("utf-16-le") + units[at + delete :]).decode("utf-16-le")


class Page:
    """One client, as the page behaves: it joins (snapshot, or the events it missed), applies the numbered
    events in order, and when its connection drops connects again to a process that accepts."""

    def __init__(self, harness: Harness, auth: dict, first: int):
        self.harness, self.auth, self.server = harness, auth, first
        self.sio = socketio.AsyncClient(reconnection=False)
        self.last_seq: int | None = None
        self.minutes: dict[int, str] = {}
        self.pending: list[dict] = []
        self.joining = False
        self.lost_at: float | None = None
        self.outages: list[float] = []  # seconds from a lost connection to the next join
        self.answer: asyncio.Future | None = None
        self.sio.on("event", self._event)
        self.sio.on("joined", self._joined_at_connect)
        self.sio.on("disconnect", self._disconnected)

    async def connect(self) -> None:
        """Connect, the join carried by the connect as the page carries it (auth.join), its answer a
        `joined` message ahead of the connect's end."""
        servers = self.harness.servers
        for attempt in range(400):
            server = servers[(self.server + attempt) % len(servers)]
            self.joining, self.answer = True, asyncio.get_running_loop().create_future()
            auth = {**self.auth, "join": {"meeting_id": self.harness.meeting_id, "last_seq": self.last_seq}}
            try:
                await self.sio.connect(server.base_url, transports=["websocket"], auth=auth, wait_timeout=10)
            except socketio.exceptions.ConnectionError:
                await asyncio.sleep(0.05)
                continue
            self.server = servers.index(server)
            self._joined(await asyncio.wait_for(self.answer, 30))
            return
        raise AssertionError("no process accepted the connection")

    def _joined_at_connect(self, answer: dict) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(answer)

    async def join(self) -> None:
        """Join again on this connection (a gap), as the page does."""
        self.joining = True
        answer = await self.sio.call(
            "join", {"meeting_id": self.harness.meeting_id, "last_seq": self.last_seq}, timeout=30
        )
        self._joined(answer)

    def _joined(self, answer: dict) -> None:
        assert answer["ok"], answer
        if answer["mode"] == "snapshot":
            snapshot = answer["snapshot"]
            self.minutes = {entry["item_id"]: entry["text"] for entry in snapshot["minutes"]}
            self.last_seq = snapshot["last_seq"]
        else:
            for event in answer["events"]:
                self._apply(event)
        self.joining = False
        for event in sorted(self.pending, key=lambda e: e["seq"]):
            self._apply(event)
        self.pending.clear()
        if self.lost_at is not None:
            self.outages.append(time.monotonic() - self.lost_at)
            self.lost_at = None

    async def _event(self, event: dict) -> None:
        if self.joining:
            self.pending.append(event)
        elif _first_seq(event) > (self.last_seq or 0) + 1:  # a gap: ask for what is missing, as the page does
            self.pending.append(event)
            await self.join()
        else:
            self._apply(event)

    def _apply(self, event: dict) -> None:
        if event["seq"] <= (self.last_seq or 0):
            return
        assert _first_seq(event) <= self.last_seq + 1, (event["seq"], self.last_seq)
        if event["kind"] == "minutes.text":
            payload = event["payload"]
            self.minutes[payload["item_id"]] = _splice(self.minutes.get(payload["item_id"], ""), payload)
        self.last_seq = event["seq"]

    async def _disconnected(self, *_reason) -> None:
        if self.harness.closing:
            return
        self.lost_at = time.monotonic()
        self.harness.reconnects.append(asyncio.ensure_future(self._reconnect()))

    async def _reconnect(self) -> None:
        await asyncio.sleep(0.05)  # let the client finish its own disconnect handling
        self.server += 1  # the process that dropped it is going away: ask the other first
        await self.connect()


class Editor(Page):
    """The secretariat's minutes editor: a Yjs document whose keystrokes go out as minutes.update."""

    def __init__(self, harness: Harness, auth: dict, first: int):
        super().__init__(harness, auth, first)
        self.doc = pycrdt.Doc()
        self.text = self.doc.get("minutes", type=pycrdt.Text)
        self.acknowledged: list[str] = []
        self.typed: list[str] = []

    async def type_until(self, stop: asyncio.Event) -> None:
        item_id, meeting_id = self.harness.item_id, self.harness.meeting_id
        while not stop.is_set():
            chunk = f"[{len(self.typed):04d} มติที่ประชุมรับทราบ] "
            before = self.doc.get_state()
            self.text += chunk
            self.typed.append(chunk)
            update = base64.b64encode(self.doc.get_update(before)).decode()
            while True:
                if self.sio.connected and not self.joining:
                    try:
                        answer = await self.sio.call(
                            "minutes.update",
                            {"meeting_id": meeting_id, "item_id": item_id, "update": update},
                            timeout=10,
                        )
                    except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                        answer = None
                    if answer and answer["ok"]:
                        self.acknowledged.append(chunk)
                        break
                    if answer and answer["error"]["code"] == "out_of_sync":
                        update = await self._missing_at_server() or update
                        continue
                await asyncio.sleep(0.1)
                if self.sio.connected and not self.joining:
                    # What the lost connection may not have kept (or, lost again meanwhile, tried again).
                    update = await self._missing_at_server() or update
            await asyncio.sleep(TYPING_PAUSE)

    async def _missing_at_server(self) -> str | None:
        """The update of what the server lacks; None when the connection dropped before it answered (a
        call in flight is never answered then, as for the page's editor, which asks again once it is back)."""
        vector = base64.b64encode(self.doc.get_state()).decode()
        try:
            answer = await self.sio.call(
                "minutes.sync",
                {"meeting_id": self.harness.meeting_id, "item_id": self.harness.item_id,
                 "state_vector": vector},
                timeout=10,
            )  # fmt: skip
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            return None
        assert answer["ok"], answer
        return base64.b64encode(self.doc.get_update(base64.b64decode(answer["state_vector"]))).decode()


class Harness:
    def __init__(self, servers: list[ServerProcess], data: dict):
        self.servers, self.meeting_id, self.item_id = servers, data["meeting_id"], data["item_id"]
        self.reconnects: list[asyncio.Future] = []
        self.closing = False
        self.pages = [Page(self, {"seat_token": token}, n % 2) for n, (_, token) in enumerate(data["seats"])]
        self.seat_ids = [seat_id for seat_id, _ in data["seats"]]
        self.editor = Editor(self, {"api_token": data["token"]}, 0)

    async def settle(self) -> None:
        while not all(future.done() for future in self.reconnects):
            await asyncio.sleep(0.1)
        for future in self.reconnects:
            future.result()  # a reconnect that failed fails the test


def _restart(server: ServerProcess) -> float:
    """SIGTERM, then the same command again on the same port; the seconds it was away."""
    stopped_at = time.monotonic()
    server.stop()
    server.start(timeout=STARTUP)
    return time.monotonic() - stopped_at


async def _meeting(harness: Harness, upgrade) -> dict:
    figures: dict = {}
    for page in harness.pages:
        await page.connect()
    await harness.editor.connect()
    stop = asyncio.Event()
    typing = asyncio.ensure_future(harness.editor.type_until(stop))
    loop = asyncio.get_running_loop()
    await asyncio.sleep(3)
    figures["first_away"] = await loop.run_in_executor(None, _restart, harness.servers[0])
    await asyncio.sleep(2)
    await harness.settle()
    figures["upgrade"] = await loop.run_in_executor(None, upgrade)
    await asyncio.sleep(2)
    figures["second_away"] = await loop.run_in_executor(None, _restart, harness.servers[1])
    await asyncio.sleep(2)
    await harness.settle()
    stop.set()
    await typing
    await asyncio.sleep(2)  # the last minutes.text (coalesced every 500 ms) reaches the readers
    harness.closing = True
    for page in [*harness.pages, harness.editor]:
        await page.sio.disconnect()
    return figures


def _database_state(database_url: str, data: dict) -> tuple[str, dict, str]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            text = connection.execute(
                sa.text("SELECT text FROM minutes_blocks WHERE agenda_item_id = :i"), {"i": data["item_id"]}
            ).scalar_one()
            rows = connection.execute(
                sa.text(
                    "SELECT seat_id, joined_at, left_at FROM attendance"
                    " WHERE meeting_id = :m ORDER BY joined_at"
                ),
                {"m": data["meeting_id"]},
            ).all()
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    intervals: dict[int, list] = {}
    for seat_id, joined_at, left_at in rows:
        intervals.setdefault(seat_id, []).append((joined_at, left_at))
    return text, intervals, revision


def _departures(intervals: list) -> list[float]:
    """The seconds a seat was counted away between its intervals (none while another was open)."""
    gaps, covered_until = [], None
    for joined_at, left_at in intervals:
        if covered_until is not None and joined_at > covered_until:
            gaps.append((joined_at - covered_until).total_seconds())
        if left_at is None:
            covered_until = joined_at.replace(year=9999)  # still open: covered from here on
        elif covered_until is None or left_at > covered_until:
            covered_until = left_at
    return gaps


# Alone: its bound is a time under its own load (200 clients and two processes on the machine's cores); with
# another worker's browser test beside it in CI, the longest reconnect took 12.1 s (1.9 s alone, 3.0 s beside
# two busy processes, 9–11 s beside eight). Once: its database is a PostgreSQL database of its own either way.
@pytest.mark.alone
@pytest.mark.single_pass
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_a_rolling_restart_and_an_upgrade_in_the_middle_of_a_meeting_lose_nothing(tmp_path, fresh_postgres):  # noqa: F811
    database_url = fresh_postgres
    data = _prepare(database_url, PARTICIPANTS)
    migrations = _migrations_with_a_new_revision(tmp_path)

    def upgrade() -> float:
        started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
        env.update(MEETCORE_DATABASE_URL=database_url, MEETCORE_SECRET_KEY="live-test-secret")
        meetcore = str(Path(sys.executable).parent / "meetcore")
        done = subprocess.run(
            [meetcore, "db", "upgrade", "--directory", str(migrations)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return time.monotonic() - started

    with ExitStack() as stack:
        redis_server = RedisServer().start()
        stack.callback(redis_server.kill)
        servers = []
        for name in ("web1", "web2"):
            server = ServerProcess(
                database_url, tmp_path, redis_url=redis_server.url, channel="rolling", name=name
            )
            server.env["MEETCORE_HEARTBEAT_SECONDS"] = "2"  # a crash would show within 8 s: none may
            stack.callback(server.stop)
            servers.append(server.start(timeout=STARTUP))
        harness = Harness(servers, data)
        figures = asyncio.run(_meeting(harness, upgrade))
        text, intervals, revision = _database_state(database_url, data)

    editor, pages = harness.editor, harness.pages
    outages = [outage for page in [*pages, editor] for outage in page.outages]
    print(
        f"\n{PARTICIPANTS} participants; keystrokes typed {len(editor.typed)}, acknowledged "
        f"{len(editor.acknowledged)}; processes away {figures['first_away']:.1f} s and "
        f"{figures['second_away']:.1f} s; upgrade {figures['upgrade']:.1f} s; reconnects {len(outages)}, "
        f"longest {max(outages):.2f} s"
    )
    assert revision == TEST_REVISION
    # Nothing acknowledged is lost (and what was typed while away was sent again): the text is all of it.
    assert text == "".join(editor.typed)
    assert "".join(editor.acknowledged) in text and len(editor.acknowledged) >= len(editor.typed) - 1
    # Every client lost its process once (the editor too) and was back in time.
    assert all(len(page.outages) >= 1 for page in [*pages, editor]), [len(p.outages) for p in pages]
    assert max(outages) <= BACK_WITHIN
    # The minutes are the same in every client.
    assert {page.minutes.get(data["item_id"]) for page in pages} == {text}
    # The attendance record: no seat away longer than its own client's longest reconnect. The server
    # closes the interval at the SIGTERM, before the client notices, and opens the next once the rejoin is
    # written: DETECTION allows for both (a false departure as long as a heartbeat, 10 s, still fails).
    for page, seat_id in zip(pages, harness.seat_ids, strict=True):
        departures = _departures(intervals[seat_id])
        allowed = max(page.outages) + DETECTION
        assert all(gap <= allowed for gap in departures), (seat_id, departures, page.outages,
                                                           intervals[seat_id])  # fmt: skip


def _first_seq(event: dict) -> int:
    """The first seq an event stands for: a placeholder for a run of staff-only events stands for several."""
    return event.get("first_seq", event["seq"]) if event["kind"] == "redacted" else event["seq"]
