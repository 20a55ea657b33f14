"""Client processes of bench/live_fanout.py: many participants, each a python-socketio AsyncClient over a
websocket (aiohttp), in one asyncio loop per process.

The benchmark starts a few of these processes (multiprocessing, spawn) and talks to each through a pipe:
it sends a command, the process answers when the command is done. Every client records the monotonic
time (CLOCK_MONOTONIC, the same clock in every process of the machine) at which each `event` message
reached its handler, keyed by the message's seq, so that the benchmark can subtract the time at which
its driver sent the command that caused it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections import Counter

import socketio

CONNECT_TIMEOUT = 60.0


class Participant:
    """One connection: a seat (or a bare baseline client) in one meeting's room."""

    __slots__ = ("worker", "cohort", "group", "sio", "board", "join_ms", "closing")

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

    async def open(self, url: str, auth: dict | None, join: dict) -> None:
        start = time.monotonic()
        await self.sio.connect(url, transports=["websocket"], auth=auth, wait_timeout=CONNECT_TIMEOUT)
        ack = await self.sio.call("join", join, timeout=CONNECT_TIMEOUT)
        self.join_ms = (time.monotonic() - start) * 1000
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack!r}"[:300])
        snapshot = ack.get("snapshot") or {}
        totals = ((snapshot.get("attendance") or {}).get("counts") or {}).get("totals")
        if totals is not None and self.board is None:
            self.board = totals

    async def close(self) -> None:
        self.closing = True
        try:
            await self.sio.disconnect()
        except Exception:
            pass


class Worker:
    def __init__(self, conn):
        self.conn = conn
        self.clients: list[Participant] = []
        self.receipts: dict[int, list[tuple[float, int]]] = {}
        self.waiting: tuple[int, int, asyncio.Future] | None = None
        self.kinds: Counter = Counter()  # messages received, by (cohort, event kind)
        self.lost: list[str] = []  # connections the server (or the library) closed, with the reason

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
            participant = Participant(self, cohort, group)
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
        target = sum(1 for p in self.clients if p.cohort == cohort and p.sio.connected)
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
                return
            try:
                result = await getattr(self, f"cmd_{name}")(**arguments)
            except Exception as error:
                result = {"error": f"{type(error).__name__}: {error}"}
            self.conn.send(result)


def run(conn, nice: int = 0) -> None:
    """Entry point of a client process. `nice` lowers its priority below the server's, so that the clients
    sharing the machine take the CPU the server leaves, not the reverse."""
    if nice:
        os.nice(nice)
    # A connection the library gives up on is counted (cmd_stats), not printed once per client.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    logging.getLogger("socketio.client").setLevel(logging.CRITICAL)
    asyncio.run(Worker(conn).serve())
    conn.close()
