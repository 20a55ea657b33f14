"""The browser module's side of the live protocol (docs/protocol.md), in Chromium: the bundled LiveConnection
(static/dist/live-client.js) driven through a scripted Socket.IO client, so that every rule can be provoked
exactly: buffer while the join is unanswered, drop what is already applied, rejoin with last_seq on a gap
and on reconnect, a fresh snapshot when an event does not say the resulting state, unknown kinds counted
without error, commands refused at once while offline. And, against a real server, a refused command's
message shown next to its control."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live.browsers import chromium, live_value, sign_in, wait_until
from tests.live.servers import LiveClient, ServerProcess, scratch_database_url
from tests.starting import start_command

BUNDLE = Path(__file__).resolve().parents[2] / "static" / "dist" / "live-client.js"

FAKE_SOCKET = """
window.FakeSocket = class {
  constructor() { this.connected = false; this.active = true; this.handlers = {}; this.sent = []; }
  on(name, handler) { (this.handlers[name] = this.handlers[name] || []).push(handler); return this; }
  once(name, handler) {
    const wrapped = (...args) => { this.off(name, wrapped); handler(...args); };
    wrapped.inner = handler;
    return this.on(name, wrapped);
  }
  off(name, handler) {
    this.handlers[name] = (this.handlers[name] || []).filter((h) => h !== handler && h.inner !== handler);
    return this;
  }
  fire(name, ...args) { (this.handlers[name] || []).forEach((handler) => handler(...args)); }
  timeout() { return { emit: (name, payload, callback) => this.sent.push({ name, payload, callback }) }; }
  // A connect attempt: its auth asked for (kept in auths), then the server's CONNECT. joinedWith answers
  // the join the auth carried, with the messages the server sent ahead of that answer.
  open() { this.auths = this.auths || []; if (this.auth) this.auth((data) => this.auths.push(data)); }
  connect() { this.open(); this.connected = true; this.fire('connect'); }
  joinedWith(answer, ahead) {
    this.open();
    this.connected = true;  // as socket.io-client: what came ahead is handed over once connected
    (ahead || []).forEach(([name, message]) => this.fire(name, message));
    this.fire('joined', answer);
    this.fire('connect');
  }
  drop() { this.connected = false; this.fire('disconnect', 'transport close'); }
};
window.answer = (index, ack) => window.fake.sent[index].callback(null, ack);
window.unanswered = (index) => window.fake.sent[index].callback(new Error('operation has timed out'));
window.head = (lastSeq) => window.fake.fire('live.head', { meeting_id: 7, last_seq: lastSeq });
window.event = (seq, kind, payload) => window.fake.fire('event',
  { meeting_id: 7, seq, kind, payload: payload || {}, at: '2026-11-26T03:00:00+00:00' });
window.snapshot = (lastSeq) => ({
  last_seq: lastSeq,
  meeting: { id: 7, status: 'scheduled' },
  agenda: [{ id: 1, number: '1', title: 'หนึ่ง', presenter: null, state: 'pending', children: [] },
           { id: 2, number: '2', title: 'สอง', presenter: null, state: 'pending', children: [] }],
  floor: { holder: null, queue: [], default_time_limit_seconds: null },
  minutes: [], decisions: [], actions: { agency_id: null, items: [] }, attendance: { counts: {} },
});
"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as chromium_browser:
        yield chromium_browser


@pytest.fixture(scope="module")
def page(browser):
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: build the browser modules first (make assets / npm run build)")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content("<!doctype html><meta charset=utf-8><title>protocol</title>")
    page.add_script_tag(path=str(BUNDLE))
    page.add_script_tag(content=FAKE_SOCKET)
    page.errors = errors
    yield page
    page.close()


def _start(page, connecting: bool = True) -> None:
    page.evaluate("""(connecting) => {
      window.fake = new FakeSocket();
      window.states = [];
      window.refused = [];
      window.conn = new MeetCoreLive.LiveConnection({ meetingId: 7, socket: window.fake,
        auth: { seat_token: 'tok' }, onState: (state, why) => window.states.push(why),
        onRefused: (problem) => window.refused.push(problem.code) });
      if (connecting) window.fake.connect();
    }""", connecting)


def auths(page) -> list[dict]:
    return page.evaluate("() => window.fake.auths")


def sent(page) -> list[dict]:
    return page.evaluate("() => window.fake.sent.map((m) => ({ name: m.name, payload: m.payload }))")


def conn(page, expression: str):
    return page.evaluate(f"() => {{ const c = window.conn; return {expression}; }}")


def test_join_buffers_until_answered_then_applies_in_order(page):
    _start(page)
    assert sent(page) == [{"name": "join", "payload": {"meeting_id": 7}}]  # no last_seq: nothing held yet
    page.evaluate("""() => {
      event(7, 'agenda.state', { item_id: 2, state: 'done' });  // out of order, before the answer
      event(5, 'meeting.started', { status: 'live' });           // already in the snapshot
      event(6, 'agenda.current', { item_id: 1, previous: [] });
      answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(5) });
    }""")
    assert conn(page, "c.lastSeq") == 7
    assert conn(page, "c.state.meeting.status") == "scheduled"  # seq 5 was dropped: the snapshot had it
    assert conn(page, "c.state.agenda.map((n) => n.state)") == ["current", "done"]
    assert conn(page, "c.counters.dropped") == 1


def test_duplicates_and_redacted_events_are_dropped_and_an_unknown_kind_brings_a_snapshot(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(10) })")
    before = conn(page, "JSON.stringify(c.state)")
    page.evaluate("""() => {
      event(10, 'meeting.ended', { status: 'ended' });  // seq <= last_seq: ignored
      event(11, 'redacted', {});                         // a staff-only event, as participants get it
      event(12, 'seats.updated', { seat_id: 3 });        // the secretariat's bookkeeping: nothing to draw
    }""")
    assert conn(page, "c.lastSeq") == 12
    assert conn(page, "JSON.stringify(c.state)") == before
    assert conn(page, "c.counters.events") == 2 and conn(page, "c.counters.dropped") == 1
    assert [m["name"] for m in sent(page)] == ["join"]  # no rejoin for any of these
    # A kind this client does not know (a newer server) cannot be applied: a fresh snapshot says it.
    page.evaluate("() => event(13, 'something.new', { anything: [1, 2] })")
    assert sent(page)[1] == {"name": "join", "payload": {"meeting_id": 7}}
    assert conn(page, "c.counters.resyncs") == 1
    assert page.errors == []


def test_a_run_of_staff_only_events_is_one_placeholder_and_one_beyond_the_next_seq_is_a_gap(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(10) })")
    page.evaluate("""() => {
      // Eleven votes' counts for the chair, seqs 11..21, as one placeholder (meetcore.live.placeholders);
      // the snapshot may already hold the start of the run.
      fake.fire('event', { meeting_id: 7, seq: 21, first_seq: 9, kind: 'redacted', payload: {} });
      event(22, 'agenda.state', { item_id: 2, state: 'done' });
    }""")
    assert conn(page, "c.lastSeq") == 22
    assert conn(page, "c.state.agenda.map((n) => n.state)") == ["pending", "done"]
    assert [m["name"] for m in sent(page)] == ["join"] and conn(page, "c.counters.gaps") == 0
    # A run that starts past the next seq means what came before it was lost: join again from 22.
    page.evaluate("() => fake.fire('event', { meeting_id: 7, seq: 30, first_seq: 24, kind: 'redacted' })")
    assert conn(page, "c.counters.gaps") == 1
    assert sent(page)[1] == {"name": "join", "payload": {"meeting_id": 7, "last_seq": 22}}
    assert page.errors == []


def test_a_gap_rejoins_with_last_seq_and_keeps_what_came_meanwhile(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(3) })")
    page.evaluate("() => event(6, 'agenda.state', { item_id: 2, state: 'done' })")  # 4 and 5 lost
    assert sent(page)[1] == {"name": "join", "payload": {"meeting_id": 7, "last_seq": 3}}
    assert conn(page, "c.counters.gaps") == 1
    page.evaluate("""() => {
      event(7, 'agenda.current', { item_id: 1, previous: [] });  // arrives while the rejoin is unanswered
      answer(1, { ok: true, mode: 'replay', last_seq: 6, events: [
        { meeting_id: 7, seq: 4, kind: 'meeting.started', payload: { status: 'live' } },
        { meeting_id: 7, seq: 5, kind: 'redacted', payload: {} },
        { meeting_id: 7, seq: 6, kind: 'agenda.state', payload: { item_id: 2, state: 'done' } },
      ] });
    }""")
    assert conn(page, "c.lastSeq") == 7
    assert conn(page, "c.state.meeting.status") == "live"
    assert conn(page, "c.state.agenda.map((n) => n.state)") == ["current", "done"]
    assert conn(page, "c.counters.replays") == 1


def test_reconnect_rejoins_with_last_seq(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(20) })")
    page.evaluate("() => { fake.drop(); }")
    assert conn(page, "c.status") in ("reconnecting", "offline")
    assert conn(page, "c.connected") is False
    page.evaluate("() => fake.connect()")
    assert sent(page)[-1] == {"name": "join", "payload": {"meeting_id": 7, "last_seq": 20}}
    page.evaluate("() => answer(1, { ok: true, mode: 'replay', last_seq: 21, events: ["
                  "{ meeting_id: 7, seq: 21, kind: 'meeting.started', payload: { status: 'live' } }] })")
    assert conn(page, "c.lastSeq") == 21 and conn(page, "c.status") == "connected"


def test_a_join_carried_by_the_connect_sends_no_join_and_applies_what_came_ahead_of_its_answer(page):
    _start(page, connecting=False)
    page.evaluate("""() => fake.joinedWith({ ok: true, mode: 'snapshot', snapshot: snapshot(5) }, [
      ['event', { meeting_id: 7, seq: 6, kind: 'agenda.current', payload: { item_id: 1, previous: [] } }],
      ['event', { meeting_id: 7, seq: 5, kind: 'meeting.started', payload: { status: 'live' } }],
    ])""")
    assert auths(page) == [{"seat_token": "tok", "join": {"meeting_id": 7}}]
    assert sent(page) == []  # the connect carried the join: no join command
    assert conn(page, "c.lastSeq") == 6 and conn(page, "c.status") == "connected"
    assert conn(page, "c.state.meeting.status") == "scheduled"  # seq 5 was in the snapshot: dropped
    assert conn(page, "c.state.agenda.map((n) => n.state)") == ["current", "pending"]
    page.evaluate("() => fake.drop()")
    page.evaluate("""() => fake.joinedWith({ ok: true, mode: 'replay', last_seq: 7, events: [
      { meeting_id: 7, seq: 7, kind: 'agenda.state', payload: { item_id: 2, state: 'done' } }] })""")
    assert auths(page)[-1] == {"seat_token": "tok", "join": {"meeting_id": 7, "last_seq": 6}}  # the newest
    assert sent(page) == [] and conn(page, "c.lastSeq") == 7
    assert conn(page, "c.counters.snapshots") == 1 and conn(page, "c.counters.replays") == 1


def test_a_refused_join_at_connect_is_tried_again_as_a_command_or_shown_when_final(page):
    _start(page, connecting=False)
    failure = "{ ok: false, error: { code: 'internal_error', message: 'x' } }"
    page.evaluate(f"() => fake.joinedWith({failure})")
    assert sent(page) == []  # not at once: after a pause, as a refused join command
    page.wait_for_function("() => window.fake.sent.length === 1", timeout=10_000)
    assert sent(page) == [{"name": "join", "payload": {"meeting_id": 7}}]
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(2) })")
    assert conn(page, "c.lastSeq") == 2
    _start(page, connecting=False)
    page.evaluate("() => fake.joinedWith({ ok: false, error: { code: 'forbidden', message: 'x' } })")
    assert page.evaluate("() => window.refused") == ["forbidden"] and sent(page) == []


def test_an_event_that_does_not_state_the_result_brings_a_fresh_snapshot(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(2) })")
    page.evaluate("() => event(3, 'agenda.added', { item_id: 9, parent_id: null, position: 2, title: 'x' })")
    assert sent(page)[1] == {"name": "join", "payload": {"meeting_id": 7}}  # no last_seq: a snapshot
    page.evaluate("""() => {
      const fresh = snapshot(3);
      fresh.agenda.push({ id: 9, number: '3', title: 'x', presenter: null, state: 'pending', children: [] });
      answer(1, { ok: true, mode: 'snapshot', snapshot: fresh });
    }""")
    assert conn(page, "c.lastSeq") == 3 and conn(page, "c.state.agenda.length") == 3
    assert conn(page, "c.counters.resyncs") == 1


def test_agenda_and_meeting_events_that_carry_the_result_are_applied_without_a_snapshot(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(2) })")
    page.evaluate("""() => event(3, 'agenda.updated', {
      item_id: 2, fields: ['title'], values: { title: 'สองใหม่' },
      agenda: [{ id: 2, number: '1', title: 'สองใหม่', presenter: null, state: 'pending', documents: [],
                 children: [{ id: 1, number: '1.1', title: 'หนึ่ง', presenter: null, state: 'pending',
                              documents: [], children: [] }] }] })""")
    page.evaluate("() => event(4, 'meeting.updated', { fields: ['venue'], significant: ['venue'],"
                  " meeting: { id: 7, status: 'scheduled', venue: 'ห้องประชุม 2' } })")
    assert len(sent(page)) == 1  # no second join: nothing needed a snapshot
    assert conn(page, "c.lastSeq") == 4 and conn(page, "c.counters.resyncs") == 0
    assert conn(page, "c.state.agenda[0].title") == "สองใหม่"
    assert conn(page, "c.state.agenda[0].children[0].number") == "1.1"
    assert conn(page, "c.state.meeting.venue") == "ห้องประชุม 2"


def test_document_lists_and_staff_only_board_seats_are_applied(page):
    _start(page)
    page.evaluate("""() => {
      const first = snapshot(4);
      first.attendance = { counts: { provinces: { 'TH-10': { seats: 7 } } }, seats: { '5': 'self' } };
      answer(0, { ok: true, mode: 'snapshot', snapshot: first });
      event(5, 'agenda.documents', { item_id: 2, documents: [{ id: 3, item_id: 2, title: 'รายงาน' }] });
      event(6, 'attendance.board', { totals: { present: 1 }, provinces: { 'TH-50': { seats: 7 } },
                                     seats: [{ seat_id: 5, present: false, kind: null },
                                             { seat_id: 8, present: true, kind: 'site' }] });
    }""")
    assert conn(page, "c.lastSeq") == 6 and conn(page, "c.counters.resyncs") == 0
    assert conn(page, "c.state.agenda[1].documents.map((d) => d.title)") == ["รายงาน"]
    assert conn(page, "c.state.attendance.seats") == {"8": "site"}
    assert conn(page, "Object.keys(c.state.attendance.counts.provinces).sort()") == ["TH-10", "TH-50"]
    assert conn(page, "'seats' in c.state.attendance.counts") is False


def test_commands_are_acknowledged_or_refused_at_once_offline(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(1) })")
    page.evaluate("() => { window.reply = null; conn.command('floor.grant', { request_id: 4 })"
                  ".then((ack) => { window.reply = ack; }); }")
    grant = sent(page)[-1]
    assert grant["name"] == "floor.grant" and len(grant["payload"].pop("client_id")) >= 8
    assert grant["payload"] == {"meeting_id": 7, "request_id": 4}
    page.evaluate("() => answer(1, { ok: false, error: { code: 'conflict', message: 'ไม่มีผู้รอคิว' } })")
    wait_until(lambda: page.evaluate("() => window.reply"), message="the acknowledgement")
    assert page.evaluate("() => window.reply.error") == {"code": "conflict", "message": "ไม่มีผู้รอคิว"}
    page.evaluate("() => { fake.drop(); window.reply = null; conn.command('floor.revoke', {})"
                  ".then((ack) => { window.reply = ack; }); }")
    wait_until(lambda: page.evaluate("() => window.reply"), message="the local refusal")
    assert page.evaluate("() => window.reply.error.code") == "offline"
    assert sent(page)[-1]["name"] == "floor.grant"  # nothing was sent while disconnected


def test_a_head_above_last_seq_rejoins_with_it_and_one_at_or_below_does_nothing(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(5) })")
    page.evaluate("() => { head(5); head(3); head(8); }")  # events 6 to 8 never came (the queue was down)
    assert [m["payload"] for m in sent(page)] == [{"meeting_id": 7}, {"meeting_id": 7, "last_seq": 5}]
    page.evaluate("() => answer(1, { ok: true, mode: 'replay', last_seq: 6, events: ["
                  "{ meeting_id: 7, seq: 6, kind: 'meeting.started', payload: { status: 'live' } }] })")
    assert conn(page, "c.lastSeq") == 6 and conn(page, "c.counters.heads") == 3


def test_a_head_announced_while_joining_is_looked_at_once_joined(page):
    _start(page)
    page.evaluate("() => head(9)")  # before the join's answer: kept, not a second join in flight
    assert len(sent(page)) == 1
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(7) })")
    assert sent(page)[1] == {"name": "join", "payload": {"meeting_id": 7, "last_seq": 7}}


def test_an_unanswered_command_is_sent_again_with_the_same_client_id(page):
    _start(page)
    page.evaluate("() => answer(0, { ok: true, mode: 'snapshot', snapshot: snapshot(1) })")
    page.evaluate("() => { window.reply = null; conn.command('decision.record', { item_id: 1, text: 'มติ' })"
                  ".then((ack) => { window.reply = ack; }); }")
    page.evaluate("() => unanswered(1)")  # the answer was lost: sent again at once
    page.evaluate("() => fake.drop()")
    page.evaluate("() => unanswered(2)")  # the connection dropped: sent again once it is back
    assert len(sent(page)) == 3
    page.evaluate("() => fake.connect()")  # the join first, then the command again
    attempts = [m["payload"] for m in sent(page) if m["name"] == "decision.record"]
    assert len(attempts) == 3 and len({a["client_id"] for a in attempts}) == 1
    assert attempts[0] == {"meeting_id": 7, "item_id": 1, "text": "มติ", "client_id": attempts[0]["client_id"]}
    page.evaluate("() => answer(fake.sent.length - 1, { ok: true, seq: 2, decision_id: 5 })")
    wait_until(lambda: page.evaluate("() => window.reply"), message="the acknowledgement")
    assert page.evaluate("() => window.reply") == {"ok": True, "seq": 2, "decision_id": 5}
    assert conn(page, "c.counters.retries") == 2
    # The next action of the person is another one: a new id.
    page.evaluate("() => { conn.command('decision.record', { item_id: 1, text: 'มติ' }); }")
    assert sent(page)[-1]["payload"]["client_id"] != attempts[0]["client_id"]
    assert page.errors == []


# --- against a real server --------------------------------------------------------------------------------


def test_a_refused_command_shows_the_servers_message_next_to_its_control(tmp_path, browser):
    from tests.live.test_servers import _prepare

    url = scratch_database_url(tmp_path, "protocol_browser")
    data = _prepare(url, items=2)
    server = ServerProcess(url, tmp_path, name="protocol").start()
    actor = LiveClient(server, {"api_token": data["token"]})
    try:
        meeting_id, item = data["meeting_id"], data["items"][0]
        assert actor.call("meeting.start", start_command(meeting_id))["ok"]
        assert actor.call("agenda.set_current", {"meeting_id": meeting_id, "item_id": item})["ok"]
        context = browser.new_context()
        try:
            page = context.new_page()
            sign_in(page, server.base_url, "sec@example.org")
            page.goto(f"{server.base_url}/meetings/{meeting_id}/live")
            wait_until(lambda: live_value(page, "live.connected"), message="the console to join")
            control = f"decision-new-{item}-send"
            page.click(f"[data-key={control}]")  # an empty decision: the server refuses it
            error = page.locator(f"[data-error-for={control}]")
            error.wait_for()
            refusal = actor.call("decision.record", {"meeting_id": meeting_id, "item_id": item, "text": ""})
            assert refusal["ok"] is False and refusal["error"]["message"]
            assert error.inner_text() == refusal["error"]["message"]
            assert error.get_attribute("role") == "alert"
            assert page.get_attribute(f"[data-key={control}]", "aria-describedby") == f"err-{control}"
            # Corrected, the same control succeeds and its error goes away.
            page.fill(f"#f-decision-new-{item}", "ที่ประชุมรับทราบ")
            page.click(f"[data-key={control}]")
            page.locator("#live-decisions li").wait_for()
            assert page.locator(f"[data-error-for={control}]").count() == 0
        finally:
            context.close()
    finally:
        actor.close()
        server.stop()
