// <glassbox-view>: one Glassbox view on any page (defined by site/js/glassbox-embed.js).
//
//   <script type="module" src="https://your-site.example/glassbox/js/glassbox-embed.js"></script>
//   <glassbox-view view="morph" dataset="mnist" hidden="64" controls></glassbox-view>
//
// Attributes: `view`, `controls` and the URL keys (embed/attributes.js). A bad value or unknown
// attribute is named in a note inside the element and the default is used.
//
// ONE engine per page: the first element to connect starts it (embed.js startEngine) with its
// settings; every later element shares it and its settings. A later element whose attributes ask
// for other values says so in a note naming each one (it does not reconfigure the engine under the
// views already shown); element.app.configure({...}) changes the settings of all of them.
//
// The element fills its box: give it a height (or let its content set it); when the box is
// shorter than the view, the view is scaled down to fit (ResizeObserver). While Python starts it
// shows the start-up progress; a start that fails, or takes longer than START_LIMIT_MS (attribute
// start-timeout: seconds), is shown as an error. Events: 'glassbox-ready' {detail: {app, view}} once the engine is ready and the
// view mounted; 'glassbox-error' {detail: {message}}. element.app is window.glassbox,
// element.view the mounted view (the view contract), element.ready a promise of both.
import {MOUNTABLE, startEngine, mountView} from '../embed.js';
import {loadTables} from '../engine/boot.js';
import {makeSchema} from '../state/url-state.js';
import {readRequest, resolveView, sharedNotes} from './attributes.js';
import {createMiniControls} from './mini-controls.js';
import {ensureEmbedStyles} from './styles.js';

/** How long Python may take to start before the element calls it a failure (slow machines
 *  and first visits without a cache take 20-60 s). */
export const START_LIMIT_MS = 180000;

let schemaPromise = null;
const schemaOnce = () => (schemaPromise = schemaPromise || loadTables().then(makeSchema));

export class GlassboxViewElement extends HTMLElement {
  static get observedAttributes() { return ['view', 'controls']; }

  #generation = 0;
  #parts = null;
  #cleanup = [];
  #resolveReady = null;
  app = null;
  view = null;
  /** [name, value] pairs read instead of the attributes when set before the element connects
   *  (embed.html: a URL's keys, which need not be valid attribute names). */
  pairs = null;
  ready = new Promise((resolve) => { this.#resolveReady = resolve; });

  connectedCallback() { this.#start(); }
  disconnectedCallback() { this.#stop(); }
  attributeChangedCallback(name, before, after) {
    // The view or its controls changed after it was shown: mount again (settings are shared: see above).
    if (this.#parts && before !== after) { this.#stop(); this.#start(); }
  }

  /** The notes shown in the element (what was ignored or is shared), for tests and authors. */
  get notes() { return this.#parts ? [...this.#parts.notes.querySelectorAll('p')].map((p) => p.textContent) : []; }

  #build() {
    ensureEmbedStyles(this.ownerDocument);
    const doc = this.ownerDocument;
    const el = (tag, className) => Object.assign(doc.createElement(tag), {className});
    const frame = el('div', 'gb-embed-frame');
    const notes = el('div', 'gb-embed-notes');
    notes.setAttribute('role', 'status');
    notes.hidden = true;
    const loading = el('div', 'gb-embed-loading');
    loading.setAttribute('role', 'status');
    const stage = el('div', 'gb-embed-stage');
    const inner = el('div', 'gb-embed-inner');
    stage.append(inner);
    frame.append(notes, loading, stage);
    this.replaceChildren(frame);
    return {frame, notes, loading, stage, inner};
  }

  #note(text, error = false) {
    const p = this.ownerDocument.createElement('p');
    p.textContent = text;
    this.#parts.notes.append(p);
    this.#parts.notes.hidden = false;
    if (error) this.#parts.notes.classList.add('gb-embed-error');
  }

  #fail(message) {
    if (this.#parts.failed) return;   // the first error says it; what follows from it would repeat it
    this.#parts.failed = true;
    this.#parts.loading.hidden = true;
    this.#note(message, true);
    this.dispatchEvent(new CustomEvent('glassbox-error', {bubbles: true, composed: true, detail: {message}}));
  }

  async #start() {
    const mine = ++this.#generation;
    this.#parts = this.#build();
    this.#parts.loading.textContent = 'Starting Glassbox…';
    const live = () => mine === this.#generation && this.isConnected;
    try {
      const schema = await schemaOnce();
      if (!live()) return;
      const asked = readRequest(this.pairs || [...this.attributes].map((a) => [a.name, a.value]), schema);
      asked.notes.forEach((note) => this.#note(note));
      const {mount, error} = resolveView(asked.view, MOUNTABLE);
      if (error) { this.#fail(`<glassbox-view>: ${error}.`); return; }
      const app = await startEngine(asked.settings);
      if (!live()) return;
      this.app = app;
      sharedNotes(asked.settings, app.store.get().settings).forEach((note) => this.#note(note));
      this.#followStart(app, mine, asked.startTimeoutS ? asked.startTimeoutS * 1000 : START_LIMIT_MS);
      const mounted = await mountView(this.#parts.inner, mount, {settings: asked.settings});
      if (!live()) { mounted.destroy(); return; }
      this.view = mounted.view;
      this.#cleanup.push(() => mounted.destroy());
      if (asked.controls) {
        const controls = createMiniControls(this.#parts.frame, app);
        this.#cleanup.push(() => controls.destroy());
      }
      this.#fit();
      await app.ready;
      if (!live()) return;
      this.#resolveReady({app, view: mounted.view});
      this.dispatchEvent(new CustomEvent('glassbox-ready', {bubbles: true, composed: true, detail: {app, view: mounted.view}}));
    } catch (error) {
      if (live()) this.#fail(`Glassbox could not start: ${error && error.message || error}`);
    }
  }

  /** Start-up progress until the engine is ready; an error, or no engine after `limitMs`, is named. */
  #followStart(app, mine, limitMs) {
    const {loading} = this.#parts;
    const doc = this.ownerDocument;
    const bar = doc.createElement('progress');
    bar.max = 1;
    bar.setAttribute('aria-label', 'Start-up progress');
    const label = doc.createElement('span');
    loading.replaceChildren(label, bar);
    let failed = false;
    const show = (s) => {
      if (mine !== this.#generation || failed) return;
      if (s.status === 'error') { failed = true; this.#fail(`The engine could not start: ${s.error}`); return; }
      if (s.status !== 'loading') { loading.hidden = true; return; }
      loading.hidden = false;
      label.textContent = s.progress ? `${s.progress.label || s.progress.phase}…` : 'Starting Python…';
      if (s.progress && Number.isFinite(s.progress.fraction)) bar.value = s.progress.fraction;
    };
    const off = app.store.subscribe((s) => show(s));
    const timer = setTimeout(() => {
      if (app.store.get().status !== 'loading' || failed) return;
      failed = true;
      this.#fail(`The engine did not start within ${limitMs / 1000} s (Python is loaded in a Web Worker; ` +
        'a blocked worker, blocked downloads or a very slow connection stop it). Reload the page to try again.');
    }, limitMs);
    this.#cleanup.push(() => { off(); clearTimeout(timer); });
    show(app.store.get());
  }

  /** Scale the view down when the element's box is shorter than the view (never up). */
  #fit() {
    const {stage, inner} = this.#parts;
    if (typeof ResizeObserver !== 'function') return;
    const fit = () => {
      const room = stage.clientHeight;
      const need = inner.offsetHeight;
      const scale = room > 0 && need > room ? room / need : 1;
      inner.style.transform = scale < 1 ? `scale(${scale})` : '';
      inner.style.marginLeft = scale < 1 ? `${(stage.clientWidth * (1 - scale)) / 2}px` : '';
    };
    const observer = new ResizeObserver(fit);
    observer.observe(stage);
    observer.observe(inner);
    this.#cleanup.push(() => observer.disconnect());
  }

  #stop() {
    this.#generation += 1;
    for (const fn of this.#cleanup.splice(0).reverse()) { try { fn(); } catch (error) { console.error(error); } }
    this.view = null;
    this.#parts = null;
    this.replaceChildren();
  }
}
