// The browser's own event applier (static/src/live-state.js), run under Node for the reconnect property
// test: reads [{snapshot, events, participant}] as JSON on stdin, writes [{state, results}] on stdout.
import { readFileSync } from 'node:fs';
import { applyEvent } from '../../static/src/live-state.js';

const trials = JSON.parse(readFileSync(0, 'utf8'));
const out = trials.map(({ snapshot, events, participant }) => {
  const state = structuredClone(snapshot);
  const results = events.map((event) => {
    const result = applyEvent(state, event, { participant });
    if (event.seq > state.last_seq) state.last_seq = event.seq;
    return result;
  });
  return { state, results };
});
process.stdout.write(JSON.stringify(out));
