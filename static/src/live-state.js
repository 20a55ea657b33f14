// The live meeting's state in the browser: the join snapshot, kept current by numbered events
// (docs/protocol.md). Pure functions on plain objects; no DOM, no socket.
//
// applyEvent(state, event) changes `state` in place and answers:
//   APPLIED  the event was folded in (or carried nothing this reader keeps: "redacted", bookkeeping);
//   RESYNC   the payload does not say the resulting state (written before events carried it), does not
//            fit what we hold, or its kind is unknown here: the caller asks for a fresh snapshot.
//
// HANDLERS names every kind the server declares (meetcore/eventlog/kinds.py; a test keeps the two lists
// equal): one dispatch place.

export const APPLIED = 'applied';
export const RESYNC = 'resync';

const OPEN_ASSIGNMENT = ['open', 'in_progress'];

function walkAgenda(nodes, visit) {
  for (const node of nodes || []) {
    visit(node);
    walkAgenda(node.children, visit);
  }
}

export function findItem(state, itemId) {
  let found = null;
  walkAgenda(state.agenda, (node) => { if (node.id === itemId) found = node; });
  return found;
}

/** Every agenda item in order, with its depth: [{node, depth}]. */
export function flatAgenda(state) {
  const out = [];
  const visit = (nodes, depth) => (nodes || []).forEach((node) => {
    out.push({ node, depth });
    visit(node.children, depth + 1);
  });
  visit(state.agenda, 0);
  return out;
}

export function currentItem(state) {
  let found = null;
  walkAgenda(state.agenda, (node) => { if (!found && node.state === 'current') found = node; });
  return found;
}

/** Apply a `minutes.text` splice (UTF-16 offsets, like JS strings) to the reader's text of an item. */
function spliceMinutes(state, p) {
  if (!Array.isArray(state.minutes)) state.minutes = [];
  let block = state.minutes.find((entry) => entry.item_id === p.item_id);
  const before = block ? block.text : '';
  if (typeof p.at !== 'number' || typeof p.delete !== 'number' || p.at + p.delete > before.length) return RESYNC;
  const after = before.slice(0, p.at) + (p.insert || '') + before.slice(p.at + p.delete);
  if (typeof p.length === 'number' && after.length !== p.length) return RESYNC;
  if (!block) {
    block = { item_id: p.item_id, text: '' };
    state.minutes.push(block);
  }
  block.text = after;
  return APPLIED;
}

function upsertById(list, entry) {
  const index = list.findIndex((other) => other.id === entry.id);
  if (index >= 0) list[index] = { ...list[index], ...entry };
  else list.push(entry);
}

/** The snapshot's order of decisions (meetcore.minutes.services: taken_at, then id); ISO times in UTC
 * compare as strings. */
function byTakenAt(a, b) {
  if (a.taken_at !== b.taken_at) return String(a.taken_at) < String(b.taken_at) ? -1 : 1;
  return a.id - b.id;
}

function actionsPart(state) {
  if (!state.actions || typeof state.actions !== 'object') state.actions = { agency_id: null, items: [] };
  if (!Array.isArray(state.actions.items)) state.actions.items = [];
  return state.actions;
}

/** Is this reader one whose snapshot lists only its own agency's actions (a participant's seat)? */
function readsOwnAgencyOnly(state, participant) {
  return participant || (state.actions && state.actions.agency_id != null);
}

/**
 * The resulting action the event carries, as this reader's snapshot lists it: a participant keeps only
 * its agency's assignment, and only an action its agency owns. Events logged before they carried the
 * action (no p.action) fall back to rebuilding it from their fields.
 */
function keepAction(state, p, participant) {
  const part = actionsPart(state);
  const own = readsOwnAgencyOnly(state, participant);
  const assignments = p.action.assignments || [];
  if (own && !assignments.some((a) => a.agency_id === part.agency_id)) return APPLIED; // another agency's
  upsertById(part.items, {
    ...p.action,
    assignments: own ? assignments.filter((a) => a.agency_id === part.agency_id) : assignments,
  });
  part.items.sort((a, b) => a.id - b.id);
  return APPLIED;
}

function actionCreated(state, p, at, participant) {
  if (p.action) return keepAction(state, p, participant);
  const part = actionsPart(state);
  const own = readsOwnAgencyOnly(state, participant);
  const agencies = Array.isArray(p.agency_ids) ? p.agency_ids : [];
  if (own && !agencies.includes(part.agency_id)) return APPLIED; // another agency's
  const ids = own ? [part.agency_id] : agencies.slice().sort((a, b) => a - b);
  const previous = part.items.find((item) => item.id === p.id);
  upsertById(part.items, {
    id: p.id,
    item_id: p.item_id,
    title: p.title,
    description: p.description,
    due_date: p.due_date,
    role_code: p.role_code,
    created_at: previous ? previous.created_at : at,
    cancelled_at: previous ? previous.cancelled_at : null,
    assignments: previous ? previous.assignments
      : ids.map((agencyId) => ({ agency_id: agencyId, status: 'open', due_date: p.due_date })),
  });
  part.items.sort((a, b) => a.id - b.id);
  return APPLIED;
}

function actionUpdated(state, p, participant) {
  if (p.action) return keepAction(state, p, participant);
  const part = actionsPart(state);
  const action = part.items.find((item) => item.id === p.id);
  if (!action) return APPLIED; // not one this reader lists
  const fields = Array.isArray(p.fields) ? p.fields : ['title', 'description', 'due_date'];
  if (fields.includes('due_date')) {
    // The assignments that still had the action's old date move with it (meetcore/actions/services.py).
    (action.assignments || []).forEach((assignment) => {
      if (assignment.due_date === action.due_date && OPEN_ASSIGNMENT.includes(assignment.status)) {
        assignment.due_date = p.due_date;
      }
    });
  }
  fields.forEach((name) => { if (name in p) action[name] = p[name]; });
  return APPLIED;
}

function actionCancelled(state, p, at, participant) {
  if (p.action) return keepAction(state, p, participant);
  const action = actionsPart(state).items.find((item) => item.id === p.id);
  if (!action) return APPLIED;
  action.cancelled_at = action.cancelled_at || at;
  (action.assignments || []).forEach((assignment) => {
    if (OPEN_ASSIGNMENT.includes(assignment.status)) assignment.status = 'cancelled';
  });
  return APPLIED;
}

function attendanceBoard(state, p) {
  if (!state.attendance) state.attendance = {};
  const before = state.attendance.counts || {};
  const { seats, site, sites, ...counts } = p; // (`sites`: the halls' parts, never in a reader's copy)
  // The payload names only the provinces whose tally changed; null: the roster has no seat there any more.
  const provinces = { ...(before.provinces || {}), ...(counts.provinces || {}) };
  Object.keys(provinces).forEach((code) => { if (provinces[code] === null) delete provinces[code]; });
  state.attendance.counts = { ...counts, provinces };
  // Staff readers also get the seats whose presence changed (participants' copy has none).
  if (seats) attendanceChanged(state, { seats });
  // A provincial hall's copy carries its province's seats (attendees, ticks, presence) when they changed.
  if (site) {
    if (!state.attendance.site || typeof site !== 'object' || !Array.isArray(site.seats)) return RESYNC;
    state.attendance.site = site;
  }
  return APPLIED;
}

function attendanceChanged(state, p) {
  if (!state.attendance) state.attendance = {};
  if (!state.attendance.seats) return APPLIED; // not a staff reader: nothing to keep
  (p.seats || []).forEach((entry) => {
    const key = String(entry.seat_id);
    if (entry.present) state.attendance.seats[key] = entry.kind;
    else delete state.attendance.seats[key];
  });
  return APPLIED;
}

// The events of one item's documents carry its whole list.
function replaceDocuments(state, p) {
  const item = findItem(state, p.item_id);
  if (!item || !Array.isArray(p.documents)) return RESYNC;
  item.documents = p.documents;
  return APPLIED;
}

function replaceAgenda(state, p) {
  if (!Array.isArray(p.agenda)) return RESYNC;
  state.agenda = p.agenda;
  return APPLIED;
}

// Kinds that change nothing a live page holds: the secretariat's bookkeeping (listed in the console's own
// pages), and what participants receive in place of a staff-only event.
const NOTHING_TO_APPLY = [
  'redacted', 'meeting.created', 'minutes.details_updated', 'minutes.circulated', 'minutes.amended',
  'attendance.identity_confirmed', 'attendance.settings', 'attendance.site_link_issued',
  'attendance.site_links_revoked', 'seats.added', 'seats.imported', 'seats.updated', 'seats.removed',
  'seats.link_issued', 'seats.links_revoked', 'invitations.sent', 'invitations.updated',
  'invitations.cancelled', 'invitations.withdrawn', 'invitations.handed_over', 'invitations.reassigned',
  'invitations.reminded', 'invitations.rsvp', 'mail.resend',
];

function replaceFloor(state, p) {
  // Every floor event carries the whole resulting floor (meetcore/floor/services.py).
  if (!p.floor || typeof p.floor !== 'object') return RESYNC;
  state.floor = p.floor;
  return APPLIED;
}

// Polls (meetcore/polls/state.py): each event carries the resulting poll; the staff's copy also carries
// `counts` (votes cast so far, the running tally when the poll shows it), which participants never get.
function pollsPart(state) {
  if (!Array.isArray(state.polls)) state.polls = [];
  return state.polls;
}

function replacePoll(state, p) {
  if (!p.poll || typeof p.poll !== 'object') return RESYNC;
  const polls = pollsPart(state);
  const entry = { ...p.poll, ...(p.counts || {}) };
  const index = polls.findIndex((other) => other.id === entry.id);
  if (index >= 0) polls[index] = entry;
  else {
    polls.push(entry);
    polls.sort((a, b) => a.id - b.id);
  }
  return APPLIED;
}

function pollCounted(state, p) {
  const poll = pollsPart(state).find((other) => other.id === p.poll_id);
  if (!poll || !p.counts || typeof p.counts !== 'object') return RESYNC;
  Object.assign(poll, p.counts);
  return APPLIED;
}

function pollDeleted(state, p) {
  state.polls = pollsPart(state).filter((other) => other.id !== p.poll_id);
  return APPLIED;
}

const HANDLERS = {
  ...Object.fromEntries(NOTHING_TO_APPLY.map((kind) => [kind, () => APPLIED])),
  'meeting.started': (state, p) => { state.meeting.status = p.status || 'live'; return APPLIED; },
  'meeting.ended': (state, p) => { state.meeting.status = p.status || 'ended'; return APPLIED; },
  'meeting.cancelled': (state) => { state.meeting.status = 'cancelled'; return APPLIED; },
  'minutes.certified': (state, p) => { state.meeting.status = p.status || 'certified'; return APPLIED; },
  'meeting.updated': (state, p) => {
    if (!p.meeting || typeof p.meeting !== 'object') return RESYNC; // written before events carried it
    state.meeting = { ...state.meeting, ...p.meeting };
    return APPLIED;
  },

  'agenda.current': (state, p) => {
    const item = findItem(state, p.item_id);
    if (!item) return RESYNC;
    (p.previous || []).forEach((id) => {
      const other = findItem(state, id);
      if (other) other.state = 'pending';
    });
    item.state = 'current';
    return APPLIED;
  },
  'agenda.state': (state, p) => {
    const item = findItem(state, p.item_id);
    if (!item) return RESYNC;
    item.state = p.state;
    return APPLIED;
  },
  'agenda.documents': replaceDocuments,
  'agenda.document_pdf': replaceDocuments, // an office file's PDF made (or not): the item's whole list
  // Structural changes renumber the tree: they carry the resulting agenda whole (events written before
  // this version did not: those bring a fresh snapshot).
  'agenda.added': replaceAgenda,
  'agenda.updated': replaceAgenda,
  'agenda.moved': replaceAgenda,
  'agenda.deleted': replaceAgenda,
  'agenda.sections_inserted': replaceAgenda,
  'agenda.copied': replaceAgenda,
  'actions.carried': replaceAgenda,

  'floor.requested': replaceFloor,
  'floor.withdrawn': replaceFloor,
  'floor.granted': replaceFloor,
  'floor.revoked': replaceFloor,
  'floor.limit_set': replaceFloor,
  'floor.closed': replaceFloor,

  'minutes.text': (state, p) => spliceMinutes(state, p),

  'poll.prepared': replacePoll,
  'poll.updated': replacePoll,
  'poll.opened': replacePoll,
  'poll.closed': replacePoll,
  'poll.voted': pollCounted,
  'poll.deleted': pollDeleted,

  'decision.recorded': (state, p) => {
    if (!Array.isArray(state.decisions)) state.decisions = [];
    upsertById(state.decisions, { ...p });
    // In the snapshot's order (when taken, then id): two decisions taken at once on two processes may
    // commit, and so arrive, in the other order.
    state.decisions.sort(byTakenAt);
    return APPLIED;
  },
  'decision.updated': (state, p) => {
    const decision = (state.decisions || []).find((entry) => entry.id === p.id);
    if (!decision) return RESYNC;
    decision.text = p.text;
    return APPLIED;
  },
  'decision.deleted': (state, p) => {
    state.decisions = (state.decisions || []).filter((entry) => entry.id !== p.id);
    return APPLIED;
  },

  'attendance.board': attendanceBoard,
  'attendance.changed': attendanceChanged,

  // A restarted Janus got the meeting's room back: nothing in the state changes; the page's video
  // client (static/src/video.js) hears of it and reconnects its media.
  'video.restored': (state, p) => {
    if (typeof window !== 'undefined' && typeof window.dispatchEvent === 'function') {
      window.dispatchEvent(new CustomEvent('meetcore:video-restored', { detail: { room: p.room, at: p.at } }));
    }
    return APPLIED;
  },
  // The document projector: each event carries the whole (small) state; null when nothing is shown.
  'projector.shown': projector,
  'projector.turned': projector,
  'projector.stopped': projector,
  // What the chair stopped at Janus: the whole moderation state ({publisher id: {audio_muted, video_stopped}}).
  'video.moderated': (state, p) => {
    if (!p.moderation || typeof p.moderation !== 'object') return RESYNC;
    state.video = { ...(state.video || {}), moderation: p.moderation };
    return APPLIED;
  },
  // One endpoint's line as its page measured it (staff only): its entry on the board is replaced.
  'video.quality': (state, p) => {
    if (typeof p.endpoint !== 'string' || !p.quality || typeof p.quality !== 'object') return RESYNC;
    state.quality = { ...(state.quality || {}), [p.endpoint]: p.quality };
    return APPLIED;
  },
};

function projector(state, p) {
  if (!('projector' in p)) return RESYNC;
  state.projector = p.projector;
  return APPLIED;
}

/** Every kind this client applies (tests/live/test_event_kinds.py compares it with the server's). */
export const KNOWN_KINDS = Object.keys(HANDLERS).concat(['action.created', 'action.updated', 'action.cancelled']);

/**
 * Fold one event into the state.
 * @param {object} state        the snapshot, as changed by the events applied so far
 * @param {object} event        {seq, kind, payload, at}
 * @param {object} [options]    {participant: true} for a seat's reader (actions of its agency only)
 */
export function applyEvent(state, event, options = {}) {
  const payload = event.payload || {};
  // The action events depend on the reader (a participant keeps only its agency's): one more argument.
  if (event.kind === 'action.created') return actionCreated(state, payload, event.at, options.participant);
  if (event.kind === 'action.updated') return actionUpdated(state, payload, options.participant);
  if (event.kind === 'action.cancelled') return actionCancelled(state, payload, event.at, options.participant);
  const handler = HANDLERS[event.kind];
  if (!handler) {
    // A kind this client does not know (a newer server): it cannot say what changed, a snapshot can.
    if (typeof console !== 'undefined') console.warn('MeetCore: unknown event kind', event.kind);
    return RESYNC;
  }
  try {
    return handler(state, payload) || APPLIED;
  } catch (error) {
    return RESYNC;
  }
}
