// The modules data source: asks the engine for functional modules (groups of hidden neurons)
// and keeps the answer in ONE slice of the one store, `modules`:
//
//   {result,      the engine's latest 'modules' answer for the panel's settings (plus wallMs), or null
//    comparison,  the latest 'modules_compare' answer, or null
//    selected,    id of the module the views show in detail / zoom (null: none)
//    zoomed,      true while the map is zoomed into `selected`
//    history,     [{step, layers, key, silhouettes}]: how distinct the modules were at each recomputation
//    busy,        true while a recomputation is queued or running
//    status,      {kind: 'idle' | 'busy' | 'ready' | 'error', message, packagesLoaded}
//    active}      true once someone looked at a module view (nothing is computed before)
//
// Built from the public app object alone (window.glassbox): its scheduler, store and events.
// One source per app (modulesSource(app)), so the page's panels and views mounted alone on a
// course page share one decomposition and one selection.
//
// Cadence (unchanged from the panel it came from): nothing is computed until a view was on
// screen or someone asked; then once per model, on every change of a modules_* setting, and while
// training every `modules_every` snapshots -- but after a recomputation that held the worker for
// c ms, the next waits at least THROTTLE * c ms (training pauses while the worker computes).

const PACKAGES = ['scikit-learn'];   // the engine loads it before the first modules call
const THROTTLE = 3;
const PANEL_KEY = 'modules:panel';   // the scheduler key of the recomputations (busy state)
const OPTIONS = ['layer', 'method', 'k', 'similarity', 'split', 'n', 'metrics', 'heatmaps'];

export const EMPTY_MODULES = Object.freeze({result: null, comparison: null, selected: null, zoomed: false,
  history: [], busy: false, status: {kind: 'idle', message: '', packagesLoaded: false}, active: false});

const sources = new WeakMap();

/** The one modules source of `app` (window.glassbox), created on first use. */
export function modulesSource(app) {
  if (!sources.has(app)) sources.set(app, createModulesSource(app));
  return sources.get(app);
}

const hiddenCount = (info) => Math.max(0, (info?.layer_sizes?.length ?? 2) - 2);
const kArg = (k) => (k === 'auto' ? 'auto' : Number(k));
const layerArg = (s, info) => (s.modules_layer === 'all' || Number(s.modules_layer) > hiddenCount(info) ? undefined : Number(s.modules_layer));
/** The modules_* settings that change a decomposition (the cadence does not). */
const settingsKey = (s) => JSON.stringify(Object.entries(s).filter(([k]) => k.startsWith('modules_') && k !== 'modules_every'));

function createModulesSource(app) {
  const store = app.store;
  const slice = () => store.get().modules || EMPTY_MODULES;
  const patch = (partial) => store.set({modules: {...slice(), ...partial}});
  const settings = () => store.get().settings;
  let running = false, again = false, sinceLast = 0, nextAllowedAt = 0, compareWanted = 0;
  let architecture = JSON.stringify(store.get().info?.layer_sizes ?? null);
  let decompositionKey = settingsKey(settings());

  /** Engine calls of the panel go through the one scheduler; the first loads scikit-learn. */
  async function ask(op, args, key = null) {
    await app.ready;
    return app.scheduler.request(op, {...args, packages: PACKAGES}, {key});
  }

  /** The comparison to draw: the modules_vs setting, or (when a comparison view is mounted
   *  and the setting is 'none') the first other algorithm, so that view has something to show. */
  function comparisonSpec(s) {
    if (s.modules_vs !== 'none') return {method: s.modules_vs, k: kArg(s.modules_vs_k)};
    if (!compareWanted) return null;
    const other = app.tables.modules.methods.find((m) => m !== s.modules_method);
    return {method: other, k: kArg(s.modules_vs_k)};
  }

  async function recompute() {
    const info = store.get().info;
    if (!slice().active || !info) return;
    if (running) { again = true; return; }
    running = true;
    const s = settings();
    patch({busy: true, status: {...slice().status, kind: 'busy', message: ''}});
    const started = performance.now();
    try {
      const args = {layer: layerArg(s, info), method: s.modules_method, k: kArg(s.modules_k),
        similarity: s.modules_similarity, split: s.modules_split, n: s.modules_n};
      const next = await ask('modules', args, PANEL_KEY);
      const wallMs = performance.now() - started;
      if (JSON.stringify(next.layer_sizes) !== JSON.stringify(store.get().info?.layer_sizes)) return;  // stale
      next.wallMs = wallMs;
      nextAllowedAt = performance.now() + THROTTLE * next.timing_ms.total;
      patch({result: next, history: extendHistory(slice().history, next), ...keepSelection(next),
        status: {kind: 'ready', message: '', packagesLoaded: true}});
      const spec = comparisonSpec(s);
      if (spec) {
        const comparison = await ask('modules_compare', {layer: args.layer ?? next.layers[0].layer, split: s.modules_split,
          n: s.modules_n, a: {method: s.modules_method, k: kArg(s.modules_k), similarity: s.modules_similarity},
          b: {...spec, similarity: s.modules_similarity}}, PANEL_KEY);
        patch({comparison});
      }
    } catch (error) {
      patch({status: {...slice().status, kind: 'error', message: String(error.message || error)}});
    } finally {
      running = false;
      sinceLast = 0;
      patch({busy: again});
      if (again) { again = false; recompute(); }
    }
  }

  /** The silhouette history restarts when the layers, the settings or the step go back. */
  function extendHistory(history, result) {
    const layers = result.layers.map((e) => e.layer);
    const last = history[history.length - 1];
    const fresh = !history.length || JSON.stringify(history[0].layers) !== JSON.stringify(layers) ||
      result.step < last.step || history[0].key !== decompositionKey;
    return [...(fresh ? [] : history), {step: result.step, layers, key: decompositionKey, silhouettes: result.layers.map((e) => e.silhouette)}];
  }

  /** Keep the selected module while its id survives; else select the top-ranked one. */
  function keepSelection(result) {
    const {selected, zoomed} = slice();
    if (result.modules.some((m) => m.id === selected)) return {selected, zoomed};
    const top = result.modules[0]?.id ?? null;
    return {selected: top, zoomed: top != null && zoomed};
  }

  app.on('snapshot', () => {
    const s = settings();
    if (store.get().status === 'training' && s.modules_every > 0 && ++sinceLast >= s.modules_every &&
        performance.now() >= nextAllowedAt) recompute();
  });
  app.on('status', (status) => { if (status === 'paused' && sinceLast > 0 && settings().modules_every > 0) recompute(); });
  store.subscribe((state, changed) => {
    if (changed.includes('info')) {  // a rebuilt model (new architecture, or reset): fresh modules
      const key = JSON.stringify(state.info?.layer_sizes ?? null);
      if (key !== architecture) {
        architecture = key;
        patch({result: null, comparison: null, selected: null, zoomed: false, history: []});
      }
      recompute();
    }
    if (changed.includes('settings')) {
      const key = settingsKey(state.settings);
      if (key !== decompositionKey) { decompositionKey = key; recompute(); }
    }
  });

  const source = {
    /** The store slice (EMPTY_MODULES until the first change). */
    state: slice,
    /** fn(slice) on every change of the slice; returns the unsubscribe function. */
    subscribe: (fn) => store.subscribe((state, changed) => { if (changed.includes('modules')) fn(slice()); }),
    /** Start computing (a view is on screen, or someone asked): once per model, then on cadence. */
    activate() {
      if (slice().active) return Promise.resolve();
      patch({active: true});
      return app.ready.then(recompute, () => {});
    },
    /** Recompute now (by hand): activates too. */
    recompute() { if (!slice().active) patch({active: true}); return recompute(); },
    /** A comparison view is mounted: compare even when modules_vs is 'none'. Returns its release. */
    wantComparison() {
      compareWanted++;
      if (!slice().comparison) recompute();
      return () => { compareWanted--; };
    },
    select(id, zoomIn = true) { patch({selected: id, zoomed: zoomIn && id != null}); },
    back() { patch({zoomed: false}); },
    /** glassbox.modules({layer, method, k, similarity, split, n, metrics, heatmaps}): the engine's
     *  'modules' result, modules ranked by gradient significance. `layer` indexes state().layers. */
    async modules(options = {}) {
      const unknown = Object.keys(options).filter((key) => !OPTIONS.includes(key));
      if (unknown.length) throw new Error(`glassbox.modules: unknown option(s) ${unknown.join(', ')}; use ${OPTIONS.join(', ')}`);
      return ask('modules', Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
    },
    /** glassbox.compareModules({layer, a: {method, k}, b: {method, k}}): adjusted Rand index and contingency. */
    compareModules: (options = {}) => ask('modules_compare', options),
  };
  /** glassbox.moduleView: the module panel's state and actions, for course pages and tests. */
  source.view = {
    get result() { return slice().result; }, get selected() { return slice().selected; }, get zoomed() { return slice().zoomed; },
    select: (id) => source.select(id, true), back: () => source.back(), recompute: () => source.recompute(),
  };
  return source;
}

export {hiddenCount, PACKAGES, THROTTLE};
