// Small DOM helpers for the live pages: build elements without innerHTML (every text is escaped by the
// browser), redraw a section only when its data changed, keep keyboard focus across redraws.

/**
 * h('button', {class: 'primary', onclick: fn, dataset: {key: 'x'}}, 'text', child, [more children])
 * Attributes whose value is false, null or undefined are left out; `true` sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'value') element.value = value;
    else if (name === 'checked' || name === 'selected') element[name] = !!value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `host` with `content`, keeping the focused control (by data-key) focused. */
export function replaceContent(host, content) {
  const active = document.activeElement;
  const focusKey = active && host.contains(active) && active.dataset ? active.dataset.key : null;
  const selection = focusKey && typeof active.selectionStart === 'number'
    ? [active.selectionStart, active.selectionEnd] : null;
  host.replaceChildren(...[].concat(content).filter((node) => node !== null && node !== undefined && node !== false));
  if (focusKey) {
    const again = host.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (again && !again.disabled) {
      again.focus();
      if (selection && typeof again.setSelectionRange === 'function') {
        try { again.setSelectionRange(selection[0], selection[1]); } catch (error) { /* not a text box */ }
      }
    }
  }
}

/**
 * A section whose body is redrawn by `draw()` only when `key()` (a string naming everything it shows)
 * changed since the last draw.
 */
export class Section {
  constructor(root, name, draw, key) {
    this.element = root.querySelector(`[data-live="${name}"]`);
    this.body = this.element ? this.element.querySelector('[data-part="body"]') : null;
    this.draw = draw;
    this.key = key;
    this.lastKey = null;
  }

  render(force = false) {
    if (!this.body) return;
    const key = this.key();
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    replaceContent(this.body, this.draw());
  }
}

export function format(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
}
