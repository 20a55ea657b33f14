// The video panel's tiles and layouts: one media element per received stream, the speaker layout
// (participants) and the grid (staff), the chair's moderation buttons, the simulcast layer, and the
// statistics tests and the weak-line switch read (getStats).

import { el } from './video-dom.js';

export const Tiles = (Base) => class extends Base {
  onRemoteTrack(track, mid, on) {
    const info = this.feedOfMid.get(mid) || { feed: 'unknown', type: track.kind };
    let media = [...this.stageNodes('[data-mid]')].find((node) => node.dataset.mid === String(mid));
    if (media && (!on || media.closest('[data-feed]').dataset.feed !== String(info.feed))) {
      const old = media.closest('[data-feed]');
      media.remove();
      media = null;
      if (old && !old.querySelector('video, audio')) old.remove();
    }
    if (!on) { this.tidyContent(); this.arrange(); return; }
    const tile = this.tileOf(info.feed);
    if (!media) {
      media = el(track.kind === 'video' ? 'video' : 'audio', { autoplay: true, playsinline: true, 'data-mid': mid });
      if (track.kind === 'video') tile.prepend(media); else tile.append(media);
    }
    const current = media.srcObject && media.srcObject.getTracks()[0];
    if (current !== track) media.srcObject = new MediaStream([track]);
    this.arrange();
  }

  /** Nodes of the grid of speakers and of the shared-content slot. */
  stageNodes(selector) {
    return [...this.grid.querySelectorAll(selector), ...this.content.querySelectorAll(selector)];
  }

  tileOf(feed) {
    if (this.shareRange(feed)) return this.shareTile(feed);
    let tile = this.grid.querySelector(`[data-feed="${feed}"]`);
    if (tile) return tile;
    const publisher = this.publishers.get(feed) || {};
    tile = el('figure', { class: 'video-tile', 'data-feed': feed }, [el('figcaption', { text: this.label(publisher) })]);
    if (this.studioRange(feed)) tile.classList.add('is-studio');
    if (this.talking.has(Number(feed))) tile.classList.add('is-talking');
    if (this.config.may_moderate) {
      const controls = el('div', { class: 'video-tile-controls' });
      for (const kind of ['audio', 'video']) {
        controls.append(el('button', { type: 'button', class: 'button small', 'data-moderate': kind,
          text: kind === 'audio' ? this.s.mute_site : this.s.stop_site_video,
          onclick: (event) => this.moderate(feed, kind, event.currentTarget) }));
      }
      tile.append(controls);
    }
    this.grid.append(tile);
    return tile;
  }

  studioRange(feed) {
    const ids = this.config && this.config.endpoint_ids;
    return Boolean(ids) && Number(feed) >= ids.studio && Number(feed) < ids.end;
  }

  /** The feed shown large in the speaker layout: the floor holder's (their seat, or their hall), else who
   * talked last, else the studio. */
  chooseMain(feeds) {
    const ids = this.config.endpoint_ids || {};
    const live = window.meetcoreLive;
    const floor = live && live.state && live.state.floor;
    const holder = floor && floor.holder;
    if (holder) {
      const seatFeed = ids.seat + holder.seat_id;
      if (feeds.includes(seatFeed)) return seatFeed;
      const hall = feeds.find((feed) => feed >= ids.site && feed < ids.studio);
      if (hall !== undefined) return hall;
    }
    const talker = feeds.find((feed) => feed === this.lastTalker && !this.studioRange(feed));
    if (talker !== undefined) return talker;
    const studio = feeds.find((feed) => this.studioRange(feed));
    return studio !== undefined ? studio : feeds[0];
  }

  /** Place the tiles for this page's layout (CSS places them; the elements never move, so that playing
   * media are never interrupted). */
  arrange() {
    if (!this.config) return;
    const tiles = [...this.grid.querySelectorAll('[data-feed]')].filter((tile) => tile.dataset.feed !== 'self');
    const feeds = tiles.filter((tile) => tile.querySelector('video')).map((tile) => Number(tile.dataset.feed));
    this.mainFeed = this.layout === 'speaker' ? this.chooseMain(feeds) : undefined;
    for (const tile of tiles) tile.classList.toggle('is-main', Number(tile.dataset.feed) === this.mainFeed);
    this.applyModeration();
  }

  /** What the chair stopped, from the live state: the staff's buttons, and this page's own notice. A command
   * this page had acknowledged counts until the live state has its event (the acknowledgement can come
   * first): else the button showed the old state again, and a second press repeated the first. */
  applyModeration() {
    const live = window.meetcoreLive;
    const moderation = (live && live.state && live.state.video && live.state.video.moderation) || {};
    const applied = (live && live.lastSeq) || 0;
    this.moderated = this.moderated || new Map();
    for (const [key, done] of this.moderated) if (done.seq <= applied) this.moderated.delete(key);
    for (const button of this.grid.querySelectorAll('[data-moderate]')) {
      const feed = button.closest('[data-feed]').dataset.feed;
      const entry = moderation[feed] || {};
      const audio = button.dataset.moderate === 'audio';
      const done = this.moderated.get(`${feed}:${button.dataset.moderate}`);
      const stopped = done ? done.mute : Boolean(audio ? entry.audio_muted : entry.video_stopped);
      button.dataset.muted = String(stopped);
      button.textContent = audio ? (stopped ? this.s.unmute_site : this.s.mute_site)
        : (stopped ? this.s.start_site_video : this.s.stop_site_video);
    }
    const own = this.config && this.publishing ? moderation[String(this.config.publisher_id)] : null;
    const notice = own && own.video_stopped ? this.s.video_stopped_by_chair
      : own && own.audio_muted ? this.s.audio_muted_by_chair : '';
    if (notice === (this.moderationNotice || '')) return;
    this.moderationNotice = notice;
    // A page taken over keeps saying so: the chair's notice ending after it must not clear that message.
    if (this.status !== 'superseded') this.say(notice);
  }

  label(publisher) {
    const display = publisher.display || '';
    return display.startsWith('listen:') ? '' : display;
  }

  /** The chair mutes a publisher's audio or stops its video at Janus (live command video.moderate). */
  async moderate(feed, kind, button) {
    const publisher = this.publishers.get(feed);
    const mids = ((publisher && publisher.streams) || []).filter((s) => s.type === kind).map((s) => String(s.mid));
    const live = window.meetcoreLive;
    if (!live || !live.connection || !mids.length) { this.say(this.s.unreachable, 'error'); return; }
    const mute = button.dataset.muted !== 'true';
    const answer = await live.connection.command('video.moderate', { publisher_id: feed, kind, mids, mute });
    if (!answer.ok) { this.say((answer.error && answer.error.message) || this.s.unreachable, 'error'); return; }
    this.moderated = this.moderated || new Map();
    if (typeof answer.seq === 'number') this.moderated.set(`${feed}:${kind}`, { mute, seq: answer.seq });
    else button.dataset.muted = String(mute);
    this.applyModeration();
  }

  setLowBandwidth(low) {
    this.lowBandwidth = low;
    this.lowButton.setAttribute('aria-pressed', String(low));
    this.applyLayer();
  }

  /** Tell Janus what to send this page of each video stream (video-quality.js: layer, audio only). */
  applyLayer() {
    if (!this.subscriber || !this.subscriberReady) return;
    const streams = [...this.feedOfMid.entries()].filter(([, info]) => info.type === 'video')
      .map(([mid]) => this.videoStreamSettings(mid));
    if (streams.length) this.subscriber.send({ message: { request: 'configure', streams } });
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
  watchBandwidth(bitrate) {
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
};
