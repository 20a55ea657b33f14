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
import { meetingSection } from './live-meeting.js';
import { attendanceSection } from './live-attendance.js';
import { floorSection } from './live-floor.js';
import { minutesSection } from './live-minutes.js';
import { actionsSection } from './live-actions.js';
import { provincePickerSection } from './live-province-picker.js';
import { pollsSection } from './live-polls.js';
import { qualitySection } from './live-quality.js';
import { Projector } from './video-projector.js';
import { commandControls } from './live-controls.js';

export { LiveConnection } from './live-connection.js';
export { applyEvent } from './live-state.js';

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
      ballots: {}, // participant: its seats' ballots, `${poll}:${seat}` -> {voted, choices}
      pollForm: false,
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
    this.refreshBallots();
    if (!this.editors) return;
    // The minutes editors catch up with Yjs sync, after a fresh snapshot as after a replay (the snapshot
    // carries the text readers follow, not the editors' documents).
    this.editors.syncAll();
  }

  get state() { return this.connection.state; }

  // --- inputs (the command controls: live-controls.js) ------------------------------------------------

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

  // --- sections ----------------------------------------------------------------------------------------

  buildSections() {
    const add = (name, draw, key) => {
      const section = new Section(this.root, name, draw, key);
      if (section.body) this.sections.push(section);
    };
    const ui = () => JSON.stringify([this.ui.errors, this.ui.notes, this.ui.pending]);
    const st = () => this.state;
    add('meeting', () => this.drawMeeting(), () => JSON.stringify([st().meeting, this.ui.confirmStart, this.ui.confirmEnd, ui()]));
    add('agenda', () => this.drawAgenda(), () => JSON.stringify([st().agenda, st().meeting.status, ui()]));
    add('attendance', () => this.drawAttendance(), () => JSON.stringify([st().attendance && st().attendance.counts]));
    add('completeness', () => this.drawCompleteness(), () => JSON.stringify([st().attendance && st().attendance.counts]));
    add('floor', () => this.drawFloor(), () => JSON.stringify([st().floor, st().meeting.status, ui()]));
    add('minutes', () => this.drawMinutes(), () => JSON.stringify([this.selectedItemId(), this.ui.selectedItem,
      flatAgenda(st()).map((e) => [e.node.id, e.node.number, e.node.title]), st().meeting.status,
      this.ui.errors[`minutes-${this.selectedItemId()}`] || null]));
    add('decisions', () => this.drawDecisions(), () => JSON.stringify([this.selectedItemId(), st().decisions, st().meeting.status, this.ui.editing, ui()]));
    add('actions', () => this.drawActions(), () => JSON.stringify([this.selectedItemId(), st().actions, st().meeting.status, this.ui.ownerKind,
      this.ui.provinceChoices, Object.entries(this.ui.drafts).filter(([k]) => k.endsWith('-role')), ui()]));
    add('current', () => this.drawCurrent(), () => JSON.stringify([currentItem(st()), st().meeting.status]));
    add('reader', () => this.drawReader(), () => JSON.stringify([currentItem(st()) && currentItem(st()).id, st().minutes]));
    add('my-floor', () => this.drawMyFloor(), () => JSON.stringify([st().floor, st().meeting.status, ui()]));
    add('polls', () => this.drawPolls(), () => this.pollsKey());
    add('quality', () => this.drawQuality(), () => JSON.stringify([st().quality]));
    add('my-actions', () => this.drawMyActions(), () => JSON.stringify([st().actions, flatAgenda(st()).map((e) => [e.node.id, e.node.number])]));
    // The projector keeps its canvas across redraws: it updates its own parts (static/src/video-projector.js).
    const projector = this.root && this.root.querySelector('[data-live="projector"] [data-part="body"]');
    this.projector = projector ? new Projector(this, projector) : null;
  }

  render() {
    if (!this.state) return;
    if (this.loading) this.loading.hidden = true;
    if (this.root) this.root.hidden = false;
    for (const section of this.sections) section.render();
    if (this.projector) this.projector.update();
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


  // agenda ----------------------------------------------------------------------------------------------



  // attendance ------------------------------------------------------------------------------------------




  // floor (console and chair) -------------------------------------------------------------------------







  // minutes, decisions, actions (console) -------------------------------------------------------------









  // participant -----------------------------------------------------------------------------------------




}

// Each section draws itself (one module per section); the page holds the connection, the state and the
// shared controls.
Object.assign(LivePage.prototype, commandControls, meetingSection, attendanceSection, floorSection,
  minutesSection, actionsSection, provincePickerSection, pollsSection, qualitySection);

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
