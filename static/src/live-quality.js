// The sites' connections on the staff's pages (issue 16, item 5): each endpoint's line as its own page
// measured it (meetcore/video/quality.py), worst first, so the secretariat sees which province is
// struggling before it says so. Methods of the live page (static/src/live-client.js): `this` is the page.

import { h, format } from './live-dom.js';

const ORDER = { bad: 0, weak: 1, good: 2 };

function kbit(bits) { return Math.round((bits || 0) / 1000); }

export const qualitySection = {
  qualityRows() {
    return Object.values(this.state.quality || {})
      .sort((a, b) => (ORDER[a.level] - ORDER[b.level]) || String(a.display).localeCompare(String(b.display), 'th'));
  },

  drawQuality() {
    const rows = this.qualityRows();
    if (!rows.length) return h('p', { class: 'empty-line' }, this.s.quality_none);
    return h('table', { class: 'list live-quality', id: 'live-quality' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, this.s.quality_site), h('th', { scope: 'col' }, this.s.quality_level),
        h('th', { scope: 'col' }, this.s.quality_figures))),
      h('tbody', {}, rows.map((q) => h('tr', { dataset: { endpoint: q.endpoint, level: q.level } },
        h('th', { scope: 'row' }, q.display),
        h('td', {}, h('span', { class: `quality-badge quality-${q.level}` }, this.s[`quality_${q.level}`] || q.level)),
        h('td', { class: 'quality-figures' }, [
          format(this.s.quality_bitrate, { down: kbit(q.bitrate_in), up: kbit(q.bitrate_out) }),
          format(this.s.quality_loss, { loss: `${(q.loss * 100).toFixed(1)}%` }),
          q.rtt_ms === null || q.rtt_ms === undefined ? null : format(this.s.quality_rtt, { ms: q.rtt_ms }),
          q.audio_only ? this.s.quality_audio_only : null,
          this.time(q.at),
        ].filter(Boolean).join(' · '))))));
  },
};
