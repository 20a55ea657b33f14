// The minutes of the chosen agenda item and its decisions.
// Methods of the live page (static/src/live-client.js), which mixes them in: `this` is the page.

import { h, format } from './live-dom.js';
import { currentItem, findItem, flatAgenda } from './live-state.js';

export const minutesSection = {
  selectedItemId() {
    if (!this.state) return null;
    if (this.ui.selectedItem && findItem(this.state, this.ui.selectedItem)) return this.ui.selectedItem;
    const current = currentItem(this.state);
    return current ? current.id : null;
  },

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
  },

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
  },

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
    const editor = this.editors.open(this.meetingId, itemId, {
      textarea,
      readOnly: !this.canEdit,
      onError: (error) => {
        this.ui.errors[`minutes-${itemId}`] = error.message || error.code;
        this.render();
      },
    });
    editor.sync(); // the document comes with it (read-only until then)
    this.editorBoxes.set(itemId, textarea);
    return textarea;
  },

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
  },
};
