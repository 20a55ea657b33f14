"""Server time and SQL query count of the reference meeting's attendance board and seat roster pages.

Builds a fresh SQLite database with the migrations, loads the reference meeting (76 provinces × 7 roles =
532 provincial seats, plus the central seats), signs a secretariat account in through Flask's test client
and requests each page N times, printing per page: SQL statements per request, median and p95 server time.

    .venv/bin/python bench/pages.py            # 50 requests per page
    .venv/bin/python bench/pages.py -n 200     # more
    .venv/bin/python bench/pages.py --freeze-gc
    .venv/bin/python bench/pages.py --database-url postgresql://postgres@127.0.0.1:5432/bench

See docs/performance.md for what is measured and the figures on the reference machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "benchmark password"
TARGET_MEDIAN_MS = 150.0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _build_app(database_url: str | None, workdir: Path):
    os.environ.setdefault("MEETCORE_INSTANCE_DIR", str(workdir / "instance"))
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.extensions import db

    url = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret",
            "WTF_CSRF_ENABLED": False,
            "TESTING": False,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            import sqlalchemy as sa

            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")  # every branch, should two migrations be in flight at once
    return app


def _prepare(app) -> dict:
    from meetcore.auth.services import create_user
    from meetcore.demo.reference_meeting import load_reference_meeting

    with app.app_context():
        loaded = load_reference_meeting()
        user = create_user("bench.secretariat@example.org", role="secretariat", password=PASSWORD)
        return {**loaded, "email": user.email}


def _measure(app, client, url: str, runs: int) -> dict:
    import sqlalchemy as sa

    from meetcore.extensions import db

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    for _ in range(3):  # warm-up: template compilation, ICU collator, connection pool
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times: list[float] = []
    counts: list[int] = []
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(runs):
            statements.clear()
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(statements))
            assert response.status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return {
        "url": url,
        "queries": max(counts),
        "queries_min": min(counts),
        "median": statistics.median(times),
        "p95": _percentile(times, 0.95),
        "bytes": len(response.data),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=50, help="requests per page (default 50)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() after start-up, as a pre-forking server would (see docs/performance.md)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="meetcore-bench-") as tmp:
        app = _build_app(args.database_url, Path(tmp))
        data = _prepare(app)
        client = app.test_client()
        response = client.post("/login", data={"email": data["email"], "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit("could not sign in")
        if args.freeze_gc:
            gc.collect()
            gc.freeze()  # start-up objects leave the collector's view: no full collection walks them again
        first, following = data["meeting_id"], data["next_meeting_id"]
        pages = [
            ("board (1/2560, 76 × 7)", f"/meetings/{first}/board"),
            ("roster (1/2560, page 1 of 100 rows)", f"/meetings/{first}/roster"),
            ("roster, editable (next meeting)", f"/meetings/{following}/roster"),
            ("roster, search “เชียง”", f"/meetings/{first}/roster?q=เชียง"),
        ]
        with app.app_context():
            from meetcore.extensions import db

            dialect = db.engine.dialect.name
        gc_note = " · gc frozen after start-up" if args.freeze_gc else ""
        print(f"MeetCore pages · {dialect} · {data['seats']} seats · {args.runs} requests per page{gc_note}")
        print(f"{'page':40} {'SQL':>5} {'median ms':>10} {'p95 ms':>8} {'KiB':>6}")
        worst = 0.0
        for label, url in pages:
            result = _measure(app, client, url, args.runs)
            queries = str(result["queries"])
            if result["queries_min"] != result["queries"]:
                queries = f"{result['queries_min']}-{result['queries']}"
            print(f"{label:40} {queries:>5} {result['median']:>10.1f} {result['p95']:>8.1f} "
                  f"{result['bytes'] / 1024:>6.0f}")  # fmt: skip
            worst = max(worst, result["median"])
        verdict = "within" if worst < TARGET_MEDIAN_MS else "OVER"
        print(f"slowest median {worst:.1f} ms: {verdict} the {TARGET_MEDIAN_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
