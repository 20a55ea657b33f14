"""The browser module (static/src/minutes-editor.js, as bundled into static/dist/) against the server: two
editors type into one block at once through the real MinutesEditor (Yjs in Node, fake textareas and
sockets), recover from a lost acknowledgement, and a MinutesReader follows the text from minutes.text."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import seat_at
from tests.minutes.conftest import split_received

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / "dist" / "minutes-editor.js"
DRIVER = Path(__file__).with_name("js") / "browsers.js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not BUNDLE.exists(),
    reason="needs node and the built bundle (make assets / npm run build)",
)

FIRST = "ฝ่ายเลขานุการรายงานว่า ทุกจังหวัดส่งแผนที่ทางสังคมครบแล้ว"
SECOND = "ประธานขอให้ พมจ. เป็นเจ้าภาพหลัก 🙂 ในการขับเคลื่อนงานด้านสังคม"


class Browsers:
    """The Node process holding the editors; forwards their socket traffic to Socket.IO test clients."""

    def __init__(self, sockets: dict):
        self.sockets = sockets  # editor name -> Socket.IO test client
        self.process = subprocess.Popen(
            ["node", str(DRIVER), str(BUNDLE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.queue: list[dict] = []  # emitted by the editors, not yet delivered to the server
        self.errors: list[dict] = []
        self.state: dict = {}

    def run(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert "exception" not in answer, answer["exception"]
        self.queue += answer["outbox"]
        self.errors += answer["errors"]
        self.state = answer
        return answer

    def deliver(self, drop: bool = False) -> int:
        """Send the first queued emit to the server and hand its ack back (or lose it: drop)."""
        message = self.queue.pop(0)
        ack = self.sockets[message["name"]].emit(message["event"], message["payload"], callback=True)
        if not drop:
            self.run(op="ack", id=message["id"], ack=ack)
        return 1

    def deliver_all(self) -> None:
        while self.queue:
            self.deliver()

    def relay(self) -> None:
        """Hand each editor the minutes.update events its socket received."""
        for name, sio in self.sockets.items():
            for message in split_received(sio).get("minutes.update", []):
                self.run(op="receive", name=name, message=message)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture()
def browsers(live, in_session):
    one, two = live("secretariat"), live("secretariat2")
    for sio in (one, two):
        assert sio.emit("join", {"meeting_id": in_session.id}, callback=True)["ok"]
    driver = Browsers({"a": one, "b": two})
    yield driver
    driver.close()


def _server_text(item) -> str:
    from meetcore.minutes.services import block_text

    return block_text(item.id)


def test_two_browser_editors_type_at_once(browsers, live, in_session, item):
    reader_socket = live(seat=seat_at(in_session, "TH-50", "social_development"))
    snapshot = reader_socket.emit("join", {"meeting_id": in_session.id}, callback=True)["snapshot"]
    browsers.run(op="reader", minutes=snapshot["minutes"])
    for name in ("a", "b"):
        browsers.run(op="open", name=name, meeting_id=in_session.id, item_id=item.id)
    # Both type word by word; their messages reach the server interleaved, each editor sending its next
    # change only once the previous one is acknowledged (changes made meanwhile are merged into one).
    a_words, b_words = FIRST.split(" "), SECOND.split(" ")
    browsers.run(op="type", name="b", text=b_words[0])
    browsers.run(op="type", name="a", text=a_words[0])
    for index in range(1, max(len(a_words), len(b_words))):
        if index < len(a_words):
            browsers.run(op="type", name="a", text=" " + a_words[index])
        if index < len(b_words):
            browsers.run(op="type", name="b", text=" " + b_words[index])
        if browsers.queue:
            browsers.deliver()
        if index % 3 == 0:
            browsers.relay()
    browsers.deliver_all()
    browsers.relay()
    browsers.deliver_all()

    server = _server_text(item)
    assert FIRST in server and SECOND in server and len(server) == len(FIRST) + len(SECOND)
    editors = browsers.state["editors"]
    assert editors["a"]["box"] == editors["a"]["doc"] == server
    assert editors["b"]["box"] == editors["b"]["doc"] == server
    # Each caret stayed at the end of what its own typist wrote, wherever the other's text went.
    for name, text in (("a", FIRST), ("b", SECOND)):
        box = editors[name]["box"]
        assert editors[name]["caret"] == len((box[: box.index(text) + len(text)]).encode("utf-16-le")) // 2
    assert browsers.errors == []
    # A reader following minutes.text has the same text.
    for event in split_received(reader_socket).get("event", []):
        if event["kind"] == "minutes.text":
            assert browsers.run(op="read", payload=event["payload"])["applied"]
    assert browsers.state["reader"] == {str(item.id): server}


def test_a_lost_acknowledgement_is_recovered_by_sync(browsers, in_session, item):
    browsers.run(op="open", name="a", meeting_id=in_session.id, item_id=item.id)
    browsers.run(op="type", name="a", text="วาระที่ 1 ")
    browsers.deliver(drop=True)  # stored by the server, but the ack never came back: the connection fell
    browsers.run(op="disconnected", name="a")
    browsers.run(op="type", name="a", text="ประธานแจ้งที่ประชุมทราบ")
    assert [m["event"] for m in browsers.queue] == ["minutes.sync"]
    browsers.deliver_all()
    assert _server_text(item) == "วาระที่ 1 ประธานแจ้งที่ประชุมทราบ" == browsers.state["editors"]["a"]["doc"]


def test_an_editor_opened_on_a_stale_state_catches_up(browsers, live, in_session, item):
    browsers.run(op="open", name="a", meeting_id=in_session.id, item_id=item.id)
    browsers.run(op="type", name="a", text="ข้อความแรก")
    browsers.deliver_all()
    browsers.run(op="open", name="b", meeting_id=in_session.id, item_id=item.id)  # missed it (no state)
    browsers.run(op="type", name="b", text="ข้อความของบี ")
    browsers.deliver_all()
    browsers.relay()
    browsers.deliver_all()
    server = _server_text(item)
    assert "ข้อความแรก" in server and "ข้อความของบี " in server
    assert browsers.state["editors"]["a"]["doc"] == browsers.state["editors"]["b"]["doc"] == server


@pytest.mark.parametrize("before,after", [("กขค", "กขฃค"), ("a😀b", "a😀😀b"), ("abc", ""), ("", "สวัสดี")])
def test_the_textarea_diff_never_splits_a_character(browsers, before, after):
    diff = browsers.run(op="diff", before=before, after=after)["diff"]
    units = before.encode("utf-16-le")
    at, remove = diff["at"] * 2, diff["remove"] * 2
    assert (units[:at] + diff["insert"].encode("utf-16-le") + units[at + remove :]).decode(
        "utf-16-le"
    ) == after


def test_an_editor_opened_without_a_state_is_read_only_until_its_first_sync(browsers, in_session, item):
    """The snapshot carries no Yjs document (issue 19): a page's editor opens empty and takes the block's
    document from minutes.sync; typing before that would land in an empty document."""
    browsers.run(op="open", name="a", meeting_id=in_session.id, item_id=item.id, state=None)
    browsers.run(op="sync", name="a")
    browsers.deliver_all()
    browsers.run(op="type", name="a", text="ข้อความที่มีอยู่แล้ว")
    browsers.deliver_all()
    opened = browsers.run(op="open", name="b", meeting_id=in_session.id, item_id=item.id)["editors"]["b"]
    assert opened == {"box": "", "doc": "", "caret": 0, "readOnly": True}
    browsers.run(op="sync", name="b")
    browsers.deliver_all()
    synced = browsers.state["editors"]["b"]
    assert (synced["box"], synced["doc"], synced["readOnly"]) == ("ข้อความที่มีอยู่แล้ว",) * 2 + (False,)
    assert _server_text(item) == "ข้อความที่มีอยู่แล้ว"
