// A provincial hall's live parts (templates/attendance/site.html), drawn with the live pages' own modules
// over one connection of the hall's own (its site link), which follows the meeting's numbered events like
// every live page (snapshot, replay, events). Bundled by esbuild into static/dist/site-live.js.
//
// * The votes: one screen in the hall votes for each of its province's roles ticked present in the roll
//   call, each role its own vote (live-polls.js; meetcore/polls cast_vote with seat_id). Which roles are
//   ticked is read from the roll-call form, and the section is drawn again when a tick changes; the server
//   checks the tick again on each vote.
// * The projector (video-projector.js): the hall follows the presenter's page, with its own zoom and paging
//   ahead, as a participant's page does. It never presents: its site link reads only the document being
//   shown (meetcore/video/projector.py open_pdf_for_hall), at the address the page's config gives.
//
// The roll call keeps its own socket, so this module changes nothing of how the ticks are sent; it shows
// what the board tells the hall of its seats since (showRollCall).

import { h, Section } from './live-dom.js';
import { LiveConnection } from './live-connection.js';
import { pollsSection } from './live-polls.js';
import { commandControls } from './live-controls.js';
import { Projector } from './video-projector.js';

class HallScreen {
  constructor(config, form) {
    this.config = config;
    this.s = config.strings || {};
    this.page = 'site';
    this.meetingId = config.meeting_id;
    this.canEdit = false;
    this.form = form;
    this.ui = { errors: {}, notes: {}, pending: {}, drafts: {}, ballots: {} };
    this.cards = ['site-votes', 'site-projector'].map((id) => document.getElementById(id)).filter(Boolean);
    const votes = document.getElementById('site-votes');
    // The Section looks for [data-live=polls] below the root it is given: the card's parent.
    this.section = votes ? new Section(votes.parentNode, 'polls', () => this.drawPolls(), () => this.pollsKey()) : null;
    this.connection = new LiveConnection({
      meetingId: config.meeting_id,
      auth: { site_token: config.site_token },
      participant: true,
      strings: this.s,
      onState: () => this.render(),
      onJoined: () => this.refreshBallots(),
      onRefused: (error) => this.refused(error),
    });
    // The projector keeps its canvas across redraws: it updates its own parts.
    const projector = document.querySelector('#site-projector [data-part="body"]');
    this.projector = projector ? new Projector(this, projector) : null;
    if (form) form.addEventListener('change', () => this.render());
    window.meetcoreHall = this; // tests and support
  }

  get state() { return this.connection.state; }

  /** The province's roles on this screen: {seat_id, title, ticked}, in the roll call's order. */
  hallSeats() {
    if (!this.form) return [];
    return Array.from(this.form.querySelectorAll('input[name=present]')).map((input) => {
      const title = input.closest('label') && input.closest('label').querySelector('strong');
      return { seat_id: Number(input.value), title: title ? title.textContent.trim() : input.value, ticked: input.checked };
    });
  }

  render() {
    if (!this.state) return;
    this.showRollCall();
    for (const card of this.cards) card.hidden = false;
    if (this.section) this.section.render();
    if (this.projector) this.projector.update();
  }

  /**
   * The roll call as the board last told this hall (its province's part of attendance.board, applied by
   * live-state.js): each seat's tick (made on another screen of the hall or by the secretariat), its
   * attendee's name, and whether the attendee is also connected in person. The first state (the join's
   * snapshot) is left to the form, which was drawn from the same rows and keeps a tick made before joining.
   * A tick made on this screen wins over a board older than it: while it is in flight (the box's
   * data-pending), and until a board of a later seq than the one it was saved at (data-seq: the board is
   * published under the meeting's lock, so a board of that seq or before was read without it).
   */
  showRollCall() {
    const site = this.state.attendance && this.state.attendance.site;
    if (!this.form || !site || site === this.rollCallShown) return;
    const first = this.rollCallShown === undefined;
    this.rollCallShown = site;
    if (first) return;
    for (const seat of site.seats || []) {
      const input = this.form.querySelector(`input[name=present][value="${seat.seat_id}"]`);
      const item = input && input.closest('li');
      if (!item) continue;
      if (!input.dataset.pending && this.connection.lastSeq > Number(input.dataset.seq || 0)) {
        input.checked = Boolean(seat.ticked);
      }
      const name = item.querySelector('[data-part="name"]');
      if (name) {
        name.textContent = seat.name || '';
        name.parentNode.hidden = !seat.name;
      }
      const also = item.querySelector('[data-part="also"]');
      if (also) also.hidden = !(seat.present && seat.present !== 'site');
    }
  }

  refused(error) {
    for (const card of this.cards) {
      card.hidden = false;
      card.querySelector('[data-part="body"]')
        .replaceChildren(h('p', { class: 'flash flash-error', role: 'alert' }, error.message || ''));
    }
  }
}

// What live-polls.js asks of its page: the live pages' controls (live-controls.js).
Object.assign(HallScreen.prototype, commandControls, pollsSection);

export function boot() {
  const node = document.getElementById('site-live-config');
  if (!node) return null;
  return new HallScreen(JSON.parse(node.textContent), document.getElementById('roll-call'));
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
}
