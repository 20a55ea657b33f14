"""One minutes update in the service (``minutes.services.apply_update``), without sockets: its CPU as the
block's text grows, with the document this process kept from the block's last update and with the
document rebuilt from the stored state and log (what every update cost before the documents were kept,
and what an update still costs after another process wrote the block).

Builds a fresh database with the migrations (SQLite by default), loads the reference meeting, starts it,
then types ``--updates`` lines into one agenda item's minutes, one update each, as a secretariat's browser
does; every other update runs with the process's kept documents forgotten first. Prints, per tenth of the
run, the text's length and the CPU per update both ways; the log is compacted every
MINUTES_COMPACT_UPDATES updates as in service.

    .venv/bin/python bench/minutes_update.py
    .venv/bin/python bench/minutes_update.py --updates 1000
    .venv/bin/python bench/minutes_update.py --database-url postgresql://postgres@127.0.0.1:5432/bench

See docs/performance.md ("Live fan-out", the fixed cost of a command).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

LINE = "ผู้แทนหน่วยงานรายงานความก้าวหน้า ครั้งที่ {} "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=600, help="updates to send (default 600)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here)]
    from minutes_export import _build_app

    with tempfile.TemporaryDirectory(prefix="meetcore-bench-") as tmp:
        app = _build_app(args.database_url, Path(tmp))
        with app.app_context():
            kept, rebuilt, lengths = _run(args.updates)
            memory = _document_memory()
    print(f"{'updates':>9} {'text chars':>10} {'kept ms':>8} {'rebuilt ms':>10}")
    tenth = max(1, args.updates // 20)  # pairs: one kept, one rebuilt
    for start in range(0, len(kept), tenth):
        end = start + tenth
        print(f"{2 * start + 1:>4}-{2 * min(end, len(kept)):<4} {lengths[min(end, len(kept)) - 1]:>10} "
              f"{statistics.median(kept[start:end]) * 1000:>8.2f} "
              f"{statistics.median(rebuilt[start:end]) * 1000:>10.2f}")  # fmt: skip
    print(f"all: CPU per update, median: kept {statistics.median(kept) * 1000:.2f} ms, "
          f"rebuilt {statistics.median(rebuilt) * 1000:.2f} ms")  # fmt: skip
    print(f"memory of one kept document at the end ({lengths[-1]:,} characters): {memory:.2f} MiB")
    return 0


def _document_memory(copies: int = 20) -> float:
    """MiB of process memory per copy of the block's final document (pycrdt's memory is Rust's, which
    tracemalloc does not see: the resident set's growth is what counts)."""
    import gc

    import psutil
    import sqlalchemy as sa

    from meetcore.extensions import db
    from meetcore.minutes import services
    from meetcore.minutes.models import MinutesBlock

    block = db.session.scalars(sa.select(MinutesBlock).order_by(MinutesBlock.id.desc())).first()
    logged = services._logged_updates([block.id])[block.id]
    gc.collect()
    before = psutil.Process().memory_info().rss
    documents = [services._document(block, logged) for _ in range(copies)]
    grown = psutil.Process().memory_info().rss - before
    assert len(documents) == copies
    return grown / copies / 2**20


def _run(updates: int) -> tuple[list[float], list[float], list[int]]:
    import pycrdt
    import sqlalchemy as sa
    from minutes_export import start_reference_meeting

    from meetcore.agenda.models import AgendaItem
    from meetcore.auth.models import User
    from meetcore.extensions import db
    from meetcore.minutes import services
    from meetcore.transaction import commit

    meeting, secretariat = start_reference_meeting()
    meeting_id, user_id = meeting.id, secretariat.id
    item_id = db.session.scalars(
        sa.select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
    ).first()
    doc = pycrdt.Doc()
    text = doc.get("minutes", type=pycrdt.Text)
    kept, rebuilt, lengths = [], [], []
    for number in range(updates):
        before = doc.get_state()
        text += LINE.format(number + 1)
        update = doc.get_update(before)
        db.session.remove()  # as on the server: each event starts with an empty session
        by = db.session.get(User, user_id)
        forget = number % 2 == 1
        if forget:
            services._documents.clear()
        started = time.process_time()
        services.apply_update(meeting_id, item_id, update, by=by)
        commit()  # the live command's commit, as measured before the one transaction boundary
        (rebuilt if forget else kept).append(time.process_time() - started)
        if forget:
            lengths.append(len(str(text)))
    return kept, rebuilt, lengths


if __name__ == "__main__":
    sys.exit(main())
