// Polls (การลงมติ): the secretariat prepares one on the selected item, the chair and the secretariat open
// and close it and watch the count of votes cast, a seat votes (and may change its vote until the close),
// everyone sees the result at the close. Methods of the live page (static/src/live-client.js).
//
// A secret vote's acknowledgement carries a receipt, the only proof of what this seat chose: it stays in
// this browser tab (sessionStorage) so that the vote can be changed from here; the server keeps no copy.

import { h, format } from './live-dom.js';
import { findItem } from './live-state.js';
import { focusDrawn } from './live-common.js';

const RECEIPTS = 'meetcore.poll-receipts';

function loadReceipts() {
  try { return JSON.parse(window.sessionStorage.getItem(RECEIPTS) || '{}'); } catch (error) { return {}; }
}

function keepReceipt(ballot) {
  const receipts = loadReceipts();
  receipts[`${ballot.poll_id}:${ballot.seat_id}`] = { choices: ballot.choices, receipt: ballot.receipt };
  try { window.sessionStorage.setItem(RECEIPTS, JSON.stringify(receipts)); } catch (error) { /* private mode */ }
}

export const pollsSection = {
  /** The seats' own ballots (after joining and after each vote): {`${poll}:${seat}`: ballot}. */
  async refreshBallots() {
    if (this.isPollStaff()) return;
    const ack = await this.connection.command('poll.my_ballots', {});
    if (!ack.ok) return;
    this.ui.ballots = Object.fromEntries(ack.ballots.map((b) => [`${b.poll_id}:${b.seat_id}`, b]));
    this.render();
  },

  pollsKey() {
    return JSON.stringify([this.state.polls, this.state.meeting.status, this.ui.ballots,
      this.page === 'console' ? this.selectedItemId() : null, this.ui.errors, this.ui.notes, this.ui.pending,
      this.ui.pollForm, this.ui.confirmClose, this.hallSeats ? this.hallSeats() : null]);
  },

  /** Staff and readers see different pages: the staff every poll, a seat (or a hall) the opened ones. */
  isPollStaff() { return this.page === 'console' || this.page === 'chair'; },

  drawPolls() {
    const polls = this.state.polls || [];
    const parts = [];
    if (this.page === 'console' && this.canEdit) parts.push(this.drawPollForm());
    const shown = polls.filter((poll) => this.isPollStaff() || poll.state !== 'draft');
    if (!shown.length) {
      parts.push(h('p', { class: 'empty-line', id: 'live-polls-empty' },
        this.isPollStaff() ? this.s.no_polls : this.s.no_polls_open));
      return parts;
    }
    parts.push(h('ol', { class: 'live-polls', id: 'live-polls' }, shown.slice().reverse().map((poll) => this.drawPoll(poll))));
    return parts;
  },

  pollKind(poll) { return poll.secret ? this.s.poll_kind_secret : this.s.poll_kind_open; },

  drawPoll(poll) {
    const item = findItem(this.state, poll.item_id);
    const key = `poll-${poll.id}`;
    const live = this.state.meeting.status === 'live';
    const staff = this.isPollStaff();
    const row = h('li', { class: `live-poll state-${poll.state}`, dataset: { pollId: String(poll.id), state: poll.state } },
      h('p', { class: 'poll-question' }, h('strong', {}, poll.question), ' ',
        h('span', { class: `badge badge-poll-${poll.state}` }, this.s[`poll_state_${poll.state}`]), ' ',
        h('small', {}, this.pollKind(poll)), item ? h('small', { class: 'poll-item' }, ` · ${this.itemLabel(item)}`) : null));
    if (staff && poll.state !== 'draft' && poll.voted_count !== undefined) {
      row.append(h('p', { class: 'poll-count', dataset: { voted: String(poll.voted_count), entitled: String(poll.entitled_seat_ids.length) } },
        format(this.s.votes_cast, { n: poll.voted_count, of: poll.entitled_seat_ids.length })));
    }
    if (staff && poll.state === 'open' && poll.live_tally) row.append(this.drawTally(poll, poll.live_tally, 'poll-live-tally'));
    if (poll.state === 'closed' && poll.result) row.append(this.drawResult(poll));
    if (staff && live && poll.state !== 'closed') row.append(this.drawPollControls(poll, key));
    if (!staff && poll.state === 'open') row.append(...this.drawBallots(poll, key));
    return row;
  },

  drawTally(poll, tally, cls) {
    return h('ul', { class: cls }, poll.options.map((label, index) => h('li', { dataset: { option: String(index) } },
      `${label}: `, h('strong', {}, String(tally[index] || 0)))));
  },

  drawResult(poll) {
    const result = poll.result;
    const quorum = result.quorum;
    return h('div', { class: 'poll-result', dataset: { pollResult: String(poll.id) } },
      h('p', {}, h('strong', {}, this.s.poll_result)),
      this.drawTally(poll, result.tally, 'poll-tally'),
      h('p', { class: 'muted' }, format(this.s.votes_cast, { n: result.voted_count, of: result.entitled_count })),
      quorum ? h('p', { class: 'muted' }, format(this.s.quorum_line, { present: quorum.present, roster: quorum.roster }),
        ' ', quorum.met ? this.s.quorum_met : this.s.quorum_not_met) : null,
      result.votes ? h('details', {}, h('summary', {}, this.s.who_voted),
        h('ul', {}, result.votes.map((vote) => h('li', {}, `${vote.name || this.localized(vote.label)}: `,
          vote.choices.map((i) => poll.options[i]).join(', '))))) : null);
  },

  drawPollControls(poll, key) {
    const controls = h('p', { class: 'actions' });
    if (poll.state === 'draft') {
      controls.append(this.button(`${key}-open`, this.s.open_poll, 'poll.open', () => ({ poll_id: poll.id }), { className: 'primary' }));
      if (this.canEdit) controls.append(' ', this.button(`${key}-delete`, this.s.delete, 'poll.delete', () => ({ poll_id: poll.id }), { className: 'small' }));
    }
    if (poll.state === 'open') controls.append(this.drawCloseControl(poll, key));
    [`${key}-open`, `${key}-delete`, `${key}-close`].map((k) => this.feedback(k)).filter(Boolean).forEach((f) => controls.append(f));
    return controls;
  },

  /** Closing is final (the result is published and becomes the decision): it is asked twice. */
  drawCloseControl(poll, key) {
    if (this.ui.confirmClose !== poll.id) {
      return h('button', {
        type: 'button', class: 'danger', dataset: { key: `${key}-close-ask` },
        onclick: () => { this.ui.confirmClose = poll.id; this.render(); focusDrawn(`[data-key="${key}-close"]`); },
      }, this.s.close_poll);
    }
    return h('span', { class: 'live-confirm', role: 'alertdialog', 'aria-label': this.s.close_poll },
      h('span', {}, format(this.s.close_poll_confirm, { n: poll.voted_count, of: poll.entitled_seat_ids.length })), ' ',
      this.button(`${key}-close`, this.s.close_poll_yes, 'poll.close', () => ({ poll_id: poll.id }), {
        className: 'danger', onOk: () => { this.ui.confirmClose = null; },
      }), ' ',
      h('button', {
        type: 'button', dataset: { key: `${key}-close-no` },
        onclick: () => { this.ui.confirmClose = null; this.render(); focusDrawn(`[data-key="${key}-close-ask"]`); },
      }, this.s.cancel));
  },

  /** The ballots this page casts: its own seat's, or a provincial hall's, one per role ticked present. */
  drawBallots(poll, key) {
    if (!this.hallSeats) {
      const seatId = this.config.seat_id;
      if (!poll.entitled_seat_ids.includes(seatId)) return [h('p', { class: 'muted' }, this.s.not_entitled)];
      return this.drawBallot(poll, key, seatId, null);
    }
    const seats = this.hallSeats().filter((seat) => poll.entitled_seat_ids.includes(seat.seat_id));
    if (!seats.length) return [h('p', { class: 'muted' }, this.s.hall_not_entitled)];
    return seats.map((seat) => h('div', { class: 'poll-seat-ballot', dataset: { seatId: String(seat.seat_id) } },
      h('p', {}, h('strong', {}, seat.title)),
      seat.ticked ? this.drawBallot(poll, `${key}-seat-${seat.seat_id}`, seat.seat_id, seat.seat_id)
        : h('p', { class: 'muted' }, this.s.hall_tick_first)));
  },

  /** One seat's ballot: one button per option (one choice), or boxes and a button (several).
   *  `asSeat`: the seat a hall votes for (a seat's own page sends none). */
  drawBallot(poll, key, seatId, asSeat) {
    const ballot = (this.ui.ballots || {})[`${poll.id}:${seatId}`];
    const receipt = loadReceipts()[`${poll.id}:${seatId}`];
    const parts = [];
    if (ballot && ballot.voted) {
      const mine = ballot.choices || (receipt && receipt.choices);
      parts.push(h('p', { class: 'poll-voted', role: 'status', dataset: { voted: 'yes' } }, this.s.you_voted,
        mine ? `: ${mine.map((i) => poll.options[i]).join(', ')}` : ''));
      if (poll.secret && !receipt) {
        parts.push(h('p', { class: 'muted' }, this.s.secret_fixed));
        return parts;
      }
      parts.push(h('p', { class: 'muted' }, this.s.change_vote));
    }
    const vote = (choices) => {
      const payload = { poll_id: poll.id, choices };
      if (asSeat !== null) payload.seat_id = asSeat;
      if (poll.secret && ballot && ballot.voted && receipt) payload.previous = receipt;
      return payload;
    };
    const done = (ack) => {
      if (ack.ballot && ack.ballot.receipt) keepReceipt(ack.ballot);
      // Shown at once from the acknowledgement; my_ballots confirms it.
      this.ui.ballots = { ...this.ui.ballots, [`${poll.id}:${seatId}`]: { ...ack.ballot, voted: true } };
      this.refreshBallots();
    };
    // What this seat's standing vote chose: the row's choices (open poll) or its receipt's (secret).
    const chosenNow = (ballot && ballot.voted && (ballot.choices || (receipt && receipt.choices))) || [];
    const legend = poll.max_choices === 1 ? this.s.choose_one : format(this.s.choose_up_to, { n: poll.max_choices });
    if (poll.max_choices === 1) {
      parts.push(h('div', { class: 'actions poll-options', role: 'group', 'aria-label': `${poll.question} ${legend}` },
        poll.options.map((label, index) => {
          const mine = chosenNow.includes(index);
          const button = this.button(`${key}-vote-${index}`, label, 'poll.vote', () => vote([index]),
            { className: mine ? 'primary chosen' : 'primary', onOk: done });
          button.setAttribute('aria-pressed', String(mine)); // a screen reader says which one is chosen
          return button;
        })));
    } else {
      const chosen = () => poll.options.map((_, i) => i).filter((i) => this.ui.drafts[`${key}-opt-${i}`] === 'on');
      parts.push(h('fieldset', { class: 'poll-options' },
        h('legend', {}, legend),
        poll.options.map((label, index) => h('label', {}, h('input', {
          type: 'checkbox', dataset: { key: `${key}-opt-${index}` }, checked: this.ui.drafts[`${key}-opt-${index}`] === 'on',
          onchange: (event) => { this.ui.drafts[`${key}-opt-${index}`] = event.target.checked ? 'on' : ''; },
        }), ' ', label)),
        this.button(`${key}-vote`, this.s.cast_vote, 'poll.vote', () => vote(chosen()), { className: 'primary', onOk: done })));
    }
    poll.options.forEach((_, index) => { const f = this.feedback(`${key}-vote-${index}`); if (f) parts.push(f); });
    const f = this.feedback(`${key}-vote`);
    if (f) parts.push(f);
    return parts;
  },

  drawPollForm() {
    const itemId = this.selectedItemId();
    const form = h('details', { class: 'live-form poll-form', open: !!this.ui.pollForm, ontoggle: (event) => { this.ui.pollForm = event.target.open; } },
      h('summary', {}, this.s.prepare_poll));
    if (!itemId) {
      form.append(h('p', { class: 'muted' }, this.s.choose_item));
      return form;
    }
    const check = (name, label) => h('label', {}, h('input', {
      type: 'checkbox', dataset: { key: `poll-${name}` }, checked: this.ui.drafts[`poll-${name}`] === 'on',
      onchange: (event) => { this.ui.drafts[`poll-${name}`] = event.target.checked ? 'on' : ''; },
    }), ' ', label);
    const roles = Object.entries(this.config.roles || {}).filter(([, role]) => role.scope === 'provincial');
    form.append(
      h('label', { for: 'f-poll-question' }, this.s.poll_question), this.field('input', 'poll-question', { type: 'text', maxlength: 500 }),
      h('label', { for: 'f-poll-options' }, this.s.poll_options_hint), this.field('textarea', 'poll-options', { rows: 3 }),
      h('label', { for: 'f-poll-max' }, this.s.choices_per_voter), this.field('input', 'poll-max', { type: 'number', min: 1, max: 20 }),
      check('secret', this.s.poll_kind_secret), check('live', this.s.results_live),
      h('fieldset', {}, h('legend', {}, this.s.roles_that_vote), roles.map(([code, role]) => check(`role-${code}`, role.title))),
      h('p', { class: 'actions' }, this.button('poll-prepare', this.s.prepare_poll, 'poll.prepare', () => {
        const options = (this.ui.drafts['poll-options'] || '').split('\n').map((line) => line.trim()).filter(Boolean);
        const roleCodes = roles.map(([code]) => code).filter((code) => this.ui.drafts[`poll-role-${code}`] === 'on');
        return {
          item_id: itemId,
          question: this.ui.drafts['poll-question'] || '',
          preset: options.length ? 'choices' : 'yes_no_abstain',
          options: options.length ? options : null,
          max_choices: Number(this.ui.drafts['poll-max'] || 1),
          secret: this.ui.drafts['poll-secret'] === 'on',
          results_live: this.ui.drafts['poll-live'] === 'on',
          role_codes: roleCodes.length ? roleCodes : null,
        };
      }, { className: 'primary', note: this.s.saved, onOk: () => { this.ui.drafts['poll-question'] = ''; this.ui.drafts['poll-options'] = ''; } }),
      this.feedback('poll-prepare')));
    return form;
  },
};
