// MeetCore's video panel: Janus VideoRoom through Debian's janus.js (global `Janus`, loaded before this).
//
// * a "listener" handle joins the room without publishing: it hears who publishes and who talks;
// * one subscriber handle receives every active publisher over one PeerConnection (multistream);
// * a publisher handle exists only while this endpoint may publish: always for the studio (staff), and
//   while its seat (or, for a provincial hall, one of its province's seats) holds the floor. Janus kicks a
//   publisher whose turn is over, whatever the page does;
// * mute/unmute own microphone and camera; the chair mutes a publisher at Janus (moderate);
// * simulcast: publishers send three layers; "low bandwidth" asks Janus for the lowest;
// * a pre-join check of camera and microphone with device choice;
// * failures (camera refused, Janus unreachable) show a message; the rest of the page carries on.
//
// For tests: window.meetcoreVideo = {status, publishing, feeds, talking, restored, framesDecoded()}.

const RETRY_MS = 5000;

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== false && value != null) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) node.append(child);
  return node;
}

/** A path (MEETCORE_JANUS_PUBLIC_URL "/janus-ws") is Janus's WebSocket transport proxied at this origin. */
function serverAddress(server) {
  if (!server.startsWith('/')) return server;
  return `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${server}`;
}

class VideoPanel {
  constructor(root) {
    this.root = root;
    this.meetingId = Number(root.dataset.meeting);
    this.siteToken = root.dataset.siteToken || null;
    this.s = JSON.parse(root.dataset.strings || '{}');
    this.status = 'starting';
    this.config = null;
    this.janus = null;
    this.listener = null;
    this.subscriber = null;
    this.subscriberReady = false;
    this.publisher = null;
    this.publishing = false;
    this.publishers = new Map(); // publisher id -> {id, display, streams}
    this.feedOfMid = new Map(); // subscriber mid -> {feed, type}
    this.subscribed = new Set();
    this.talking = new Set();
    this.muted = { audio: false, video: false };
    this.lowBandwidth = false;
    this.devices = { audio: localStorage.getItem('meetcore.mic') || '', video: localStorage.getItem('meetcore.cam') || '' };
    this.lastHolder = undefined;
    this.build();
    this.expose();
    this.start();
    setInterval(() => this.watchFloor(), 1000);
    setInterval(() => this.watchBandwidth(), 5000);
    window.addEventListener('meetcore:video-restored', (event) => this.roomRestored(event.detail || {}));
  }

  /** The server made this meeting's room again at a restarted Janus: reconnect with fresh credentials (the
   * new room admits this page only once it asks for them again). */
  roomRestored(detail) {
    if (!this.config || !this.config.live || (detail.room && detail.room !== this.config.room)) return;
    this.restored = (this.restored || 0) + 1;
    if (this.retrying) return; // a reconnection is on its way already
    this.lastHolder = undefined;
    this.reset();
    this.start();
  }

  expose() {
    const panel = this;
    window.meetcoreVideo = {
      get status() { return panel.status; },
      get publishing() { return panel.publishing; },
      get feeds() { return [...panel.subscribed]; },
      get publishers() { return [...panel.publishers.keys()]; },
      get talking() { return [...panel.talking]; },
      get config() { return panel.config; },
      get restored() { return panel.restored || 0; },
      framesDecoded: () => panel.framesDecoded(),
      videoStats: () => panel.videoStats(),
      panel,
    };
  }

  // --- page ---

  build() {
    const root = this.root;
    this.message = el('p', { class: 'video-message', role: 'status', 'aria-live': 'polite', hidden: true });
    this.grid = el('div', { class: 'video-grid' });
    this.controls = el('div', { class: 'video-controls' });
    this.micButton = el('button', { type: 'button', class: 'button', onclick: () => this.toggle('audio'), hidden: true,
      text: this.s.mute_mic });
    this.camButton = el('button', { type: 'button', class: 'button', onclick: () => this.toggle('video'), hidden: true,
      text: this.s.stop_cam });
    this.lowButton = el('button', { type: 'button', class: 'button', 'aria-pressed': 'false',
      onclick: () => this.setLowBandwidth(!this.lowBandwidth), text: this.s.low_bandwidth });
    this.studioButton = el('button', { type: 'button', class: 'button', hidden: true, 'aria-pressed': 'false',
      onclick: () => this.toggleStudio(), text: this.s.send_studio });
    this.studioWanted = root.dataset.studio !== 'manual';
    this.controls.append(this.studioButton, this.micButton, this.camButton, this.lowButton);
    this.check = this.buildDeviceCheck();
    this.root.append(this.message, this.grid, this.controls, this.check);
  }

  buildDeviceCheck() {
    const details = el('details', { class: 'video-check' });
    this.micSelect = el('select', { 'aria-label': this.s.microphone });
    this.camSelect = el('select', { 'aria-label': this.s.camera });
    this.preview = el('video', { autoplay: true, muted: true, playsinline: true, class: 'video-preview' });
    this.meter = el('meter', { min: 0, max: 1, value: 0, class: 'video-meter' });
    const save = () => {
      this.devices = { audio: this.micSelect.value, video: this.camSelect.value };
      localStorage.setItem('meetcore.mic', this.devices.audio);
      localStorage.setItem('meetcore.cam', this.devices.video);
      this.runCheck();
    };
    this.micSelect.addEventListener('change', save);
    this.camSelect.addEventListener('change', save);
    details.append(
      el('summary', { text: this.s.check_devices }),
      el('label', {}, [this.s.camera + ' ', this.camSelect]),
      el('label', {}, [this.s.microphone + ' ', this.micSelect]),
      this.preview, this.meter,
    );
    details.addEventListener('toggle', () => (details.open ? this.runCheck() : this.stopCheck()));
    return details;
  }

  async runCheck() {
    this.stopCheck();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: this.devices.audio ? { deviceId: { exact: this.devices.audio } } : true,
        video: this.devices.video ? { deviceId: { exact: this.devices.video } } : true,
      });
      this.checkStream = stream;
      this.preview.srcObject = stream;
      await this.listDevices();
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      context.createMediaStreamSource(stream).connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      const loop = () => {
        if (this.checkStream !== stream) { context.close(); return; }
        analyser.getByteTimeDomainData(data);
        let peak = 0;
        for (const value of data) peak = Math.max(peak, Math.abs(value - 128) / 128);
        this.meter.value = peak;
        requestAnimationFrame(loop);
      };
      loop();
      this.say('');
    } catch (error) {
      this.mediaError(error);
    }
  }

  stopCheck() {
    if (this.checkStream) this.checkStream.getTracks().forEach((track) => track.stop());
    this.checkStream = null;
  }

  async listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const [select, kind, chosen] of [[this.micSelect, 'audioinput', this.devices.audio],
      [this.camSelect, 'videoinput', this.devices.video]]) {
      select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, n) =>
        el('option', { value: d.deviceId, selected: d.deviceId === chosen, text: d.label || `${kind} ${n + 1}` })));
    }
  }

  say(text, kind = 'info') {
    this.message.hidden = !text;
    this.message.textContent = text || '';
    this.message.dataset.kind = kind;
  }

  setStatus(status, text, kind) {
    this.status = status;
    this.root.dataset.status = status;
    if (text !== undefined) this.say(text, kind);
  }

  mediaError(error) {
    const refused = error && (error.name === 'NotAllowedError' || error.name === 'SecurityError');
    const missing = error && (error.name === 'NotFoundError' || error.name === 'OverconstrainedError');
    this.say(refused ? this.s.camera_refused : missing ? this.s.camera_missing : this.s.camera_failed, 'error');
  }

  // --- joining ---

  async fetchConfig() {
    const response = await fetch(`/video/${this.meetingId}/join`, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(this.siteToken ? { site_token: this.siteToken } : {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!answer.ok) throw Object.assign(new Error((answer.error && answer.error.message) || this.s.unreachable),
      { refused: response.status < 500 });
    return answer.video;
  }

  async start() {
    let config;
    try {
      config = await this.fetchConfig();
    } catch (error) {
      this.setStatus(error.refused ? 'refused' : 'unavailable', error.message || this.s.unreachable, 'error');
      setTimeout(() => this.start(), RETRY_MS * 2);
      return;
    }
    this.config = config;
    if (!config.enabled) { this.root.hidden = true; this.setStatus('off'); return; }
    if (!config.live) { this.setStatus('waiting', this.s.not_live); setTimeout(() => this.start(), RETRY_MS); return; }
    if (typeof window.Janus === 'undefined') { this.setStatus('unavailable', this.s.unreachable, 'error'); return; }
    window.Janus.init({ debug: false, callback: () => this.connect() });
  }

  /** Janus checks the token on every request: reconnect with a fresh one a minute before it expires. */
  scheduleRenewal() {
    clearTimeout(this.renewal);
    const left = new Date(this.config.expires_at).getTime() - Date.now();
    this.renewal = setTimeout(() => { this.reset(); this.start(); }, Math.max(30_000, left - 60_000));
  }

  connect() {
    const config = this.config;
    this.scheduleRenewal();
    this.setStatus('connecting', this.s.connecting);
    this.janus = new window.Janus({
      server: serverAddress(config.server),
      token: config.token,
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
    setTimeout(() => { this.retrying = false; this.start(); }, RETRY_MS);
  }

  reset() {
    this.publishing = false;
    this.publisher = null;
    this.listener = null;
    this.subscriber = null;
    this.subscriberReady = false;
    this.subscribed.clear();
    this.publishers.clear();
    this.feedOfMid.clear();
    this.grid.replaceChildren();
    try { if (this.janus) this.janus.destroy({ cleanupHandles: true }); } catch (error) { /* gone already */ }
    this.janus = null;
  }

  attachListener() {
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.listener = handle;
        handle.send({ message: { request: 'join', ptype: 'publisher', room: this.config.room,
          token: this.config.room_token, display: `listen:${this.config.endpoint}` } });
      },
      error: () => this.lost(),
      onmessage: (msg) => this.onListenerMessage(msg),
    });
  }

  onListenerMessage(msg) {
    const event = msg.videoroom;
    if (msg.error) { this.lost(`${this.s.refused} (${msg.error})`); return; }
    if (event === 'joined') {
      this.setStatus('joined', '');
      this.addPublishers(msg.publishers || []);
      this.syncPublishing();
    } else if (event === 'event') {
      if (msg.publishers) this.addPublishers(msg.publishers);
      const gone = msg.unpublished || msg.leaving;
      if (gone && gone !== 'ok') this.removePublisher(gone);
    } else if (event === 'talking' || event === 'stopped-talking') {
      if (event === 'talking') this.talking.add(msg.id); else this.talking.delete(msg.id);
      const tile = this.grid.querySelector(`[data-feed="${msg.id}"]`);
      if (tile) tile.classList.toggle('is-talking', event === 'talking');
    }
  }

  addPublishers(list) {
    const fresh = [];
    for (const publisher of list) {
      if (this.config && publisher.id === this.config.publisher_id) continue; // ourselves
      this.publishers.set(publisher.id, publisher);
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
    const tile = this.grid.querySelector(`[data-feed="${id}"]`);
    if (tile) tile.remove();
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
    if (this.lowBandwidth) this.applyLayer();
  }

  onRemoteTrack(track, mid, on) {
    const info = this.feedOfMid.get(mid) || { feed: 'unknown', type: track.kind };
    let tile = this.grid.querySelector(`[data-feed="${info.feed}"]`);
    if (!on) {
      if (tile) {
        const media = tile.querySelector(`[data-mid="${mid}"]`);
        if (media) media.remove();
        if (!tile.querySelector('video, audio')) tile.remove();
      }
      return;
    }
    if (!tile) {
      const publisher = this.publishers.get(info.feed) || {};
      tile = el('figure', { class: 'video-tile', 'data-feed': info.feed }, [
        el('figcaption', { text: this.label(publisher) }),
      ]);
      if (this.config.may_moderate) {
        tile.append(el('button', { type: 'button', class: 'button small', text: this.s.mute_site,
          onclick: (event) => this.moderate(info.feed, event.target) }));
      }
      this.grid.append(tile);
    }
    const media = el(track.kind === 'video' ? 'video' : 'audio', { autoplay: true, playsinline: true, 'data-mid': mid });
    media.srcObject = new MediaStream([track]);
    tile.prepend(media);
  }

  label(publisher) {
    const display = publisher.display || '';
    return display.startsWith('listen:') ? '' : display;
  }

  async moderate(feed, button) {
    const publisher = this.publishers.get(feed);
    const mids = ((publisher && publisher.streams) || []).filter((s) => s.type === 'audio').map((s) => s.mid);
    const mute = button.dataset.muted !== 'true';
    const response = await fetch(`/video/${this.meetingId}/mute`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': this.root.dataset.csrf || '' },
      body: JSON.stringify({ publisher_id: feed, mids, mute }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!answer.ok) { this.say((answer.error && answer.error.message) || this.s.unreachable, 'error'); return; }
    button.dataset.muted = String(mute);
    button.textContent = mute ? this.s.unmute_site : this.s.mute_site;
  }

  setLowBandwidth(low) {
    this.lowBandwidth = low;
    this.lowButton.setAttribute('aria-pressed', String(low));
    this.applyLayer();
  }

  applyLayer() {
    if (!this.subscriber || !this.subscriberReady) return;
    const streams = [...this.feedOfMid.entries()].filter(([, info]) => info.type === 'video')
      .map(([mid]) => ({ mid, substream: this.lowBandwidth ? 0 : 2, temporal: this.lowBandwidth ? 0 : 2 }));
    if (streams.length) this.subscriber.send({ message: { request: 'configure', streams } });
  }

  // --- publishing, as the floor says ---

  floorHolderKey() {
    const live = window.meetcoreLive;
    const floor = live && live.state && live.state.floor;
    if (!floor) return undefined;
    return floor.holder ? `${floor.holder.seat_id}` : '';
  }

  async watchFloor() {
    if (!this.janus || this.status !== 'joined') return;
    let holder = this.floorHolderKey();
    if (holder === undefined) {
      // No live state on this page (a provincial hall's roll call): ask the server every few seconds.
      this.ticks = (this.ticks || 0) + 1;
      if (this.ticks % 5) return;
      holder = `poll-${this.ticks}`;
    }
    if (holder === this.lastHolder) return;
    this.lastHolder = holder;
    try {
      const response = await fetch(`/video/${this.meetingId}/status`, {
        method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(this.siteToken ? { site_token: this.siteToken } : {}),
      });
      const answer = await response.json();
      if (!answer.ok) { this.lastHolder = undefined; return; }
      this.config.may_publish = answer.may_publish;
    } catch (error) { this.lastHolder = undefined; return; }
    this.syncPublishing();
  }

  syncPublishing() {
    const studio = this.config.kind === 'studio';
    this.studioButton.hidden = !studio || this.root.dataset.studio !== 'manual';
    const wanted = this.config.may_publish && (!studio || this.studioWanted);
    if (wanted && !this.publisher) this.publish();
    else if (!wanted && this.publisher) this.unpublish();
  }

  toggleStudio() {
    this.studioWanted = !this.studioWanted;
    this.studioButton.setAttribute('aria-pressed', String(this.studioWanted));
    this.studioButton.textContent = this.studioWanted ? this.s.stop_studio : this.s.send_studio;
    if (this.janus && this.status === 'joined') this.syncPublishing();
  }

  publish() {
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.publisher = handle;
        handle.send({ message: { request: 'join', ptype: 'publisher', room: this.config.room, id: this.config.publisher_id,
          token: this.config.room_token, display: this.config.display } });
      },
      error: () => this.say(this.s.media_failed, 'error'),
      onmessage: (msg, jsep) => this.onPublisherMessage(msg, jsep),
      onlocaltrack: (track, on) => this.onLocalTrack(track, on),
    });
  }

  onPublisherMessage(msg, jsep) {
    if (msg.videoroom === 'joined') {
      const capture = (id) => (id ? { deviceId: { exact: id } } : true);
      this.publisher.createOffer({
        tracks: [
          { type: 'audio', capture: capture(this.devices.audio), recv: false },
          { type: 'video', capture: capture(this.devices.video), recv: false, simulcast: true },
        ],
        success: (offer) => {
          this.publisher.send({ message: { request: 'publish', audio: true, video: true }, jsep: offer });
        },
        error: (error) => { this.mediaError(error); this.unpublish(); },
      });
    } else if (msg.videoroom === 'event' && (msg.leaving === 'ok' || msg.error_code)) {
      if (msg.error_code) this.say(`${this.s.refused} (${msg.error})`, 'error');
      this.dropPublisher();
    } else if (msg.videoroom === 'event' && msg.configured === 'ok') {
      this.publishing = true;
      this.micButton.hidden = false;
      this.camButton.hidden = false;
    }
    if (jsep && this.publisher) this.publisher.handleRemoteJsep({ jsep });
  }

  onLocalTrack(track, on) {
    if (track.kind !== 'video') return;
    let tile = this.grid.querySelector('[data-feed="self"]');
    if (!on) { if (tile) tile.remove(); return; }
    if (!tile) {
      tile = el('figure', { class: 'video-tile is-self', 'data-feed': 'self' }, [el('figcaption', { text: this.s.you })]);
      this.grid.prepend(tile);
    }
    const video = el('video', { autoplay: true, muted: true, playsinline: true });
    video.srcObject = new MediaStream([track]);
    tile.querySelectorAll('video').forEach((old) => old.remove());
    tile.prepend(video);
  }

  unpublish() {
    if (!this.publisher) return;
    try { this.publisher.send({ message: { request: 'leave' } }); } catch (error) { /* kicked already */ }
    this.dropPublisher();
  }

  dropPublisher() {
    const handle = this.publisher;
    this.publisher = null;
    this.publishing = false;
    this.micButton.hidden = true;
    this.camButton.hidden = true;
    const tile = this.grid.querySelector('[data-feed="self"]');
    if (tile) tile.remove();
    if (handle) { try { handle.hangup(); handle.detach(); } catch (error) { /* gone */ } }
  }

  toggle(kind) {
    if (!this.publisher) return;
    const muted = !this.muted[kind];
    this.muted[kind] = muted;
    if (kind === 'audio') {
      if (muted) this.publisher.muteAudio(); else this.publisher.unmuteAudio();
      this.micButton.textContent = muted ? this.s.unmute_mic : this.s.mute_mic;
    } else {
      if (muted) this.publisher.muteVideo(); else this.publisher.unmuteVideo();
      this.camButton.textContent = muted ? this.s.start_cam : this.s.stop_cam;
    }
  }

  /** Per feed: frames decoded and the width of the layer received (simulcast). */
  async videoStats() {
    const result = {};
    const pc = this.subscriber && this.subscriber.webrtcStuff && this.subscriber.webrtcStuff.pc;
    if (!pc) return result;
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') {
        const info = this.feedOfMid.get(report.mid) || {};
        result[info.feed || report.mid] = { frames: report.framesDecoded || 0, width: report.frameWidth || 0 };
      }
      if (report.type === 'candidate-pair' && report.nominated && report.availableIncomingBitrate) {
        result.bitrate = report.availableIncomingBitrate;
      }
    });
    return result;
  }

  /** A slow line (under 300 kbit/s estimated, three readings in a row) switches to the low layer. */
  async watchBandwidth() {
    if (this.lowBandwidth || !this.subscriberReady) return;
    const { bitrate } = await this.videoStats();
    this.slowReadings = bitrate && bitrate < 300_000 ? (this.slowReadings || 0) + 1 : 0;
    if (this.slowReadings >= 3) this.setLowBandwidth(true);
  }

  async framesDecoded() {
    const result = {};
    const pc = this.subscriber && this.subscriber.webrtcStuff && this.subscriber.webrtcStuff.pc;
    if (!pc) return result;
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') {
        const info = this.feedOfMid.get(report.mid) || {};
        const feed = info.feed || report.mid;
        result[feed] = Math.max(result[feed] || 0, report.framesDecoded || 0);
      }
    });
    return result;
  }
}

export function boot() {
  document.querySelectorAll('[data-video-panel]').forEach((root) => {
    if (!root.videoPanel) root.videoPanel = new VideoPanel(root);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
