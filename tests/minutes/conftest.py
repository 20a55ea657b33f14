"""Fixtures of the live minutes and decisions tests (the action tests use them too): a meeting in session
with two agenda items and a few provincial seats, Socket.IO clients for staff and seats, and browsers
simulated by pycrdt documents."""

from __future__ import annotations

import base64

import pycrdt
import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from tests.factories import SocketClients, schedule_soon, seat_link, signed_in_client

PROVINCES = ["TH-50", "TH-90"]  # Chiang Mai, Songkhla
ROLES = ["social_development", "labour"]


@pytest.fixture()
def instant_text(app):
    """Readers get every text change at once (no coalescing window), unless a test sets one."""
    saved = {
        k: app.config.get(k)
        for k in (
            "MEETCORE_MINUTES_TEXT_INTERVAL_MS",
            "MEETCORE_MINUTES_COMPACT_UPDATES",
            "MEETCORE_MINUTES_COMPACT_BYTES",
        )
    }
    app.config["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = 0
    yield app.config
    for key, value in saved.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value


@pytest.fixture()
def no_timers(monkeypatch):
    """Record the publication timers the service starts instead of running them: [(block_id, delay)]."""
    from meetcore.minutes import services

    started = []
    monkeypatch.setattr(
        services.socketio,
        "start_background_task",
        lambda function, app, key, delay, ticket: started.append((key[1], delay)),
    )
    yield started
    services._timers.clear()


def schedule(users, title: str = "การประชุมทดสอบบันทึกการประชุม", number: int = 1):
    return schedule_soon(users, series_name="คณะทำงานทดสอบบันทึกการประชุม", title=title, number=number,
                         venue="ห้องประชุม 4")  # fmt: skip


@pytest.fixture()
def scheduled(reference, users, instant_text):
    """Not in session yet: two agenda items; Chiang Mai and Songkhla × พมจ. and labour."""
    from meetcore.agenda.services import add_item
    from meetcore.seats.services import add_seats

    meeting = schedule(users)
    add_item(meeting, {"title": "เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ"}, by=users["secretariat"])
    add_item(meeting, {"title": "เรื่องเพื่อพิจารณา"}, by=users["secretariat"])
    add_seats(meeting, {"provinces": PROVINCES, "roles": ROLES}, by=users["secretariat"])
    return meeting


@pytest.fixture()
def in_session(scheduled, users):
    from meetcore.meetings.services import start_meeting

    return start_meeting(scheduled, by=users["secretariat"])


def items_of(meeting) -> list:
    from meetcore.agenda.models import AgendaItem

    return list(
        db.session.scalars(
            sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
        )
    )


@pytest.fixture()
def item(in_session):
    return items_of(in_session)[0]


@pytest.fixture()
def live(app_ctx, users):
    """connect(role=None, seat=None): an open Socket.IO test client on its own cookie jar, signed in as
    the account of that role (or a second secretariat: "secretariat2"), or holding a seat's link."""
    from meetcore.auth.services import create_user
    from tests.conftest import PASSWORD

    clients = SocketClients(app_ctx)
    accounts = dict(users)

    def connect(role: str | None = None, *, seat=None):
        if seat is not None:
            sio = clients.connect(auth={"seat_token": seat_link(seat)})
        else:
            if role not in accounts:
                accounts[role] = create_user(
                    f"{role}@example.org", role="secretariat", password=PASSWORD, display_name=role
                )
            sio = clients.connect(signed_in_client(app_ctx, accounts[role]))
        assert sio.is_connected()
        return sio

    yield connect
    clients.close()


def split_received(sio) -> dict[str, list[dict]]:
    by_name: dict[str, list[dict]] = {}
    for packet in sio.get_received():
        by_name.setdefault(packet["name"], []).append(packet["args"][0])
    return by_name


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Browser:
    """A minutes editor in a browser, simulated: a Yjs document (pycrdt) whose local changes are sent as
    minutes.update, and which merges the updates other editors send."""

    def __init__(self, sio, meeting_id: int, item_id: int, state: str | None = None):
        self.sio, self.meeting_id, self.item_id = sio, meeting_id, item_id
        self.doc = pycrdt.Doc()
        self.text = self.doc.get("minutes", type=pycrdt.Text)
        if state:
            self.doc.apply_update(base64.b64decode(state))

    @classmethod
    def synced(cls, sio, meeting_id: int, item_id: int) -> Browser:
        """An editor opened as the live page opens one: empty, then given the block's document by
        minutes.sync (the snapshot carries no Yjs state)."""
        browser = cls(sio, meeting_id, item_id)
        asked = {"meeting_id": meeting_id, "item_id": item_id, "state_vector": b64(browser.doc.get_state())}
        ack = sio.emit("minutes.sync", asked, callback=True)
        assert ack.get("ok", True) is not False, ack
        browser.doc.apply_update(base64.b64decode(ack["update"]))
        return browser

    def _offset(self, at: int) -> int:
        """pycrdt counts UTF-8 bytes where Yjs counts UTF-16 units: positions here are in characters."""
        return len(self.value[:at].encode("utf-8"))

    def after(self, typed: str) -> int:
        """The character position just after ``typed`` (the cursor of whoever typed it)."""
        return self.value.index(typed) + len(typed) if typed else 0

    def type(self, at: int | None, chunk: str) -> bytes:
        """Type locally (not yet sent) at a character position (None: at the end); returns the update."""
        before = self.doc.get_state()
        self.text.insert(len(self.text) if at is None else self._offset(at), chunk)
        return self.doc.get_update(before)

    def delete(self, at: int, length: int) -> bytes:
        before = self.doc.get_state()
        start, end = self._offset(at), self._offset(at + length)
        del self.text[start:end]
        return self.doc.get_update(before)

    def send(self, update: bytes) -> dict:
        return self.sio.emit(
            "minutes.update",
            {"meeting_id": self.meeting_id, "item_id": self.item_id, "update": b64(update)},
            callback=True,
        )

    def merge(self, packets: list[dict]) -> None:
        for packet in packets:
            if packet["item_id"] == self.item_id:
                self.doc.apply_update(base64.b64decode(packet["update"]))

    @property
    def value(self) -> str:
        return str(self.text)


def apply_splice(text: str, change: dict) -> str:
    """What a reader's page does with a minutes.text event (offsets in UTF-16 code units)."""
    units = text.encode("utf-16-le")
    at, delete = change["at"] * 2, change["delete"] * 2
    result = (units[:at] + change["insert"].encode("utf-16-le") + units[at + delete :]).decode("utf-16-le")
    assert len(result.encode("utf-16-le")) // 2 == change["length"]
    return result
