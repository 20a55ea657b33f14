// The document projector in the browser (issue 16, item 4), for every live page: the secretariat, the chair
// or whoever holds the floor picks an agenda PDF and turns its pages; every page renders the presenter's page
// itself with Debian's pdf.js (loaded only when a document is first shown) from the document fetched once.
//
// * the projector's state is the snapshot's `projector` part, replaced by each projector.* event (one small
//   event per page turn, meetcore/video/projector.py);
// * each page has its own zoom, and may page ahead of the presenter; "Follow the presenter" jumps back and
//   follows again;
// * presenter controls: previous / next / page number, and the arrow keys (Page Up / Page Down too) when
//   the focus is in the projector or nowhere (never in a text field);
// * the canvas lives for the page's lifetime: a page turn redraws the canvas, never the section around it.
//
// Its host is a live page (live-client.js) or a provincial hall's screen (site-live.js), which follows and
// never presents; the host gives `config.urls.projector_pdf` when its documents come from another address
// (the hall's site link), with {document_id} in it.
//
// * a page is drawn under a watchdog: pdf.js's getPage or render that has not settled in PAINT_LIMIT_MS
//   (a worker stuck on a loaded machine) is dropped, its render cancelled, and the latest page drawn again;
//   a stuck getPage, or a second stall in a row, reopens the document on a new worker from the bytes kept
//   (never fetched again). Each stall in a row doubles the bound (to PAINT_LIMIT_MAX_MS): a page that is
//   only slow to draw is drawn in the end.
//
// For tests: window.meetcoreProjector = {shownPage, presenterPage, following, fetches, renders, stalls,
// reopens}; `renders` lists {page, at} where `at` is performance.timeOrigin + performance.now() when the
// page was drawn; `stalls` counts the attempts dropped by the watchdog, `reopens` the documents reopened.

import { h, replaceContent, format } from './live-dom.js';
import { flatAgenda } from './live-state.js';

const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
// A document whose page count the presenter's browser did not give: the server allows up to its own limit.
const PAGE_GUESS = 10000;
// The staff's live pages: the server checks again who may present.
const STAFF_PAGES = new Set(['console', 'chair']);
// How long one attempt to draw a page may take before the watchdog drops it, and its ceiling when doubled.
const PAINT_LIMIT_MS = 8000;
const PAINT_LIMIT_MAX_MS = 64000;

function now() { return performance.timeOrigin + performance.now(); }

/** Debian's pdf.js (a UMD script: global pdfjsLib), added to the page once, when a document is first shown. */
function loadPdfJs(urls) {
  if (window.pdfjsLib) return Promise.resolve(window.pdfjsLib);
  if (!loadPdfJs.promise) {
    loadPdfJs.promise = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = urls.pdfjs;
      script.onload = () => {
        window.pdfjsLib.GlobalWorkerOptions.workerSrc = urls.pdf_worker;
        resolve(window.pdfjsLib);
      };
      script.onerror = () => { loadPdfJs.promise = null; reject(new Error('pdf.js')); };
      document.head.append(script);
    });
  }
  return loadPdfJs.promise;
}

export class Projector {
  /** `live`: the page hosting it (live-client.js, site-live.js): its state, config, strings and commands. */
  constructor(live, body) {
    this.live = live;
    this.s = live.s;
    this.body = body;
    this.pdf = null; // {id, proxy} of the document loaded
    this.loading = null; // {id, promise}
    this.failed = null; // id of a document that could not be opened
    this.localPage = null; // the page this browser shows
    this.following = true;
    this.zoom = 1;
    this.fetches = 0;
    this.renders = [];
    this.drawing = null; // the attempt being drawn: {abandoned, stage, task}
    this.redraw = false;
    this.paintLimit = PAINT_LIMIT_MS;
    this.stalledInARow = 0;
    this.stale = false; // the document's worker may be stuck: reopen it before the next page
    this.stalls = 0;
    this.reopens = 0;
    this.lastKey = null;
    this.build();
    this.expose();
    document.addEventListener('keydown', (event) => this.key(event));
  }

  expose() {
    const projector = this;
    window.meetcoreProjector = {
      get shownPage() { return projector.shownPage; },
      get presenterPage() { return projector.current && projector.current.page; },
      get following() { return projector.following; },
      get fetches() { return projector.fetches; },
      get renders() { return projector.renders.slice(); },
      get stalls() { return projector.stalls; },
      get reopens() { return projector.reopens; },
    };
  }

  get current() { return this.live.state && this.live.state.projector; }

  build() {
    this.controls = h('div', { class: 'projector-controls' });
    this.canvas = h('canvas', { class: 'projector-canvas', id: 'projector-canvas', 'aria-hidden': 'true' });
    // The stage scrolls at a larger zoom: it takes the focus, so the keyboard scrolls it too (named by the
    // status line: "Page 2 of 5 ...").
    this.stage = h('div', { class: 'projector-stage', hidden: true, tabindex: '0', role: 'region',
      'aria-labelledby': 'projector-status' }, this.canvas);
    this.status = h('p', { class: 'projector-status', id: 'projector-status', role: 'status', 'aria-live': 'polite' });
    replaceContent(this.body, [this.controls, this.status, this.stage]);
  }

  // --- who may present ---------------------------------------------------------------------------------

  mayPresent() {
    const state = this.live.state;
    if (!state || state.meeting.status !== 'live') return false;
    if (STAFF_PAGES.has(this.live.page)) return true;
    if (this.live.page !== 'participant') return false; // a hall's screen follows
    const holder = state.floor && state.floor.holder;
    return !!holder && holder.seat_id === this.live.config.seat_id;
  }

  /** What the picker lists: the PDFs, and the office files whose PDF is being made or could not be. */
  pickerDocuments() {
    return flatAgenda(this.live.state).flatMap(({ node }) => node.documents || [])
      .filter((d) => d.pdf || d.pdf_state === 'pending' || d.pdf_state === 'failed');
  }

  pickerLabel(d) {
    const note = !d.pdf && { pending: this.s.pdf_pending, failed: this.s.pdf_failed }[d.pdf_state];
    return note ? `${d.title} (${note})` : d.title;
  }

  // --- following the state -----------------------------------------------------------------------------

  /** Called on every redraw of the live page: follow the presenter, redraw the controls when they changed. */
  update() {
    const current = this.current;
    // A document that could not be opened is tried again when it is shown again later: a hall reads only
    // the document being shown, so a fetch overtaken by the next document is refused.
    if (this.failed !== null && (!current || current.document_id !== this.failed)) this.failed = null;
    if (!current) {
      this.localPage = null;
      this.following = true;
    } else if (this.following || !this.pdf || this.pdf.id !== current.document_id) {
      if (this.pdf && this.pdf.id !== current.document_id) this.following = true;
      this.localPage = current.page;
    }
    const key = JSON.stringify([current, this.localPage, this.following, this.zoom, this.mayPresent(),
      this.mayPresent() ? this.pickerDocuments().map((d) => [d.id, d.title, d.pdf, d.pdf_state]) : null,
      this.failed, this.live.ui.errors, this.live.ui.pending]);
    if (key !== this.lastKey) {
      this.lastKey = key;
      replaceContent(this.controls, this.drawControls());
      this.drawStatus();
    }
    this.stage.hidden = !current;
    if (current) this.show(current.document_id);
  }

  drawStatus() {
    const current = this.current;
    if (!current) { this.status.textContent = this.s.projector_nothing; return; }
    if (this.failed === current.document_id) { this.status.textContent = this.s.projector_failed; return; }
    const pages = current.pages || (this.pdf && this.pdf.proxy.numPages) || '?';
    const parts = [format(this.s.projector_page_of, { page: this.localPage, pages })];
    if (!this.following) parts.push(format(this.s.projector_ahead, { page: current.page }));
    if (current.presenter) parts.push(format(this.s.projector_by, { name: current.presenter }));
    this.status.textContent = parts.join(' · ');
  }

  drawControls() {
    const current = this.current;
    const rows = [];
    if (current) rows.push(h('p', { class: 'projector-title' }, h('strong', {}, current.title)));
    if (this.mayPresent()) rows.push(current ? this.presenterControls(current) : null, this.picker(current));
    if (current) rows.push(this.viewerControls(current));
    return rows;
  }

  picker(current) {
    const documents = this.pickerDocuments();
    const shown = documents.filter((d) => d.pdf); // PDFs, and office files made PDF after upload
    if (!documents.length) return this.live.page === 'participant' ? null : h('p', { class: 'empty-line' }, this.s.projector_no_pdf);
    const fallback = current ? current.document_id : (shown[0] || {}).id;
    const chosen = this.live.ui.drafts['projector-document'] || String(fallback || '');
    return h('p', { class: 'projector-picker' },
      h('label', { for: 'f-projector-document' }, this.s.projector_choose), ' ',
      h('select', {
        id: 'f-projector-document', dataset: { key: 'projector-document' },
        onchange: (event) => { this.live.ui.drafts['projector-document'] = event.target.value; },
      }, documents.map((d) => h('option', { value: String(d.id), selected: String(d.id) === chosen, disabled: !d.pdf },
        this.pickerLabel(d)))),
      ' ',
      h('button', {
        type: 'button', class: 'primary', dataset: { key: 'projector-show' },
        disabled: !!this.live.ui.pending['projector-show'] || !shown.length,
        onclick: () => this.present(Number(this.live.ui.drafts['projector-document'] || chosen)),
      }, this.s.projector_show),
      current ? this.live.button('projector-stop', this.s.projector_stop, 'projector.stop', () => ({}), { className: 'danger' }) : null,
      this.live.feedback('projector-show'), this.live.feedback('projector-stop'));
  }

  presenterControls(current) {
    const last = current.pages || PAGE_GUESS;
    return h('p', { class: 'projector-presenter', role: 'group', 'aria-label': this.s.projector_presenter },
      h('button', { type: 'button', dataset: { key: 'projector-previous' }, disabled: current.page <= 1,
        onclick: () => this.turn(current.page - 1) }, `‹ ${this.s.projector_previous}`), ' ',
      h('label', { for: 'f-projector-page' }, this.s.projector_page), ' ',
      h('input', { type: 'number', id: 'f-projector-page', class: 'projector-page', min: 1, max: last,
        value: String(current.page), dataset: { key: 'projector-page' },
        onchange: (event) => this.turn(Number(event.target.value)) }),
      ` / ${current.pages || '?'} `,
      h('button', { type: 'button', dataset: { key: 'projector-next' }, disabled: current.page >= last,
        onclick: () => this.turn(current.page + 1) }, `${this.s.projector_next} ›`),
      this.live.feedback('projector-turn'));
  }

  viewerControls(current) {
    const pages = current.pages || (this.pdf && this.pdf.proxy.numPages) || PAGE_GUESS;
    const index = ZOOMS.indexOf(this.zoom);
    return h('p', { class: 'projector-viewer' },
      h('button', { type: 'button', class: 'small', dataset: { key: 'projector-zoom-out' }, disabled: index <= 0,
        'aria-label': this.s.projector_zoom_out, onclick: () => this.setZoom(ZOOMS[index - 1]) }, '−'),
      h('span', { class: 'projector-zoom', id: 'projector-zoom' }, ` ${Math.round(this.zoom * 100)}% `),
      h('button', { type: 'button', class: 'small', dataset: { key: 'projector-zoom-in' }, disabled: index >= ZOOMS.length - 1,
        'aria-label': this.s.projector_zoom_in, onclick: () => this.setZoom(ZOOMS[index + 1]) }, '+'),
      this.mayPresent() ? null : [' ',
        h('button', { type: 'button', class: 'small', dataset: { key: 'projector-back' }, disabled: this.localPage <= 1,
          onclick: () => this.browse(this.localPage - 1) }, `‹ ${this.s.projector_previous}`), ' ',
        h('button', { type: 'button', class: 'small', dataset: { key: 'projector-ahead' }, disabled: this.localPage >= pages,
          onclick: () => this.browse(this.localPage + 1) }, `${this.s.projector_next} ›`)],
      this.following ? null : [' ', h('button', { type: 'button', class: 'primary', id: 'projector-follow',
        dataset: { key: 'projector-follow' }, onclick: () => this.follow() }, this.s.projector_follow)]);
  }

  // --- actions -----------------------------------------------------------------------------------------

  /** Load the document here first: the server is told its page count, as this browser read it. */
  async present(documentId) {
    const key = 'projector-show';
    delete this.live.ui.errors[key];
    this.live.ui.pending[key] = true;
    this.live.render();
    try {
      const pdf = await this.open(documentId);
      delete this.live.ui.pending[key];
      this.following = true;
      await this.live.send(key, 'projector.show', { document_id: documentId, page: 1, pages: pdf.numPages });
    } catch (error) {
      delete this.live.ui.pending[key];
      this.live.ui.errors[key] = this.s.projector_failed;
      this.live.render();
    }
  }

  turn(page) {
    const current = this.current;
    if (!current || !Number.isInteger(page) || page < 1 || page > (current.pages || PAGE_GUESS)) return;
    this.following = true;
    this.live.send('projector-turn', 'projector.turn', { page });
  }

  /** Page ahead (or back) here only; the presenter's turns no longer move this page until "follow". */
  browse(page) {
    const pages = (this.current && this.current.pages) || (this.pdf && this.pdf.proxy.numPages) || 1;
    if (!this.current || page < 1 || page > pages) return;
    this.localPage = page;
    this.following = page === this.current.page;
    this.update();
  }

  follow() {
    this.following = true;
    this.update();
    const back = this.controls.querySelector('[data-key="projector-ahead"]') || this.controls.querySelector('button');
    if (back) back.focus(); // the follow button is gone: keep the keyboard in the projector
  }

  setZoom(zoom) {
    if (!zoom) return;
    this.zoom = zoom;
    this.update();
    this.paint();
  }

  key(event) {
    const current = this.current;
    const target = event.target;
    if (!current || event.altKey || event.ctrlKey || event.metaKey) return;
    // Only where the keys mean nothing else: the projector itself, or the page with nothing focused.
    const here = !target || target === document.body || this.body.contains(target);
    if (!here || (target && (TYPING.has(target.tagName) || target.isContentEditable))) return;
    const step = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    if (this.mayPresent()) this.turn(current.page + step);
    else this.browse(this.localPage + step);
  }

  // --- the document and its pages ----------------------------------------------------------------------

  /** The pdf.js document of `documentId`, fetched once (the file is private and never cached). */
  open(documentId) {
    if (this.pdf && this.pdf.id === documentId) return Promise.resolve(this.pdf.proxy);
    if (this.loading && this.loading.id === documentId) return this.loading.promise;
    const url = this.documentUrl(documentId);
    const promise = loadPdfJs(this.live.config.urls).then(async (pdfjs) => {
      this.fetches += 1;
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`document ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const loaded = await this.load(pdfjs, bytes);
      this.close(this.pdf);
      this.pdf = { id: documentId, bytes, ...loaded };
      this.stale = false;
      this.failed = null;
      return loaded.proxy;
    });
    this.loading = { id: documentId, promise };
    promise.catch(() => {}).finally(() => { if (this.loading && this.loading.promise === promise) this.loading = null; });
    return promise;
  }

  /** The document read from `bytes` (a copy: pdf.js hands its data over to the worker) on a worker of its own,
   * which this projector can end even when it is stuck. */
  async load(pdfjs, bytes) {
    const worker = new pdfjs.PDFWorker();
    try {
      const proxy = await pdfjs.getDocument({ data: bytes.slice(), worker, isEvalSupported: false }).promise;
      return { proxy, worker };
    } catch (error) {
      worker.destroy();
      throw error;
    }
  }

  /** Let a document go, and end its worker (at once, even a stuck one). */
  close(pdf) {
    if (!pdf) return;
    pdf.proxy.destroy().catch(() => {});
    pdf.worker.destroy();
  }

  /** The same document on a new worker, from the bytes kept: the old worker may never answer again. */
  async reopen(pdf, attempt) {
    const loaded = await this.load(window.pdfjsLib, pdf.bytes);
    if (attempt.abandoned || this.pdf !== pdf) { this.close(loaded); return this.pdf; }
    this.close(pdf);
    this.pdf = { ...pdf, ...loaded };
    this.stale = false;
    this.reopens += 1;
    return this.pdf;
  }

  documentUrl(documentId) {
    const template = this.live.config.urls && this.live.config.urls.projector_pdf;
    if (template) return template.replace('{document_id}', String(documentId));
    return `/meetings/${this.live.meetingId}/documents/${documentId}/pdf`;
  }

  show(documentId) {
    if (this.pdf && this.pdf.id === documentId) { this.paint(); return; }
    if (this.failed === documentId || (this.loading && this.loading.id === documentId)) return;
    this.status.textContent = this.s.projector_loading;
    this.open(documentId).then(() => { this.lastKey = null; this.update(); }, () => {
      this.failed = documentId;
      this.lastKey = null;
      this.update();
    });
  }

  /** Draw this browser's page at its zoom; a turn that arrives while drawing is drawn right after. The attempt
   * runs under a watchdog (`abandon`): one that pdf.js never settles does not hold the page back. */
  async paint() {
    if (this.drawing) { this.redraw = true; return; }
    let pdf = this.pdf;
    const page = this.localPage;
    if (!pdf || !page || (!this.stale && this.canvas.dataset.page === String(page)
      && this.canvas.dataset.zoom === String(this.zoom) && this.canvas.dataset.document === String(pdf.id))) return;
    const attempt = { abandoned: false, stage: 'document', task: null };
    this.drawing = attempt;
    this.redraw = false;
    const watchdog = setTimeout(() => this.abandon(attempt), this.paintLimit);
    try {
      if (this.stale) pdf = await this.reopen(pdf, attempt);
      if (attempt.abandoned) return;
      attempt.stage = 'page';
      const pdfPage = await pdf.proxy.getPage(Math.min(page, pdf.proxy.numPages));
      if (attempt.abandoned) return;
      const width = this.stage.clientWidth || 640;
      const natural = pdfPage.getViewport({ scale: 1 });
      const ratio = window.devicePixelRatio || 1;
      const viewport = pdfPage.getViewport({ scale: (width / natural.width) * this.zoom * ratio });
      const canvas = document.createElement('canvas');
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      attempt.stage = 'render';
      attempt.task = pdfPage.render({ canvasContext: canvas.getContext('2d'), viewport });
      await attempt.task.promise;
      if (attempt.abandoned) return;
      // Drawn off-screen, then swapped in: the old page stays until the new one is whole.
      const shown = this.canvas.getContext('2d');
      this.canvas.width = canvas.width;
      this.canvas.height = canvas.height;
      this.canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
      shown.drawImage(canvas, 0, 0);
      Object.assign(this.canvas.dataset, { page: String(page), zoom: String(this.zoom), document: String(pdf.id) });
      this.shownPage = page;
      this.renders.push({ page, at: now() });
      if (this.renders.length > 100) this.renders.shift();
      this.paintLimit = PAINT_LIMIT_MS;
      this.stalledInARow = 0;
      if (this.failed === pdf.id) { this.failed = null; this.lastKey = null; }
    } catch (error) {
      if (attempt.abandoned) return;
      this.failed = pdf.id;
      this.lastKey = null;
    } finally {
      clearTimeout(watchdog);
      if (this.drawing === attempt) this.drawing = null;
    }
    if (this.redraw || this.localPage !== page) { this.redraw = false; this.paint(); }
  }

  /** The watchdog: drop an attempt pdf.js has not settled in time, then draw the latest page. A stuck getPage
   * (or a second stall in a row) means the worker may be stuck: the next attempt reopens the document. */
  abandon(attempt) {
    if (this.drawing !== attempt) return;
    attempt.abandoned = true;
    if (attempt.task) attempt.task.cancel();
    this.drawing = null;
    this.stalls += 1;
    this.stalledInARow += 1;
    this.paintLimit = Math.min(this.paintLimit * 2, PAINT_LIMIT_MAX_MS);
    if (attempt.stage !== 'render' || this.stalledInARow >= 2) this.stale = true;
    this.redraw = false;
    this.paint();
  }
}
