// The page's entry (index.html loads it): builds window.glassbox (app/api.js), mounts every
// panel, and keeps the page chrome (status, loading bar, notes, errors) in step with the store.
// Modes (ui/modes.js) decide which panels show and where; the transport lives in the sticky bar.
// Views only read what they are given; all actions go through `app` (= window.glassbox).
import {createGlassbox} from './app/api.js';
// The engine's tables (build.py writes dist/tables.json): part of the module graph, so
// window.glassbox exists as soon as this module runs, as before.
import tables from '../tables.json' with {type: 'json'};

const $ = (id) => document.getElementById(id);

// Start the engine worker first: Python takes seconds to load, the views' modules do not,
// so they are fetched while Pyodide starts instead of before it.
const {glassbox: app, internals} = createGlassbox({
  tables,
  hash: location.hash,
  onHashChange: (hash) => history.replaceState(null, '', hash || location.pathname + location.search),
  saveRuns: true,
});
window.glassbox = app;
import('./offline.js').then(({registerOffline}) => registerOffline({after: app.ready}));  // dist/sw.js: works offline after one visit
const {provide, schema} = internals;

const [{createControls}, {createNetworkView}, {createCurvesView}, {addPanel}, {installModules},
  {installInputs}, {installHealth}, {installSwarm}, {installModelFile}, {installRunFile}, {installReplay},
  {installUserData}, {installSavedRuns}, {installModes}, {installPrediction}] = await Promise.all([
  import('./ui/controls.js'), import('./views/network/network.js'), import('./views/training/curves.js'), import('./ui/panels.js'),
  import('./ui/modules-ui.js'), import('./ui/inputs-ui.js'), import('./ui/health-ui.js'), import('./ui/swarm-ui.js'),
  import('./ui/model-file-ui.js'), import('./ui/run-file-ui.js'), import('./ui/replay-ui.js'), import('./ui/user-data-ui.js'), import('./ui/saved-runs-ui.js'),
  import('./ui/modes.js'), import('./ui/prediction-ui.js')]);

// Modes first: every panel added below is placed (and shown or hidden) by the current mode.
installModes(app, {tablist: $('modes'), seeing: $('seeing'), layout: $('layout'), swarm: $('swarm')});
const controls = createControls($('controls'), app, {transport: $('transport')});
let network = null;
let curves = null;
let architectureKey = null;
const networkPanel = addPanel({id: 'network', title: 'Network', view: () => network});
const curvesPanel = addPanel({id: 'curves', title: 'Loss and accuracy', view: () => curves});
installPrediction(app, {addPanel});
installInputs(app, {addPanel, provide, network: () => network});
installModules(app, {addPanel, network: () => network});
installHealth(app, {addPanel, provide, views: () => ({network, curves})});
installSwarm(app, {addPanel});
installModelFile(app, {controls: controls.files, networkPanel});
installRunFile(app, {controls: controls.files});
installReplay(app, {curvesPanel});
installUserData(app, {controls: $('controls')});
installSavedRuns(app, {button: $('saved-runs-button'), banner: $('saved-runs-banner')});

const CURVES_HEIGHT = 200;

function ensureViews(state) {
  const info = state.info;
  if (!info) return;
  const options = {imageShape: info.image_shape, classNames: info.class_names,
    probe: state.settings.probe, mode: state.settings.mode};
  const key = JSON.stringify([info.layer_sizes, info.image_shape, info.class_names]);
  if (!network) {
    network = createNetworkView(networkPanel.host, options);
    // Beside the network, loss and accuracy stacked still fit the first screen at 1280x720.
    curves = createCurvesView(curvesPanel.host, {height: CURVES_HEIGHT});
  } else if (key !== architectureKey) {
    network.setOptions(options);
  }
  architectureKey = key;
}

// Snapshots can arrive faster than the screen refreshes: draw only the newest, once per frame.
// While replaying, the network view draws the replayed step; the curves keep the live history.
let frameRequested = false;
let curvesDrawn = null;
function scheduleDraw() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    const state = app.store.get();
    if (!state.snapshot) return;
    ensureViews(state);
    network.update(state.replay && state.replay.active ? state.replay.snapshot : state.snapshot);
    if (curvesDrawn !== state.snapshot) curves.update(state.snapshot);
    curvesDrawn = state.snapshot;
  });
}

function renderChrome(state, changed) {
  controls.update(state);
  const loading = $('loading');
  if (state.status === 'loading') {
    const p = state.progress;
    const pct = Math.round(100 * (p ? p.fraction : 0));
    $('loading-label').textContent = p ? p.label + '…' : 'Starting the Python engine…';
    $('loading-fill').style.width = pct + '%';
    loading.setAttribute('aria-valuenow', String(pct));
    loading.hidden = false;
  } else {
    loading.hidden = true;
  }
  const statusText = {loading: 'Loading…', ready: 'Ready', training: 'Training', paused: 'Paused',
    diverged: 'Diverged', error: 'Engine error'}[state.status] || state.status;
  const snap = state.snapshot;
  $('status').textContent = snap && state.status !== 'loading'
    ? `${statusText} · step ${snap.step} · epoch ${snap.epoch.toFixed(2)}` : statusText;
  if (state.engineBusy) $('status').textContent += ` · Engine busy with ${state.engineBusy.op} for ${state.engineBusy.seconds} s…`;
  if (state.progress && state.progress.phase === 'packages' && state.progress.fraction < 1) {
    $('status').textContent += ` · ${state.progress.label}…`;
  }
  if (state.replay && state.replay.active) $('status').textContent += ` · showing step ${state.replay.step}`;
  $('status').dataset.status = state.status;
  if (state.runtime) {
    const r = state.runtime;
    $('runtime').textContent = `Pyodide ${r.pyodide} · Python ${r.python} · numpy ${r.numpy}` +
      (r.name === 'offline' ? ' (offline runtime)' : '');
    $('runtime').title = 'Runtime: ' + r.name + ' — ' + r.reason;
  }
  if (changed.includes('backend')) {
    const b = state.backend;
    const label = !b ? '' : b.name === 'numpy' ? 'Trains with numpy'
      : `Trains with onnxruntime-web ${b.name === 'webgpu' ? 'WebGPU' : 'wasm'} · ${b.threads} thread${b.threads === 1 ? '' : 's'}`;
    $('backend').textContent = label;
    $('backend').title = b && b.note ? b.note : 'Choose with #backend=auto|numpy|wasm|webgpu';
    $('backend-note').textContent = b && b.note && b.requested !== 'auto' ? b.note : '';
    $('backend-note').hidden = !(b && b.note && b.requested !== 'auto');
  }
  if (changed.includes('notes')) {
    const list = $('notes-list');
    list.replaceChildren(...state.notes.map((note) => Object.assign(document.createElement('li'), {textContent: note})));
    $('notes').hidden = state.notes.length === 0;
  }
  $('error').hidden = !state.error;
  $('error-text').textContent = state.error || '';
  $('error-restart').hidden = state.status !== 'error';
}

app.store.subscribe((state, changed) => {
  renderChrome(state, changed);
  if (changed.includes('settings') && network) {
    network.setOptions({probe: state.settings.probe, mode: state.settings.mode});
  }
  if (changed.includes('replay') && curves) {
    const replay = state.replay;
    curves.setOptions({cursor: replay && replay.active ? replay.step : null});
  }
  if (changed.includes('snapshot') || changed.includes('info') || changed.includes('replay')) scheduleDraw();
});
renderChrome(app.store.get(), ['notes']);

$('notes-dismiss').addEventListener('click', () => app.store.set({notes: []}));
$('error-restart').addEventListener('click', () => app.restartEngine().catch(() => {}));
window.addEventListener('hashchange', () => {
  // A pasted link: apply what differs; invalid values are reported the same way as on load.
  const {state, notes} = schema.parseHash(location.hash);
  if (notes.length) app.store.set({notes});
  app.configure(state).catch((error) => app.store.set({error: error.message}));
});
