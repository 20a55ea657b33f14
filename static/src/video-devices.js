// The video panel's camera and microphone: the pre-join check (preview, level meter, device choice,
// kept in localStorage) and the page's own message when the browser refuses or lacks a device.

import { el } from './video-dom.js';

export const Devices = (Base) => class extends Base {
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

  mediaError(error) {
    const refused = error && (error.name === 'NotAllowedError' || error.name === 'SecurityError');
    const missing = error && (error.name === 'NotFoundError' || error.name === 'OverconstrainedError');
    this.say(refused ? this.s.camera_refused : missing ? this.s.camera_missing : this.s.camera_failed, 'error');
  }
};
