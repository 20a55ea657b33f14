// The video panel's screen sharing (issue 16, item 3): the studio and the floor holder share a screen, a
// window or a tab (getDisplayMedia) as a second publisher in the room, under the id the server gives
// (/video/<id>/share, which refuses who may not share); every page shows a shared screen in the
// shared-content slot, above the speakers. A share ends when its owner stops it (here, or with the
// browser's own "Stop sharing"), when this page may no longer publish, and, whatever the page does, at
// Janus when the floor moves on (the server kicks it).

import { el } from './video-dom.js';

export const Sharing = (Base) => class extends Base {
  buildShareButton() {
    this.shareHandle = null;
    this.sharing = false;
    this.shareButton = el('button', { type: 'button', class: 'button', hidden: true, 'data-share': 'screen',
      onclick: () => (this.shareHandle ? this.stopShare() : this.startShare()), text: this.s.share_screen });
    return this.shareButton;
  }

  /** Whether a feed is somebody's shared screen (an endpoint's id shifted by the server's SHARE_SHIFT). */
  shareRange(feed) {
    const ids = this.config && this.config.endpoint_ids;
    return Boolean(ids && ids.share) && Number(feed) >= ids.share + ids.seat && Number(feed) < ids.share + ids.end;
  }

  ownShareId() {
    const ids = this.config && this.config.endpoint_ids;
    return ids && ids.share ? this.config.publisher_id + ids.share : undefined;
  }

  /** The share button follows the right to publish; losing it ends this page's share. */
  syncSharing() {
    const may = Boolean(this.config && this.config.may_publish && this.status === 'joined');
    this.shareButton.hidden = !may || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    if (!may && this.shareHandle) this.stopShare();
  }

  async startShare() {
    let stream;
    try {
      // First, while the click still counts as the user's gesture: the browser asks what to share.
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      if (error && error.name !== 'NotAllowedError') this.say(this.s.share_failed, 'error');
      return;
    }
    const track = stream.getVideoTracks()[0];
    const answer = await this.post('share').catch(() => ({}));
    if (!answer.ok || !this.janus) {
      track.stop();
      if (this.status !== 'superseded') this.say((answer.error && answer.error.message) || this.s.share_failed, 'error');
      return;
    }
    track.addEventListener('ended', () => this.stopShare()); // the browser's own "Stop sharing"
    this.shareTrack = track;
    this.shareHandle = 'joining';
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.shareHandle = handle;
        handle.send({ message: { request: 'join', ptype: 'publisher', room: this.config.room, id: answer.share_id,
          token: this.config.room_token, display: answer.display } });
      },
      error: () => { this.say(this.s.share_failed, 'error'); this.dropShare(); },
      onmessage: (msg, jsep) => this.onShareMessage(msg, jsep),
    });
  }

  onShareMessage(msg, jsep) {
    const handle = this.shareHandle;
    if (!handle || handle === 'joining') return;
    if (msg.videoroom === 'joined') {
      handle.createOffer({
        tracks: [{ type: 'video', capture: this.shareTrack, recv: false }],
        success: (offer) => handle.send({ message: { request: 'publish', audio: false, video: true }, jsep: offer }),
        error: () => { this.say(this.s.share_failed, 'error'); this.stopShare(); },
      });
    } else if (msg.videoroom === 'event' && msg.configured === 'ok') {
      this.sharing = true;
      this.shareButton.textContent = this.s.stop_share;
      this.say(this.s.sharing);
    } else if (msg.videoroom === 'event' && (msg.leaving === 'ok' || msg.error_code)) {
      if (msg.error_code) this.janusError(msg);
      this.dropShare(); // kicked: the floor moved on, or somebody else shares now
      this.say(msg.error_code ? this.s.share_failed : this.s.share_ended, msg.error_code ? 'error' : 'info');
      return;
    }
    if (jsep) handle.handleRemoteJsep({ jsep });
  }

  stopShare() {
    const handle = this.shareHandle;
    if (handle && handle !== 'joining') {
      try { handle.send({ message: { request: 'leave' } }); } catch (error) { /* kicked already */ }
    }
    this.dropShare();
    this.say('');
  }

  dropShare() {
    const handle = this.shareHandle;
    this.shareHandle = null;
    this.sharing = false;
    if (this.shareTrack) { this.shareTrack.stop(); this.shareTrack = null; }
    this.shareButton.textContent = this.s.share_screen;
    if (handle && handle !== 'joining') { try { handle.hangup(); handle.detach(); } catch (error) { /* gone */ } }
  }

  /** A received share goes to the shared-content slot, never to the grid of speakers. */
  shareTile(feed) {
    let tile = this.content.querySelector(`[data-feed="${feed}"]`);
    if (tile) return tile;
    const publisher = this.publishers.get(feed) || {};
    tile = el('figure', { class: 'video-tile is-share', 'data-feed': feed },
      [el('figcaption', { text: `${this.s.screen_of} ${this.label(publisher)}` })]);
    this.content.replaceChildren(tile); // one shared content at a time (the server ends the others)
    this.content.hidden = false;
    return tile;
  }

  /** The shared-content slot shows itself only while it holds a picture. */
  tidyContent() {
    for (const tile of this.content.querySelectorAll('[data-feed]')) {
      if (!tile.querySelector('video')) tile.remove();
    }
    this.content.hidden = !this.content.querySelector('[data-feed]');
  }
};
