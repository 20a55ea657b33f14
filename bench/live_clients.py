"""Client processes of bench/live_fanout.py: many participants in one asyncio loop per process, each one
websocket (aiohttp) to the server, of one of two kinds:

- `lean` (the default): the Socket.IO protocol spoken directly over an aiohttp websocket (`LeanParticipant`):
  connect with auth (which carries the join, answered by a `joined` message ahead of the CONNECT packet),
  emit with an acknowledgement, answer pings, receive events. A participant costs the
  client process about a fifth of what an AsyncClient costs, so that on a machine the clients share with
  the server, the delay measured is the server's more than the load generator's;
- `socketio`: a python-socketio AsyncClient (`Participant`), the library a Python service would use.

The benchmark starts a few of these processes (multiprocessing, spawn) and talks to each through a pipe:
it sends a command, the process answers when the command is done. Every client records the monotonic
time (CLOCK_MONOTONIC, the same clock in every process of the machine) at which each `event` message
reached its handler, keyed by the message's seq, so that the benchmark can subtract the time at which
its driver sent the command that caused it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
from collections import Counter

import aiohttp
import socketio

from meetcore.live import heap

CONNECT_TIMEOUT = 60.0


class Participant:
    """One connection: a seat (or a bare baseline client) in one meeting's room."""

    __slots__ = ("worker", "cohort", "group", "sio", "board", "join_ms", "closing")

    @property
    def connected(self) -> bool:
        return self.sio.connected

    def __init__(self, worker: Worker, cohort: str, group: int):
        self.worker, self.cohort, self.group = worker, cohort, group
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self.on_event)
        self.sio.on("disconnect", self.on_disconnect)
        self.board: dict | None = None
        self.join_ms: float | None = None
        self.closing = False

    def on_event(self, data) -> None:
        now = time.monotonic()
        if not isinstance(data, dict):
            return
        kind = data.get("kind")
        if kind == "attendance.board":
            self.board = (data.get("payload") or {}).get("totals")
        self.worker.kinds[self.cohort, kind] += 1
        self.worker.received(data.get("seq"), now, self.group)

    def on_disconnect(self, reason=None) -> None:
        if not self.closing:
            self.worker.lost.append(str(reason))

    def joined(self, ack, start: float) -> None:
        """The `join` acknowledgement: its time, and the board totals of its snapshot."""
        self.join_ms = (time.monotonic() - start) * 1000
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack!r}"[:300])
        snapshot = ack.get("snapshot") or {}
        totals = ((snapshot.get("attendance") or {}).get("counts") or {}).get("totals")
        if totals is not None and self.board is None:
            self.board = totals

    async def open(self, url: str, auth: dict | None, join: dict) -> None:
        start = time.monotonic()
        answered = asyncio.get_running_loop().create_future()
        self.sio.on("joined", lambda ack: answered.done() or answered.set_result(ack))
        auth = {**(auth or {}), "join": join}  # answered by `joined`, ahead of the connect's end
        await self.sio.connect(url, transports=["websocket"], auth=auth, wait_timeout=CONNECT_TIMEOUT)
        self.joined(await asyncio.wait_for(answered, CONNECT_TIMEOUT), start)

    async def close(self) -> None:
        self.closing = True
        try:
            await self.sio.disconnect()
        except Exception:
            pass


class LeanParticipant:
    """One connection speaking Engine.IO 4 / Socket.IO 5 text packets over an aiohttp websocket: the open
    packet, CONNECT with the auth payload and the join, the `joined` answer ahead of CONNECT, EVENT with an
    ack id and its ACK for the driver's commands, the server's pings
    answered with pongs, and EVENT messages handed to `on_event` as the AsyncClient's handler gets them.
    Only what these clients use: the default namespace, text packets (the server sends no binary here)."""

    __slots__ = (
        "worker",
        "cohort",
        "group",
        "ws",
        "reader",
        "acks",
        "next_ack",
        "board",
        "join_ms",
        "closing",
    )

    def __init__(self, worker: Worker, cohort: str, group: int):
        self.worker, self.cohort, self.group = worker, cohort, group
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None
        self.acks: dict[int, asyncio.Future] = {}
        self.next_ack = 0
        self.board: dict | None = None
        self.join_ms: float | None = None
        self.closing = False

    on_event = Participant.on_event
    joined = Participant.joined

    @property
    def connected(self) -> bool:
        reading = self.reader is not None and not self.reader.done()
        return reading and self.ws is not None and not self.ws.closed

    async def open(self, url: str, auth: dict | None, join: dict) -> None:
        start = time.monotonic()
        address = "ws" + url.removeprefix("http") + "/socket.io/?EIO=4&transport=websocket"
        session = await self.worker.http_session()
        self.ws = await asyncio.wait_for(session.ws_connect(address, max_msg_size=0), CONNECT_TIMEOUT)
        opening = await self.ws.receive_str(timeout=CONNECT_TIMEOUT)
        if not opening.startswith("0"):
            raise RuntimeError(f"no Engine.IO open packet: {opening[:100]!r}")
        await self.ws.send_str("40" + json.dumps({**(auth or {}), "join": join}))
        ack = None
        while not (frame := await self.ws.receive_str(timeout=CONNECT_TIMEOUT)).startswith("40"):
            if not frame.startswith("42"):  # CONNECT_ERROR, or a disconnect
                raise ConnectionRefusedError(frame[2:300])
            name, *arguments = json.loads(frame[2:])  # ahead of CONNECT: the join's answer, the room's events
            if name == "joined" and arguments:
                ack = arguments[0]
            elif name == "event" and arguments:
                self.on_event(arguments[0])
        self.reader = asyncio.create_task(self.read())
        self.joined(ack, start)

    async def call(self, name: str, data, timeout: float):
        self.next_ack += 1
        ack_id = self.next_ack
        future = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        await self.ws.send_str(f"42{ack_id}" + json.dumps([name, data], separators=(",", ":")))
        try:
            answer = await asyncio.wait_for(future, timeout)
        finally:
            self.acks.pop(ack_id, None)
        return answer[0] if answer else None

    async def read(self) -> None:
        reason = "the server closed the websocket"
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                reason = f"websocket {message.type.name}"
                break
            text = message.data
            if text == "2":  # Engine.IO ping
                await self.ws.send_str("3")
            elif text.startswith("42"):  # EVENT (the server's broadcasts carry no ack id)
                name, *arguments = json.loads(text[2:])
                if name == "event" and arguments:
                    self.on_event(arguments[0])
            elif text.startswith("43"):  # ACK: 43<id>[...]
                bracket = text.index("[")
                future = self.acks.get(int(text[2:bracket]))
                if future is not None and not future.done():
                    future.set_result(json.loads(text[bracket:]))
            elif text.startswith("41") or text == "1":  # the server disconnected us
                reason = "the server disconnected the client"
                break
        if not self.closing:
            self.worker.lost.append(reason)

    async def close(self) -> None:
        self.closing = True
        if self.ws is None:
            return
        try:
            if not self.ws.closed:
                await self.ws.send_str("41")
            await self.ws.close()
        except Exception:
            pass
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


KINDS = {"lean": LeanParticipant, "socketio": Participant}


class Worker:
    def __init__(self, conn, kind: str = "lean"):
        self.conn = conn
        self.kind = KINDS[kind]
        self.http: aiohttp.ClientSession | None = None
        self.clients: list[Participant | LeanParticipant] = []
        self.receipts: dict[int, list[tuple[float, int]]] = {}
        self.waiting: tuple[int, int, asyncio.Future] | None = None
        self.kinds: Counter = Counter()  # messages received, by (cohort, event kind)
        self.lost: list[str] = []  # connections the server (or the library) closed, with the reason

    async def http_session(self) -> aiohttp.ClientSession:
        """One HTTP session for the lean participants, with no cap on the connections it holds."""
        if self.http is None:
            self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self.http

    def received(self, seq, now: float, group: int) -> None:
        entries = self.receipts.setdefault(seq, [])
        entries.append((now, group))
        if self.waiting is not None:
            wanted, target, future = self.waiting
            if seq == wanted and len(entries) >= target and not future.done():
                future.set_result(None)

    # --- commands (each answers one dict) -------------------------------------------------------------

    async def cmd_connect(self, targets: list, concurrency: int = 20, schedule: list | None = None) -> dict:
        """targets: [(url, auth, join payload, cohort, group)]: a cohort is one set of clients measured
        together (the MeetCore clients, the baseline's), a group the server they use within it.
        schedule: the monotonic time each one starts at (a join burst), else as fast as `concurrency`
        connections in flight allow."""
        gate = asyncio.Semaphore(concurrency)
        errors: list[str] = []
        started = time.monotonic()

        async def one(index: int, target) -> None:
            url, auth, join, cohort, group = target
            participant = self.kind(self, cohort, group)
            if schedule is not None:
                await asyncio.sleep(max(0.0, schedule[index] - time.monotonic()))
                try:
                    await participant.open(url, auth, join)
                except Exception as error:
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    await participant.close()
                    return
            else:
                async with gate:
                    try:
                        await participant.open(url, auth, join)
                    except Exception as error:
                        errors.append(f"{type(error).__name__}: {error}"[:200])
                        await participant.close()
                        return
            self.clients.append(participant)

        before = len(self.clients)
        await asyncio.gather(*(one(index, target) for index, target in enumerate(targets)))
        joined = self.clients[before:]
        # The thousands of long-lived client objects are kept out of the collector's full passes, whose
        # pauses would otherwise show up as delivery delay (a load generator's artefact, not the server's).
        gc.collect()
        gc.freeze()
        return {
            "connected": len(joined),
            "failed": len(errors),
            "errors": errors[:5],
            "join_ms": [p.join_ms for p in joined],
            "seconds": time.monotonic() - started,
        }

    async def cmd_expect(self, seq: int, cohort: str, timeout: float) -> dict:
        """Wait until every client of the cohort in this process has received the message numbered seq."""
        target = sum(1 for p in self.clients if p.cohort == cohort and p.connected)
        entries = self.receipts.get(seq, [])
        if len(entries) < target:
            future = asyncio.get_running_loop().create_future()
            self.waiting = (seq, target, future)
            try:
                await asyncio.wait_for(future, timeout)
            except TimeoutError:
                pass
            finally:
                self.waiting = None
        return {"got": len(self.receipts.get(seq, [])), "expected": target}

    async def cmd_vote(self, meeting_id: int, poll_id: int, schedule: list[float], options: int) -> dict:
        """bench/poll_votes.py: the clients of the cohort "voter" each cast one vote at its time of
        `schedule` (monotonic); returns per vote (send time, acknowledgement time, ok, seq, error code)."""
        voters = [p for p in self.clients if p.cohort == "voter"][: len(schedule)]
        results: list = []

        async def one(index: int, participant) -> None:
            await asyncio.sleep(max(0.0, schedule[index] - time.monotonic()))
            payload = {"meeting_id": meeting_id, "poll_id": poll_id, "choices": [index % options]}
            sent = time.monotonic()
            if isinstance(participant, LeanParticipant):
                ack = await participant.call("poll.vote", payload, CONNECT_TIMEOUT)
            else:
                ack = await participant.sio.call("poll.vote", payload, timeout=CONNECT_TIMEOUT)
            ack = ack or {}
            error = (ack.get("error") or {}).get("code")
            results.append((sent, time.monotonic(), bool(ack.get("ok")), ack.get("seq"), error))

        await asyncio.gather(*(one(index, p) for index, p in enumerate(voters)), return_exceptions=True)
        return {"votes": results, "voters": len(voters)}

    async def cmd_collect(self, seqs: list[int]) -> dict:
        return {seq: self.receipts.get(seq, []) for seq in seqs}

    async def cmd_stats(self) -> dict:
        """Messages received by kind since the last look, and connections lost (both then reset)."""
        kinds: dict[str, dict[str, int]] = {}
        for (cohort, kind), count in self.kinds.items():
            kinds.setdefault(cohort, {})[kind] = count
        result = {"kinds": kinds, "lost": list(self.lost)}
        self.kinds.clear()
        self.lost.clear()
        return result

    async def cmd_boards(self) -> dict:
        """What each client's live attendance board says (the totals of the last attendance.board event,
        or of its join snapshot), counted."""
        seen = Counter(
            None if p.board is None else (p.board.get("present", 0), p.board.get("substitute", 0))
            for p in self.clients
        )
        return {"boards": list(seen.items())}

    async def cmd_disconnect(self, cohort: str | None = None, concurrency: int = 50) -> dict:
        """Close the cohort's connections (every connection without a cohort)."""
        gate = asyncio.Semaphore(concurrency)
        leaving = [p for p in self.clients if cohort is None or p.cohort == cohort]

        async def one(participant: Participant) -> None:
            async with gate:
                await participant.close()

        await asyncio.gather(*(one(p) for p in leaving))
        gone = {id(p) for p in leaving}
        self.clients = [p for p in self.clients if id(p) not in gone]
        if not self.clients:
            self.receipts.clear()
        gc.unfreeze()
        gc.collect()
        if self.clients:
            gc.freeze()
        return {"disconnected": len(leaving)}

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                name, arguments = await loop.run_in_executor(None, self.conn.recv)
            except (EOFError, OSError):  # the benchmark is gone: leave quietly
                name, arguments = "quit", {}
            if name == "quit":
                await self.cmd_disconnect()
                if self.http is not None:
                    await self.http.close()
                return
            try:
                result = await getattr(self, f"cmd_{name}")(**arguments)
            except Exception as error:
                result = {"error": f"{type(error).__name__}: {error}"}
            self.conn.send(result)


def run(conn, nice: int = 0, kind: str = "lean") -> None:
    """Entry point of a client process. `nice` lowers its priority below the server's, so that the clients
    sharing the machine take the CPU the server leaves, not the reverse."""
    if nice:
        os.nice(nice)
    # The collector as in the served process (meetcore.live.heap): the receipts of 2,000 deliveries a
    # round would otherwise bring 30-50 ms passes, counted as delivery delay (the load generator's own).
    gc.set_threshold(*heap.THRESHOLDS)
    # A connection the library gives up on is counted (cmd_stats), not printed once per client.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    logging.getLogger("socketio.client").setLevel(logging.CRITICAL)
    asyncio.run(Worker(conn, kind).serve())
    conn.close()
