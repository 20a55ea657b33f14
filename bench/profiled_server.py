"""`python -m meetcore run` under cProfile, for the part of a benchmark that matters: SIGUSR1 starts the
profiler, SIGUSR2 stops it and writes its statistics to the file given as the first argument (read them
with `python -m pstats FILE`). Timed on the process's CPU time, not the wall clock (on a loaded machine the
wall clock counts other processes' turns, and a commit's wait for the disk). Greenlet switches make the call
tree approximate; the time spent in each function itself (tottime) is what to read. Used by
bench/poll_votes.py --profile and bench/live_fanout.py --profile."""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
import time

PROFILER = cProfile.Profile(time.process_time)


def main() -> None:
    path = sys.argv.pop(1)
    signal.signal(signal.SIGUSR1, lambda *_: PROFILER.enable())
    signal.signal(signal.SIGUSR2, lambda *_: (PROFILER.disable(), PROFILER.dump_stats(path)))
    sys.argv[1:] = ["run"]
    runpy.run_module("meetcore", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
