// The votes of a provincial hall (templates/attendance/site.html): one screen in the hall votes for each of
// its province's roles ticked present in the roll call, each role its own vote (meetcore/polls cast_vote
// with seat_id). Bundled by esbuild into static/dist/site-votes.js.
//
// It draws with the live pages' votes section (live-polls.js) over a connection of its own (the site link),
// which follows the meeting's numbered events like every live page; the roll call keeps its own socket, so
// this module changes nothing of how the ticks are sent. Which roles are ticked is read from the roll-call
// form, and the section is drawn again when a tick changes; the server checks the tick again on each vote.

import { h, Section } from './live-dom.js';
import { LiveConnection } from './live-connection.js';
import { pollsSection } from './live-polls.js';
import { commandControls } from './live-controls.js';

class HallVotes {
  constructor(config, root, form) {
    this.config = config;
    this.s = config.strings || {};
    this.page = 'site';
    this.canEdit = false;
    this.form = form;
    this.ui = { errors: {}, notes: {}, pending: {}, drafts: {}, ballots: {} };
    this.root = root;
    // The Section looks for [data-live=polls] below the root it is given: the card's parent.
    this.section = new Section(root.parentNode, 'polls', () => this.drawPolls(), () => this.pollsKey());
    this.connection = new LiveConnection({
      meetingId: config.meeting_id,
      auth: { site_token: config.site_token },
      participant: true,
      strings: this.s,
      onState: () => this.render(),
      onJoined: () => this.refreshBallots(),
      onRefused: (error) => this.refusedVotes(error),
    });
    if (form) form.addEventListener('change', () => this.render());
    window.meetcoreHallVotes = this; // tests and support
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
    this.root.hidden = false;
    this.section.render();
  }

  refusedVotes(error) {
    this.root.hidden = false;
    this.section.body.replaceChildren(h('p', { class: 'flash flash-error', role: 'alert' }, error.message || ''));
  }
}

// What live-polls.js asks of its page: the live pages' controls (live-controls.js).
Object.assign(HallVotes.prototype, commandControls, pollsSection);

export function boot() {
  const node = document.getElementById('site-votes-config');
  const root = document.getElementById('site-votes');
  if (!node || !root) return null;
  return new HallVotes(JSON.parse(node.textContent), root, document.getElementById('roll-call'));
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
}
