// Weak lines (issue 16, item 5), mixed into the video panel (static/src/video.js):
//
// * audio-only mode: the participant's toggle, or the page itself after three weak readings in a row
//   (packet loss over 10 % or an estimated incoming bitrate under 120 kbit/s), with a notice saying why.
//   Janus stops sending this page every video stream (subscriber "configure", send=false per video mid),
//   so no video RTP arrives; audio and the document projector (a separate, tiny live event) go on;
// * the line's measure, every few seconds, from the browser's getStats: the bitrate received and sent,
//   the packet loss and the round-trip time (for the secretariat's board, issue 16 item 5).

const WEAK_LOSS = 0.1;
const WEAK_BITRATE = 120_000;
const WEAK_READINGS = 3;

function peerOf(handle) { return handle && handle.webrtcStuff && handle.webrtcStuff.pc; }

export const Quality = (Base) => class extends Base {
  buildAudioOnlyButton() {
    this.audioOnly = false;
    this.audioOnlyButton = document.createElement('button');
    Object.assign(this.audioOnlyButton, { type: 'button', className: 'button', textContent: this.s.audio_only });
    this.audioOnlyButton.dataset.key = 'video-audio-only';
    this.audioOnlyButton.setAttribute('aria-pressed', 'false');
    this.audioOnlyButton.addEventListener('click', () => this.setAudioOnly(!this.audioOnly));
    return this.audioOnlyButton;
  }

  /** Receive audio only (`on`), or video again; `automatic`: the page decided, on a weak line. */
  setAudioOnly(on, { automatic = false } = {}) {
    this.audioOnly = on;
    this.audioOnlyAutomatic = on && automatic;
    this.weakReadings = 0;
    this.audioOnlyButton.setAttribute('aria-pressed', String(on));
    this.root.classList.toggle('is-audio-only', on);
    if (on) this.say(automatic ? this.s.audio_only_auto : this.s.audio_only_on, automatic ? 'warning' : 'info');
    else this.say('');
    this.applyLayer();
  }

  /** What Janus sends this page for each video stream: nothing in audio-only mode, else the chosen layer. */
  videoStreamSettings(mid) {
    const layer = this.lowBandwidth ? 0 : 2;
    return { mid, send: !this.audioOnly, substream: layer, temporal: layer };
  }

  /** Counters of the page's peer connections, summed: bytes and packets received and sent per kind, losses,
   * the round-trip time and the estimated incoming bitrate of the selected candidate pairs. */
  async lineCounters() {
    const counters = { at: performance.now(), received: { audio: 0, video: 0 }, sent: 0, packets: 0, lost: 0,
      rtt: null, estimate: null };
    for (const pc of [peerOf(this.subscriber), peerOf(this.publisher)].filter(Boolean)) {
      const stats = await pc.getStats();
      stats.forEach((report) => {
        if (report.type === 'inbound-rtp' && report.kind in counters.received) {
          counters.received[report.kind] += report.bytesReceived || 0;
          counters.packets += report.packetsReceived || 0;
          counters.lost += Math.max(0, report.packetsLost || 0);
        } else if (report.type === 'outbound-rtp') {
          counters.sent += report.bytesSent || 0;
        } else if (report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded') {
          if (report.currentRoundTripTime !== undefined) counters.rtt = Math.max(counters.rtt || 0, report.currentRoundTripTime);
          if (report.availableIncomingBitrate) counters.estimate = report.availableIncomingBitrate;
        }
      });
    }
    return counters;
  }

  /** The line since the last reading: {bitrate_in, bitrate_out (bit/s), loss (0..1), rtt_ms}; null at first. */
  async measureLine() {
    const now = await this.lineCounters();
    const before = this.lastCounters;
    this.lastCounters = now;
    if (!before) return null;
    const seconds = (now.at - before.at) / 1000;
    if (seconds <= 0) return null;
    const received = now.received.audio + now.received.video - before.received.audio - before.received.video;
    const packets = now.packets - before.packets;
    const lost = now.lost - before.lost;
    return {
      bitrate_in: Math.max(0, Math.round((received * 8) / seconds)),
      bitrate_out: Math.max(0, Math.round(((now.sent - before.sent) * 8) / seconds)),
      loss: packets + lost > 0 ? Math.max(0, Math.min(1, lost / (packets + lost))) : 0,
      rtt_ms: now.rtt === null ? null : Math.round(now.rtt * 1000),
      estimate: now.estimate,
    };
  }

  /** Every few seconds: measure the line, drop to audio only on a weak one, tell the meeting's board. */
  async watchLine() {
    if (!this.subscriberReady && !this.publishing) { this.lastCounters = null; return; }
    let line = null;
    try { line = await this.measureLine(); } catch (error) { return; }
    if (!line) return;
    this.line = line;
    const weak = line.loss > WEAK_LOSS || (line.estimate && line.estimate < WEAK_BITRATE);
    this.weakReadings = weak ? (this.weakReadings || 0) + 1 : 0;
    // Staff pages never drop the video by themselves: the chair and the secretariat moderate what they see.
    const mayDrop = !(this.config && this.config.may_moderate);
    if (mayDrop && !this.audioOnly && this.weakReadings >= WEAK_READINGS) this.setAudioOnly(true, { automatic: true });
    else if (!this.lowBandwidth) this.watchBandwidth(line.estimate);
    this.reportLine(line);
  }

  /** The board's small live command (meetcore/video/quality.py); a refusal is the server's business. */
  reportLine(line) {
    const live = window.meetcoreLive;
    if (!live || !live.connection || !live.connected || !this.config || !this.config.live) return;
    live.connection.command('video.quality', {
      bitrate_in: line.bitrate_in, bitrate_out: line.bitrate_out, loss: Math.round(line.loss * 1000) / 1000,
      rtt_ms: line.rtt_ms, audio_only: !!this.audioOnly,
    }).then((answer) => { this.lastReport = answer; });
  }
};
