"""Votes in a big live meeting: N connected participants (default 2,000 connections over the reference
meeting's 542 seats), one connection per seat votes, all 542 votes cast evenly within 10 s, while the
chair's connection (the secretariat's API token, a staff page) follows the count.

Prints:

1. the server's CPU time per vote (its CPU over the voting window, less what it spends idle with the same
   connections over the same time: pings, the heartbeat);
2. the delay from a seat sending its vote until the chair holds a count that includes it (the chair has
   received the `poll.voted` event numbered as the vote's acknowledgement says), p50 / p99 / max; and the
   delay of the voter's acknowledgement;
3. whether the count is exact: every vote acknowledged ok, the chair's last count equal to the votes.

    .venv/bin/python bench/poll_votes.py                     # 2,000 connections, 542 votes in 10 s
    .venv/bin/python bench/poll_votes.py --clients 600       # quicker, on a loaded machine
    .venv/bin/python bench/poll_votes.py --secret --database-url postgresql://postgres@127.0.0.1:5432/bench

One `python -m meetcore run` (gevent, websocket) on a scratch database (SQLite unless --database-url), the
clients in a few processes (bench/live_clients.py, lean Socket.IO over aiohttp), all on loopback. Figures
and how they were taken: docs/performance.md ("Votes"). It stops every process it started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from live_fanout import Clients, Driver, connect_all, idle_cpu, log, percentile, prepare, seat_targets
from live_servers import meetcore_server


def vote_window(args, meeting, clients: Clients, server, driver: Driver, poll_id: int) -> dict:
    """Cast one vote per seat evenly over the window; the server's CPU and the delays."""
    voters = len(meeting.seats)
    start = time.monotonic() + 1.0
    schedule = [start + args.window * index / voters for index in range(voters)]
    count = len(clients.pipes)
    cpu_before = server.cpu()
    wall_before = time.monotonic()
    answers = clients.ask("vote", [{"meeting_id": meeting.meeting_id, "poll_id": poll_id,
                                    "schedule": schedule[index::count], "options": 3}
                                   for index in range(count)])  # fmt: skip
    votes = [vote for answer in answers for vote in answer["votes"]]
    acked = [vote for vote in votes if vote[2]]
    last_seq = max((vote[3] for vote in acked), default=None)
    if last_seq is not None:
        driver.event_with_seq(last_seq)
    cpu = server.cpu() - cpu_before
    wall = time.monotonic() - wall_before
    seen = {data.get("seq"): at for at, data in driver.events if isinstance(data, dict)}
    chair_delays = [(seen[seq] - sent) * 1000 for sent, _ack, ok, seq, _e in votes if ok and seq in seen]
    return {
        "votes": len(votes),
        "ok": len(acked),
        "errors": sorted({vote[4] for vote in votes if not vote[2]} - {None}),
        "cpu_s": cpu,
        "wall_s": wall,
        "chair_ms": chair_delays,
        "missing_at_chair": len(acked) - len(chair_delays),
        "ack_ms": [(ack - sent) * 1000 for sent, ack, ok, _s, _e in votes if ok],
        "spread_s": (max(v[0] for v in votes) - min(v[0] for v in votes)) if votes else 0.0,
        "load": os.getloadavg()[0],
    }


def chair_count(driver: Driver, poll_id: int) -> int | None:
    """The count in the last poll event the chair received."""
    for _at, data in reversed(driver.events):
        payload = data.get("payload") if isinstance(data, dict) else None
        if payload and payload.get("poll_id") == poll_id and "counts" in payload:
            return payload["counts"]["voted_count"]
    return None


def report(args, figures: dict, idle: dict, chair_final: int | None, voters: int) -> None:
    idle_cpu_s = idle["share"] * figures["wall_s"]
    per_vote_ms = (figures["cpu_s"] - idle_cpu_s) / max(figures["ok"], 1) * 1000
    chair, ack = figures["chair_ms"], figures["ack_ms"]
    log(f"== {figures['votes']} votes cast over {figures['spread_s']:.1f} s by {voters} seats, "
        f"{args.clients} connections, {'secret' if args.secret else 'open'} poll; load average "
        f"{figures['load']:.1f} ==")  # fmt: skip
    log(
        f"  acknowledged ok: {figures['ok']}; refused: {figures['votes'] - figures['ok']} {figures['errors']}"
    )
    log(f"  server CPU: {figures['cpu_s']:.2f} s over {figures['wall_s']:.1f} s, idle share "
        f"{idle['share'] * 100:.1f} % of a core -> {per_vote_ms:.1f} ms CPU per vote")  # fmt: skip
    log(f"  chair's count right after a vote: p50 {percentile(chair, 0.5):.0f} ms, "
        f"p99 {percentile(chair, 0.99):.0f} ms, max {max(chair, default=float('nan')):.0f} ms "
        f"({figures['missing_at_chair']} votes never seen by the chair)")  # fmt: skip
    log(f"  voter's acknowledgement: p50 {percentile(ack, 0.5):.0f} ms, p99 {percentile(ack, 0.99):.0f} ms, "
        f"max {max(ack, default=float('nan')):.0f} ms")  # fmt: skip
    exact = chair_final == figures["ok"] == voters
    log(
        f"  the chair's last count: {chair_final} of {voters} entitled -> {'exact' if exact else 'NOT EXACT'}"
    )


def run(args, workdir: Path, started: list) -> int:
    meeting = prepare(args.database_url, workdir)
    voters = len(meeting.seats)
    settings = {}
    if args.placeholder_interval_ms is not None:  # 0: a placeholder per staff-only event, as before
        settings["MEETCORE_PLACEHOLDER_INTERVAL_MS"] = str(args.placeholder_interval_ms)
    server = meetcore_server("votes", meeting.url, workdir, settings=settings, profile=args.profile).start()
    started.append(server)
    clients = Clients(args.client_processes)
    driver = None
    try:
        # The first connection of each seat votes; the others (same seats, other devices) only read.
        targets = seat_targets(meeting, "reader", [server.url], args.clients)
        for index in range(min(voters, len(targets))):
            targets[index] = (*targets[index][:3], "voter", targets[index][4])
        outcome = connect_all(clients, targets, args.concurrency, "participants", [server])
        if outcome["failed"]:
            log(f"{outcome['failed']} connections failed; the figures below count the others")
        # The chair connects once everyone is in: a connection idle through minutes of joins on a loaded
        # machine may miss its pings.
        driver = Driver(server.url, {"api_token": meeting.token})
        driver.sio.on("disconnect", lambda *reason: log(f"  the chair's connection closed: {reason}"))
        driver.call("join", {"meeting_id": meeting.meeting_id})
        poll = {"item_id": meeting.items[0], "question": "เห็นชอบหรือไม่", "secret": args.secret}
        prepared = driver.call("poll.prepare", {"meeting_id": meeting.meeting_id, **poll})
        driver.call("poll.open", {"meeting_id": meeting.meeting_id, "poll_id": prepared["poll_id"]})
        log(f"  measuring the idle server for {args.idle_seconds:.0f} s ...")
        clients.stats()  # from here on: the connections the server closes
        idle = idle_cpu([server], args.idle_seconds)[0]
        if args.profile:
            server.process.send_signal(signal.SIGUSR1)
        figures = vote_window(args, meeting, clients, server, driver, prepared["poll_id"])
        if args.profile:
            server.process.send_signal(signal.SIGUSR2)
            log(f"  the server's profile of the votes: {args.profile} (python -m pstats)")
        time.sleep(0.5)
        report(args, figures, idle, chair_count(driver, prepared["poll_id"]), voters)
        lost = clients.stats()
        # A server that falls more than a ping timeout (20 s) behind closes live connections as lost.
        log(f"  participants' connections closed by the server while idle and voting: {lost['lost']} "
            f"{lost['lost_reasons']}")  # fmt: skip
        # Each vote is a staff-only event: participants get its placeholder, one per run of votes.
        log(f"  messages the participants received while idle and voting: {lost['kinds'].get('reader', {})}, "
            f"the voters: {lost['kinds'].get('voter', {})}")  # fmt: skip
        driver.call("poll.close", {"meeting_id": meeting.meeting_id, "poll_id": prepared["poll_id"]})
        return 0
    finally:
        if driver is not None:
            driver.close()
        clients.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000, help="participant connections (default 2000)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds the votes are spread over")
    parser.add_argument("--secret", action="store_true", help="a secret ballot (default: an open vote)")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=10, help="joins in flight per client process")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle CPU measured this long")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file in a scratch folder)")
    parser.add_argument("--placeholder-interval-ms", type=int,
                        help="the server's MEETCORE_PLACEHOLDER_INTERVAL_MS (0: each staff-only event's "
                             "placeholder sent to every participant at once, as before issue 17's fix)")
    parser.add_argument("--profile", type=Path,
                        help="profile the server (cProfile) while the votes are cast, into this file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, database)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="meetcore-votes-bench-"))
    started: list = []
    log(f"scratch directory {workdir}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    try:
        return run(args, workdir, started)
    finally:
        for server in started:
            server.stop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
