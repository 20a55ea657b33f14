// The live protocol's client side (docs/protocol.md): connect over websocket, join, take the snapshot or
// the replay, then apply numbered events in order, never twice and never with a gap:
//
//   1. keep lastSeq, the highest seq applied;
//   2. while a join is waiting for its acknowledgement, buffer `event` messages; once the snapshot or replay
//      is applied, apply the buffered ones whose seq > lastSeq, in order;
//   3. ignore an event with seq <= lastSeq;
//   4. an event with seq > lastSeq + 1 means a message was lost: join again with lastSeq (a placeholder
//      for a run of staff-only events, {kind: "redacted", first_seq, seq}, counts from its first_seq);
//   5. on reconnect, join again with lastSeq (replay when the gap is small, else a fresh snapshot): every
//      connect attempt carries its join (auth.join), answered by a `joined` message; the events and the
//      answer that come before the connection is confirmed are held by socket.io-client until it is;
//   6. a `live.head {meeting_id, last_seq}` message (sent once the server's message queue is back after an
//      outage) above lastSeq means events were lost on the way: join again with lastSeq.
//
// Commands go out with an acknowledgement and a client_id made per action; an attempt that gets no answer
// (the connection dropped, or the answer was lost) is sent again with the same client_id, so the server
// carries it out once. The promise resolves with the server's {ok, error} (or a local error when offline
// or when no answer came in time).

import { io } from 'socket.io-client';
import { applyEvent, RESYNC } from './live-state.js';

const COMMAND_TIMEOUT_MS = 15000;
// One attempt of a command waits this long before it is sent again (same client_id) on a live connection.
const ATTEMPT_TIMEOUT_MS = 4000;
const JOIN_RETRY_MS = 2000;
// Errors after which joining again cannot help.
const FINAL_JOIN_ERRORS = ['forbidden', 'not_found', 'unauthenticated'];
const LINK_ERRORS = ['unauthenticated', 'link_unknown', 'link_revoked', 'link_expired'];

export class LiveConnection {
  /**
   * @param {object} options
   * @param {number} options.meetingId
   * @param {object} [options.auth]        Socket.IO auth (seat_token...); the session cookie otherwise
   * @param {boolean} [options.participant] a seat's reader (see applyEvent)
   * @param {object} [options.strings]     translated messages for local errors
   * @param {function} [options.onState]   (state, why) after every change of the state
   * @param {function} [options.onStatus]  ('connecting'|'connected'|'reconnecting'|'offline')
   * @param {function} [options.onJoined]  (mode: 'snapshot'|'replay', state) after each successful join
   * @param {function} [options.onRefused] ({code, message}) when the meeting cannot be opened
   * @param {string} [options.url]         server origin (default: this page's)
   * @param {object} [options.socket]      a Socket.IO client to use instead of opening one (tests)
   */
  constructor(options) {
    this.meetingId = options.meetingId;
    this.participant = !!options.participant;
    this.strings = options.strings || {};
    this.onState = options.onState || (() => {});
    this.onStatus = options.onStatus || (() => {});
    this.onJoined = options.onJoined || (() => {});
    this.onRefused = options.onRefused || (() => {});
    this.state = null;
    this.lastSeq = null;
    this.status = 'connecting';
    this.joining = false;
    this.joinGeneration = 0;
    this.buffer = [];
    this.wantSnapshot = false;
    this.knownHead = null; // the newest seq a live.head announced
    this.connectJoin = null; // the generation of the join the last connect attempt carried
    this.answeredAtConnect = false; // whether that join's `joined` answer came
    this.counters = { events: 0, dropped: 0, gaps: 0, snapshots: 0, replays: 0, resyncs: 0, heads: 0, retries: 0 };
    this.auth = options.auth || {};
    const auth = (send) => send(this._connectAuth()); // asked again at every connect attempt
    this.socket = options.socket || io(options.url, {
      transports: ['websocket'],
      auth,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.3,
      timeout: 10000,
    });
    this.socket.auth = auth; // (a socket given, as by the tests, too)
    this.socket.on('joined', (answer) => this._joinedAtConnect(answer));
    this.socket.on('connect', () => {
      this._setStatus('connected');
      if (!this.answeredAtConnect) this.join(); // a socket that did not join with its connect
    });
    this.socket.on('disconnect', (reason) => {
      this.joining = false;
      this.joinGeneration += 1; // a join in flight will never be answered
      if (reason === 'io server disconnect') {
        // The server closed the connection on purpose (e.g. session ended): try once more by hand.
        setTimeout(() => this.socket.connect(), JOIN_RETRY_MS);
      }
      this._setStatus(this._offline() ? 'offline' : 'reconnecting');
    });
    this.socket.on('connect_error', (error) => {
      const data = error && error.data;
      if (data && LINK_ERRORS.includes(data.code)) {
        this.socket.disconnect();
        this.onRefused(data);
        this._setStatus('offline');
        return;
      }
      this._setStatus(this._offline() ? 'offline' : 'reconnecting');
    });
    this.socket.on('event', (message) => this.receive(message));
    this.socket.on('live.head', (message) => this.head(message));
    if (typeof window !== 'undefined') {
      window.addEventListener('offline', () => this._setStatus('offline'));
      window.addEventListener('online', () => {
        this._setStatus(this.socket.connected ? 'connected' : 'reconnecting');
        if (!this.socket.connected && !this.socket.active) this.socket.connect();
      });
    }
  }

  _offline() {
    return typeof navigator !== 'undefined' && navigator.onLine === false;
  }

  _setStatus(status) {
    if (status === 'connected' && !this.socket.connected) status = 'reconnecting';
    if (this.status === status) return;
    this.status = status;
    this.onStatus(status);
  }

  get connected() { return this.socket.connected && this.status === 'connected'; }

  /** What the join asks for: lastSeq once we have a state, unless a fresh snapshot is wanted. */
  _joinPayload() {
    const payload = { meeting_id: this.meetingId };
    if (this.lastSeq !== null && this.state !== null && !this.wantSnapshot) payload.last_seq = this.lastSeq;
    return payload;
  }

  /** The auth of each connect attempt: the link or token, and the join (auth.join), which the server
   * answers with a `joined` message before the connection is confirmed: one message instead of two. */
  _connectAuth() {
    this.connectJoin = ++this.joinGeneration;
    this.joining = true; // events that come before the answer wait in the buffer
    this.answeredAtConnect = false;
    return { ...this.auth, join: this._joinPayload() };
  }

  /** The `joined` message: the answer to the join sent with this connect, as a join's acknowledgement. */
  _joinedAtConnect(answer) {
    if (this.connectJoin !== this.joinGeneration) return; // a disconnect came between
    this.answeredAtConnect = true;
    this._answered(this.connectJoin, null, answer);
  }

  /** Join the meeting again on this connection (a gap, a resync, a refused or lost answer). */
  join() {
    if (!this.socket.connected) return;
    const generation = ++this.joinGeneration;
    this.joining = true;
    this.socket.timeout(COMMAND_TIMEOUT_MS).emit('join', this._joinPayload(), (error, ack) => {
      this._answered(generation, error, ack);
    });
  }

  _answered(generation, error, ack) {
    if (generation !== this.joinGeneration) return; // superseded by a newer join or a disconnect
    this.joining = false;
    if (error || !ack) {
      this._retryJoin(generation);
      return;
    }
    if (!ack.ok) {
      const problem = ack.error || {};
      if (FINAL_JOIN_ERRORS.includes(problem.code)) {
        this.buffer = [];
        this.onRefused(problem);
        return;
      }
      this._retryJoin(generation);
      return;
    }
    this._joined(ack);
  }

  _retryJoin(generation) {
    setTimeout(() => {
      if (generation === this.joinGeneration && !this.joining) this.join();
    }, JOIN_RETRY_MS);
  }

  _joined(ack) {
    if (ack.mode === 'snapshot') {
      this.state = ack.snapshot;
      this.lastSeq = ack.snapshot.last_seq;
      this.wantSnapshot = false;
      this.counters.snapshots += 1;
    } else {
      this.counters.replays += 1;
      const outcome = this._applyAll(ack.events || []);
      if (outcome !== 'ok') return;
      if (this.lastSeq < ack.last_seq) {
        // The replay did not reach what the server says it has: start over from a snapshot.
        this.wantSnapshot = true;
        this._rejoin();
        return;
      }
    }
    const buffered = this.buffer.sort((a, b) => a.seq - b.seq);
    this.buffer = [];
    this.onJoined(ack.mode, this.state);
    if (this._applyAll(buffered) !== 'ok') return;
    this.onState(this.state, ack.mode);
    if (this.knownHead !== null && this.knownHead > this.lastSeq) this._rejoin(); // announced while joining
  }

  /** Apply events in order; on a gap or a resync, keep the rest for after the join that follows. */
  _applyAll(events) {
    for (let index = 0; index < events.length; index++) {
      const outcome = this._apply(events[index]);
      if (outcome === 'ok') continue;
      if (outcome === 'gap') this.buffer.push(...events.slice(index));
      this._rejoin();
      return outcome;
    }
    return 'ok';
  }

  /** Join again after a gap or for a snapshot; at most once a second, so a gap that persists (an event
   * overtaken by a later one between server processes) never makes a storm of joins. */
  _rejoin() {
    const now = Date.now();
    const wait = this.lastRejoinAt && now - this.lastRejoinAt < JOIN_RETRY_MS / 2 ? JOIN_RETRY_MS / 2 : 0;
    this.lastRejoinAt = now + wait;
    if (!wait) {
      this.join();
      return;
    }
    this.joining = true; // keep buffering until the delayed join has been answered
    const generation = ++this.joinGeneration;
    setTimeout(() => { if (generation === this.joinGeneration) this.join(); }, wait);
  }

  /** An `event` message from the server. */
  receive(message) {
    if (!message || message.meeting_id !== this.meetingId || typeof message.seq !== 'number') return;
    if (this.joining || this.state === null) {
      this.buffer.push(message);
      return;
    }
    const outcome = this._apply(message);
    if (outcome === 'ok') {
      this.onState(this.state, message.kind);
      return;
    }
    if (outcome === 'gap') this.buffer.push(message);
    this._rejoin();
  }

  /** A `live.head` message: the meeting's newest seq; behind it, join again and replay what was lost. */
  head(message) {
    if (!message || message.meeting_id !== this.meetingId || typeof message.last_seq !== 'number') return;
    this.counters.heads += 1;
    this.knownHead = Math.max(this.knownHead === null ? 0 : this.knownHead, message.last_seq);
    if (this.joining || this.state === null) return; // _joined looks at knownHead
    if (message.last_seq > this.lastSeq) this._rejoin();
  }

  /**
   * Apply one numbered event: 'ok' (applied, or already had), 'gap' (an earlier one is missing) or
   * 'resync' (its payload needs a fresh snapshot). The caller joins again for the last two.
   */
  _apply(event) {
    if (event.seq <= this.lastSeq) {
      this.counters.dropped += 1;
      return 'ok';
    }
    if (firstSeq(event) > this.lastSeq + 1) {
      this.counters.gaps += 1;
      return 'gap';
    }
    const outcome = applyEvent(this.state, event, { participant: this.participant });
    this.lastSeq = event.seq;
    this.counters.events += 1;
    if (outcome === RESYNC) {
      this.counters.resyncs += 1;
      this.wantSnapshot = true;
      return 'resync';
    }
    return 'ok';
  }

  /**
   * Send a command; resolves with the acknowledgement {ok, error?: {code, message}, ...}.
   * Refused at once when offline: a command must never leave later than the person pressed it. Within
   * COMMAND_TIMEOUT_MS of the press, an attempt left unanswered is sent again with the same client_id.
   */
  command(name, payload) {
    return new Promise((resolve) => {
      if (!this.socket.connected) {
        resolve({ ok: false, error: { code: 'offline', message: this.strings.not_sent_offline || 'offline' } });
        return;
      }
      const message = { meeting_id: this.meetingId, ...payload, client_id: newClientId() };
      const deadline = Date.now() + COMMAND_TIMEOUT_MS;
      const attempt = () => {
        const left = deadline - Date.now();
        if (left <= 0) {
          resolve({ ok: false, error: { code: 'no_answer', message: this.strings.no_answer || 'timeout' } });
          return;
        }
        if (!this.socket.connected) { // sent again once the connection is back, if it comes back in time
          const again = () => { clearTimeout(timer); attempt(); };
          const timer = setTimeout(() => { this.socket.off('connect', again); attempt(); }, left);
          this.socket.once('connect', again);
          return;
        }
        this.socket.timeout(Math.min(ATTEMPT_TIMEOUT_MS, left)).emit(name, message, (error, ack) => {
          if (error || !ack) {
            this.counters.retries += 1;
            attempt();
            return;
          }
          resolve(ack);
        });
      };
      attempt();
    });
  }
}

/** The first seq an event stands for: its own, or for the placeholder of a run of staff-only events
 * (`first_seq`..`seq`, sent as one to participants) the run's first. */
function firstSeq(event) {
  return event.kind === 'redacted' && typeof event.first_seq === 'number' ? event.first_seq : event.seq;
}

/** A new id for one action of the person (its retries reuse it): random, 8 to 64 safe characters. */
export function newClientId() {
  const cryptoApi = typeof globalThis !== 'undefined' ? globalThis.crypto : undefined;
  if (cryptoApi && typeof cryptoApi.randomUUID === 'function') return cryptoApi.randomUUID();
  const bytes = new Uint8Array(16);
  if (cryptoApi && typeof cryptoApi.getRandomValues === 'function') cryptoApi.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
