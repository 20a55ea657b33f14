"""Office files made PDF after the upload (issue 16, item 4), by the conversion worker: the upload answers
at once and the meeting's lock is free while LibreOffice runs; a worker killed half-way leaves its document
to the next worker once the lease runs out, never before; a conversion that fails shows as failed and the
file can still be downloaded. LibreOffice is a stand-in `soffice` on PATH here, which waits until the test
lets it go (tests/agenda/test_document_pdf.py converts with the real one)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from meetcore.agenda import conversion_worker, services
from meetcore.agenda.models import AgendaDocument, AgendaItem
from meetcore.agenda.tree import document_out
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.transaction import commit

PDF = b"%PDF-1.4\n% made by the stand-in LibreOffice\ntrailer << >>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 200  # a .docx by its name and first bytes; the stand-in reads nothing
LIVENESS = 60  # seconds a wait may last on a loaded machine before the test gives up


class FakeOffice:
    """`soffice` on PATH: it marks `started`, waits for `go` (at most LIVENESS s), then writes the PDF
    where LibreOffice would (or exits 1 when made with fails=True) and marks `finished`."""

    def __init__(self, folder: Path, *, fails: bool = False):
        self.folder = folder
        folder.mkdir()
        (folder / "made.pdf").write_bytes(PDF)
        outcome = "exit 1" if fails else f'cp "{folder}/made.pdf" "$outdir/${{name%.*}}.pdf"'
        script = folder / "soffice"
        script.write_text(
            "#!/bin/sh\n"
            'outdir=""; previous=""\n'
            'for arg in "$@"; do [ "$previous" = "--outdir" ] && outdir="$arg"; previous="$arg"; done\n'
            'name=$(basename "$previous")\n'
            f'touch "{folder}/started"\n'
            "i=0\n"
            f'while [ ! -e "{folder}/go" ] && [ $i -lt {LIVENESS * 20} ]; do sleep 0.05; i=$((i+1)); done\n'
            f'touch "{folder}/finished"\n'
            f"{outcome}\n"
        )
        script.chmod(0o755)

    def path(self) -> str:
        return f"{self.folder}:{os.environ['PATH']}"

    def started(self) -> bool:
        return (self.folder / "started").exists()

    def finished(self) -> bool:
        return (self.folder / "finished").exists()

    def let_go(self) -> None:
        (self.folder / "go").touch()

    def wait_until_started(self, worker=None) -> None:
        until(self.started, f"the stand-in LibreOffice never started (worker: {worker})")


def until(condition, message: str) -> None:
    """A liveness wait: the condition is polled; only a machine far too slow makes it fail."""
    deadline = time.monotonic() + LIVENESS
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@pytest.fixture()
def files_in_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path / "instance"


@pytest.fixture()
def office(tmp_path, monkeypatch) -> FakeOffice:
    fake = FakeOffice(tmp_path / "office")
    monkeypatch.setenv("PATH", fake.path())
    return fake


@pytest.fixture()
def item(meeting, users):
    return services.add_item(meeting, {"title": "นโยบายเร่งด่วน"}, by=users["secretariat"])


def upload(client, meeting, item, data: bytes = DOCX, name: str = "นโยบาย.docx"):
    url = f"/meetings/{meeting.id}/agenda/items/{item.id}/documents"
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def the_document(meeting) -> AgendaDocument:
    commit()  # a fresh read: the worker writes from a connection of its own
    return db.session.scalars(
        sa.select(AgendaDocument)
        .where(AgendaDocument.meeting_id == meeting.id)
        .execution_options(populate_existing=True)
    ).one()


def pdf_events(meeting) -> list[dict]:
    commit()
    return [
        event.payload
        for event in db.session.scalars(
            sa.select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == "agenda.document_pdf")
            .order_by(MeetingEvent.seq)
        )
    ]


def test_the_upload_answers_at_once_and_the_app_converts_after_it(
    app, as_secretariat, meeting, item, files_in_tmp, office, monkeypatch
):
    """The process that took the upload converts beside the request: the answer does not wait for it, and
    every live page is told when the PDF is ready."""
    monkeypatch.setitem(app.config, "MEETCORE_AGENDA_PDF_IN_APP", 1)
    assert upload(as_secretariat, meeting, item).status_code == 302
    document = the_document(meeting)
    assert (document.pdf_state, document_out(document)["pdf"]) == ("pending", False)
    assert not office.finished()  # the upload was answered while LibreOffice had not finished
    office.wait_until_started()
    page = as_secretariat.get(f"/meetings/{meeting.id}/agenda/items/{item.id}/edit")
    assert "Converting to PDF…" in page.get_data(as_text=True) or "กำลังแปลงเป็น PDF…" in page.get_data(
        as_text=True
    )
    office.let_go()
    until(lambda: the_document(meeting).pdf_state == "ready", "the app never made the PDF")
    document = the_document(meeting)
    assert document_out(document)["pdf"] is True
    pdf = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf")
    assert pdf.status_code == 200 and pdf.data == PDF
    [event] = pdf_events(meeting)
    assert event["item_id"] == item.id
    assert [(d["id"], d["pdf"], d["pdf_state"]) for d in event["documents"]] == [(document.id, True, "ready")]


def test_an_agenda_edit_goes_through_while_a_conversion_runs(
    app, as_secretariat, meeting, item, files_in_tmp, office
):
    """LibreOffice may run for minutes: the meeting's lock (every agenda edit, the live commands) is not
    held meanwhile. The edit comes from the secretariat's request while the worker converts."""
    assert upload(as_secretariat, meeting, item).status_code == 302
    worker = threading.Thread(target=conversion_worker.run_once, args=(app,), daemon=True)
    worker.start()
    office.wait_until_started(worker)
    added = as_secretariat.post(f"/meetings/{meeting.id}/agenda/items", data={"title": "เรื่องเพื่อทราบ"})
    assert added.status_code == 302, added.get_data(as_text=True)[:500]
    assert not office.finished(), "the edit waited for the conversion"
    commit()
    titles = db.session.scalars(sa.select(AgendaItem.title).where(AgendaItem.meeting_id == meeting.id)).all()
    assert "เรื่องเพื่อทราบ" in titles
    assert the_document(meeting).pdf_state == "pending"
    office.let_go()
    worker.join(timeout=LIVENESS)
    assert not worker.is_alive()
    assert the_document(meeting).pdf_state == "ready"


def _convert_in_a_process(app, files_in_tmp: Path, office: FakeOffice, log: Path) -> subprocess.Popen:
    """`meetcore agenda convert` as the conversion service runs it, in a process group of its own so
    that killing it kills its LibreOffice too (a crash of the machine's worker)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEETCORE_")}
    env.update(
        PATH=office.path(),
        MEETCORE_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        MEETCORE_SECRET_KEY="conversion-test",
        MEETCORE_INSTANCE_DIR=str(files_in_tmp),
    )
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "meetcore", "agenda", "convert"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def test_a_conversion_whose_worker_was_killed_is_done_by_the_next_worker(
    app, as_secretariat, meeting, item, files_in_tmp, office, tmp_path, monkeypatch
):
    assert upload(as_secretariat, meeting, item).status_code == 302
    killed = _convert_in_a_process(app, files_in_tmp, office, tmp_path / "worker.log")
    office.wait_until_started(killed)
    claimed = the_document(meeting)
    assert (claimed.pdf_state, claimed.pdf_attempts) == ("pending", 1) and claimed.pdf_claimed_by

    # While the first worker's lease holds, a second worker leaves its document alone.
    assert conversion_worker.run_once(app) == 0
    assert the_document(meeting).pdf_claimed_by == claimed.pdf_claimed_by

    os.killpg(killed.pid, signal.SIGKILL)  # the worker and its LibreOffice: nothing of them runs on
    killed.wait(timeout=LIVENESS)
    assert not office.finished() and not list(files_in_tmp.rglob("*.pdf"))
    office.let_go()
    monkeypatch.setitem(app.config, "MEETCORE_AGENDA_PDF_LEASE_SECONDS", 0)  # the lease has run out
    assert conversion_worker.run_once(app) == 1
    document = the_document(meeting)
    assert (document.pdf_state, document.pdf_attempts, document.pdf_claimed_by) == ("ready", 2, None)
    assert document_out(document)["pdf"] is True
    assert [p.name for p in files_in_tmp.rglob("*.pdf*")] == [f"{document.storage_key}.pdf"]
    assert conversion_worker.run_once(app) == 0  # done once: nothing is left to convert


def test_a_failed_conversion_shows_as_failed_and_the_file_can_be_downloaded(
    app, as_secretariat, meeting, item, files_in_tmp, tmp_path, monkeypatch
):
    office = FakeOffice(tmp_path / "broken-office", fails=True)
    monkeypatch.setenv("PATH", office.path())
    office.let_go()
    assert upload(as_secretariat, meeting, item).status_code == 302
    assert conversion_worker.run_once(app) == 1
    document = the_document(meeting)
    assert document.pdf_state == "failed" and document_out(document)["pdf"] is False
    [event] = pdf_events(meeting)
    listed = [(d["id"], d["pdf"], d["pdf_state"]) for d in event["documents"]]
    assert listed == [(document.id, False, "failed")]
    original = as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}")
    assert original.status_code == 200 and original.data == DOCX
    assert as_secretariat.get(f"/meetings/{meeting.id}/documents/{document.id}/pdf").status_code == 404
    page = as_secretariat.get(f"/meetings/{meeting.id}/agenda/items/{item.id}/edit").get_data(as_text=True)
    assert "PDF failed: the file can still be downloaded" in page or "แปลงเป็น PDF ไม่สำเร็จ" in page
    assert conversion_worker.run_once(app) == 0  # a failed conversion is not tried over and over


def test_a_document_removed_while_it_is_converted_leaves_no_pdf(
    app, as_secretariat, meeting, item, files_in_tmp, office
):
    assert upload(as_secretariat, meeting, item).status_code == 302
    document_id = the_document(meeting).id
    worker = threading.Thread(target=conversion_worker.run_once, args=(app,), daemon=True)
    worker.start()
    office.wait_until_started(worker)
    removed = as_secretariat.post(f"/meetings/{meeting.id}/agenda/documents/{document_id}/remove")
    assert removed.status_code == 302
    office.let_go()
    worker.join(timeout=LIVENESS)
    assert not worker.is_alive()
    assert list(files_in_tmp.rglob("*.pdf*")) == []
    assert pdf_events(meeting) == []


def test_a_pdf_made_by_a_worker_that_died_is_taken_as_it_is(
    app, as_secretariat, meeting, item, files_in_tmp, tmp_path, monkeypatch
):
    """The PDF is renamed into place whole: a worker that finds one (its maker died before recording it)
    marks the document ready without running LibreOffice again (here a LibreOffice that would fail)."""
    from meetcore.agenda.conversion import pdf_path_of
    from meetcore.agenda.files import STORE

    office = FakeOffice(tmp_path / "broken-office", fails=True)
    monkeypatch.setenv("PATH", office.path())
    office.let_go()
    assert upload(as_secretariat, meeting, item).status_code == 302
    pdf_path_of(STORE.path_of(the_document(meeting).storage_key)).write_bytes(PDF)
    assert conversion_worker.run_once(app) == 1
    assert not office.started()
    assert the_document(meeting).pdf_state == "ready"


def test_a_worker_asked_to_stop_gives_its_document_back_at_once(
    app, as_secretariat, meeting, item, files_in_tmp, office, tmp_path
):
    """SIGTERM to the worker's process group, as systemd stops a service (LibreOffice stops too): the
    document waits, unclaimed, for the next worker, which need not wait for a lease."""
    assert upload(as_secretariat, meeting, item).status_code == 302
    stopped = _convert_in_a_process(app, files_in_tmp, office, tmp_path / "worker.log")
    office.wait_until_started(stopped)
    os.killpg(stopped.pid, signal.SIGTERM)
    assert stopped.wait(timeout=LIVENESS) == 0, (tmp_path / "worker.log").read_text()
    document = the_document(meeting)
    assert (document.pdf_state, document.pdf_claimed_by, document.pdf_attempts) == ("pending", None, 1)
    office.let_go()
    assert conversion_worker.run_once(app) == 1
    assert the_document(meeting).pdf_state == "ready"
