"""The live pages in a real browser (headless Chromium through Playwright) against a real server process
(gevent, websocket) on a scratch database holding the reference meeting.

* the acceptance scenario of issue 3: the secretariat starts the meeting; three participants join from
  their links (one attending themself, one as a substitute, one provincial site ticking four roles); the
  board shows exactly those seats present; the chair gives the floor to one of them and every screen
  shows it; two secretariat browsers type into the same minutes block at once and afterwards every screen
  shows all of both texts;
* reconnect: a participant cut off for 30 s while 50 changes happen ends with exactly the server's state.
"""

from __future__ import annotations

import base64
import copy
import json
import time

import pytest

from tests.clock import days_after_meeting
from tests.live.browsers import (
    SITE_ROLES,
    chromium,
    confirm_identity,
    live_value,
    prepare_reference,
    sign_in,
    wait_until,
)
from tests.live.servers import LiveClient, ServerProcess, scratch_database_url

OFFLINE_SECONDS = 30
CHANGES = 50
DUE, LATER_DUE = days_after_meeting(60).isoformat(), days_after_meeting(90).isoformat()


@pytest.fixture()
def server_for(tmp_path):
    started: list[ServerProcess] = []

    def start(database_url: str) -> ServerProcess:
        server = ServerProcess(database_url, tmp_path, name=f"browser{len(started)}").start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def browser():
    with chromium() as chromium_browser:
        yield chromium_browser


class Screens:
    """Browser contexts (one per person, each with its own cookies) and the page errors they raise."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.errors: list[str] = []
        self.contexts = []

    def open(self, name: str, *, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = self.browser.new_context(viewport=viewport, locale="th-TH", timezone_id="Asia/Bangkok")
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda error: self.errors.append(f"{name}: {error}"))
        return page

    def staff(self, name: str, email: str, path: str):
        page = self.open(name)
        sign_in(page, self.base_url, email)
        page.goto(self.base_url + path)
        wait_for_state(page, name)
        return page

    def close(self):
        for context in self.contexts:
            context.close()


def wait_for_state(page, name: str, timeout: float = 20):
    wait_until(lambda: live_value(page, "live.state !== null && live.connected"), timeout,
               message=f"{name}'s page to join the meeting")  # fmt: skip


def holder_seat(page):
    return page.evaluate("() => { const e = document.getElementById('live-floor-holder');"
                         " return e ? e.dataset.seatId : null; }")  # fmt: skip


def present_on_board(page, base_url: str, meeting_id: int) -> set[int]:
    page.goto(f"{base_url}/meetings/{meeting_id}/board")
    cells = page.eval_on_selector_all(
        "td.cell.s-present[data-seat], tr.s-present[data-central-seat]",
        "nodes => nodes.map(n => Number(n.dataset.seat || n.dataset.centralSeat))",
    )
    return set(cells)


# --- the acceptance scenario -----------------------------------------------------------------------------


FIRST_TEXT = "ฝ่ายเลขานุการรายงานว่า ทุกจังหวัดส่งแผนที่ทางสังคมครบแล้ว (Social Map)"
SECOND_TEXT = "ประธานมอบหมายให้ พมจ. เป็นเจ้าภาพหลักในการขับเคลื่อนงานด้านสังคม ONE HOME"
SEPARATOR = "\n--\n"


def tick(site, seat_id: int) -> None:
    """Tick a seat on the hall's roll call; a tick the page took back says why (the status line, the
    connection's state), for a failure seen once on a loaded CI run and not since."""
    box = f"input[name=present][value='{seat_id}']"
    try:
        site.check(box)
    except Exception as error:
        status = site.locator("#roll-call-status").text_content()
        live = site.eval_on_selector("#roll-call", "form => form.dataset.live || 'not joined'")
        checked = site.is_checked(box)
        state = f"now checked={checked}, status {status!r}, {live}"
        raise AssertionError(f"seat {seat_id}: {error}; {state}") from None


def _chunks(text: str, size: int = 6) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_acceptance_start_join_board_floor_and_minutes(tmp_path, server_for, browser):
    url = scratch_database_url(tmp_path, "browser_acceptance")
    data = prepare_reference(url)
    server = server_for(url)
    base, meeting_id = server.base_url, data.meeting_id
    screens = Screens(browser, base)
    try:
        # The secretariat starts the meeting and moves to the first item.
        sec1 = screens.staff("sec1", data.secretariat[0], f"/meetings/{meeting_id}/live")
        sec1.click("[data-key=start]")
        wait_until(lambda: live_value(sec1, "live.state.meeting.status") == "live", message="the start")
        first_item = data.items[0]
        sec1.click(f"[data-key=item-{first_item}-current]")
        wait_until(lambda: sec1.locator(f"li[data-item-id='{first_item}'][data-state=current]").count() == 1,
                   message="the current item")  # fmt: skip
        sec2 = screens.staff("sec2", data.secretariat[1], f"/meetings/{meeting_id}/live")
        chair = screens.staff("chair", data.chair, f"/meetings/{meeting_id}/chair")

        # Three participants join from their links: one themself, one as a substitute, one provincial site.
        own = screens.open("participant", phone=True)
        confirm_identity(own, base, data.seat_links["self"], name="สมชาย ใจดี",
                         position="พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่")  # fmt: skip
        wait_for_state(own, "participant")
        substitute = screens.open("substitute", phone=True)
        confirm_identity(substitute, base, data.seat_links["substitute"], name="สมหญิง แทนดี",
                         position="รองนายแพทย์สาธารณสุขจังหวัดขอนแก่น", substitute=True)  # fmt: skip
        wait_for_state(substitute, "substitute")
        site = screens.open("site")
        site.goto(f"{base}/site/{data.site_token}")
        ticked = data.site_seats[:SITE_ROLES]
        for seat_id in ticked:
            tick(site, seat_id)
        site.click("#roll-call button[type=submit]")
        site.wait_for_load_state()
        for seat_id in ticked:  # the roll call holds, whether it was sent tick by tick or as the form
            assert site.is_checked(f"input[name=present][value='{seat_id}']")

        # The board shows exactly those seats present; the live pages count them.
        expected = {data.seats["self"], data.seats["substitute"], *ticked}
        board = screens.open("board")
        sign_in(board, base, data.secretariat[0])
        wait_until(lambda: present_on_board(board, base, meeting_id) == expected, timeout=30,
                   interval=0.5, message="the board to show exactly the seats present")  # fmt: skip
        totals = "live.state.attendance.counts.totals"
        counts = f"[{totals}.present, {totals}.substitute]"
        for page in (sec1, sec2, chair):
            wait_until(lambda page=page: live_value(page, counts) == [5, 1], message="the live counts")
        wait_until(lambda: "6/" in chair.inner_text("#live-completeness-total"), message="the chair's total")

        # The chair gives the floor to the participant who asks for it; every screen shows it.
        own.click("[data-key=request]")
        queued = f"#live-floor-queue li[data-seat-id='{data.seats['self']}']"
        wait_until(lambda: chair.locator(queued).count(), message="the request in the chair's queue")
        request_id = chair.get_attribute(queued, "data-request-id")
        chair.click(f"[data-key=request-{request_id}-grant]")
        speaker = str(data.seats["self"])
        for name, page in {"sec1": sec1, "sec2": sec2, "chair": chair, "participant": own,
                           "substitute": substitute}.items():  # fmt: skip
            wait_until(lambda page=page: holder_seat(page) == speaker, message=f"{name} to show the speaker")
        assert own.get_attribute("#live-my-floor", "data-state") == "holding"

        # Two secretariat browsers type into the same minutes block at once.
        box1, box2 = (page.locator(f"textarea#minutes-{first_item}") for page in (sec1, sec2))
        box1.click()
        sec1.keyboard.type(SEPARATOR)
        wait_until(lambda: box2.input_value() == SEPARATOR, message="the separator on the second console")
        box1.click()
        sec1.keyboard.press("Control+Home")
        box2.click()
        sec2.keyboard.press("Control+End")
        for first, second in zip(_chunks(FIRST_TEXT), _chunks(SECOND_TEXT), strict=False):
            sec1.keyboard.type(first)
            sec2.keyboard.type(second)
        for rest in _chunks(SECOND_TEXT)[len(_chunks(FIRST_TEXT)):]:
            sec2.keyboard.type(rest)
        whole = FIRST_TEXT + SEPARATOR + SECOND_TEXT

        def shows_both(text: str | None) -> bool:
            return bool(text) and FIRST_TEXT in text and SECOND_TEXT in text

        for name, box in {"sec1": box1, "sec2": box2}.items():
            wait_until(lambda box=box: box.input_value() == whole, message=f"{name}'s editor to hold both")
        for name, page in {"participant": own, "substitute": substitute}.items():
            wait_until(lambda page=page: shows_both(page.inner_text("#live-minutes-text")),
                       message=f"{name}'s minutes to show both texts")  # fmt: skip
        observer = LiveClient(server, {"api_token": data.api_token})
        try:
            def saved() -> bool:
                snapshot = observer.call("join", {"meeting_id": meeting_id})["snapshot"]
                return any(b["item_id"] == first_item and b["text"] == whole for b in snapshot["minutes"])

            wait_until(saved, message="the server to hold both texts")
        finally:
            observer.close()
        assert screens.errors == []
    finally:
        screens.close()


# --- reconnect -------------------------------------------------------------------------------------------


def normalised(state: dict) -> dict:
    """What a reader's state and a snapshot must agree on, the same way for both: the order of lists fixed,
    and what the events do not carry left out (the CRDT state of a block, decision presence lists, action
    timestamps and agency names, which the snapshot has and the events do not)."""
    state = copy.deepcopy(state)
    state.pop("last_seq", None)
    blocks = [{"item_id": b["item_id"], "text": b["text"]} for b in state.get("minutes") or []
              if b.get("text")]
    state["minutes"] = sorted(blocks, key=lambda b: b["item_id"])
    state["decisions"] = sorted(({k: v for k, v in d.items() if k != "present_seat_ids"}
                                 for d in state.get("decisions") or []), key=lambda d: d["id"])  # fmt: skip
    actions = state.get("actions") or {"agency_id": None, "items": []}
    state["actions"] = {
        "agency_id": actions.get("agency_id"),
        "items": sorted((
            {
                **{k: a.get(k) for k in ("id", "item_id", "title", "description", "due_date", "role_code")},
                "cancelled": bool(a.get("cancelled_at")),
                "assignments": sorted(({k: s.get(k) for k in ("agency_id", "status", "due_date")}
                                       for s in a.get("assignments") or []), key=lambda s: s["agency_id"]),
            } for a in actions.get("items") or []), key=lambda a: a["id"]),
    }  # fmt: skip
    return state


class Typist:
    """Minutes typed by a script through minutes.update (a pycrdt document, as a browser's Yjs would)."""

    def __init__(self, client: LiveClient, meeting_id: int, item_id: int):
        import pycrdt

        self.client, self.meeting_id, self.item_id = client, meeting_id, item_id
        self.doc = pycrdt.Doc()
        self.text = self.doc.get("minutes", type=pycrdt.Text)

    def type(self, chunk: str) -> dict:
        before = self.doc.get_state()
        self.text.insert(len(self.text), chunk)
        update = base64.b64encode(self.doc.get_update(before)).decode("ascii")
        return self.client.call("minutes.update", {"meeting_id": self.meeting_id, "item_id": self.item_id,
                                                   "update": update})  # fmt: skip


def fifty_changes(actor: LiveClient, data, typist: Typist, own_province: str) -> list[str]:
    """CHANGES acknowledged changes of every kind a participant's page follows; returns their commands."""
    meeting_id, items, speakers = data.meeting_id, data.items, list(data.site_seats)
    done: list[str] = []
    decisions: list[int] = []
    actions: list[int] = []

    def call(name: str, payload: dict) -> dict:
        ack = actor.call(name, {"meeting_id": meeting_id, **payload})
        assert ack["ok"], (name, payload, ack)
        done.append(name)
        return ack

    def step(number: int, turn: int) -> None:
        item = items[turn % len(items)]
        if number == 0:
            call("agenda.set_current", {"item_id": item})
        elif number == 1:
            ack = typist.type(f"บรรทัดที่ {turn} ของบันทึก\n")
            assert ack["ok"], ack
            done.append("minutes.update")
        elif number == 2:
            call("floor.request", {"seat_id": speakers[turn % len(speakers)], "note": f"ขอพูด {turn}"})
        elif number == 3:
            call("floor.grant", {})
        elif number == 4:
            decisions.append(call("decision.record", {"item_id": item, "text": f"มติ {turn}"})["decision_id"])
        elif number == 5:
            provinces = [own_province] if turn % 2 == 0 else ["TH-51"]  # the page's agency, or another
            owner = {"role_code": "social_development", "provinces": provinces}
            payload = {"item_id": item, "title": f"งาน {turn}", "due_date": DUE, "owner": owner}
            actions.append(call("action.create", payload)["action_id"])
        elif number == 6:
            changes = {"title": f"งาน {turn} (แก้)", "due_date": LATER_DUE}
            call("action.update", {"action_id": actions[-1], **changes})
        elif number == 7:
            call("agenda.mark_done", {"item_id": item})
        elif number == 8:
            call("floor.revoke", {})
        elif turn % 2 == 0:
            call("decision.update", {"decision_id": decisions[-1], "text": f"มติ {turn}: เห็นชอบ"})
        else:
            call("action.cancel", {"action_id": actions[-1]})

    turn = 0
    while len(done) < CHANGES:
        for number in range(10):
            if len(done) < CHANGES:
                step(number, turn)
        turn += 1
    return done


def test_participant_cut_off_for_30_seconds_ends_with_the_servers_state(tmp_path, server_for, browser):
    url = scratch_database_url(tmp_path, "browser_reconnect")
    data = prepare_reference(url)
    server = server_for(url)
    meeting_id = data.meeting_id
    screens = Screens(browser, server.base_url)
    actor = LiveClient(server, {"api_token": data.api_token})
    try:
        assert actor.call("join", {"meeting_id": meeting_id})["ok"]
        assert actor.call("meeting.start", {"meeting_id": meeting_id})["ok"]
        page = screens.open("participant", phone=True)
        confirm_identity(page, server.base_url, data.seat_links["self"], name="สมชาย ใจดี",
                         position="พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่")  # fmt: skip
        wait_for_state(page, "participant")
        wait_until(lambda: page.get_attribute("#live-connection", "data-state") == "connected",
                   message="the indicator to say connected")  # fmt: skip

        context = page.context
        cut_at = time.monotonic()
        context.set_offline(True)
        wait_until(lambda: page.get_attribute("#live-connection", "data-state") == "offline",
                   message="the indicator to say offline")  # fmt: skip
        seq_when_cut = live_value(page, "live.lastSeq")
        typist = Typist(actor, meeting_id, data.items[0])
        done = fifty_changes(actor, data, typist, own_province="TH-50")
        assert len(done) == CHANGES
        assert live_value(page, "live.lastSeq") == seq_when_cut, "nothing reached the page while offline"
        time.sleep(max(0.0, OFFLINE_SECONDS - (time.monotonic() - cut_at)))  # the scenario's 30 s cut
        context.set_offline(False)

        reader = LiveClient(server, {"seat_token": data.seat_links["self"]})  # the same seat, a fresh join
        try:
            def server_state() -> dict:
                return reader.call("join", {"meeting_id": meeting_id})["snapshot"]

            def caught_up():
                snapshot = server_state()
                state = live_value(page, "{seq: live.lastSeq, connected: live.connected, state: live.state}")
                if not state["connected"] or state["seq"] != snapshot["last_seq"]:
                    return None
                return (snapshot, state) if normalised(state["state"]) == normalised(snapshot) else None

            try:
                snapshot, state = wait_until(caught_up, timeout=60, interval=0.5,
                                             message="the page to hold the server's state")  # fmt: skip
            except AssertionError:
                def shown(value) -> str:
                    return json.dumps(normalised(value), ensure_ascii=False, sort_keys=True, indent=1)

                assert shown(live_value(page, "live.state")) == shown(server_state())  # shows the difference
                raise
        finally:
            reader.close()
        assert page.get_attribute("#live-connection", "data-state") == "connected"
        counters = live_value(page, "live.counters")
        assert counters["snapshots"] + counters["replays"] >= 2, counters  # it joined again after the cut
        # What the page shows follows the state: the last action given to its agency, the minutes typed.
        mine = [a for a in state["state"]["actions"]["items"] if not a.get("cancelled_at")]
        if mine:
            assert page.locator(f"#live-my-actions li[data-action-id='{mine[-1]['id']}']").count() == 1
        assert screens.errors == []
    finally:
        actor.close()
        screens.close()
