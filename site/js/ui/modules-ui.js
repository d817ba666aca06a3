// Functional modules on the page: the module map (with zoom into one module's neurons), the
// module detail (heatmaps, ablation and read-out metrics), a side-by-side comparison, alerts,
// and glassbox.modules(). Installed from main.js: installModules(app, {addPanel, network}).
//
// Continuous recomputation: while training, every `modules_every` snapshots the page asks the
// engine for a fresh decomposition. The worker answers requests between training chunks, so a
// recomputation pauses training for as long as it runs (shown in the panel, measured in tests).
// Nothing is computed until the module panel has been on screen once (scikit-learn loads then).
import {createModuleControls} from './module-controls.js';
import {createModuleMap} from '../views/modules/module-map.js';
import {createModuleZoom} from '../views/modules/module-zoom.js';
import {createModuleDetail} from '../views/modules/module-detail.js';
import {createModuleCompare} from '../views/modules/module-compare.js';
import {moduleColor, METHOD_NAMES, fmt} from '../views/modules/module-common.js';

const PACKAGES = ['scikit-learn'];
const THROTTLE = 3;

export function installModules(app, {addPanel, network, provide} = {}) {
  const getNetwork = typeof network === 'function' ? network : () => network;
  const css = Object.assign(document.createElement('link'), {rel: 'stylesheet', href: new URL('../../css/modules.css', import.meta.url).href});
  document.head.append(css);

  let result = null, compareResult = null, selected = null, zoomed = false, active = false;
  let busy = false, again = false, sinceLast = 0, lastKey = null, packagesLoaded = false, nextAllowedAt = 0;
  const mapPanel = addPanel({id: 'modules', title: 'Modules: groups of neurons that work together', view: () => (zoomed ? zoom : map)});
  const detailPanel = addPanel({id: 'module-detail', title: 'Module detail: what drives it, does it matter', view: () => detail});
  const comparePanel = addPanel({id: 'module-compare', title: 'Compare two decompositions', view: () => compare});
  const controls = createModuleControls(mapPanel.host, app);
  const mapHost = document.createElement('div'), zoomHost = document.createElement('div');
  mapPanel.host.append(mapHost, zoomHost, controls.alertsBox);
  const map = createModuleMap(mapHost);
  const zoom = createModuleZoom(zoomHost);
  const detail = createModuleDetail(detailPanel.host);
  const compare = createModuleCompare(comparePanel.host);
  zoomHost.hidden = true;

  const settings = () => app.store.get().settings;
  const hiddenCount = () => Math.max(0, (app.store.get().info?.layer_sizes?.length ?? 2) - 2);
  const layerArg = (s) => (s.modules_layer === 'all' || Number(s.modules_layer) > hiddenCount() ? undefined : Number(s.modules_layer));
  const kArg = (k) => (k === 'auto' ? 'auto' : Number(k));

  /** Engine calls go through the page's one scheduler (the first one loads scikit-learn). */
  const enqueue = (op, args) => app.request(op, {...args, packages: PACKAGES});

  function applyOverlay() {
    const net = getNetwork();
    if (!net) return;
    if (!result) { net.setOverlay('modules', null); return; }
    const sizes = result.layer_sizes, fill = sizes.map(() => null), stroke = sizes.map(() => null), badges = sizes.map(() => null);
    for (const entry of result.layers) {
      const ids = entry.neuron_module.data;
      stroke[entry.layer] = Array.from(ids, (id) => moduleColor(id));
      // Zoomed: the module's neurons in its colour, the rest of that layer greyed out.
      if (zoomed && Array.prototype.includes.call(ids, selected)) fill[entry.layer] = Array.from(ids, (id) => (id === selected ? moduleColor(id) : '#e2e8f0'));
      const alerts = result.alerts.filter((a) => a.layer === entry.layer).length;
      if (alerts) badges[entry.layer] = `${alerts} module alert${alerts > 1 ? 's' : ''}`;
    }
    net.setOverlay('modules', {fill, stroke, badges});
  }

  function render() {
    mapHost.hidden = zoomed;  // first: text fitting measures only what is displayed
    zoomHost.hidden = !zoomed;
    map.update(result);
    map.select(zoomed ? selected : null);
    if (zoomed) zoom.show(result, selected, app.snapshot());
    detail.show(result, selected);
    controls.showAlerts(result?.alerts, (id) => select(id, true));
    applyOverlay();
  }

  function select(id, zoomIn = true) {
    selected = id;
    zoomed = zoomIn && id != null;
    render();
  }

  // How distinct the modules are over training (mean silhouette per layer at each recomputation).
  let history = [];
  function formingText() {
    if (history.length < 2) return '';
    const first = history[0], last = history[history.length - 1];
    const parts = last.silhouettes.map((s, i) => (s == null || first.silhouettes[i] == null ? null
      : `layer ${last.layers[i]} ${fmt(first.silhouettes[i])} → ${fmt(s)}`)).filter(Boolean);
    return parts.length ? ` · how distinct (silhouette) since step ${first.step}: ${parts.join(', ')}` : '';
  }

  function statusText(r, wallMs) {
    const layers = r.layers.map((e) => `layer ${e.layer}: ${e.modules.length} modules` +
      (r.k === 'auto' && e.silhouette != null ? ` (silhouette ${fmt(e.silhouette)})` : '')).join(', ');
    return `${METHOD_NAMES[r.method]}, k ${r.k === 'auto' ? 'chosen by silhouette' : '= ' + r.k} · ${layers} · ` +
      `${r.probe.n} ${r.probe.split === 'val' ? 'validation' : 'training'} samples · step ${r.step} · ` +
      `computed in ${Math.round(r.timing_ms.total)} ms, during which training waits (round trip ${Math.round(wallMs)} ms; ` +
      `while training, the next recomputation waits at least ${THROTTLE}× as long)` + formingText();
  }

  async function recompute() {
    if (!active || !app.store.get().info) return;
    if (busy) { again = true; return; }
    busy = true;
    const s = settings();
    controls.setStatus(packagesLoaded ? 'Computing modules…' : 'Loading scikit-learn (first use only) and computing modules…', 'busy');
    const started = performance.now();
    try {
      const args = {layer: layerArg(s), method: s.modules_method, k: kArg(s.modules_k), similarity: s.modules_similarity,
        split: s.modules_split, n: s.modules_n};
      const next = await enqueue('modules', args);
      packagesLoaded = true;
      const wall = performance.now() - started;
      if (JSON.stringify(next.layer_sizes) !== JSON.stringify(app.store.get().info?.layer_sizes)) return;  // stale
      result = next;
      result.wallMs = wall;
      nextAllowedAt = performance.now() + THROTTLE * result.timing_ms.total;
      const layersKey = result.layers.map((e) => e.layer);
      if (history.length && (JSON.stringify(history[0].layers) !== JSON.stringify(layersKey) || result.step < history[history.length - 1].step ||
          history[0].key !== settingsKey)) history = [];
      history.push({step: result.step, layers: layersKey, key: settingsKey, silhouettes: result.layers.map((e) => e.silhouette)});
      if (!result.modules.some((m) => m.id === selected)) { selected = result.modules[0]?.id ?? null; if (selected == null) zoomed = false; }
      controls.setStatus(statusText(result, wall), '');
      render();
      if (s.modules_vs !== 'none') {
        const layer = args.layer ?? result.layers[0].layer;
        compareResult = await enqueue('modules_compare', {layer, split: s.modules_split, n: s.modules_n,
          a: {method: s.modules_method, k: kArg(s.modules_k), similarity: s.modules_similarity},
          b: {method: s.modules_vs, k: kArg(s.modules_vs_k), similarity: s.modules_similarity}});
        compare.update(compareResult);
      }
    } catch (error) {
      controls.setStatus('Modules could not be computed: ' + String(error.message || error), 'error');
    } finally {
      busy = false;
      sinceLast = 0;
      if (again) { again = false; recompute(); }
    }
  }

  map.on('select', (id) => select(id, true));
  zoom.on('back', () => { zoomed = false; render(); mapHost.querySelector(`[data-module="${selected}"]`)?.focus(); });
  controls.onRecompute(() => { active = true; recompute(); });
  controls.onEdges((options) => map.setOptions(options));

  let netHooked = null;
  function hookNetwork() {
    const net = getNetwork();
    if (!net || net === netHooked) return;
    netHooked = net;
    net.on('neuronclick', ({column, index}) => {
      const entry = result?.layers.find((e) => e.layer === column);
      if (entry) select(entry.neuron_module.data[index], true);
    });
    applyOverlay();
  }

  app.on('snapshot', () => {
    hookNetwork();
    const s = settings();
    // Every K snapshots, but never more than a quarter of the time: after a recomputation that
    // held the worker for c ms, the next waits at least THROTTLE * c ms of training.
    if (app.store.get().status === 'training' && s.modules_every > 0 && ++sinceLast >= s.modules_every &&
        performance.now() >= nextAllowedAt) recompute();
  });
  app.on('status', (status) => { if (status === 'paused' && sinceLast > 0 && settings().modules_every > 0) recompute(); });
  const moduleSettingsKey = (s) => JSON.stringify(Object.entries(s).filter(([k]) => k.startsWith('modules_') && k !== 'modules_every'));
  let settingsKey = moduleSettingsKey(settings());
  app.store.subscribe((state, changed) => {
    if (changed.includes('info')) {  // a rebuilt model (new architecture, or reset): fresh modules
      const archKey = JSON.stringify(state.info?.layer_sizes ?? null);
      if (archKey !== lastKey) {
        lastKey = archKey;
        result = null; compareResult = null; selected = null; zoomed = false; history = [];
        render();
        compare.update(null);
      }
      controls.update(state.settings, hiddenCount());
      recompute();
    }
    if (changed.includes('settings')) {
      controls.update(state.settings, hiddenCount());
      comparePanel.panel.hidden = state.settings.modules_vs === 'none';
      const key = moduleSettingsKey(state.settings);
      if (key !== settingsKey) { settingsKey = key; recompute(); }
    }
  });
  controls.update(settings(), hiddenCount());
  comparePanel.panel.hidden = settings().modules_vs === 'none';
  controls.setStatus('Modules are computed once this panel is on screen (scikit-learn loads on first use).', '');

  // Start computing the first time the panel is seen.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && !active) { active = true; app.ready.then(recompute, () => {}); }
  });
  observer.observe(mapPanel.panel);

  const view = {
    get result() { return result; }, get selected() { return selected; }, get zoomed() { return zoomed; },
    select: (id) => select(id, true), back: () => { zoomed = false; render(); },
    recompute: () => { active = true; return recompute(); },
  };
  provide('modules', {
    /** glassbox.modules({layer, method, k, similarity, split, n, metrics, heatmaps}): the engine's
     *  'modules' result: modules ranked by gradient significance, each with id, layer, members,
     *  scores and metrics. `layer` indexes state().layers (0 = input). */
    modules(options = {}) {
      const allowed = ['layer', 'method', 'k', 'similarity', 'split', 'n', 'metrics', 'heatmaps'];
      const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
      if (unknown.length) throw new Error(`glassbox.modules: unknown option(s) ${unknown.join(', ')}; use ${allowed.join(', ')}`);
      return enqueue('modules', Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
    },
    /** glassbox.compareModules({layer, a: {method, k}, b: {method, k}}): adjusted Rand index and contingency. */
    compareModules: (options = {}) => enqueue('modules_compare', options),
    /** The module panel's state, for course pages and tests: {result, selected, zoomed} and actions. */
    view,
  });
  return view;
}
