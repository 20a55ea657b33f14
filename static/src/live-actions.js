// Action items: giving them from an agenda item (staff), and a participant's own agency's.
// Methods of the live page (static/src/live-client.js), which mixes them in: `this` is the page.

import { h, format } from './live-dom.js';
import { findItem } from './live-state.js';
import { normaliseBE } from './be-date.js';

export const actionsSection = {
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
  },

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
  },

  actionForm(itemId) {
    const owners = this.config.owners || { roles: [], central_agencies: [], provinces: [] };
    const key = `action-new-${itemId}`;
    const roles = (owners.roles || []).map((role) => [role.code, role]);
    const roleCode = () => this.ui.drafts[`${key}-role`] || (roles[0] && roles[0][0]);
    const ownerKind = this.ui.ownerKind;
    const roleSelect = h('select', {
      id: `f-${key}-role`, dataset: { key: `${key}-role` },
      onchange: (event) => { this.ui.drafts[`${key}-role`] = event.target.value; this.render(); },
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
        owner.role_code = roleCode();
        owner.provinces = this.provincePayload(key);
      }
      const data = { item_id: itemId, title: this.ui.drafts[`${key}-title`] || '', owner };
      if (this.ui.drafts[`${key}-description`]) data.description = this.ui.drafts[`${key}-description`];
      if (this.ui.drafts[`${key}-due`]) data.due_date = normaliseBE(this.ui.drafts[`${key}-due`]);
      if (this.ui.drafts[`${key}-confirm`]) data.confirm_past_due = true;
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
      // Day/month/Buddhist-Era year typed as text (the server reads it): never the browser's date picker.
      this.field('input', `${key}-due`, {
        type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: 10, placeholder: this.s.date_placeholder,
      }),
      h('label', { class: 'check' }, h('input', {
        type: 'checkbox', id: `f-${key}-confirm`, dataset: { key: `${key}-confirm` },
        checked: !!this.ui.drafts[`${key}-confirm`],
        onchange: (event) => { this.ui.drafts[`${key}-confirm`] = event.target.checked; },
      }), this.s.confirm_past_due),
      h('fieldset', {}, h('legend', {}, this.s.owner),
        kindChoice('role', this.s.owner_role), kindChoice('agency', this.s.owner_agency),
        ownerKind === 'agency'
          ? [h('label', { for: `f-${key}-agency` }, this.s.agency), agencySelect]
          : [h('label', { for: `f-${key}-role` }, this.s.role), roleSelect,
            this.provincePicker(key, roleCode())]),
      h('p', { class: 'actions' },
        this.button(`${key}-send`, this.s.assign_action, 'action.create', payload, {
          className: 'primary',
          before: () => this.provincesGiven(key, `${key}-send`),
          onOk: () => {
            ['title', 'description', 'due', 'confirm'].forEach((n) => { this.ui.drafts[`${key}-${n}`] = ''; });
            this.clearProvinces(key);
          },
        }),
        this.feedback(`${key}-send`)));
  },

  /** "Some provinces" with none ticked is asked about here, before anything is sent. */
  provincesGiven(key, buttonKey) {
    if (this.ui.ownerKind === 'agency') return true;
    const provinces = this.provincePayload(key);
    if (provinces === 'all' || provinces.length) return true;
    this.ui.errors[buttonKey] = this.s.no_province_chosen;
    this.render();
    return false;
  },

  drawMyActions() {
    const items = (this.state.actions && this.state.actions.items) || [];
    if (!items.length) return h('p', { class: 'empty-line', id: 'live-my-actions-empty' }, this.s.no_my_actions);
    return h('ul', { class: 'live-actions', id: 'live-my-actions' }, items.map((action) => h('li', {
      dataset: { actionId: String(action.id) },
    }, this.actionLine(action, { withAgencies: false }))));
  },
};
