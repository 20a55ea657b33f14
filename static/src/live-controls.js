// The controls every page that sends live commands draws them with (the live pages, live-client.js, and a
// provincial hall's votes, site-live.js): one command per control, its error or confirmation shown right
// after it. Mixed into the page's class; the page has `connection` (LiveConnection), `ui` ({errors, notes,
// pending, drafts}), `config.locale` and `render()`.

import { h } from './live-dom.js';

export const commandControls = {
  /** Send a command for the control `key`; its error (or a short confirmation) shows next to it. */
  async send(key, name, payload, { onOk, note } = {}) {
    this.ui.pending[key] = true;
    delete this.ui.errors[key];
    delete this.ui.notes[key];
    this.render();
    const ack = await this.connection.command(name, payload);
    delete this.ui.pending[key];
    if (ack.ok) {
      if (note) this.ui.notes[key] = note;
      if (onOk) onOk(ack);
    } else {
      this.ui.errors[key] = (ack.error && ack.error.message) || String(ack.error && ack.error.code);
    }
    this.render();
    return ack;
  },

  /** A button sending one command; `options.before()` may stop it (a confirmation asked first). */
  button(key, label, name, payload, options = {}) {
    return h('button', {
      type: 'button',
      class: options.className || null,
      dataset: { key },
      disabled: !!this.ui.pending[key] || options.disabled,
      'aria-describedby': this.ui.errors[key] ? `err-${key}` : null,
      onclick: () => (options.before ? options.before() : true) && this.send(key, name, payload(), options),
    }, label);
  },

  /** The error (role=alert) or confirmation of a control, to place right after it. */
  feedback(key) {
    if (this.ui.errors[key]) {
      return h('span', { class: 'live-error', id: `err-${key}`, role: 'alert', dataset: { errorFor: key } },
        this.ui.errors[key]);
    }
    if (this.ui.notes[key]) return h('span', { class: 'live-note', role: 'status' }, this.ui.notes[key]);
    return null;
  },

  /** A label given in both languages ({th, en}) in the page's, or the Thai one. */
  localized(label) {
    if (!label) return '';
    if (typeof label === 'string') return label;
    return label[this.config.locale] || label.th || label.en || '';
  },

  itemLabel(item) { return item ? `${item.number} ${item.title}` : ''; },
};
