// The live pages of a meeting (templates/live/): the secretariat's console, the chair's view and the
// participant's view. One module, bundled by esbuild into static/dist/live-client.js (global MeetCoreLive).
//
// The page gives its settings as JSON in #live-config (meetcore/live/views.py): which page, the meeting,
// the translated words. The state comes from the server only (LiveConnection: snapshot, replay, numbered
// events); every control sends one command and shows the server's answer next to itself.
//
// For tests and support: window.meetcoreLive = {state, lastSeq, connected, status, counters}.

import { h, replaceContent, Section, format } from './live-dom.js';
import { LiveConnection } from './live-connection.js';
import { currentItem, findItem, flatAgenda } from './live-state.js';

export { LiveConnection } from './live-connection.js';
export { applyEvent } from './live-state.js';

const TIME_LIMITS = [null, 60, 120, 180, 300, 600, 900];
const REGION_ORDER = ['north', 'northeast', 'central', 'east', 'west', 'south'];

class LivePage {
  constructor(config) {
    this.config = config;
    this.s = config.strings || {};
    this.page = config.page;
    this.meetingId = config.meeting_id;
    this.canEdit = !!config.can_edit;
    this.canRunFloor = !!config.can_run_floor;
    this.ui = {
      errors: {}, // control key -> message of its last refused command
      notes: {}, // control key -> a short confirmation ("Saved.")
      pending: {}, // control key -> true while its command waits for the acknowledgement
      drafts: {}, // input key -> what the person typed (kept across redraws)
      confirmEnd: false,
      selectedItem: null, // console: the item whose minutes, decisions and actions are shown (null: current)
      editing: null, // decision id being corrected
      ownerKind: 'role',
    };
    this.root = document.getElementById('live-app');
    this.loading = document.getElementById('live-loading');
    this.refusal = document.getElementById('live-refusal');
    this.indicator = document.getElementById('live-connection');
    this.offlineHint = document.getElementById('live-offline-hint');
    this.sections = [];
    this.editors = null;
    this.editorBoxes = new Map();
    this.connection = new LiveConnection({
      meetingId: this.meetingId,
      participant: this.page === 'participant',
      strings: this.s,
      onState: () => this.render(),
      onStatus: (status) => this.showStatus(status),
      onJoined: (mode) => this.joined(mode),
      onRefused: (error) => this.refused(error),
    });
    this.exposeForTests();
    this.buildSections();
    this.showStatus(this.connection.status);
    setInterval(() => this.tick(), 1000);
  }

  exposeForTests() {
    const connection = this.connection;
    window.meetcoreLive = {
      get state() { return connection.state; },
      get lastSeq() { return connection.lastSeq; },
      get connected() { return connection.connected; },
      get status() { return connection.status; },
      get counters() { return { ...connection.counters }; },
      connection,
    };
  }

  // --- connection ------------------------------------------------------------------------------------

  showStatus(status) {
    if (this.indicator) {
      this.indicator.dataset.state = status;
      this.indicator.querySelector('.label').textContent = this.s[status] || status;
    }
    if (this.offlineHint) this.offlineHint.hidden = status === 'connected' || status === 'connecting';
    if (this.root) this.root.classList.toggle('is-offline', status !== 'connected');
  }

  refused(error) {
    if (this.loading) this.loading.hidden = true;
    if (!this.refusal) return;
    this.refusal.hidden = false;
    replaceContent(this.refusal, [
      h('strong', {}, this.s.refused), ' ', error.message || '', ' ',
      h('a', { href: window.location.href }, this.s.reload),
    ]);
  }

  joined(mode) {
    if (!this.editors) return;
    // The minutes editors catch up: rebuilt from a fresh snapshot, or synced after a replay.
    if (mode === 'snapshot') this.editors.reset(this.state.minutes);
    else this.editors.syncAll();
  }

  get state() { return this.connection.state; }

  // --- commands ----------------------------------------------------------------------------------------

  /** Send a command for the control `key`; its error (or a short confirmation) shows next to it. */
  async send(key, name, payload, { onOk, note } = {}) {
    this.ui.pending[key] = true;
    delete this.ui.errors[key];
    delete this.ui.notes[key];
    this.render();
    const ack = await this.connection.command(name, payload);
    delete this.ui.pending[key];
    if (ack.ok) {
      if (note) this.ui.notes[key] = note;
      if (onOk) onOk(ack);
    } else {
      this.ui.errors[key] = (ack.error && ack.error.message) || String(ack.error && ack.error.code);
    }
    this.render();
    return ack;
  }

  button(key, label, name, payload, options = {}) {
    return h('button', {
      type: 'button',
      class: options.className || null,
      dataset: { key },
      disabled: !!this.ui.pending[key] || options.disabled,
      'aria-describedby': this.ui.errors[key] ? `err-${key}` : null,
      onclick: () => (options.before ? options.before() : true) && this.send(key, name, payload(), options),
    }, label);
  }

  /** The error (role=alert) or confirmation of a control, to place right after it. */
  feedback(key) {
    if (this.ui.errors[key]) {
      return h('span', { class: 'live-error', id: `err-${key}`, role: 'alert', dataset: { errorFor: key } },
        this.ui.errors[key]);
    }
    if (this.ui.notes[key]) return h('span', { class: 'live-note', role: 'status' }, this.ui.notes[key]);
    return null;
  }

  /** A text input or textarea whose value survives redraws. */
  field(tag, key, attrs = {}) {
    const element = h(tag, {
      ...attrs, id: attrs.id || `f-${key}`, dataset: { key }, value: this.ui.drafts[key] || '',
      oninput: (event) => { this.ui.drafts[key] = event.target.value; },
      onchange: (event) => { this.ui.drafts[key] = event.target.value; if (attrs.onchange) attrs.onchange(event); },
    });
    return element;
  }

  // --- formatting --------------------------------------------------------------------------------------

  localized(label) {
    if (!label) return '';
    if (typeof label === 'string') return label;
    return label[this.config.locale] || label.th || label.en || '';
  }

  time(iso) {
    if (!iso) return '';
    try {
      return new Intl.DateTimeFormat(this.config.locale === 'en' ? 'en-GB' : 'th-TH',
        { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Bangkok' }).format(new Date(iso));
    } catch (error) { return iso; }
  }

  date(isoDate) {
    if (!isoDate) return this.s.no_due_date;
    try {
      return new Intl.DateTimeFormat(this.config.locale === 'en' ? 'en-GB' : 'th-TH',
        { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${isoDate}T00:00:00Z`));
    } catch (error) { return isoDate; }
  }

  duration(seconds) {
    const sign = seconds < 0 ? '-' : '';
    const value = Math.abs(Math.round(seconds));
    return `${sign}${Math.floor(value / 60)}:${String(value % 60).padStart(2, '0')}`;
  }

  limitLabel(seconds) {
    if (seconds === null || seconds === undefined) return this.s.no_limit;
    return seconds % 60 === 0 ? format(this.s.minutes_n, { n: seconds / 60 }) : `${seconds} s`;
  }

  statusLabel(status) { return this.s[`status_${status}`] || status; }

  itemLabel(item) { return item ? `${item.number} ${item.title}` : ''; }

  // --- sections ----------------------------------------------------------------------------------------

  buildSections() {
    const add = (name, draw, key) => {
      const section = new Section(this.root, name, draw, key);
      if (section.body) this.sections.push(section);
    };
    const ui = () => JSON.stringify([this.ui.errors, this.ui.notes, this.ui.pending]);
    const st = () => this.state;
    add('meeting', () => this.drawMeeting(), () => JSON.stringify([st().meeting, this.ui.confirmEnd, ui()]));
    add('agenda', () => this.drawAgenda(), () => JSON.stringify([st().agenda, st().meeting.status, ui()]));
    add('attendance', () => this.drawAttendance(), () => JSON.stringify([st().attendance && st().attendance.counts]));
    add('completeness', () => this.drawCompleteness(), () => JSON.stringify([st().attendance && st().attendance.counts]));
    add('floor', () => this.drawFloor(), () => JSON.stringify([st().floor, st().meeting.status, ui()]));
    add('minutes', () => this.drawMinutes(), () => JSON.stringify([this.selectedItemId(), this.ui.selectedItem,
      flatAgenda(st()).map((e) => [e.node.id, e.node.number, e.node.title]), st().meeting.status,
      this.ui.errors[`minutes-${this.selectedItemId()}`] || null]));
    add('decisions', () => this.drawDecisions(), () => JSON.stringify([this.selectedItemId(), st().decisions, st().meeting.status, this.ui.editing, ui()]));
    add('actions', () => this.drawActions(), () => JSON.stringify([this.selectedItemId(), st().actions, st().meeting.status, this.ui.ownerKind, ui()]));
    add('current', () => this.drawCurrent(), () => JSON.stringify([currentItem(st()), st().meeting.status]));
    add('reader', () => this.drawReader(), () => JSON.stringify([currentItem(st()) && currentItem(st()).id, st().minutes]));
    add('my-floor', () => this.drawMyFloor(), () => JSON.stringify([st().floor, st().meeting.status, ui()]));
    add('my-actions', () => this.drawMyActions(), () => JSON.stringify([st().actions, flatAgenda(st()).map((e) => [e.node.id, e.node.number])]));
  }

  render() {
    if (!this.state) return;
    if (this.loading) this.loading.hidden = true;
    if (this.root) this.root.hidden = false;
    for (const section of this.sections) section.render();
    this.tick();
  }

  /** Once a second: the speaker's countdown. */
  tick() {
    document.querySelectorAll('[data-ends-at]').forEach((element) => {
      const left = (Date.parse(element.dataset.endsAt) - Date.now()) / 1000;
      element.textContent = left > 0 ? this.duration(left) : this.s.time_up;
      element.classList.toggle('over', left <= 0);
    });
  }

  // meeting ---------------------------------------------------------------------------------------------

  drawMeeting() {
    const meeting = this.state.meeting;
    const status = meeting.status;
    // The server-rendered header shows the status as it was when the page was loaded.
    document.querySelectorAll('.meeting-header .status').forEach((badge) => {
      badge.className = `status status-${status}`;
      badge.textContent = this.statusLabel(status);
    });
    const parts = [
      h('p', { class: 'live-status-line' },
        h('span', { class: `status status-${status}`, id: 'live-meeting-status', dataset: { status } },
          this.statusLabel(status))),
    ];
    if (status === 'scheduled' || status === 'draft') parts.push(h('p', {}, this.s.not_started));
    if (status === 'ended') parts.push(h('p', {}, this.s.has_ended));
    if (status === 'cancelled') parts.push(h('p', {}, this.s.was_cancelled));
    if (this.page !== 'console' || !this.canEdit) return parts;
    const controls = h('p', { class: 'actions' });
    if (status === 'draft' || status === 'scheduled') {
      controls.append(this.button('start', this.s.start_meeting, 'meeting.start', () => ({}), { className: 'primary' }));
      controls.append(...[this.feedback('start')].filter(Boolean));
    }
    if (status === 'live') {
      if (!this.ui.confirmEnd) {
        controls.append(h('button', {
          type: 'button', class: 'danger', dataset: { key: 'end-ask' },
          onclick: () => { this.ui.confirmEnd = true; this.render(); focusLater('[data-key="end"]'); },
        }, this.s.end_meeting));
      } else {
        controls.append(h('span', { class: 'live-confirm', role: 'alertdialog', 'aria-label': this.s.end_meeting },
          h('span', {}, this.s.end_confirm), ' ',
          this.button('end', this.s.end_yes, 'meeting.end', () => ({}), {
            className: 'danger', onOk: () => { this.ui.confirmEnd = false; },
          }), ' ',
          h('button', {
            type: 'button', dataset: { key: 'end-no' },
            onclick: () => { this.ui.confirmEnd = false; this.render(); focusLater('[data-key="end-ask"]'); },
          }, this.s.end_no)));
      }
      controls.append(...[this.feedback('end')].filter(Boolean));
    }
    parts.push(controls);
    return parts;
  }

  // agenda ----------------------------------------------------------------------------------------------

  drawAgenda() {
    const entries = flatAgenda(this.state);
    if (!entries.length) return h('p', { class: 'empty' }, this.s.no_agenda);
    const live = this.state.meeting.status === 'live';
    const controls = this.page === 'console' && this.canEdit && live;
    return h('ol', { class: 'live-agenda', id: 'live-agenda' }, entries.map(({ node, depth }) => {
      const key = `item-${node.id}`;
      const row = h('li', {
        class: `live-agenda-item state-${node.state} depth-${Math.min(depth, 3)}`,
        dataset: { itemId: String(node.id), state: node.state },
        'aria-current': node.state === 'current' ? 'step' : null,
      },
      h('span', { class: 'agenda-number' }, node.number),
      h('span', { class: 'agenda-title' }, node.title,
        node.presenter ? h('small', { class: 'agenda-presenter' }, ` · ${node.presenter}`) : null),
      node.state !== 'pending' ? h('span', { class: `badge badge-${node.state}` }, this.s[`state_${node.state}`]) : null,
      this.drawDocuments(node));
      if (controls) {
        const buttons = h('span', { class: 'agenda-actions' });
        if (node.state !== 'current') {
          buttons.append(this.button(`${key}-current`, this.s.make_current, 'agenda.set_current',
            () => ({ item_id: node.id }), { className: 'small' }));
        }
        buttons.append(this.button(`${key}-done`, node.state === 'done' ? this.s.mark_not_done : this.s.mark_done,
          'agenda.mark_done', () => ({ item_id: node.id, done: node.state !== 'done' }), { className: 'small' }));
        row.append(buttons);
        [this.feedback(`${key}-current`), this.feedback(`${key}-done`)].filter(Boolean).forEach((f) => row.append(f));
      }
      return row;
    }));
  }

  drawDocuments(node) {
    const documents = node.documents || [];
    if (!documents.length) return null;
    const base = `/meetings/${this.state.meeting.id}/documents/`;
    return h('ul', { class: 'item-documents', 'aria-label': this.s.documents },
      documents.map((d) => h('li', { dataset: { documentId: String(d.id) } },
        h('a', { href: base + d.id, target: '_blank', rel: 'noopener' }, d.title))));
  }

  // attendance ------------------------------------------------------------------------------------------

  counts() {
    const attendance = this.state.attendance;
    return attendance && attendance.counts ? attendance.counts : null;
  }

  tally(t) { return t ? `${(t.present || 0) + (t.substitute || 0)}/${t.seats || 0}` : '0/0'; }

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
  }

  drawCompleteness() {
    const counts = this.counts();
    if (!counts) return h('p', { class: 'empty' }, '—');
    const table = (caption, rows) => h('table', { class: 'list live-tally' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, this.s.present),
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
  }

  // floor (console and chair) -------------------------------------------------------------------------

  entryLabel(entry) {
    return [
      h('strong', { class: 'floor-seat' }, this.localized(entry.label)),
      entry.attendee_name ? h('span', { class: 'floor-name' }, ` · ${entry.attendee_name}`) : null,
      entry.attendee_position ? h('small', { class: 'floor-position' }, ` (${entry.attendee_position})`) : null,
    ];
  }

  holderBlock(holder) {
    if (!holder) return h('p', { class: 'floor-holder empty-line', id: 'live-floor-holder', dataset: { seatId: '' } }, this.s.nobody_holds);
    return h('div', { class: 'floor-holder', id: 'live-floor-holder', dataset: { seatId: String(holder.seat_id) } },
      h('p', { class: 'floor-holder-title' }, this.s.holder),
      h('p', {}, this.entryLabel(holder)),
      holder.note ? h('p', { class: 'floor-note' }, holder.note) : null,
      holder.ends_at
        ? h('p', { class: 'countdown' }, `${this.s.time_left}: `,
          h('span', { class: 'countdown-value', dataset: { endsAt: holder.ends_at }, 'aria-live': 'off' }, ''),
          h('small', {}, ` / ${this.limitLabel(holder.time_limit_seconds)}`))
        : null);
  }

  limitSelect(key) {
    const chosen = this.limitValue(key);
    return h('select', {
      id: `f-${key}`, dataset: { key },
      onchange: (event) => { this.ui.drafts[key] = event.target.value; },
    }, limitChoices(chosen).map((seconds) => h('option', {
      value: seconds === null ? '' : String(seconds), selected: chosen === (seconds === null ? '' : String(seconds)),
    }, this.limitLabel(seconds))));
  }

  /** The limit the select shows: what the chair chose, else the meeting's default for the next turns. */
  limitValue(key) {
    if (key in this.ui.drafts) return this.ui.drafts[key];
    const fallback = this.state.floor && this.state.floor.default_time_limit_seconds;
    return fallback === null || fallback === undefined ? '' : String(fallback);
  }

  chosenLimit() {
    const value = this.limitValue('floor-limit');
    return value === '' ? null : Number(value);
  }

  drawFloor() {
    const floor = this.state.floor;
    if (!floor) return h('p', { class: 'empty' }, '—');
    const live = this.state.meeting.status === 'live';
    const controls = this.canRunFloor && live;
    const parts = [this.holderBlock(floor.holder)];
    if (floor.holder && controls) {
      parts.push(h('p', { class: 'actions' },
        this.button('revoke', this.s.revoke, 'floor.revoke', () => ({}), { className: 'danger' }),
        this.feedback('revoke')));
    }
    parts.push(h('h3', {}, this.s.queue));
    if (!floor.queue.length) parts.push(h('p', { class: 'empty-line', id: 'live-floor-queue-empty' }, this.s.queue_empty));
    else {
      parts.push(h('ol', { class: 'floor-queue', id: 'live-floor-queue' }, floor.queue.map((entry) => {
        const key = `request-${entry.request_id}`;
        return h('li', { dataset: { seatId: String(entry.seat_id), requestId: String(entry.request_id) } },
          h('span', { class: 'floor-entry' }, this.entryLabel(entry),
            h('small', { class: 'floor-time' }, ` · ${this.s.asked_at} ${this.time(entry.requested_at)}`),
            entry.note ? h('span', { class: 'floor-note' }, entry.note) : null),
          controls ? h('span', { class: 'floor-actions' },
            this.button(`${key}-grant`, this.s.grant, 'floor.grant',
              () => ({ request_id: entry.request_id, time_limit_seconds: this.chosenLimit() }),
              { className: 'primary small' }),
            this.button(`${key}-remove`, this.s.remove_request, 'floor.revoke',
              () => ({ request_id: entry.request_id }), { className: 'small' })) : null,
          this.feedback(`${key}-grant`), this.feedback(`${key}-remove`));
      })));
    }
    if (controls) {
      parts.push(h('div', { class: 'floor-controls' },
        h('label', { for: 'f-floor-limit' }, this.s.time_limit), this.limitSelect('floor-limit'),
        h('p', { class: 'actions' },
          this.button('grant-next', this.s.grant_next, 'floor.grant',
            () => ({ time_limit_seconds: this.chosenLimit() }), { className: 'primary', disabled: !floor.queue.length }),
          floor.holder ? this.button('limit-turn', this.s.set_turn_limit, 'floor.set_limit',
            () => ({ seconds: this.chosenLimit(), scope: 'turn' }), { note: this.s.saved }) : null,
          this.button('limit-default', this.s.set_default_limit, 'floor.set_limit',
            () => ({ seconds: this.chosenLimit(), scope: 'default' }), { note: this.s.saved })),
        this.feedback('grant-next'), this.feedback('limit-turn'), this.feedback('limit-default'),
        h('p', { class: 'muted' }, `${this.s.default_limit}: ${this.limitLabel(floor.default_time_limit_seconds)}`)));
    } else if (!live) {
      parts.push(h('p', { class: 'muted' }, this.s.floor_closed));
    }
    return parts;
  }

  // minutes, decisions, actions (console) -------------------------------------------------------------

  selectedItemId() {
    if (!this.state) return null;
    if (this.ui.selectedItem && findItem(this.state, this.ui.selectedItem)) return this.ui.selectedItem;
    const current = currentItem(this.state);
    return current ? current.id : null;
  }

  itemPicker() {
    const selected = this.selectedItemId();
    const options = [h('option', { value: '', selected: !this.ui.selectedItem }, this.s.minutes_follow)];
    flatAgenda(this.state).forEach(({ node }) => options.push(h('option', {
      value: String(node.id), selected: this.ui.selectedItem === node.id,
    }, `${node.number} ${node.title}`.slice(0, 120))));
    return h('p', { class: 'item-picker' },
      h('label', { for: 'live-item-picker' }, this.s.minutes_for),
      h('select', {
        id: 'live-item-picker', dataset: { key: 'item-picker', selected: selected ? String(selected) : '' },
        onchange: (event) => {
          this.ui.selectedItem = event.target.value ? Number(event.target.value) : null;
          this.render();
        },
      }, options));
  }

  drawMinutes() {
    const itemId = this.selectedItemId();
    const status = this.state.meeting.status;
    const parts = [this.itemPicker()];
    if (!itemId) {
      parts.push(h('p', { class: 'empty-line' }, this.s.choose_item));
      return parts;
    }
    if (status !== 'live' && status !== 'ended') {
      parts.push(h('p', { class: 'empty-line' }, this.s.minutes_closed));
      return parts;
    }
    const box = this.editorBox(itemId);
    parts.push(h('p', { class: 'minutes-item', id: 'live-minutes-item', dataset: { itemId: String(itemId) } },
      this.itemLabel(findItem(this.state, itemId))));
    parts.push(box || h('p', { class: 'live-error', role: 'alert' }, this.s.minutes_unavailable));
    parts.push(this.feedback(`minutes-${itemId}`));
    return parts;
  }

  /** The textarea bound to the item's Yjs document (kept between redraws, one per item opened). */
  editorBox(itemId) {
    if (this.editorBoxes.has(itemId)) return this.editorBoxes.get(itemId);
    const Minutes = window.MeetCoreMinutes;
    if (!Minutes) return null;
    if (!this.editors) this.editors = new Minutes.MinutesEditors(this.connection.socket);
    const textarea = h('textarea', {
      class: 'minutes-editor', rows: 10, id: `minutes-${itemId}`,
      dataset: { itemId: String(itemId), key: `minutes-${itemId}` },
      'aria-label': `${this.s.minutes}: ${this.itemLabel(findItem(this.state, itemId))}`,
      spellcheck: 'false',
    });
    const editor = this.editors.open(this.meetingId, itemId, this.state.minutes, {
      textarea,
      readOnly: !this.canEdit,
      onError: (error) => {
        this.ui.errors[`minutes-${itemId}`] = error.message || error.code;
        this.render();
      },
    });
    editor.sync(); // the snapshot's state may be older than this moment
    this.editorBoxes.set(itemId, textarea);
    return textarea;
  }

  drawDecisions() {
    const itemId = this.selectedItemId();
    if (!itemId) return h('p', { class: 'empty-line' }, this.s.choose_item);
    const status = this.state.meeting.status;
    const decisions = (this.state.decisions || []).filter((d) => d.item_id === itemId);
    const parts = [];
    if (!decisions.length) parts.push(h('p', { class: 'empty-line' }, this.s.no_decisions));
    else {
      parts.push(h('ul', { class: 'live-decisions', id: 'live-decisions' }, decisions.map((decision) => {
        const key = `decision-${decision.id}`;
        if (this.ui.editing === decision.id) {
          return h('li', { dataset: { decisionId: String(decision.id) } },
            h('label', { for: `f-${key}-text`, class: 'visually-hidden' }, this.s.decision_text),
            this.field('textarea', `${key}-text`, { rows: 3 }),
            h('p', { class: 'actions' },
              this.button(`${key}-save`, this.s.save, 'decision.update',
                () => ({ decision_id: decision.id, text: this.ui.drafts[`${key}-text`] || '' }),
                { className: 'primary small', onOk: () => { this.ui.editing = null; } }),
              h('button', { type: 'button', class: 'small', onclick: () => { this.ui.editing = null; this.render(); } }, this.s.cancel)),
            this.feedback(`${key}-save`));
        }
        return h('li', { dataset: { decisionId: String(decision.id) } },
          h('p', { class: 'decision-text' }, decision.text),
          h('small', {}, `${this.time(decision.taken_at)} · ${format(this.s.present_when_taken, { n: decision.present_count })}`),
          this.canEdit && (status === 'live' || status === 'ended') ? h('span', { class: 'decision-actions' }, ' ',
            h('button', {
              type: 'button', class: 'small', dataset: { key: `${key}-edit` },
              onclick: () => { this.ui.editing = decision.id; this.ui.drafts[`${key}-text`] = decision.text; this.render(); },
            }, this.s.edit), ' ',
            this.button(`${key}-delete`, this.s.delete, 'decision.delete', () => ({ decision_id: decision.id }),
              { className: 'small' })) : null,
          this.feedback(`${key}-delete`));
      })));
    }
    if (this.canEdit && status === 'live') {
      const key = `decision-new-${itemId}`;
      parts.push(h('div', { class: 'live-form' },
        h('label', { for: `f-${key}` }, this.s.decision_text),
        this.field('textarea', key, { rows: 3 }),
        h('p', { class: 'actions' },
          this.button(`${key}-send`, this.s.record_decision, 'decision.record',
            () => ({ item_id: itemId, text: this.ui.drafts[key] || '' }),
            { className: 'primary', onOk: () => { this.ui.drafts[key] = ''; } }),
          this.feedback(`${key}-send`))));
    }
    return parts;
  }

  actionLine(action, { withAgencies = true } = {}) {
    const item = findItem(this.state, action.item_id);
    const mine = action.assignments && action.assignments.length === 1 ? action.assignments[0] : null;
    return [
      h('strong', { class: 'action-title' }, action.title),
      action.cancelled_at ? h('span', { class: 'badge badge-cancelled' }, this.s.cancelled) : null,
      h('br'),
      h('small', {},
        item ? `${this.s.item} ${item.number} · ` : '',
        `${this.s.due_date}: ${this.date(action.due_date)}`,
        withAgencies && action.assignments ? ` · ${format(this.s.assignments_n, { n: action.assignments.length })}` : '',
        !withAgencies && mine ? ` · ${this.s[`assignment_${mine.status}`] || mine.status}` : ''),
      action.description ? h('p', { class: 'action-description' }, action.description) : null,
    ];
  }

  drawActions() {
    const itemId = this.selectedItemId();
    if (!itemId) return h('p', { class: 'empty-line' }, this.s.choose_item);
    const status = this.state.meeting.status;
    const actions = ((this.state.actions && this.state.actions.items) || []).filter((a) => a.item_id === itemId);
    const parts = [];
    if (!actions.length) parts.push(h('p', { class: 'empty-line' }, this.s.no_actions));
    else {
      parts.push(h('ul', { class: 'live-actions', id: 'live-actions' }, actions.map((action) => {
        const key = `action-${action.id}`;
        return h('li', { dataset: { actionId: String(action.id) } }, this.actionLine(action),
          this.canEdit && !action.cancelled_at && (status === 'live' || status === 'ended')
            ? this.button(`${key}-cancel`, this.s.cancel_action, 'action.cancel', () => ({ action_id: action.id }),
              { className: 'small' }) : null,
          this.feedback(`${key}-cancel`));
      })));
    }
    if (this.canEdit && (status === 'live' || status === 'ended')) parts.push(this.actionForm(itemId));
    return parts;
  }

  actionForm(itemId) {
    const owners = this.config.owners || { roles: [], central_agencies: [], provinces: [] };
    const key = `action-new-${itemId}`;
    const roles = (owners.roles || []).map((role) => [role.code, role]);
    const ownerKind = this.ui.ownerKind;
    const roleSelect = h('select', {
      id: `f-${key}-role`, dataset: { key: `${key}-role` },
      onchange: (event) => { this.ui.drafts[`${key}-role`] = event.target.value; },
    }, roles.map(([code, role]) => h('option', {
      value: code, selected: (this.ui.drafts[`${key}-role`] || roles[0][0]) === code,
    }, role.title)));
    const agencySelect = h('select', {
      id: `f-${key}-agency`, dataset: { key: `${key}-agency` },
      onchange: (event) => { this.ui.drafts[`${key}-agency`] = event.target.value; },
    }, owners.central_agencies.map((agency) => h('option', {
      value: String(agency.id), selected: this.ui.drafts[`${key}-agency`] === String(agency.id),
    }, agency.name)));
    const payload = () => {
      const owner = {};
      if (this.ui.ownerKind === 'agency') {
        const chosen = this.ui.drafts[`${key}-agency`] || (owners.central_agencies[0] && String(owners.central_agencies[0].id));
        owner.agency_id = chosen ? Number(chosen) : null;
      } else {
        owner.role_code = this.ui.drafts[`${key}-role`] || (roles[0] && roles[0][0]);
        const codes = (this.ui.drafts[`${key}-provinces`] || '').toUpperCase().split(/[\s,;]+/).filter(Boolean);
        owner.provinces = codes.length ? codes : 'all';
      }
      const data = { item_id: itemId, title: this.ui.drafts[`${key}-title`] || '', owner };
      if (this.ui.drafts[`${key}-description`]) data.description = this.ui.drafts[`${key}-description`];
      if (this.ui.drafts[`${key}-due`]) data.due_date = this.ui.drafts[`${key}-due`];
      return data;
    };
    const kindChoice = (value, label) => h('label', { class: 'check' },
      h('input', {
        type: 'radio', name: `${key}-kind`, value, checked: ownerKind === value, dataset: { key: `${key}-kind-${value}` },
        onchange: () => { this.ui.ownerKind = value; this.render(); },
      }), label);
    return h('div', { class: 'live-form action-form' },
      h('label', { for: `f-${key}-title` }, this.s.action_title),
      this.field('input', `${key}-title`, { type: 'text', maxlength: 500 }),
      h('label', { for: `f-${key}-description` }, this.s.action_description),
      this.field('textarea', `${key}-description`, { rows: 2 }),
      h('label', { for: `f-${key}-due` }, this.s.due_date),
      this.field('input', `${key}-due`, { type: 'date' }),
      h('fieldset', {}, h('legend', {}, this.s.owner),
        kindChoice('role', this.s.owner_role), kindChoice('agency', this.s.owner_agency),
        ownerKind === 'agency'
          ? [h('label', { for: `f-${key}-agency` }, this.s.agency), agencySelect]
          : [h('label', { for: `f-${key}-role` }, this.s.role), roleSelect,
            h('label', { for: `f-${key}-provinces` }, this.s.province_codes),
            this.field('input', `${key}-provinces`, { type: 'text', list: 'live-province-codes', autocomplete: 'off' }),
            h('datalist', { id: 'live-province-codes' },
              owners.provinces.map((p) => h('option', { value: p.code }, p.name)))]),
      h('p', { class: 'actions' },
        this.button(`${key}-send`, this.s.assign_action, 'action.create', payload, {
          className: 'primary',
          onOk: () => ['title', 'description', 'due', 'provinces'].forEach((n) => { this.ui.drafts[`${key}-${n}`] = ''; }),
        }),
        this.feedback(`${key}-send`)));
  }

  // participant -----------------------------------------------------------------------------------------

  drawCurrent() {
    const item = currentItem(this.state);
    if (!item) return h('p', { class: 'empty-line', id: 'live-current-item', dataset: { itemId: '' } }, this.s.no_current_item);
    return h('p', { class: 'current-item', id: 'live-current-item', dataset: { itemId: String(item.id) } },
      h('span', { class: 'agenda-number' }, item.number), ' ', h('strong', {}, item.title),
      item.presenter ? h('small', {}, ` · ${item.presenter}`) : null);
  }

  drawReader() {
    const item = currentItem(this.state);
    if (!item) return h('p', { class: 'empty-line' }, this.s.no_current_item);
    const block = (this.state.minutes || []).find((entry) => entry.item_id === item.id);
    const text = block ? block.text : '';
    return h('div', { class: 'minutes-reader', id: 'live-minutes-text', dataset: { itemId: String(item.id) } },
      text ? text : h('span', { class: 'empty-line' }, this.s.minutes_empty));
  }

  drawMyFloor() {
    const floor = this.state.floor;
    if (!floor) return h('p', { class: 'empty' }, '—');
    const seatId = this.config.seat_id;
    const live = this.state.meeting.status === 'live';
    const mineQueued = floor.queue.find((entry) => entry.seat_id === seatId);
    const iHold = floor.holder && floor.holder.seat_id === seatId;
    const parts = [this.holderBlock(floor.holder)];
    if (!live) {
      parts.push(h('p', { class: 'muted' }, this.s.floor_closed));
      return parts;
    }
    if (iHold) {
      parts.push(h('p', { class: 'floor-mine', id: 'live-my-floor', dataset: { state: 'holding' } }, h('strong', {}, this.s.you_hold)));
      parts.push(h('p', { class: 'actions' },
        this.button('withdraw', this.s.yield_floor, 'floor.withdraw', () => ({})), this.feedback('withdraw')));
    } else if (mineQueued) {
      parts.push(h('p', { class: 'floor-mine', id: 'live-my-floor', dataset: { state: 'queued' } },
        format(this.s.you_wait, { n: mineQueued.position })));
      parts.push(h('p', { class: 'actions' },
        this.button('withdraw', this.s.withdraw, 'floor.withdraw', () => ({})), this.feedback('withdraw')));
    } else {
      parts.push(h('div', { class: 'live-form', id: 'live-my-floor', dataset: { state: 'none' } },
        h('label', { for: 'f-floor-note' }, this.s.note),
        this.field('input', 'floor-note', { type: 'text', maxlength: 300 }),
        h('p', { class: 'actions' },
          this.button('request', this.s.request_floor, 'floor.request', () => {
            const note = (this.ui.drafts['floor-note'] || '').trim();
            return note ? { note } : {};
          }, { className: 'primary', onOk: () => { this.ui.drafts['floor-note'] = ''; } }),
          this.feedback('request'))));
    }
    parts.push(h('p', { class: 'muted' }, `${this.s.queue}: ${floor.queue.length}`));
    return parts;
  }

  drawMyActions() {
    const items = (this.state.actions && this.state.actions.items) || [];
    if (!items.length) return h('p', { class: 'empty-line', id: 'live-my-actions-empty' }, this.s.no_my_actions);
    return h('ul', { class: 'live-actions', id: 'live-my-actions' }, items.map((action) => h('li', {
      dataset: { actionId: String(action.id) },
    }, this.actionLine(action, { withAgencies: false }))));
  }
}

/** The limits offered, with the one shown now among them even when it is not a usual one. */
function limitChoices(chosen) {
  const seconds = chosen === '' ? null : Number(chosen);
  return TIME_LIMITS.includes(seconds) ? TIME_LIMITS : [...TIME_LIMITS, seconds].sort((x, y) => (x || 0) - (y || 0));
}

function focusLater(selector) {
  setTimeout(() => {
    const element = document.querySelector(selector);
    if (element) element.focus();
  }, 0);
}

export function boot() {
  const node = document.getElementById('live-config');
  if (!node) return null;
  const config = JSON.parse(node.textContent);
  return new LivePage(config);
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
}
