"""While Janus is slow to answer a command, how long does another participant's write wait? (issue 16: no
command waits for Janus while it holds the database's write lock, docs/transactions.md.)

A fresh SQLite database (the migrations), the reference meeting started with its video on a Janus stand-in
(tests/video/standin.py) that answers the chair's mute (`video.moderate`, with its command receipt) only after
--janus-seconds. During each mute a seat checks in (attendance.check_in, committed: the write a check-in
makes), and the check-in's time from its start to its commit is measured, two ways: the receipt claimed
before the call to Janus (the command held SQLite's write lock through the call, as before) and with the
change (Janus first: now); and with Janus idle, for comparison.

    .venv/bin/python bench/janus_write_lock.py
    .venv/bin/python bench/janus_write_lock.py --rounds 10 --janus-seconds 2

See docs/performance.md ("A check-in while Janus is slow").
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="check-ins per way (default 5)")
    parser.add_argument("--janus-seconds", type=float, default=1.0, help="Janus's delay (default 1 s)")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here)]
    from minutes_export import _build_app

    from tests.video.standin import JanusStandIn

    logging.getLogger("meetcore.video.services").setLevel(logging.CRITICAL)  # the guard's breach, on purpose
    janus = JanusStandIn()
    with tempfile.TemporaryDirectory(prefix="meetcore-bench-") as tmp:
        app = _build_app(None, Path(tmp))
        app.config.update(MEETCORE_JANUS_URLS=janus.url, MEETCORE_JANUS_TOKEN_SECRET="bench-token-secret",
                          MEETCORE_JANUS_ADMIN_KEY="bench-admin-key", MEETCORE_VIDEO_RECORD=0)  # fmt: skip
        with app.app_context():
            bench = _Bench(app, janus, args.janus_seconds)
            idle = [bench.check_in() for _ in range(args.rounds)]
            before = [bench.during_mute(claim_first=True) for _ in range(args.rounds)]
            now = [bench.during_mute(claim_first=False) for _ in range(args.rounds)]
    janus.stop()
    print(f"Janus answers the mute after {args.janus_seconds:.1f} s; a check-in's commit, median (max) of "
          f"{args.rounds}:")  # fmt: skip
    for name, times in (("Janus idle", idle), ("during a mute, receipt claimed first (before)", before),
                        ("during a mute, Janus first (now)", now)):  # fmt: skip
        print(f"  {name}: {statistics.median(times) * 1000:.1f} ms ({max(times) * 1000:.1f} ms)")
    _guard_cost()
    return 0


def _guard_cost(number: int = 1_000_000) -> None:
    """What noting a statement's writes costs (meetcore.database._note_writes, run after every statement)."""
    import timeit

    from meetcore.database import _note_writes

    class Connection:
        info: dict = {}

    statements = {"a SELECT": "SELECT meetings.id, meetings.title, meetings.status, meetings.last_seq "
                              "FROM meetings WHERE meetings.id = ?",
                  "an INSERT": "INSERT INTO attendance (meeting_id, seat_id, kind, connection_id) "
                               "VALUES (?, ?, ?, ?)"}  # fmt: skip
    for name, statement in statements.items():
        took = timeit.timeit(lambda s=statement: _note_writes(Connection, None, s, None, None, False),
                             number=number)  # fmt: skip
        print(f"  the guard's note of {name}: {took / number * 1e9:.0f} ns")


class _Bench:
    def __init__(self, app, janus, delay: float):
        from minutes_export import start_reference_meeting

        from meetcore.auth.services import create_user
        from meetcore.extensions import db
        from meetcore.seats.models import Seat

        self.app, self.janus, self.delay = app, janus, delay
        self.meeting, _secretariat = start_reference_meeting()
        self.chair = create_user("chair@example.org", role="chair", password="bench password 1",
                                 display_name="Chair")  # fmt: skip
        self.seat = db.session.scalars(db.select(Seat).where(Seat.meeting_id == self.meeting.id)).first()
        db.session.commit()
        self.rounds = 0

    def check_in(self) -> float:
        """One check-in of the seat over a new connection, committed: its time."""
        from meetcore.attendance.services import Connection, check_in
        from meetcore.extensions import db
        from meetcore.transaction import commit

        self.rounds += 1
        started = time.perf_counter()
        check_in(db.session.merge(self.seat), via=Connection(connection_id=f"bench:{self.rounds}"))
        commit()  # the bench is the entry point
        return time.perf_counter() - started

    def during_mute(self, *, claim_first: bool) -> float:
        """A check-in while the chair's mute waits for Janus (its receipt claimed first, or with it)."""
        self.janus.held.clear()
        self.janus.release.clear()
        self.janus.hold = ("moderate", self.janus.requests.count("moderate") + 1)
        command = threading.Thread(target=self._mute, args=(claim_first,))
        command.start()
        self.janus.held.wait(30)
        answer = threading.Timer(self.delay, self.janus.release.set)
        answer.start()
        waited = self.check_in()
        command.join()
        answer.join()
        return waited

    def _mute(self, claim_first: bool) -> None:
        """The chair's `video.moderate` as its entry point (meetcore.live.events.acknowledged) runs it."""
        from meetcore.extensions import db
        from meetcore.live.receipts import run_once
        from meetcore.meetings.models import Meeting
        from meetcore.transaction import commit
        from meetcore.video import services, sessions

        with self.app.app_context():
            meeting = db.session.get(Meeting, self.meeting.id)
            chair = db.session.merge(self.chair)
            publisher = services.SEAT_BASE + self.seat.id
            run_once(chair, f"bench-mute-{self.rounds}", "video.moderate",
                     lambda: sessions.moderate(meeting, publisher, "audio", ["0"], mute=True, by=chair),
                     claim_first=claim_first)  # fmt: skip
            commit()
            db.session.remove()


if __name__ == "__main__":
    sys.exit(main())
