"""Memory of a served process under churn: some participants stay, others join and leave again and again.

The heap policy (meetcore/live/heap.py) freezes what survives the collector's full passes in a big room, and
frozen objects are never walked by the collector: the cycles of a connection that closes after being
frozen wait until the room falls below half. This measures whether that shows: `--stay` participants join
and stay, then `--cycles` times `--churn` more join and leave; the server's RSS is printed after the first
join and at each cycle's peak and after its leaving. Flat figures across the cycles mean the closed
connections' memory is reused. Described in docs/performance.md ("Memory under churn").

    .venv/bin/python bench/live_churn.py                      # 1,500 stay, 500 join and leave 10 times
    .venv/bin/python bench/live_churn.py --stay 500 --churn 200 --cycles 5
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from live_fanout import Clients, log, prepare, seat_targets
from live_servers import meetcore_server

MIB = 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stay", type=int, default=1500, help="participants who stay (default 1500)")
    parser.add_argument("--churn", type=int, default=500, help="participants who come and go (default 500)")
    parser.add_argument("--cycles", type=int, default=10, help="times they come and go (default 10)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after each leaving (default 3)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="meetcore-live-churn-"))
    meeting = prepare(None, workdir)
    server = meetcore_server("churn", meeting.url, workdir).start()
    clients = Clients(2)
    try:
        before = server.rss()
        stay = clients.connect(seat_targets(meeting, "stay", [server.url], args.stay), concurrency=10)
        base = server.rss()
        log(
            f"{stay['connected']} participants stay: RSS {before / MIB:.0f} -> {base / MIB:.0f} MiB "
            f"({(base - before) / max(stay['connected'], 1) / 1024:.0f} KiB per connection)"
        )
        after = []
        for cycle in range(1, args.cycles + 1):
            came = clients.connect(seat_targets(meeting, "churn", [server.url], args.churn), concurrency=10)
            time.sleep(1.0)
            peak = server.rss()
            clients.ask_all("disconnect", cohort="churn")
            time.sleep(args.settle)
            after.append(server.rss())
            log(
                f"cycle {cycle}: {came['connected']} came and left; RSS at the peak {peak / MIB:.0f} MiB, "
                f"after leaving {after[-1] / MIB:.0f} MiB"
            )
        growth = (after[-1] - after[0]) / MIB if after else 0.0
        log(
            f"after leaving, cycle 1 -> {args.cycles}: {after[0] / MIB:.0f} -> {after[-1] / MIB:.0f} MiB "
            f"({growth:+.0f} MiB over {args.cycles - 1} more cycles of {args.churn})"
        )
    finally:
        clients.close()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
