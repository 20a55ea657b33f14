// Drives the real browser module (static/dist/minutes-editor.js) for tests/minutes/test_browser_module.py:
// one JSON command per line on stdin, one JSON answer per line on stdout. Editors get a fake socket (its
// emits are handed back to Python, which sends them to the server and returns the acks) and a fake
// textarea (typing sets its value and caret, then fires "input" as a browser does).
'use strict';

const fs = require('fs');
const readline = require('readline');
const vm = require('vm');

vm.runInThisContext(fs.readFileSync(process.argv[2], 'utf8'));
const M = globalThis.MeetCoreMinutes;

const editors = {};
const outbox = [];
const errors = [];
const callbacks = {};
let nextId = 1;
let reader = null;

function fakeSocket(name) {
  return {
    emit(event, payload, callback) {
      const id = nextId++;
      callbacks[id] = callback;
      outbox.push({ name, id, event, payload });
    },
    on() {},
  };
}

function fakeTextarea() {
  return {
    value: '', selectionStart: 0, selectionEnd: 0, readOnly: false, listeners: {},
    addEventListener(type, listener) { this.listeners[type] = listener; },
    removeEventListener(type) { delete this.listeners[type]; },
    setSelectionRange(start, end) { this.selectionStart = start; this.selectionEnd = end; },
  };
}

function run(command) {
  const answer = {};
  switch (command.op) {
    case 'open': {
      const box = fakeTextarea();
      const editor = new M.MinutesEditor({
        socket: fakeSocket(command.name), meetingId: command.meeting_id, itemId: command.item_id,
        state: command.state, textarea: box, onError: (error) => errors.push({ name: command.name, ...error }),
      });
      editors[command.name] = { box, editor };
      break;
    }
    case 'type': { // at the caret (or at `at`), replacing `remove` characters
      const { box } = editors[command.name];
      const at = command.at === undefined ? box.selectionStart : command.at;
      box.value = box.value.slice(0, at) + command.text + box.value.slice(at + (command.remove || 0));
      box.selectionStart = box.selectionEnd = at + command.text.length;
      box.listeners.input();
      break;
    }
    case 'caret': editors[command.name].box.setSelectionRange(command.at, command.at); break;
    case 'ack': { const callback = callbacks[command.id]; delete callbacks[command.id]; callback(command.ack); break; }
    case 'receive': editors[command.name].editor.receive(command.message); break;
    case 'disconnected': editors[command.name].editor.disconnected(); break;
    case 'sync': editors[command.name].editor.sync(); break;
    case 'reader': reader = new M.MinutesReader(command.minutes); break;
    case 'read': answer.applied = reader.apply(command.payload); break;
    case 'diff': answer.diff = M.diffText(command.before, command.after); break;
    default: throw new Error(`unknown op ${command.op}`);
  }
  answer.outbox = outbox.splice(0);
  answer.errors = errors.splice(0);
  answer.editors = {};
  for (const [name, { box, editor }] of Object.entries(editors)) {
    answer.editors[name] = { box: box.value, doc: editor.value, caret: box.selectionStart, readOnly: box.readOnly };
  }
  if (reader) answer.reader = Object.fromEntries(reader.texts);
  return answer;
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let answer;
  try {
    answer = run(JSON.parse(line));
  } catch (error) {
    answer = { exception: String(error && error.stack || error) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
