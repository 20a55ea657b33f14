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
// * failures (camera refused, Janus unreachable) show a message in the page's language (never Janus's own
//   English error); the rest of the page carries on; an ended meeting says so and stops asking;
// * one media element per received stream (keyed by its mid: janus.js reports a track again when it
//   flows again);
// * layouts: "speaker" (participants: the current speaker large, the studio beside it, a place for shared
//   content) and "grid" (the secretariat and the chair: everyone who publishes);
// * screen sharing (video-share.js): the studio and the floor holder share a screen as a second publisher,
//   shown to everyone in the shared-content slot; it ends when the floor moves on;
// * one video session per seat or hall: a newer page takes it over (the server kicks this page's
//   participants at Janus; asked why, it hears it was superseded, stops and says so);
// * the token is renewed on the running Janus session before it expires (make-before-break): janus.js
//   reads the token object each time it serializes a request;
// * weak lines (video-quality.js): audio-only mode (no video RTP arrives), chosen or automatic on measured
//   loss and bandwidth, and the line's quality reported to the secretariat's board.
//
// For tests: window.meetcoreVideo = {status, publishing, feeds, talking, restored, framesDecoded(), connects, ...}.
import { Devices } from './video-devices.js';
import { JanusSession } from './video-janus.js';
import { Publishing } from './video-publish.js';
import { Quality } from './video-quality.js';
import { Sharing } from './video-share.js';
import { el } from './video-dom.js';
import { Tiles } from './video-tiles.js';

class VideoPanel extends Quality(Sharing(Publishing(Tiles(JanusSession(Devices(class {})))))) {
  constructor(root) {
    super();
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
    this.session = null; // this page's video session (the server's takeover of an endpoint)
    this.connects = 0;
    this.tokenRefreshes = 0;
    // janus.js puts this object in every request it sends (JSON: toJSON; a long poll's URL: toString), so
    // a renewed token takes effect on the running session without reconnecting.
    this.token = { value: '', toJSON() { return this.value; }, toString() { return this.value; } };
    this.layout = root.dataset.layout === 'speaker' ? 'speaker' : 'grid';
    this.build();
    this.expose();
    this.start();
    setInterval(() => this.watchFloor(), 1000);
    setInterval(() => this.watchLine(), 5000);
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
      get session() { return panel.session; },
      get connects() { return panel.connects; },
      get tokenRefreshes() { return panel.tokenRefreshes; },
      get mainFeed() { return panel.mainFeed; },
      get sharing() { return panel.sharing; },
      get sharedFeed() {
        const tile = panel.content.querySelector('[data-feed]');
        return tile && tile.querySelector('video') ? Number(tile.dataset.feed) : null;
      },
      framesDecoded: () => panel.framesDecoded(),
      videoStats: () => panel.videoStats(),
      get audioOnly() { return panel.audioOnly; },
      get line() { return panel.line; },
      setAudioOnly: (on) => panel.setAudioOnly(on),
      inboundBytes: () => panel.lineCounters().then((c) => c.received),
      panel,
    };
  }

  // --- page ---

  build() {
    const root = this.root;
    this.message = el('p', { class: 'video-message', role: 'status', 'aria-live': 'polite', hidden: true });
    this.grid = el('div', { class: 'video-grid', 'data-layout': this.layout });
    // Shared content (a screen, a document) takes this place in the speaker layout when there is some.
    this.content = el('div', { class: 'video-content', hidden: true });
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
    this.controls.append(this.studioButton, this.micButton, this.camButton, this.buildShareButton(),
      this.buildAudioOnlyButton(), this.lowButton); // low bandwidth stays the last toggle (test_browser.py)
    this.check = this.buildDeviceCheck();
    this.takeBack = el('button', { type: 'button', class: 'button', hidden: true, text: this.s.take_back,
      onclick: () => { this.takeBack.hidden = true; this.session = null; this.start(); } });
    this.root.append(this.message, this.takeBack, this.content, this.grid, this.controls, this.check);
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
}


export function boot() {
  document.querySelectorAll('[data-video-panel]').forEach((root) => {
    if (!root.videoPanel) root.videoPanel = new VideoPanel(root);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
