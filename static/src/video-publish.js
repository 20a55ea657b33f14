// The video panel's publishing, as the floor says: the studio always (or when asked, on the console), a
// seat or a hall while it holds the floor; own microphone and camera muted or not.

import { el } from './video-dom.js';

const PUBLISH_RETRY_MAX_MS = 30_000;
const PUBLISH_STUCK_MS = 90_000; // joined but never "configured": ICE on a loaded machine can take a minute

export const Publishing = (Base) => class extends Base {
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
    this.arrange();
    if (holder === this.lastHolder) { this.retryPublishing(); return; }
    this.lastHolder = holder;
    try {
      const answer = await this.post('status');
      if (!answer.ok) { this.lastHolder = undefined; return; }
      if (answer.superseded) { this.superseded(); return; }
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
    this.syncSharing();
  }

  /** A publishing attempt that failed (the server or Janus busy, the camera slow to open) is tried again,
   * later each time; one that never got Janus's "configured" is given up and tried again too: without
   * this, a studio whose first attempt failed stayed unseen until the floor next moved. */
  retryPublishing() {
    const stuck = this.publisher && this.publisher !== 'claiming' && !this.publishing
      && Date.now() - this.publishStartedAt > PUBLISH_STUCK_MS;
    if (stuck) { this.unpublish(); this.publishFailed(); return; }
    if (this.publisher || !this.publishRetryAt || Date.now() < this.publishRetryAt) return;
    this.publishRetryAt = 0;
    this.syncPublishing();
  }

  publishFailed() {
    this.publishFailures = (this.publishFailures || 0) + 1;
    this.publishRetryAt = Date.now() + Math.min(PUBLISH_RETRY_MAX_MS, 1000 * 2 ** this.publishFailures);
  }

  toggleStudio() {
    this.studioWanted = !this.studioWanted;
    this.studioButton.setAttribute('aria-pressed', String(this.studioWanted));
    this.studioButton.textContent = this.studioWanted ? this.s.stop_studio : this.s.send_studio;
    if (this.janus && this.status === 'joined') this.syncPublishing();
  }

  /** The server first kicks this endpoint's publisher elsewhere (another tab of the studio, an earlier
   * page of the seat), so that joining with the endpoint's id is never refused as "already exists". */
  async publish() {
    this.publisher = 'claiming';
    this.publishStartedAt = Date.now();
    const answer = await this.post('claim').catch(() => ({}));
    if (this.publisher !== 'claiming' || !this.janus) return;
    this.publisher = null;
    if (!answer.ok) {
      if (this.status === 'superseded') return;
      this.say((answer.error && answer.error.message) || this.s.publish_failed, 'error');
      this.publishFailed();
      return;
    }
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.publisher = handle;
        handle.send({ message: { request: 'join', ptype: 'publisher', room: this.config.room, id: this.config.publisher_id,
          token: this.config.room_token, display: this.config.display } });
      },
      error: () => { this.say(this.s.media_failed, 'error'); this.publishFailed(); },
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
        error: (error) => { this.mediaError(error); this.unpublish(); this.publishFailed(); },
      });
    } else if (msg.videoroom === 'event' && (msg.leaving === 'ok' || msg.error_code)) {
      if (msg.error_code) { this.janusError(msg); this.say(this.s.publish_failed, 'error'); }
      this.dropPublisher();
      if (msg.error_code) this.publishFailed();
      if (msg.leaving === 'ok') this.checkHeld(); // kicked: the floor moved on, or another page took over
    } else if (msg.videoroom === 'event' && msg.configured === 'ok') {
      this.publishing = true;
      if (this.publishFailures) this.say(''); // the failure said before is over
      this.publishFailures = 0;
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
    if (this.publisher === 'claiming') { this.publisher = null; return; }
    try { this.publisher.send({ message: { request: 'leave' } }); } catch (error) { /* kicked already */ }
    this.dropPublisher();
  }

  dropPublisher() {
    const handle = this.publisher === 'claiming' ? null : this.publisher;
    this.publisher = null;
    this.publishing = false;
    this.micButton.hidden = true;
    this.camButton.hidden = true;
    const tile = this.grid.querySelector('[data-feed="self"]');
    if (tile) tile.remove();
    if (handle) { try { handle.hangup(); handle.detach(); } catch (error) { /* gone */ } }
  }

  toggle(kind) {
    if (!this.publisher || this.publisher === 'claiming') return;
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
};
