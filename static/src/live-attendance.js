// Who is here: the counts and, for the staff, the board by region and province.
// Methods of the live page (static/src/live-client.js), which mixes them in: `this` is the page.

import { h } from './live-dom.js';
import { REGION_ORDER } from './live-common.js';

export const attendanceSection = {
  counts() {
    const attendance = this.state.attendance;
    return attendance && attendance.counts ? attendance.counts : null;
  },

  tally(t) { return t ? `${(t.present || 0) + (t.substitute || 0)}/${t.seats || 0}` : '0/0'; },

  drawAttendance() {
    const counts = this.counts();
    const totals = counts ? counts.totals : null;
    const figure = (name, value) => h('li', { dataset: { count: name } }, h('strong', {}, String(value || 0)), this.s[name]);
    return [
      totals
        ? h('ul', { class: 'live-counts', id: 'live-attendance-totals' },
          figure('present', totals.present), figure('substitute', totals.substitute),
          figure('absent', totals.absent), figure('seats', totals.seats))
        : h('p', { class: 'empty' }, '—'),
      h('p', {}, h('a', { href: this.config.urls.board }, this.s.open_board)),
    ];
  },

  drawCompleteness() {
    const counts = this.counts();
    if (!counts) return h('p', { class: 'empty' }, '—');
    const table = (caption, rows) => h('table', { class: 'list live-tally' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {},
        h('td', {}, ''), h('th', { scope: 'col' }, this.s.present), // a corner, not a header
        h('th', { scope: 'col' }, this.s.substitute), h('th', { scope: 'col' }, this.s.absent),
        h('th', { scope: 'col' }, this.s.seats))),
      h('tbody', {}, rows.map(([key, label, t]) => h('tr', { dataset: { tally: key } },
        h('th', { scope: 'row' }, label),
        h('td', {}, String(t.present || 0)), h('td', {}, String(t.substitute || 0)),
        h('td', {}, String(t.absent || 0)), h('td', {}, String(t.seats || 0))))));
    const regions = REGION_ORDER.filter((r) => counts.regions && counts.regions[r])
      .map((r) => [r, this.config.regions[r] || r, counts.regions[r]]);
    if (counts.central && counts.central.seats) regions.push(['central-seats', this.s.central, counts.central]);
    const roles = Object.entries(counts.roles || {}).map(([code, t]) => {
      const role = this.config.roles[code];
      return [code, role ? (role.short || role.title) : code, t];
    });
    return [
      h('p', { class: 'live-total', id: 'live-completeness-total' },
        h('strong', {}, this.tally(counts.totals)), ' ', this.s.total),
      regions.length ? table(this.s.by_region, regions) : null,
      roles.length ? table(this.s.by_role, roles) : null,
      h('p', {}, h('a', { href: this.config.urls.board }, this.s.open_board)),
    ];
  },
};
