"""An office file's upload while its PDF is made, with the real LibreOffice (issue 16, item 4).

Builds a fresh database with the migrations (SQLite by default), a meeting with one agenda item, and a
PowerPoint deck of N slides (python-pptx); then, each round:

- upload: ``add_document`` and its commit, as the upload request runs them (the answer's cost);
- conversion: the conversion worker's step (``run_once``) in a thread, LibreOffice headless included;
- edit: an agenda edit (``add_item`` and its commit, which takes the meeting's lock) made from another
  connection while LibreOffice runs: how long it waits. Before the worker, the upload converted inside the
  request under that lock, so the upload and any such edit lasted as long as the conversion.

    .venv/bin/python bench/document_conversion.py
    .venv/bin/python bench/document_conversion.py --slides 30 --rounds 3
    .venv/bin/python bench/document_conversion.py --database-url postgresql://postgres@127.0.0.1:5432/bench

Figures and the machine's load: docs/performance.md ("Agenda documents made PDF").
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def slides(count: int) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for n in range(count):
        slide = deck.slides.add_slide(deck.slide_layouts[1])  # a title and a body
        slide.shapes.title.text = f"นโยบายเร่งด่วน เรื่องที่ {n + 1}"
        slide.placeholders[1].text = "จัดทำแผนที่ทางสังคมของจังหวัด\nพมจ. เป็นเจ้าภาพหลักงานสังคม"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_app(database_url: str, instance: str):
    from flask_migrate import upgrade

    from meetcore import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading",
                      "MEETCORE_AGENDA_PDF_IN_APP": 0})  # fmt: skip
    app.instance_path = instance
    with app.app_context():
        upgrade(revision="head")
    return app


def prepare(app) -> tuple[int, int, int]:
    from datetime import datetime, timedelta

    from meetcore.agenda.services import add_item
    from meetcore.auth.services import create_user
    from meetcore.extensions import db
    from meetcore.meetings.services import schedule_meeting
    from meetcore.transaction import commit

    with app.app_context():
        user = create_user("bench@example.org", role="secretariat", password="long enough password")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
        meeting = schedule_meeting({"series_name": "คณะกรรมการนโยบาย", "title": "การประชุมครั้งที่ 1",
                                    "number": 1, "start_at": start.isoformat(),
                                    "end_at": (start + timedelta(hours=3)).isoformat(), "venue": "ห้อง 1",
                                    "status": "scheduled"}, by=user)  # fmt: skip
        item = add_item(meeting, {"title": "นโยบายเร่งด่วน"}, by=user)
        commit()
        ids = user.id, meeting.id, item.id
        db.session.remove()
    return ids


def one_round(app, ids, deck: bytes, n: int) -> dict:
    from meetcore.agenda import conversion_worker, documents
    from meetcore.agenda.models import AgendaDocument, AgendaItem
    from meetcore.agenda.services import add_item
    from meetcore.auth.models import User
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import commit

    user_id, meeting_id, item_id = ids
    with app.app_context():
        user, item = db.session.get(User, user_id), db.session.get(AgendaItem, item_id)
        began = time.perf_counter()
        document = documents.add_document(item, io.BytesIO(deck), f"นโยบาย-{n}.pptx", by=user)
        commit()
        upload = time.perf_counter() - began
        document_id = document.id
        db.session.remove()

    worker = threading.Thread(target=conversion_worker.run_once, args=(app,))
    began = time.perf_counter()
    worker.start()
    with app.app_context():
        while db.session.get(AgendaDocument, document_id, populate_existing=True).pdf_claimed_by is None:
            db.session.rollback()
            time.sleep(0.01)
        db.session.rollback()
        edit_began = time.perf_counter()
        add_item(db.session.get(Meeting, meeting_id), {"title": f"เรื่องเพื่อทราบ {n}"},
                 by=db.session.get(User, user_id))  # fmt: skip
        commit()
        edit = time.perf_counter() - edit_began
        during = worker.is_alive()
        db.session.remove()
    worker.join()
    conversion = time.perf_counter() - began
    with app.app_context():
        state = db.session.get(AgendaDocument, document_id).pdf_state
        db.session.remove()
    return {"upload": upload, "edit": edit, "conversion": conversion, "during": during, "state": state}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meetcore-bench-") as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        app = make_app(url, os.path.join(folder, "instance"))
        ids = prepare(app)
        deck = slides(args.slides)
        print(f"a {args.slides}-slide PowerPoint deck, {len(deck) / 1024:.0f} KiB; {url.split(':')[0]}")
        rounds = [one_round(app, ids, deck, n) for n in range(args.rounds)]
        for n, r in enumerate(rounds, 1):
            print(f"round {n}: upload answered {r['upload'] * 1000:.0f} ms; agenda edit during the "
                  f"conversion {r['edit'] * 1000:.0f} ms (LibreOffice still running: {r['during']}); "
                  f"conversion {r['conversion']:.1f} s ({r['state']})")  # fmt: skip
        for key, unit, scale in (("upload", "ms", 1000), ("edit", "ms", 1000), ("conversion", "s", 1)):
            values = [r[key] * scale for r in rounds]
            print(f"{key}: median {statistics.median(values):.1f} {unit}, max {max(values):.1f} {unit}")
        print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
