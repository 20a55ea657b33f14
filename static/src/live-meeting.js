// The meeting and its agenda: the header, the agenda with its documents, what is being discussed.
// Methods of the live page (static/src/live-client.js), which mixes them in: `this` is the page.

import { h, format } from './live-dom.js';
import { currentItem, flatAgenda } from './live-state.js';
import { focusDrawn } from './live-common.js';

export const meetingSection = {
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
      controls.append(...this.startControls(meeting));
      controls.append(...[this.feedback('start')].filter(Boolean));
    }
    if (status === 'live') {
      if (!this.ui.confirmEnd) {
        controls.append(h('button', {
          type: 'button', class: 'danger', dataset: { key: 'end-ask' },
          onclick: () => { this.ui.confirmEnd = true; this.render(); focusDrawn('[data-key="end"]'); },
        }, this.s.end_meeting));
      } else {
        controls.append(h('span', { class: 'live-confirm', role: 'alertdialog', 'aria-label': this.s.end_meeting },
          h('span', {}, this.s.end_confirm), ' ',
          this.button('end', this.s.end_yes, 'meeting.end', () => ({}), {
            className: 'danger', onOk: () => { this.ui.confirmEnd = false; },
          }), ' ',
          h('button', {
            type: 'button', dataset: { key: 'end-no' },
            onclick: () => { this.ui.confirmEnd = false; this.render(); focusDrawn('[data-key="end-ask"]'); },
          }, this.s.end_no)));
      }
      controls.append(...[this.feedback('end')].filter(Boolean));
    }
    parts.push(controls);
    return parts;
  },

  // More than a day before the scheduled start, starting asks first (the server refuses it unconfirmed too).
  startControls(meeting) {
    const early = meeting.start_at && new Date(meeting.start_at).getTime() - Date.now() > 24 * 3600 * 1000;
    if (!early) return [this.button('start', this.s.start_meeting, 'meeting.start', () => ({}), { className: 'primary' })];
    if (!this.ui.confirmStart) {
      return [h('button', {
        type: 'button', class: 'primary', dataset: { key: 'start-ask' },
        onclick: () => { this.ui.confirmStart = true; this.render(); focusDrawn('[data-key="start"]'); },
      }, this.s.start_meeting)];
    }
    const day = new Intl.DateTimeFormat(this.config.locale === 'en' ? 'en-GB' : 'th-TH',
      { dateStyle: 'full', timeStyle: 'short', timeZone: 'Asia/Bangkok' }).format(new Date(meeting.start_at));
    return [h('span', { class: 'live-confirm', role: 'alertdialog', 'aria-label': this.s.start_meeting },
      h('span', { id: 'live-start-early' }, format(this.s.start_early_confirm, { date: day })), ' ',
      this.button('start', this.s.start_early_yes, 'meeting.start', () => ({ confirm_early: true }), {
        className: 'primary', onOk: () => { this.ui.confirmStart = false; },
      }), ' ',
      h('button', {
        type: 'button', dataset: { key: 'start-no' },
        onclick: () => { this.ui.confirmStart = false; this.render(); focusDrawn('[data-key="start-ask"]'); },
      }, this.s.start_early_no))];
  },

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
  },

  drawDocuments(node) {
    const documents = node.documents || [];
    if (!documents.length) return null;
    const base = `/meetings/${this.state.meeting.id}/documents/`;
    return h('ul', { class: 'item-documents', 'aria-label': this.s.documents },
      documents.map((d) => h('li', { dataset: { documentId: String(d.id), pdfState: d.pdf_state || '' } },
        h('a', { href: base + d.id, target: '_blank', rel: 'noopener' }, d.title), this.pdfNote(d))));
  },

  /** An office file's PDF, while the conversion worker makes it or when it could not. */
  pdfNote(document) {
    const text = { pending: this.s.pdf_pending, failed: this.s.pdf_failed }[document.pdf_state];
    return text ? h('small', { class: `pdf-state pdf-${document.pdf_state}` }, ` · ${text}`) : null;
  },

  drawCurrent() {
    const item = currentItem(this.state);
    if (!item) return h('p', { class: 'empty-line', id: 'live-current-item', dataset: { itemId: '' } }, this.s.no_current_item);
    return h('p', { class: 'current-item', id: 'live-current-item', dataset: { itemId: String(item.id) } },
      h('span', { class: 'agenda-number' }, item.number), ' ', h('strong', {}, item.title),
      item.presenter ? h('small', {}, ` · ${item.presenter}`) : null);
  },

  drawReader() {
    const item = currentItem(this.state);
    if (!item) return h('p', { class: 'empty-line' }, this.s.no_current_item);
    const block = (this.state.minutes || []).find((entry) => entry.item_id === item.id);
    const text = block ? block.text : '';
    return h('div', { class: 'minutes-reader', id: 'live-minutes-text', dataset: { itemId: String(item.id) } },
      text ? text : h('span', { class: 'empty-line' }, this.s.minutes_empty));
  },
};
