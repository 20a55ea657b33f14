"""Building and delivering the reference meeting's invitations to a local SMTP server.

Builds a fresh database with the migrations (SQLite by default), loads the reference series' next meeting
(542 seats with example.org addresses), starts an aiosmtpd server on a free loopback port that accepts and
counts every message, then times the two halves of an invitation round:

- build: ``send_invitations`` — one personal join link, one iCalendar REQUEST and one MIME message per seat,
  written to the outbox in one transaction;
- deliver: ``deliver_outbox`` — claim, one SMTP connection, DATA per message, each marked sent at once.

    .venv/bin/python bench/invitations.py
    .venv/bin/python bench/invitations.py --rounds 3
    .venv/bin/python bench/invitations.py --database-url postgresql://postgres@127.0.0.1:5432/bench

See docs/performance.md for the figures on the reference machine (target: all of it under 10 s).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

TARGET_SECONDS = 10.0


class _Sink:
    """aiosmtpd handler: accepts everything, counts messages and bytes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages += 1
            self.bytes += len(envelope.original_content or envelope.content)
        return "250 2.0.0 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _build_app(database_url: str | None, workdir: Path, smtp_port: int):
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
            "TESTING": False,
            "MEETCORE_BASE_URL": "https://meetcore.example.org",
            "MEETCORE_SMTP_HOST": "127.0.0.1",
            "MEETCORE_SMTP_PORT": smtp_port,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            import sqlalchemy as sa

            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return app


def _round(app, day: date) -> dict:
    """One invitation round on a fresh copy of the next meeting (its own date, so its own seats)."""
    from meetcore.auth.models import User
    from meetcore.auth.services import create_user
    from meetcore.demo.reference_meeting import load_reference_meeting
    from meetcore.extensions import db
    from meetcore.invitations.services import send_invitations
    from meetcore.mail.sender import deliver_outbox
    from meetcore.meetings.models import Meeting

    with app.app_context():
        import sqlalchemy as sa

        user = db.session.scalar(sa.select(User).where(User.email == "bench.secretariat@example.org"))
        if user is None:
            user = create_user("bench.secretariat@example.org", role="secretariat", password="bench password")
        loaded = load_reference_meeting(today=day)
        meeting = db.session.get(Meeting, loaded["next_meeting_id"])
        start = time.perf_counter()
        result = send_invitations(meeting, by=user)
        built = time.perf_counter()
        report = deliver_outbox()
        delivered = time.perf_counter()
        db.session.remove()
    return {
        "messages": result.sent,
        "build": built - start,
        "deliver": delivered - built,
        "sent": report.sent,
        "connections": report.connections,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="invitation rounds (each on a fresh meeting)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from aiosmtpd.controller import Controller

    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="meetcore-bench-") as tmp:
            app = _build_app(args.database_url, Path(tmp), port)
            with app.app_context():
                from meetcore.extensions import db

                dialect = db.engine.dialect.name
            print(f"MeetCore invitations · {dialect} · aiosmtpd on 127.0.0.1:{port}")
            print(f"{'round':>5} {'messages':>9} {'build s':>8} {'deliver s':>10} {'total s':>8} "
                  f"{'ms/message':>11} {'connections':>12}")  # fmt: skip
            worst = 0.0
            # The series' next meeting is "number 2"; only the first round can load it on a fresh database,
            # so later rounds re-send on new copies through the same loader by giving each its own day.
            for index in range(args.rounds):
                if index:
                    _reset(app)
                result = _round(app, date.today() + timedelta(days=30 + index))
                total = result["build"] + result["deliver"]
                worst = max(worst, total)
                print(f"{index + 1:>5} {result['messages']:>9} {result['build']:>8.2f} {result['deliver']:>10.2f} "
                      f"{total:>8.2f} {total / max(1, result['messages']) * 1000:>11.2f} "
                      f"{result['connections']:>12}")  # fmt: skip
            print(f"received by the SMTP server: {sink.messages} messages, {sink.bytes / 1024 / 1024:.1f} MiB "
                  f"({sink.bytes / max(1, sink.messages) / 1024:.1f} KiB each)")  # fmt: skip
            verdict = "within" if worst < TARGET_SECONDS else "OVER"
            print(f"slowest round {worst:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
    finally:
        controller.stop()
    return 0


def _reset(app) -> None:
    """Empty every table but the reference data, so the next round loads the meeting afresh."""
    import sqlalchemy as sa

    from meetcore.extensions import db

    keep = {"provinces", "roles", "agencies", "people", "users", "alembic_version"}
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in keep]
        with db.engine.begin() as connection:
            for table in reversed(tables):
                connection.execute(sa.delete(table))


if __name__ == "__main__":
    sys.exit(main())
