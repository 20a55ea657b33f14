// Live minutes in the browser (docs/protocol.md, "Live minutes").
//
// MinutesEditor: a secretariat editor. A Yjs document per agenda item, bound to a <textarea>; every local
//   change is sent as `minutes.update` (one at a time, merged while the previous one awaits its ack), every
//   `minutes.update` the server relays is merged in. After a refused update or a reconnect it catches up
//   with `minutes.sync` (Yjs sync: state vector in, missing update out) and sends what the server lacks.
// MinutesReader: a participant's read-only view, following the numbered `minutes.text` events (splices in
//   UTF-16 units) from the snapshot's text; no Yjs needed.
//
// Bundled by esbuild into static/dist/minutes-editor.js as the global `MeetCoreMinutes`.

import * as Y from 'yjs';

export const ROOT = 'minutes'; // the Y.Text every minutes document holds (meetcore/minutes/crdt.py)
const LOCAL = 'meetcore-local';

export function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The splice turning `before` into `after`: {at, remove, insert} (UTF-16 units, like JS strings). */
export function diffText(before, after) {
  const limit = Math.min(before.length, after.length);
  let start = 0;
  while (start < limit && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < limit - start &&
         before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  // Never split a surrogate pair.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return { at: start, remove: before.length - start - end, insert: after.slice(start, after.length - end) };
}

function isHighSurrogate(code) { return code >= 0xd800 && code <= 0xdbff; }
function isLowSurrogate(code) { return code >= 0xdc00 && code <= 0xdfff; }

export class MinutesEditor {
  /**
   * @param {object} options
   * @param {object} options.socket      a connected Socket.IO client (emit with ack)
   * @param {number} options.meetingId
   * @param {number} options.itemId
   * @param {string} [options.state]     base64 state to start from; without it the textarea stays read-only
   *                                      until the first sync() has brought the server's document
   * @param {object} [options.textarea]  the element to bind (value, selectionStart/End, 'input' events)
   * @param {boolean} [options.readOnly] the chair: shows the document, sends nothing
   * @param {function} [options.onError] called with {code, message} of a refused update
   * @param {function} [options.onChange] called with the text after every change, local or remote
   */
  constructor({ socket, meetingId, itemId, state, textarea, readOnly = false, onError, onChange }) {
    this.socket = socket;
    this.meetingId = meetingId;
    this.itemId = itemId;
    this.readOnly = readOnly;
    this.onError = onError || (() => {});
    this.onChange = onChange || (() => {});
    this.doc = new Y.Doc();
    this.text = this.doc.getText(ROOT);
    if (state) Y.applyUpdate(this.doc, fromBase64(state), 'server');
    // Typing into an empty document before it holds the server's text would place the typing oddly.
    this.synced = Boolean(state);
    this.pending = [];
    this.inFlight = false;
    this.needsSync = false;
    this._onUpdate = (update, origin) => {
      if (origin === LOCAL && !this.readOnly) {
        this.pending.push(update);
        this.flush();
      }
    };
    this.doc.on('update', this._onUpdate);
    this._onText = (event, transaction) => {
      if (transaction.origin !== LOCAL) this._render();
      this.onChange(this.text.toString());
    };
    this.text.observe(this._onText);
    if (textarea) this.bind(textarea);
  }

  get value() { return this.text.toString(); }

  /** Bind a textarea: its edits go into the document, remote edits show in it keeping the caret. */
  bind(textarea) {
    this.textarea = textarea;
    textarea.value = this.value;
    textarea.readOnly = this.readOnly || !this.synced;
    if (this.readOnly) return;
    this._onInput = () => this.edit(textarea.value);
    textarea.addEventListener('input', this._onInput);
  }

  /** Apply the whole new text of the box as the smallest edit of the document. */
  edit(newText) {
    const { at, remove, insert } = diffText(this.value, newText);
    if (!remove && !insert) return;
    this.doc.transact(() => {
      if (remove) this.text.delete(at, remove);
      if (insert) this.text.insert(at, insert);
    }, LOCAL);
  }

  _render() {
    const box = this.textarea;
    if (!box) return;
    const before = box.value;
    const after = this.value;
    if (before === after) return;
    // Keep the caret and selection where they were relative to the text around them.
    const { at, remove, insert } = diffText(before, after);
    const moved = (index) => {
      if (index <= at) return index;
      if (index >= at + remove) return index + insert.length - remove;
      return at + insert.length;
    };
    const hasSelection = typeof box.selectionStart === 'number';
    const [start, end] = hasSelection ? [moved(box.selectionStart), moved(box.selectionEnd)] : [null, null];
    box.value = after;
    if (hasSelection && typeof box.setSelectionRange === 'function') box.setSelectionRange(start, end);
  }

  /** Merge an update the server relayed (`minutes.update` event). */
  receive(message) {
    if (message.meeting_id !== this.meetingId || message.item_id !== this.itemId) return;
    Y.applyUpdate(this.doc, fromBase64(message.update), 'server');
  }

  /** Send the local changes not yet sent: one request at a time, merged while one is in flight. */
  flush() {
    if (this.inFlight || this.readOnly) return;
    if (this.needsSync) {
      this.sync();
      return;
    }
    if (!this.pending.length) return;
    const update = this.pending.length === 1 ? this.pending[0] : Y.mergeUpdates(this.pending);
    this.pending = [];
    this.inFlight = true;
    this.socket.emit('minutes.update',
      { meeting_id: this.meetingId, item_id: this.itemId, update: toBase64(update) },
      (ack) => {
        this.inFlight = false;
        if (!ack || !ack.ok) {
          const error = (ack && ack.error) || { code: 'no_ack', message: '' };
          if (error.code === 'invalid_input' || error.code === 'forbidden' || error.code === 'conflict') {
            this.onError(error); // not something a retry mends
          }
          if (error.code !== 'forbidden') this.needsSync = true; // catch up, then resend what is missing
        }
        this.flush();
      });
  }

  /**
   * Yjs sync with the server: take what this document lacks, then send what the server lacks (it
   * includes whatever was sent and never acknowledged). Call after every reconnect.
   */
  sync() {
    if (this.inFlight) {
      this.needsSync = true;
      return;
    }
    this.needsSync = false;
    this.inFlight = true;
    this.socket.emit('minutes.sync',
      { meeting_id: this.meetingId, item_id: this.itemId, state_vector: toBase64(Y.encodeStateVector(this.doc)) },
      (ack) => {
        this.inFlight = false;
        if (!ack || !ack.ok) {
          this.onError((ack && ack.error) || { code: 'no_ack', message: '' });
          return;
        }
        Y.applyUpdate(this.doc, fromBase64(ack.update), 'server');
        if (!this.synced) {
          this.synced = true;
          if (this.textarea) this.textarea.readOnly = this.readOnly;
        }
        if (!this.readOnly) {
          const missing = Y.encodeStateAsUpdate(this.doc, fromBase64(ack.state_vector));
          this.pending = [missing]; // everything unsent is in it
        }
        this.flush();
      });
  }

  /** The connection dropped: whatever was in flight will be recovered by sync() after reconnecting. */
  disconnected() {
    this.inFlight = false;
    this.needsSync = true;
  }

  destroy() {
    this.doc.off('update', this._onUpdate);
    this.text.unobserve(this._onText);
    if (this.textarea && this._onInput) this.textarea.removeEventListener('input', this._onInput);
    this.doc.destroy();
  }
}

/** Routes a socket's `minutes.update` events to the editors open on the page, by agenda item. */
export class MinutesEditors {
  constructor(socket) {
    this.socket = socket;
    this.editors = new Map();
    socket.on('minutes.update', (message) => {
      const editor = this.editors.get(message.item_id);
      if (editor) editor.receive(message);
    });
    socket.on('disconnect', () => this.editors.forEach((editor) => editor.disconnected()));
  }

  /** Open (or return) the editor of one item: it starts empty, and its first sync() brings the document. */
  open(meetingId, itemId, options = {}) {
    if (!this.editors.has(itemId)) {
      this.editors.set(itemId, new MinutesEditor({ socket: this.socket, meetingId, itemId, ...options }));
    }
    return this.editors.get(itemId);
  }

  /** After every `join` (a replay or a fresh snapshot): catch every editor up, keeping unsent local edits. */
  syncAll() { this.editors.forEach((editor) => editor.sync()); }
}

/** A reader's minutes: the snapshot's texts, kept current by `minutes.text` events. */
export class MinutesReader {
  /**
   * @param {Array} snapshotMinutes  the snapshot's `minutes` list ({item_id, text})
   * @param {function} [onChange]    called with (itemId, text) after every change
   * @param {function} [onDesync]    called when a splice does not fit (ask for a fresh snapshot)
   */
  constructor(snapshotMinutes, onChange, onDesync) {
    this.texts = new Map((snapshotMinutes || []).map((block) => [block.item_id, block.text]));
    this.onChange = onChange || (() => {});
    this.onDesync = onDesync || (() => {});
  }

  text(itemId) { return this.texts.get(itemId) || ''; }

  /** Apply the payload of a numbered `minutes.text` event. */
  apply(payload) {
    const before = this.text(payload.item_id);
    if (payload.at + payload.delete > before.length) {
      this.onDesync(payload.item_id);
      return false;
    }
    const after = before.slice(0, payload.at) + payload.insert + before.slice(payload.at + payload.delete);
    if (after.length !== payload.length) {
      this.onDesync(payload.item_id);
      return false;
    }
    this.texts.set(payload.item_id, after);
    this.onChange(payload.item_id, after);
    return true;
  }
}

export { Y };
