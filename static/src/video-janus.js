// The video panel's Janus session: join settings from the server (its video session, takeover), the
// token renewed on the running session (make-before-break), the listener that hears who publishes and
// talks, one subscriber handle for every publisher (multistream), and reconnecting after a loss.

import { RETRY_MS, serverAddress } from './video-dom.js';

export const JanusSession = (Base) => class extends Base {
  // --- joining ---

  async fetchConfig() {
    const response = await fetch(`/video/${this.meetingId}/join`, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(this.body()),
    });
    const answer = await response.json().catch(() => ({}));
    if (!answer.ok) throw Object.assign(new Error((answer.error && answer.error.message) || this.s.unreachable),
      { refused: response.status < 500, code: answer.error && answer.error.code });
    return answer.video;
  }

  /** What proves this page to the server: its session, and a provincial hall's site token. */
  body() {
    const body = {};
    if (this.siteToken) body.site_token = this.siteToken;
    if (this.session) body.session = this.session;
    return body;
  }

  async post(action) {
    const response = await fetch(`/video/${this.meetingId}/${action}`, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(this.body()),
    });
    const answer = await response.json().catch(() => ({}));
    if (!answer.ok && answer.error && answer.error.code === 'video_superseded') this.superseded(answer.error.message);
    return answer;
  }

  /** Another tab or device took this seat's (or hall's) video over: stop everything and say why. */
  superseded(message) {
    clearTimeout(this.renewal);
    clearTimeout(this.retry);
    this.reset();
    this.setStatus('superseded', message || this.s.superseded, 'info');
    this.takeBack.hidden = false;
  }

  /** Janus kicked one of this page's participants: the floor moved on, or another page took over. */
  async checkHeld() {
    const answer = await this.post('status').catch(() => ({}));
    if (!answer.ok) return;
    if (answer.superseded) { this.superseded(); return; }
    if (answer.ended) { this.reset(); this.setStatus('ended', this.s.ended); return; }
    if (answer.publishing_elsewhere && this.config.kind === 'studio') {
      this.studioWanted = false;
      this.studioButton.setAttribute('aria-pressed', 'false');
      this.studioButton.textContent = this.s.send_studio;
      this.studioButton.hidden = false;
      this.dropPublisher();
      this.say(this.s.studio_elsewhere);
      return;
    }
    this.config.may_publish = answer.may_publish;
    if (!this.listener) { this.lost(); return; } // this page's listener was kicked: join again
    this.syncPublishing();
  }

  async start() {
    let config;
    clearTimeout(this.retry);
    try {
      config = await this.fetchConfig();
    } catch (error) {
      if (error.code === 'video_superseded') { this.superseded(error.message); return; }
      this.setStatus(error.refused ? 'refused' : 'unavailable', error.message || this.s.unreachable, 'error');
      this.retry = setTimeout(() => this.start(), RETRY_MS * 2);
      return;
    }
    this.config = config;
    if (!config.enabled) { this.root.hidden = true; this.setStatus('off'); return; }
    if (config.ended) { this.setStatus('ended', this.s.ended); return; }
    if (!config.live) {
      this.setStatus('waiting', this.s.not_live);
      this.retry = setTimeout(() => this.start(), RETRY_MS);
      return;
    }
    this.session = config.session || null;
    if (typeof window.Janus === 'undefined') { this.setStatus('unavailable', this.s.unreachable, 'error'); return; }
    window.Janus.init({ debug: false, callback: () => this.connect() });
  }

  /** Janus checks the token on every request (keepalives too): halfway through its life a fresh one is
   * fetched and used from then on, on the same session; nothing is reconnected. */
  scheduleRenewal(expiresAt) {
    clearTimeout(this.renewal);
    const left = new Date(expiresAt).getTime() - Date.now();
    this.renewal = setTimeout(() => this.renewToken(), Math.max(2_000, left / 2));
  }

  async renewToken() {
    const answer = await this.post('token').catch(() => ({}));
    if (this.status === 'superseded') return;
    if (!answer.ok) { this.renewal = setTimeout(() => this.renewToken(), RETRY_MS); return; }
    this.token.value = answer.token;
    this.tokenRefreshes += 1;
    this.scheduleRenewal(answer.expires_at);
  }

  connect() {
    const config = this.config;
    this.token.value = config.token;
    this.connects += 1;
    this.scheduleRenewal(config.expires_at);
    this.setStatus('connecting', this.s.connecting);
    this.janus = new window.Janus({
      server: serverAddress(config.server),
      token: this.token,
      iceServers: config.ice_servers && config.ice_servers.length ? config.ice_servers : [],
      success: () => this.attachListener(),
      error: () => this.lost(),
      destroyed: () => {},
    });
  }

  lost(message) {
    this.setStatus('unavailable', message || this.s.unreachable, 'error');
    if (this.retrying) return; // one retry at a time, however many callbacks report the loss
    this.retrying = true;
    this.reset();
    this.retry = setTimeout(() => { this.retrying = false; this.start(); }, RETRY_MS);
  }

  reset() {
    this.publishing = false;
    this.publisher = null;
    this.listener = null;
    this.subscriber = null;
    this.subscriberReady = false;
    this.subscribed.clear();
    this.publishers.clear();
    this.talking.clear(); // joining again, Janus's list of publishers says who talks
    this.feedOfMid.clear();
    this.grid.replaceChildren();
    this.content.replaceChildren();
    this.content.hidden = true;
    this.dropShare();
    this.micButton.hidden = true;
    this.camButton.hidden = true;
    clearTimeout(this.renewal);
    try { if (this.janus) this.janus.destroy({ cleanupHandles: true }); } catch (error) { /* gone already */ }
    this.janus = null;
  }

  attachListener() {
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.listener = handle;
        handle.send({ message: { request: 'join', ptype: 'publisher', room: this.config.room,
          token: this.config.room_token, display: this.config.listen_display || `listen:${this.config.endpoint}` } });
      },
      error: () => this.lost(),
      onmessage: (msg) => this.onListenerMessage(msg),
    });
  }

  onListenerMessage(msg) {
    const event = msg.videoroom;
    if (msg.error) { this.janusError(msg); this.lost(); return; }
    if (event === 'joined') {
      this.setStatus('joined', '');
      this.addPublishers(msg.publishers || []);
      this.syncPublishing();
    } else if (event === 'destroyed') {
      this.lost(); // the room is gone: the meeting ended (the next start says so) or Janus restarted
    } else if (event === 'event') {
      if (msg.leaving === 'ok') { this.listener = null; this.checkHeld(); return; } // this page was kicked
      if (msg.publishers) this.addPublishers(msg.publishers);
      const gone = msg.unpublished || msg.leaving || msg.kicked;
      if (gone && gone !== 'ok') this.removePublisher(gone);
    } else if (event === 'talking' || event === 'stopped-talking') {
      this.setTalking(msg.id, event === 'talking');
      this.arrange();
    }
  }

  /** Janus says when a publisher starts and stops talking, once each: a page that joins (or hears of a
   * publisher) while one talks learns it from the publisher list's `talking`, or it would wait for the
   * next spell. */
  setTalking(id, talking) {
    if (talking) { this.talking.add(id); this.lastTalker = id; } else this.talking.delete(id);
    const tile = this.grid.querySelector(`[data-feed="${id}"]`);
    if (tile) tile.classList.toggle('is-talking', talking);
  }

  /** Janus's own error text is English and technical: it goes to the console, the page says its own. */
  janusError(msg) {
    if (typeof console !== 'undefined') console.warn('MeetCore video: Janus said', msg.error_code, msg.error);
  }

  addPublishers(list) {
    const fresh = [];
    for (const publisher of list) {
      if (this.config && publisher.id === this.config.publisher_id) continue; // ourselves
      if (publisher.id === this.ownShareId()) continue; // our own shared screen
      this.publishers.set(publisher.id, publisher);
      if (typeof publisher.talking === 'boolean') this.setTalking(publisher.id, publisher.talking);
      if (!this.subscribed.has(publisher.id)) fresh.push(publisher);
    }
    if (fresh.length) this.subscribe(fresh);
  }

  removePublisher(id) {
    this.publishers.delete(id);
    this.talking.delete(id);
    if (this.subscribed.has(id) && this.subscriber) {
      this.subscriber.send({ message: { request: 'unsubscribe', streams: [{ feed: id }] } });
    }
    this.subscribed.delete(id);
    for (const tile of this.stageNodes(`[data-feed="${id}"]`)) tile.remove();
    this.tidyContent();
    this.arrange();
  }

  streamsOf(publishers) {
    return publishers.map((publisher) => ({ feed: publisher.id }));
  }

  subscribe(publishers) {
    publishers.forEach((publisher) => this.subscribed.add(publisher.id));
    if (this.subscriber && this.subscriberReady) {
      this.subscriber.send({ message: { request: 'subscribe', streams: this.streamsOf(publishers) } });
      return;
    }
    if (this.subscriber) { this.pending = (this.pending || []).concat(publishers); return; }
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.subscriber = handle;
        handle.send({ message: { request: 'join', ptype: 'subscriber', room: this.config.room,
          token: this.config.room_token, use_msid: false, streams: this.streamsOf(publishers) } });
      },
      error: () => this.lost(),
      onmessage: (msg, jsep) => this.onSubscriberMessage(msg, jsep),
      onremotetrack: (track, mid, on) => this.onRemoteTrack(track, mid, on),
    });
  }

  onSubscriberMessage(msg, jsep) {
    if (msg.streams) {
      for (const stream of msg.streams) this.feedOfMid.set(stream.mid, { feed: stream.feed_id, type: stream.type });
    }
    if (msg.videoroom === 'attached' && !this.subscriberReady) {
      this.subscriberReady = true;
      if (this.pending && this.pending.length) {
        const waiting = this.pending;
        this.pending = [];
        this.subscriber.send({ message: { request: 'subscribe', streams: this.streamsOf(waiting) } });
      }
    }
    if (jsep) {
      this.subscriber.createAnswer({
        jsep,
        tracks: [{ type: 'data' }],
        success: (answer) => this.subscriber.send({ message: { request: 'start', room: this.config.room }, jsep: answer }),
        error: () => this.say(this.s.media_failed, 'error'),
      });
    }
    // New streams get the page's layer too. Only a message that lists streams: a configure is answered with
    // "configured" and simulcast layer events, and configuring again on each was a loop of ~100 requests a
    // second (~230 kbit/s of signalling on an audio-only line: bench/video_modes.py).
    if ((this.lowBandwidth || this.audioOnly) && msg.streams) this.applyLayer();
  }

  /** One element per received stream, whatever janus.js reports: a track is reported when it arrives and
   * again each time it flows again after a pause; a mid may later carry another publisher's stream. */
};
