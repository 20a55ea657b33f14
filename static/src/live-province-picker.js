// The provinces an action goes to, chosen by name: "all provinces", or some ticked in a list grouped by
// region (a region's box ticks its whole region), with a name filter. Native radios and checkboxes, so
// the whole picker works from the keyboard; the server still checks every code it receives.
// Methods of the live page (static/src/live-client.js), which mixes them in: `this` is the page.

import { h, format } from './live-dom.js';

export const provincePickerSection = {
  /** The picker's state for the form `key`: {all: bool, codes: [codes], filter: text}. */
  provinceChoice(key) {
    this.ui.provinceChoices = this.ui.provinceChoices || {};
    if (!this.ui.provinceChoices[key]) this.ui.provinceChoices[key] = { all: true, codes: [], filter: '' };
    return this.ui.provinceChoices[key];
  },

  /** What the server receives as `owner.provinces`: "all" or the ticked codes. */
  provincePayload(key) {
    const choice = this.provinceChoice(key);
    return choice.all ? 'all' : [...choice.codes];
  },

  clearProvinces(key) {
    this.ui.provinceChoices[key] = { all: true, codes: [], filter: '' };
  },

  setProvinces(key, codes, on) {
    const choice = this.provinceChoice(key);
    const chosen = new Set(choice.codes);
    codes.forEach((code) => (on ? chosen.add(code) : chosen.delete(code)));
    const order = (this.config.owners.provinces || []).map((p) => p.code);
    choice.codes = order.filter((code) => chosen.has(code));
    this.render();
  },

  provincePicker(key, roleCode) {
    const choice = this.provinceChoice(key);
    const provinces = this.config.owners.provinces || [];
    const role = (this.config.owners.roles || []).find((r) => r.code === roleCode) || {};
    const without = new Set(role.without_office || []);
    const mode = (all, label) => h('label', { class: 'check' }, h('input', {
      type: 'radio', name: `${key}-province-mode`, checked: choice.all === all,
      dataset: { key: `${key}-province-${all ? 'all' : 'some'}` },
      onchange: () => { choice.all = all; this.render(); },
    }), label);
    const parts = [h('legend', {}, this.s.provinces),
      mode(true, this.s.all_provinces), mode(false, this.s.some_provinces)];
    if (!choice.all) parts.push(this.provinceList(key, choice, provinces, without));
    return h('fieldset', { class: 'province-picker', id: `f-${key}-provinces` }, parts);
  },

  provinceList(key, choice, provinces, without) {
    const chosen = new Set(choice.codes);
    const needle = choice.filter.trim().toLowerCase();
    const shown = provinces.filter((p) => !needle || p.name.toLowerCase().includes(needle)
      || p.code.toLowerCase().includes(needle));
    const regions = Object.keys(this.config.regions || {});
    const groups = regions.map((region) => {
      const inRegion = shown.filter((p) => p.region === region);
      if (!inRegion.length) return null;
      const open = inRegion.filter((p) => !without.has(p.code)).map((p) => p.code);
      const ticked = open.filter((code) => chosen.has(code)).length;
      const whole = h('input', {
        type: 'checkbox', checked: open.length > 0 && ticked === open.length, disabled: !open.length,
        dataset: { key: `${key}-region-${region}`, region },
        onchange: (event) => this.setProvinces(key, open, event.target.checked),
      });
      whole.indeterminate = ticked > 0 && ticked < open.length;
      return h('fieldset', { class: 'province-region' },
        h('legend', {}, h('label', { class: 'check' }, whole,
          format(this.s.whole_region, { region: this.config.regions[region] }))),
        h('div', { class: 'province-grid' }, inRegion.map((p) => h('label', { class: 'check' },
          h('input', {
            type: 'checkbox', value: p.code, checked: chosen.has(p.code), disabled: without.has(p.code),
            dataset: { key: `${key}-province-${p.code}`, province: p.code },
            onchange: (event) => this.setProvinces(key, [p.code], event.target.checked),
          }), without.has(p.code) ? `${p.name} (${this.s.no_office})` : p.name))));
    });
    const names = provinces.filter((p) => chosen.has(p.code)).map((p) => p.name);
    return [
      h('label', { for: `f-${key}-province-filter` }, this.s.find_province),
      h('input', {
        type: 'search', id: `f-${key}-province-filter`, value: choice.filter, autocomplete: 'off',
        dataset: { key: `${key}-province-filter` },
        oninput: (event) => { choice.filter = event.target.value; this.render(); },
      }),
      h('p', { class: 'province-summary', role: 'status', id: `${key}-province-summary` },
        names.length ? `${format(this.s.provinces_chosen, { n: names.length })}: ${names.join(', ')}`
          : this.s.no_province_chosen,
        names.length ? [' ', h('button', {
          type: 'button', class: 'small link', dataset: { key: `${key}-province-clear` },
          onclick: () => this.setProvinces(key, choice.codes, false),
        }, this.s.clear_provinces)] : null),
      groups.some(Boolean) ? groups : h('p', { class: 'empty-line' }, this.s.no_province_found),
    ];
  },
};
