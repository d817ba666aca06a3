// <glassbox-py-cell>: an editable Python cell of a lesson, run by PyScript (npm @pyscript/core,
// vendored by build.py into vendor/pyscript/) with the vendored Pyodide core, so cells work
// offline. Python runs on the page's MAIN thread: that is where window.glassbox lives, and cells
// drive the live network through it (glassbox_cell.py, `gb` in every cell); the network itself
// trains in the engine worker, so awaiting it never freezes the page.
//
//   <glassbox-py-cell label="Train it">await gb.train(50)
//   print(gb.describe())</glassbox-py-cell>
//   <script type="module" src="../js/lessons/py-cell.js"></script>
//
// The element's text is the initial code. PyScript loads on the first Run (megabytes: never for
// a reader who does not run a cell). Every cell of the page shares one interpreter and one
// namespace (cell_runner.py), and cells run one at a time, like a notebook's.
// Test hooks: element.run() resolves {ok, output, error, ms, loadMs} (also kept as element.lastRun);
// element.code gets/sets the code.

const HERE = new URL('./', import.meta.url);
const VENDOR = new URL('../../vendor/pyscript/', import.meta.url);
const LOADING = 'Loading Python for cells… (first time: a few seconds)';
// A load this slow gets a warning (Pyodide does not report every failure, e.g. a missing .wasm,
// it just never finishes); past LOAD_TIMEOUT_MS the cell reports it and stops waiting.
const SLOW_MS = 45_000;
const LOAD_TIMEOUT_MS = 180_000;
// The <script type="py"> that starts PyScript: it hands cell_runner.run_cell to this module.
const BOOT_ID = 'glassbox-py-cells-boot';
const BOOT_CODE = [
  'from pyodide.ffi import create_proxy',
  'from pyscript import document',
  'import cell_runner',
  `document.getElementById('${BOOT_ID}').runner = create_proxy(cell_runner.run_cell)`,
].join('\n');

let python = null;            // Promise of run_cell, shared by every cell of the page
let loaded = false;           // python has resolved
let queue = Promise.resolve();  // cells run one after another
let cells = 0;

function withTimeout(promise, ms, message) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Start PyScript once per page; resolves run_cell(code, name, write) -> JSON answer. */
export function loadPython() {
  python = python || (async () => {
    // build.py writes where the Pyodide it vendored lives (its folder carries its version).
    const response = await fetch(new URL('glassbox-cells.json', VENDOR));
    if (!response.ok) throw new Error(`vendor/pyscript/glassbox-cells.json: HTTP ${response.status} (was the site built with build.py?)`);
    const vendored = await response.json();
    const config = {
      interpreter: new URL(vendored.interpreter, VENDOR).href,
      files: {[new URL('glassbox_cell.py', HERE).href]: './glassbox_cell.py',
              [new URL('cell_runner.py', HERE).href]: './cell_runner.py'},
    };
    const boot = document.createElement('script');
    Object.assign(boot, {type: 'py', id: BOOT_ID, textContent: BOOT_CODE});
    boot.setAttribute('config', JSON.stringify(config));
    const started = new Promise((resolve) => boot.addEventListener('py:done', () => resolve(boot.runner), {once: true}));
    // PyScript reads its config from the page when its module first runs: the script goes first.
    document.body.append(boot);
    await import(new URL('core.js', VENDOR).href);
    const runCell = await withTimeout(started, LOAD_TIMEOUT_MS,
      `Python did not start within ${LOAD_TIMEOUT_MS / 1000} s (the browser console may say why); reload to try again`);
    if (typeof runCell !== 'function') throw new Error('Python started, but the cell runner (cell_runner.py) did not load');
    loaded = true;
    return runCell;
  })();
  return python;
}

/** Remove the common leading indentation and the blank lines around a cell's code. */
export function dedent(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines.at(-1).trim()) lines.pop();
  const indents = lines.filter((line) => line.trim()).map((line) => line.match(/^[ \t]*/)[0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(cut)).join('\n');
}

function addStylesheet() {
  if (document.querySelector('link[data-py-cell]')) return;
  const link = Object.assign(document.createElement('link'), {rel: 'stylesheet', href: new URL('../../css/py-cell.css', import.meta.url).href});
  link.dataset.pyCell = '';
  document.head.append(link);
}

class PyCell extends HTMLElement {
  #parts = null;
  #running = null;

  connectedCallback() {
    if (!this.#parts) this.#build();
  }

  #build() {
    addStylesheet();
    const n = ++cells;
    const code = dedent(this.textContent);
    const make = (tag, props = {}) => Object.assign(document.createElement(tag), props);
    const id = `py-cell-${n}`;
    const label = make('label', {className: 'py-cell-label', htmlFor: `${id}-code`,
      textContent: this.getAttribute('label') || `Python cell ${n}`});
    const editor = make('textarea', {id: `${id}-code`, className: 'py-cell-code', value: code, spellcheck: false,
      rows: Math.min(Math.max(code.split('\n').length, 3), 24)});
    editor.setAttribute('autocapitalize', 'off');
    editor.setAttribute('aria-describedby', `${id}-hint`);
    const button = make('button', {type: 'button', className: 'py-cell-run', textContent: 'Run'});
    const hint = make('span', {id: `${id}-hint`, className: 'py-cell-hint', textContent: 'Ctrl+Enter (⌘+Enter) runs the cell'});
    const status = make('span', {className: 'py-cell-status'});
    status.setAttribute('role', 'status');
    const output = make('pre', {id: `${id}-output`, className: 'py-cell-output'});
    output.setAttribute('role', 'log');  // a live region that may carry a name (a bare <pre> may not)
    output.setAttribute('aria-live', 'polite');
    output.setAttribute('aria-label', `Output of ${label.textContent}`);
    output.hidden = true;
    const bar = make('div', {className: 'py-cell-bar'});
    bar.append(button, hint, status);
    this.replaceChildren(label, editor, bar, output);
    this.#parts = {n, editor, button, status, output};
    button.addEventListener('click', () => this.run());
    editor.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.run(); }
    });
  }

  get code() { return this.#parts ? this.#parts.editor.value : dedent(this.textContent); }
  set code(text) { if (this.#parts) this.#parts.editor.value = String(text); else this.textContent = String(text); }

  /** Run the cell; resolves {ok, output, error, ms, loadMs} (ms: from the click to the answer;
   *  loadMs: how much of it went to loading Python). */
  run() {
    if (!this.#parts) this.#build();
    this.#running = this.#running || this.#execute().finally(() => { this.#running = null; });
    return this.#running;
  }

  async #execute() {
    const {n, editor, button, status, output} = this.#parts;
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
    const code = editor.value;
    button.disabled = true;
    this.dataset.state = 'running';
    output.replaceChildren();
    output.hidden = true;
    const write = (text) => { output.hidden = false; output.append(text); };
    let result;
    let ticking = null;
    let loadMs = 0;
    try {
      if (!loaded) {
        status.textContent = LOADING;
        ticking = setInterval(() => {
          const waited = Math.round(seconds());
          status.textContent = waited * 1000 < SLOW_MS ? `${LOADING} ${waited} s`
            : `Still loading Python after ${waited} s: a slow device or connection? If it never ends, the browser console may say why; reload to try again.`;
        }, 1000);
      }
      const runCell = await loadPython();
      loadMs = performance.now() - started;
      clearInterval(ticking);
      const next = () => { status.textContent = 'Running…'; return runCell(code, `cell ${n}`, write); };
      status.textContent = 'Waiting for the cell before it…';
      const answer = await (queue = queue.then(next, next));
      result = JSON.parse(answer);
    } catch (error) {
      const what = loaded ? 'The cell could not run' : 'Python for cells could not start';
      result = {ok: false, error: `${what}: ${error.message || error}`};
    } finally {
      clearInterval(ticking);
      button.disabled = false;
    }
    if (!result.ok) {
      output.hidden = false;
      output.append(Object.assign(document.createElement('span'), {className: 'py-cell-error', textContent: result.error}));
    }
    status.textContent = result.ok ? `Done in ${seconds()} s` : `Error after ${seconds()} s`;
    this.dataset.state = result.ok ? 'done' : 'error';
    this.lastRun = {ok: result.ok, output: output.textContent, error: result.error, ms: performance.now() - started, loadMs};
    return this.lastRun;
  }
}

if (!customElements.get('glassbox-py-cell')) customElements.define('glassbox-py-cell', PyCell);
