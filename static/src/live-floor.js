// The floor: the queue, the speaker and the time limits (staff), asking and withdrawing (participants).
// Methods of the live page (static/src/live-client.js), which mixes them in: `this` is the page.

import { h, format } from './live-dom.js';
import { limitChoices } from './live-common.js';

export const floorSection = {
  entryLabel(entry) {
    return [
      h('strong', { class: 'floor-seat' }, this.localized(entry.label)),
      entry.attendee_name ? h('span', { class: 'floor-name' }, ` · ${entry.attendee_name}`) : null,
      entry.attendee_position ? h('small', { class: 'floor-position' }, ` (${entry.attendee_position})`) : null,
    ];
  },

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
  },

  limitSelect(key) {
    const chosen = this.limitValue(key);
    return h('select', {
      id: `f-${key}`, dataset: { key },
      onchange: (event) => { this.ui.drafts[key] = event.target.value; },
    }, limitChoices(chosen).map((seconds) => h('option', {
      value: seconds === null ? '' : String(seconds), selected: chosen === (seconds === null ? '' : String(seconds)),
    }, this.limitLabel(seconds))));
  },

  /** The limit the select shows: what the chair chose, else the meeting's default for the next turns. */
  limitValue(key) {
    if (key in this.ui.drafts) return this.ui.drafts[key];
    const fallback = this.state.floor && this.state.floor.default_time_limit_seconds;
    return fallback === null || fallback === undefined ? '' : String(fallback);
  },

  chosenLimit() {
    const value = this.limitValue('floor-limit');
    return value === '' ? null : Number(value);
  },

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
  },

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
  },
};
