"""The documents a process keeps between minutes updates (minutes.crdt.DocumentCache): used only while
the block is as this process left it, never carrying an update that was refused or not committed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.minutes import services
from meetcore.minutes.crdt import DocumentCache, KeptDocument, MinutesDocument
from meetcore.minutes.models import MinutesBlock
from meetcore.transaction import commit
from tests.factories import received
from tests.minutes.conftest import Browser
from tests.minutes.test_command_statements import Statements


def _block(item) -> MinutesBlock:
    db.session.expire_all()
    return db.session.scalars(sa.select(MinutesBlock).where(MinutesBlock.agenda_item_id == item.id)).one()


@pytest.fixture()
def editor(live, in_session, item):
    sio = live("secretariat")
    assert sio.emit("join", {"meeting_id": in_session.id}, callback=True)["ok"]
    return Browser(sio, in_session.id, item.id)


def test_the_next_update_uses_the_kept_document_and_reads_no_log(editor, item):
    assert editor.send(editor.type(None, "ที่ประชุม"))["ok"]
    with Statements(db.engine) as statements:
        assert editor.send(editor.type(None, "รับทราบ"))["ok"]
    assert not statements.reading("minutes_updates")
    assert _block(item).text == "ที่ประชุมรับทราบ"


def test_a_block_written_by_another_process_is_read_again(editor, live, item, monkeypatch):
    assert editor.send(editor.type(None, "หนึ่ง "))["ok"]
    ours = services._documents
    # Another process (its own kept documents) takes the next update; this process's kept document is
    # now one update behind the block.
    other = live("secretariat2")
    second = Browser(other, editor.meeting_id, item.id)
    second.doc.apply_update(editor.doc.get_update())  # it has what the first editor wrote
    monkeypatch.setattr(services, "_documents", DocumentCache())
    assert second.send(second.type(None, "สอง "))["ok"]
    monkeypatch.setattr(services, "_documents", ours)
    editor.merge(received(editor.sio, "minutes.update"))
    assert editor.value == "หนึ่ง สอง "
    with Statements(db.engine) as statements:
        assert editor.send(editor.type(None, "สาม"))["ok"]
    assert statements.reading("minutes_updates")  # rebuilt from the stored log
    assert _block(item).text == "หนึ่ง สอง สาม"


def test_a_refused_update_leaves_no_trace_in_the_kept_document(editor, item, monkeypatch):
    assert editor.send(editor.type(None, "สั้น"))["ok"]
    monkeypatch.setattr(services, "MAX_TEXT_LENGTH", 10)
    # Applied to the document before the length is checked, then refused.
    refused = editor.type(None, " ข้อความที่ยาวเกินกำหนด")
    assert editor.send(refused)["error"]["code"] == "invalid_input"
    monkeypatch.setattr(services, "MAX_TEXT_LENGTH", 100_000)
    # The refused text is not in the server's document: a browser that never typed it writes on.
    fresh = Browser(editor.sio, editor.meeting_id, item.id)
    fresh.doc.apply_update(_document_of(item).state())
    assert fresh.send(fresh.type(None, " ต่อ"))["ok"]
    assert _block(item).text == "สั้น ต่อ"


def test_an_update_rolled_back_after_applying_is_forgotten(editor, item, users, monkeypatch):
    assert editor.send(editor.type(None, "ก่อน"))["ok"]

    def failing_commit():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.db.session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        services.apply_update(editor.meeting_id, item.id, editor.type(None, " หาย"), by=users["secretariat"])
        commit()  # the test is the entry point: its commit is the one that fails
    monkeypatch.undo()
    db.session.rollback()
    fresh = Browser(editor.sio, editor.meeting_id, item.id)
    fresh.doc.apply_update(_document_of(item).state())
    assert fresh.send(fresh.type(None, " หลัง"))["ok"]
    assert _block(item).text == "ก่อน หลัง"


def _document_of(item) -> MinutesDocument:
    block = _block(item)
    return services._document(block, services._logged_updates([block.id])[block.id])


def test_the_cache_keeps_the_blocks_written_last():
    cache = DocumentCache(size=2)
    for block_id in (1, 2, 3):
        cache.keep(block_id, KeptDocument(MinutesDocument.from_updates([]), block_id * 10, 0, 0))
    assert cache.take(1, 10) is None  # the oldest went
    assert cache.take(2, 99) is None  # another revision
    assert cache.take(2, 20) is None  # and taking it dropped it
    kept = cache.take(3, 30)
    assert kept is not None and cache.take(3, 30) is None
    assert cache.take(4, None) is None
