"""Live minutes: several editors type into one block at once and lose nothing; updates are persisted before
they are acknowledged, refused whole when malformed, compacted as the log grows; readers follow the text
through coalesced, numbered minutes.text events."""

from __future__ import annotations

import base64
import os
from datetime import timedelta

import pycrdt
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from meetcore.extensions import db
from meetcore.minutes.models import MinutesBlock, MinutesUpdate
from tests.factories import events_of, received, seat_at
from tests.minutes.conftest import Browser, apply_splice, b64, split_received

FIRST = "ฝ่ายเลขานุการรายงานว่า ทุกจังหวัดส่งแผนที่ทางสังคมครบแล้ว 76 จังหวัด "
SECOND = "ประธานขอให้ พมจ. เป็นเจ้าภาพหลักในการขับเคลื่อนงานด้านสังคมของจังหวัด 🙂 "


def _join(sio, meeting) -> dict:
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"], ack
    return ack["snapshot"]


def _block(item) -> MinutesBlock | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(MinutesBlock).where(MinutesBlock.agenda_item_id == item.id))


def _logged(item) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MinutesUpdate)
        .join(MinutesBlock)
        .where(MinutesBlock.agenda_item_id == item.id)
    )


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_two_editors_typing_at_once_lose_nothing(live, in_session, item):
    one, two, chair = live("secretariat"), live("secretariat2"), live("chair")
    for sio in (one, two, chair):
        _join(sio, in_session)
    a = Browser(one, in_session.id, item.id)
    b = Browser(two, in_session.id, item.id)
    # Each types its own text in small bursts, sending before it has seen the other's: concurrent edits.
    a_chunks, b_chunks = _chunks(FIRST, 3), _chunks(SECOND, 4)
    for index in range(max(len(a_chunks), len(b_chunks))):
        # Each types on after its own last character (its cursor), wherever the other's text is.
        if index < len(a_chunks):
            assert a.send(a.type(a.after("".join(a_chunks[:index])), a_chunks[index]))["ok"]
        if index < len(b_chunks):
            assert b.send(b.type(b.after("".join(b_chunks[:index])), b_chunks[index]))["ok"]
        if index % 5 == 0:  # now and then each browser merges what has reached it
            a.merge(received(one, "minutes.update"))
            b.merge(received(two, "minutes.update"))
    a.merge(received(one, "minutes.update"))
    b.merge(received(two, "minutes.update"))

    server_text = _block(item).text
    assert FIRST in server_text and SECOND in server_text
    assert len(server_text) == len(FIRST) + len(SECOND)
    assert a.value == b.value == server_text
    # A third editor joining now builds the same document (the snapshot gives the text; sync, the document).
    three = live("secretariat3")
    [entry] = _join(three, in_session)["minutes"]
    assert entry == {"item_id": item.id, "text": server_text}
    assert Browser.synced(three, in_session.id, item.id).value == server_text
    # The chair (read-only) received every update too.
    chair_doc = Browser(chair, in_session.id, item.id)
    chair_doc.merge(received(chair, "minutes.update"))
    assert chair_doc.value == server_text


def test_an_update_is_stored_before_the_ack_and_sent_to_the_other_editors(live, in_session, item):
    one, two = live("secretariat"), live("secretariat2")
    _join(one, in_session), _join(two, in_session)
    a = Browser(one, in_session.id, item.id)
    update = a.type(None, "เริ่มประชุมเวลา 10.00 น.")
    ack = a.send(update)
    assert ack == {"ok": True, "seq": in_session.last_seq, "item_id": item.id}
    assert _block(item).text == "เริ่มประชุมเวลา 10.00 น." and _logged(item) == 1
    [sent] = received(two, "minutes.update")
    assert sent["meeting_id"] == in_session.id and sent["item_id"] == item.id
    assert base64.b64decode(sent["update"]) == update
    assert received(one, "minutes.update") == []  # not echoed to its sender


@pytest.mark.parametrize(
    "update",
    [
        b"",
        b"\x00",
        b"garbage that is no update",
        bytes(range(256)),
        b"\x01\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff",
    ],
)
def test_a_malformed_update_is_refused_and_nothing_is_stored(live, in_session, item, update):
    one, two = live("secretariat"), live("secretariat2")
    _join(one, in_session), _join(two, in_session)
    seq = in_session.last_seq
    ack = one.emit(
        "minutes.update",
        {"meeting_id": in_session.id, "item_id": item.id, "update": b64(update)},
        callback=True,
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["message"]
    assert _block(item) is None
    db.session.refresh(in_session)
    assert in_session.last_seq == seq
    got = split_received(two)
    assert "minutes.update" not in got and not [
        e for e in got.get("event", []) if e["kind"].startswith("minutes.")
    ]


def test_an_update_adding_another_shared_type_is_refused(live, in_session, item):
    one = live("secretariat")
    doc = pycrdt.Doc()
    doc.get("something_else", type=pycrdt.Map)["x"] = 1
    ack = one.emit(
        "minutes.update",
        {"meeting_id": in_session.id, "item_id": item.id, "update": b64(doc.get_update())},
        callback=True,
    )
    assert ack["error"]["code"] == "invalid_input"
    assert _block(item) is None


def _minutes_as(kind, fill) -> bytes:
    """An update writing `kind` under the minutes' own root name ("minutes"), as a crafted client could."""
    doc = pycrdt.Doc()
    fill(doc.get("minutes", type=kind))
    return doc.get_update()


def _hidden_entry(shared) -> None:
    shared["hidden"] = "ไม่ปรากฏในรายงาน"


def _xml_text(shared) -> None:
    shared.children.append(pycrdt.XmlText("x"))


NOT_TEXT = {
    "map": (pycrdt.Map, _hidden_entry),
    "array": (pycrdt.Array, lambda shared: shared.append({"x": 1})),
    "xml": (pycrdt.XmlFragment, _xml_text),
}


@pytest.mark.parametrize("kind", sorted(NOT_TEXT))
def test_an_update_writing_anything_but_text_under_the_minutes_name_is_refused(live, in_session, item, kind):
    """Issue 13: only other root names were refused; a map entry under "minutes" was kept, never shown."""
    one = live("secretariat")
    ack = one.emit(
        "minutes.update",
        {"meeting_id": in_session.id, "item_id": item.id, "update": b64(_minutes_as(*NOT_TEXT[kind]))},
        callback=True,
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"
    assert _block(item) is None


def test_an_update_whose_predecessor_is_missing_asks_for_a_sync(live, in_session, item):
    one = live("secretariat")
    _join(one, in_session)
    a = Browser(one, in_session.id, item.id)
    lost = a.type(None, "ข้อความที่หาย ")
    later = a.type(None, "ข้อความต่อมา")
    ack = a.send(later)
    assert ack["ok"] is False and ack["error"]["code"] == "out_of_sync"
    assert _block(item) is None
    # The editor syncs: the server has nothing, so it sends its whole state, which now goes through.
    sync = one.emit(
        "minutes.sync",
        {"meeting_id": in_session.id, "item_id": item.id, "state_vector": b64(a.doc.get_state())},
        callback=True,
    )
    assert sync["ok"]
    missing = a.doc.get_update(base64.b64decode(sync["state_vector"]))
    assert a.send(missing)["ok"]
    assert lost and _block(item).text == "ข้อความที่หาย ข้อความต่อมา"


def test_an_editor_back_from_a_break_catches_up_with_sync(live, in_session, item):
    one, two = live("secretariat"), live("secretariat2")
    _join(one, in_session)
    a = Browser(one, in_session.id, item.id)
    assert a.send(a.type(None, "ก่อนพัก "))["ok"]
    _join(two, in_session)
    b = Browser.synced(two, in_session.id, item.id)
    two.disconnect()
    assert a.send(a.type(None, "ระหว่างที่อีกคนหลุด"))["ok"]
    b.type(0, "[ออฟไลน์] ")  # typed while cut off
    two = live("secretariat2")
    _join(two, in_session)
    b.sio = two
    sync = two.emit(
        "minutes.sync",
        {"meeting_id": in_session.id, "item_id": item.id, "state_vector": b64(b.doc.get_state())},
        callback=True,
    )
    b.doc.apply_update(base64.b64decode(sync["update"]))
    assert b.send(b.doc.get_update(base64.b64decode(sync["state_vector"])))["ok"]
    a.merge(received(one, "minutes.update"))
    assert a.value == b.value == _block(item).text == "[ออฟไลน์] ก่อนพัก ระหว่างที่อีกคนหลุด"


def test_participants_and_the_chair_cannot_write_the_minutes(live, in_session, item):
    seat = live(seat=seat_at(in_session, "TH-50", "social_development"))
    chair = live("chair")
    update = Browser(None, in_session.id, item.id).type(None, "ไม่ควรบันทึกได้")
    for sio in (seat, chair):
        ack = sio.emit(
            "minutes.update",
            {"meeting_id": in_session.id, "item_id": item.id, "update": b64(update)},
            callback=True,
        )
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    ack = seat.emit(
        "minutes.sync",
        {"meeting_id": in_session.id, "item_id": item.id, "state_vector": b64(b"\x00")},
        callback=True,
    )
    assert ack["error"]["code"] == "forbidden"
    assert _block(item) is None


def test_minutes_are_written_only_once_the_meeting_has_started(live, scheduled):
    from tests.minutes.conftest import items_of

    item = items_of(scheduled)[0]
    one = live("secretariat")
    update = Browser(None, scheduled.id, item.id).type(None, "ก่อนเริ่มประชุม")
    ack = one.emit(
        "minutes.update",
        {"meeting_id": scheduled.id, "item_id": item.id, "update": b64(update)},
        callback=True,
    )
    assert ack["error"]["code"] == "conflict"


def test_compaction_keeps_the_text_identical(live, in_session, item, instant_text):
    instant_text["MEETCORE_MINUTES_COMPACT_UPDATES"] = 5
    one, two = live("secretariat"), live("secretariat2")
    _join(one, in_session), _join(two, in_session)
    a, b = Browser(one, in_session.id, item.id), Browser(two, in_session.id, item.id)
    for index, chunk in enumerate(_chunks(FIRST + SECOND, 2)):
        editor = a if index % 2 == 0 else b
        assert editor.send(editor.type(None, chunk))["ok"]
        a.merge(received(one, "minutes.update"))
        b.merge(received(two, "minutes.update"))
    assert a.send(a.delete(0, 5))["ok"]
    b.merge(received(two, "minutes.update"))
    block = _block(item)
    assert block.crdt_state is not None and _logged(item) <= 5
    assert block.text == a.value == b.value == (FIRST + SECOND)[5:]
    three = live("secretariat3")
    _join(three, in_session)
    assert Browser.synced(three, in_session.id, item.id).value == block.text


def test_compaction_by_size(live, in_session, item, instant_text):
    instant_text["MEETCORE_MINUTES_COMPACT_BYTES"] = 150
    one = live("secretariat")
    a = Browser(one, in_session.id, item.id)
    for chunk in _chunks(FIRST, 20):
        assert a.send(a.type(None, chunk))["ok"]
    assert _block(item).crdt_state is not None
    assert _block(item).text == FIRST


def test_readers_follow_the_text_without_crdt_updates(live, in_session, item):
    seat_client = live(seat=seat_at(in_session, "TH-90", "labour"))
    snapshot = _join(seat_client, in_session)
    assert snapshot["minutes"] == []
    one = live("secretariat")
    _join(one, in_session)
    a = Browser(one, in_session.id, item.id)
    for chunk in _chunks(SECOND, 5):
        assert a.send(a.type(None, chunk))["ok"]
    assert a.send(a.delete(0, 6))["ok"]
    got = split_received(seat_client)
    assert "minutes.update" not in got  # participants never receive CRDT updates
    text = ""
    for event in [e for e in got["event"] if e["kind"] == "minutes.text"]:
        assert event["payload"]["item_id"] == item.id
        text = apply_splice(text, event["payload"])
    assert text == SECOND[6:] == _block(item).text
    [entry] = _join(seat_client, in_session)["minutes"]
    assert entry == {"item_id": item.id, "text": text}  # no CRDT state for participants


def test_bursts_reach_readers_at_most_once_per_interval(
    live, in_session, item, instant_text, no_timers, monkeypatch
):
    from meetcore.minutes import services

    instant_text["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = (
        60_000  # long enough for the whole burst, however slow the machine
    )
    seat_client = live(seat=seat_at(in_session, "TH-50", "labour"))
    _join(seat_client, in_session)
    one = live("secretariat")
    a = Browser(one, in_session.id, item.id)
    for chunk in _chunks(FIRST, 4):
        assert a.send(a.type(None, chunk))["ok"]
    texts = events_of(seat_client, "minutes.text")
    assert len(texts) == 1  # the first keystroke at once; the rest of the burst is owed
    block = _block(item)
    assert block.text == FIRST and block.published_text == FIRST[:4] and block.text_pending_since is not None
    assert len(no_timers) == 1 and 0 < no_timers[0][1] <= 60  # one timer for the block, not one per update
    # The timer wakes too early: nothing yet. Once the interval is over it publishes what is owed.
    assert 0 < services.publish_owed_text(in_session.id, block.id) <= 60
    later = services.utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert services.publish_owed_text(in_session.id, block.id) is None
    events = events_of(seat_client, "minutes.text")
    assert len(events) == 1 and apply_splice(FIRST[:4], events[0]["payload"]) == FIRST
    assert _block(item).text_pending_since is None
    assert services.publish_owed_text(in_session.id, block.id) is None  # nothing more owed
    assert events_of(seat_client, "minutes.text") == []


def test_an_update_after_the_interval_publishes_at_once_even_if_a_timer_was_lost(
    live, in_session, item, instant_text, no_timers, monkeypatch
):
    from meetcore.minutes import services

    instant_text["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = 60_000
    seat_client = live(seat=seat_at(in_session, "TH-50", "labour"))
    _join(seat_client, in_session)
    a = Browser(live("secretariat"), in_session.id, item.id)
    a.send(a.type(None, "หนึ่ง"))
    a.send(a.type(None, " สอง"))  # owed; its timer "died" with its process (never run here)
    later = services.utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    a.send(a.type(None, " สาม"))
    text = ""
    for event in events_of(seat_client, "minutes.text"):
        text = apply_splice(text, event["payload"])
    assert text == "หนึ่ง สอง สาม"


def test_text_changes_count_utf16_units():
    from meetcore.minutes.services import text_change

    before, after = "ก😀ข", "ก😀😀ค"
    change = text_change(before, after)
    assert apply_splice(before, change) == after
    assert change["length"] == 6


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "x",
        [],
        {},
        {"meeting_id": 1},
        {"meeting_id": 1, "item_id": 1},
        {"meeting_id": 1, "item_id": 1, "update": 5},
        {"meeting_id": 1, "item_id": 1, "update": "not base64!"},
        {"meeting_id": 1, "item_id": 1, "update": "AAA"},
        {"meeting_id": 1, "item_id": 1, "update": "A" * 200_004},
        {"meeting_id": "1", "item_id": 1, "update": "AAA="},
        {"meeting_id": 1, "item_id": 0, "update": "AAA="},
        {"meeting_id": 1, "item_id": 1, "update": "AAA=", "extra": True},
    ],
)
def test_bad_minutes_payloads(live, in_session, payload):
    ack = live("secretariat").emit("minutes.update", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input" and ack["error"]["message"]


def test_an_item_of_another_meeting_or_none_at_all(live, in_session, users):
    from tests.minutes.conftest import items_of, schedule

    other_item = items_of(in_session)[0]
    other = schedule(users, "อีกการประชุม", 2)
    from meetcore.meetings.services import start_meeting

    start_meeting(other, by=users["secretariat"])
    one = live("secretariat")
    update = b64(Browser(None, other.id, other_item.id).type(None, "x"))
    ack = one.emit(
        "minutes.update", {"meeting_id": other.id, "item_id": other_item.id, "update": update}, callback=True
    )
    assert ack["error"]["code"] == "invalid_input" and ack["error"]["field"] == "item_id"
    ack = one.emit(
        "minutes.update", {"meeting_id": other.id, "item_id": 999_999, "update": update}, callback=True
    )
    assert ack["error"]["code"] == "not_found"


def test_a_timer_that_dies_takes_its_entry_away(live, in_session, item, instant_text, monkeypatch):
    """The list of running timers is only an optimization, and a listed block must have a timer that will
    still look at the database: a timer ended by an unexpected error leaves no entry behind, and the next
    owed publication gets a timer of its own."""
    import threading

    from meetcore.minutes import services

    instant_text["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = 60_000
    a = Browser(live("secretariat"), in_session.id, item.id)
    assert a.send(a.type(None, "หนึ่ง"))["ok"]  # published at once
    block_id = _block(item).id
    key = (in_session.id, block_id)

    class Killed(BaseException):
        pass

    started, died = [], threading.Semaphore(0)

    def killed(app, key, delay, generation):
        started.append(key[1])
        raise Killed()

    monkeypatch.setattr(services._timers, "_until_nothing_owed", killed)
    monkeypatch.setattr(threading, "excepthook", lambda hook: died.release())
    assert a.send(a.type(None, " สอง"))["ok"]  # owed: a timer starts, and dies at once
    assert died.acquire(timeout=5)
    assert key not in services._timers
    assert a.send(a.type(None, " สาม"))["ok"]  # owed again: a new timer, not held up by the dead one
    assert died.acquire(timeout=5)
    assert started == [block_id, block_id] and key not in services._timers


def _timer_stacks() -> list[str]:
    """Where every publication timer thread is now."""
    import sys
    import traceback

    stacks = ["".join(traceback.format_stack(frame)) for frame in sys._current_frames().values()]
    return [stack for stack in stacks if "_until_nothing_owed" in stack or "OwedTimers" in stack]


def test_the_owed_text_is_published_by_the_timer(live, in_session, item, instant_text, caplog):
    import time

    from meetcore.minutes import services

    instant_text["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = 200
    seat_client = live(seat=seat_at(in_session, "TH-50", "labour"))
    _join(seat_client, in_session)
    a = Browser(live("secretariat"), in_session.id, item.id)
    for chunk in _chunks(FIRST, 6):
        assert a.send(a.type(None, chunk))["ok"]
    text, deadline = "", time.monotonic() + 10
    while text != FIRST and time.monotonic() < deadline:  # the timer runs in a background thread here
        for event in events_of(seat_client, "minutes.text"):
            text = apply_splice(text, event["payload"])
        time.sleep(0.05)
    block = _block(item)
    assert text == FIRST, (  # what the timer did, should this ever fail again
        text, sorted(services._timers), block.text_pending_since, block.published_at,
        [record.getMessage() for record in caplog.records if record.levelname in ("WARNING", "ERROR")],
        _timer_stacks(),
    )
    deadline = time.monotonic() + 10
    mine = (in_session.id, _block(item).id)
    while mine in services._timers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _block(item).text_pending_since is None and mine not in services._timers



@given(st.text(alphabet="กขค😀 a\n", max_size=30), st.text(alphabet="กขค😀 a\n", max_size=30))
def test_a_text_change_sends_only_what_differs(before, after):
    from meetcore.minutes.services import text_change

    change = text_change(before, after)
    assert apply_splice(before, change) == after
    # The same splice as the longest common prefix, then the longest common suffix of what is left.
    prefix = len(os.path.commonprefix([before, after]))
    suffix = len(os.path.commonprefix([before[prefix:][::-1], after[prefix:][::-1]]))
    assert change["insert"] == after[prefix : len(after) - suffix]
    assert change["at"] == len(before[:prefix].encode("utf-16-le")) // 2
