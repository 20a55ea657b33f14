"""The disk: an upload onto a full or read-only disk says why in the reader's language and keeps nothing; the
minutes export writes a whole file or none (issue 20, item 7). Real small file systems: a tmpfs of a few
KiB (full) and one mounted read-only."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from meetcore.agenda import services
from tests.agenda.test_documents import PDF, events, stored, upload

FULL_TH = "เครื่องแม่ข่ายไม่มีพื้นที่เหลือพอเก็บไฟล์นี้ จึงยังไม่ได้บันทึกสิ่งใด โปรดแจ้งผู้ดูแลระบบ"
UNWRITABLE_TH = "ขณะนี้เครื่องแม่ข่ายไม่สามารถเขียนไฟล์ได้ จึงยังไม่ได้บันทึกสิ่งใด โปรดแจ้งผู้ดูแลระบบ"
FULL_EN = "The server has no room left to keep this file; nothing was saved. Tell the system administrator."


@pytest.fixture()
def small_disk():
    """mount(path, size_kb, read_only): a tmpfs there for this test (root only: mount needs it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mounted: list[Path] = []

    def mount(path: Path, size_kb: int = 16, read_only: bool = False) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={size_kb}k" + (",ro" if read_only else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture()
def uploads(app, tmp_path, monkeypatch):
    """Uploaded files go to this test's folder (agenda documents to uploads/attachments/agenda)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "attachments" / "agenda"


@pytest.fixture()
def item(meeting, users):
    return services.add_item(meeting, {"title": "รายงานผลการดำเนินงาน"}, by=users["secretariat"])


def _nothing_kept(meeting, folder: Path) -> None:
    assert stored(meeting) == []
    assert [e for e in events(meeting.id) if e[1] == "agenda.documents"] == []
    assert list(folder.iterdir()) == []


def test_an_upload_onto_a_read_only_disk_says_the_server_cannot_write(as_secretariat, meeting, item, uploads,
                                                                      small_disk):  # fmt: skip
    small_disk(uploads, read_only=True)
    response = upload(as_secretariat, meeting, item)
    assert response.status_code == 503
    assert UNWRITABLE_TH in response.get_data(as_text=True)
    _nothing_kept(meeting, uploads)


def test_an_upload_onto_a_full_disk_says_the_server_has_no_room(as_secretariat, meeting, item, uploads,
                                                                small_disk):  # fmt: skip
    small_disk(uploads, size_kb=16)
    as_secretariat.get("/lang/en")  # in the reader's language
    response = upload(as_secretariat, meeting, item, data=PDF + b"%" * (64 * 1024))
    assert response.status_code == 507
    assert FULL_EN in response.get_data(as_text=True)
    _nothing_kept(meeting, uploads)
    assert upload(as_secretariat, meeting, item).status_code == 302  # a small one still fits


def test_the_minutes_export_onto_a_full_disk_leaves_no_file_and_says_why_in_one_line(app, meeting, tmp_path,
                                                                                     small_disk):  # fmt: skip
    disk = small_disk(tmp_path / "full", size_kb=8)
    out = disk / "minutes.docx"
    result = CliRunner().invoke(app.cli, ["minutes", "export", str(meeting.id), "--format", "docx",
                                          "--out", str(out)])  # fmt: skip
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {out}: {FULL_TH}"]
    assert list(disk.iterdir()) == []
