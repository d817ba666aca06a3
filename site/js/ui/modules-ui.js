// Functional modules on the page: the module map (with zoom into one module's neurons), the
// module detail (heatmaps, ablation and read-out metrics), a side-by-side comparison, alerts,
// and glassbox.modules(). Installed from main.js: installModules(app, {addPanel, network}).
//
// The data and its state live in the modules source (app/sources/modules.js, the store's
// `modules` slice); this file builds the panels, draws the slice into the views, wires user
// actions back to the source, and paints the modules onto the network view.
// Nothing is computed until the module panel has been on screen once (scikit-learn loads then).
import {createModuleControls} from './module-controls.js';
import {create as createModuleMap} from '../views/modules/module-map.js';
import {create as createModuleZoom} from '../views/modules/module-zoom.js';
import {create as createModuleDetail} from '../views/modules/module-detail.js';
import {create as createModuleCompare} from '../views/modules/module-compare.js';
import {moduleColor, METHOD_NAMES, fmt} from '../views/modules/module-common.js';
import {modulesSource, hiddenCount, THROTTLE} from '../app/sources/modules.js';

export function installModules(app, {addPanel, network} = {}) {
  const getNetwork = typeof network === 'function' ? network : () => network;
  const source = modulesSource(app);
  const mapPanel = addPanel({id: 'modules', title: 'Modules: groups of neurons that work together', view: () => (source.state().zoomed ? zoom : map)});
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
  const layerCount = () => hiddenCount(app.store.get().info);

  // The page's mode (settings.page, default 'train'). Without modes (no page key) every panel shows
  // at once and Explore inputs owns the network's colours and clicks; a zoomed module still shows.
  const inMode = () => settings().page === 'modules';
  const legacy = () => settings().page === undefined;

  // In Modules mode the network's neurons are filled with their module's hue (zoomed: only the
  // module's neurons, the rest grey), the legend names the hues, and a click zooms the module.
  function applyOverlay({result, selected, zoomed}) {
    const net = getNetwork();
    if (!net) return;
    net.setOverlay('modules-click', inMode() ? {click: 'zoom into its module'} : null);
    if (!result || !(inMode() || (legacy() && zoomed))) { net.setOverlay('modules', null); return; }
    const sizes = result.layer_sizes, fill = sizes.map(() => null), badges = sizes.map(() => null), shown = new Set();
    for (const entry of result.layers) {
      const ids = entry.neuron_module.data, zoomHere = zoomed && Array.prototype.includes.call(ids, selected);
      fill[entry.layer] = Array.from(ids, (id) => (!zoomed || id === selected ? moduleColor(id) : '#e2e8f0'));
      for (const id of ids) if (!zoomed || (zoomHere && id === selected)) shown.add(id);
      const alerts = result.alerts.filter((a) => a.layer === entry.layer).length;
      if (alerts) badges[entry.layer] = `${alerts} module alert${alerts > 1 ? 's' : ''}`;
    }
    const ids = [...shown].sort((a, b) => a - b);
    const swatches = ids.slice(0, 10).map((id) => [moduleColor(id), `M${id}`]);
    if (zoomed) swatches.push(['#e2e8f0', 'other modules']);
    net.setOverlay('modules', {fill, badges, legend: {swatches, title: zoomed
      ? `module M${selected} zoomed: its neurons in its hue, the other modules grey`
      : `fill hue = module${ids.length > 10 ? ` (${ids.length} modules; colours repeat after 10)` : ''}; unclustered layers keep their own colours`}});
  }

  // How distinct the modules are over training (mean silhouette per layer at each recomputation).
  function formingText(history) {
    if (history.length < 2) return '';
    const first = history[0], last = history[history.length - 1];
    const parts = last.silhouettes.map((s, i) => (s == null || first.silhouettes[i] == null ? null
      : `layer ${last.layers[i]} ${fmt(first.silhouettes[i])} → ${fmt(s)}`)).filter(Boolean);
    return parts.length ? ` · how distinct (silhouette) since step ${first.step}: ${parts.join(', ')}` : '';
  }

  function resultText(r, history) {
    const layers = r.layers.map((e) => `layer ${e.layer}: ${e.modules.length} modules` +
      (r.k === 'auto' && e.silhouette != null ? ` (silhouette ${fmt(e.silhouette)})` : '')).join(', ');
    return `${METHOD_NAMES[r.method]}, k ${r.k === 'auto' ? 'chosen by silhouette' : '= ' + r.k} · ${layers} · ` +
      `${r.probe.n} ${r.probe.split === 'val' ? 'validation' : 'training'} samples · step ${r.step} · ` +
      `computed in ${Math.round(r.timing_ms.total)} ms, during which training waits (round trip ${Math.round(r.wallMs)} ms; ` +
      `while training, the next recomputation waits at least ${THROTTLE}× as long)` + formingText(history);
  }

  function showStatus({status, result, history}) {
    if (status.kind === 'busy') {
      controls.setStatus(status.packagesLoaded ? 'Computing modules…' : 'Loading scikit-learn (first use only) and computing modules…', 'busy');
    } else if (status.kind === 'error') {
      controls.setStatus('Modules could not be computed: ' + status.message, 'error');
    } else if (status.kind === 'ready' && result) {
      controls.setStatus(resultText(result, history), '');
    } else {
      controls.setStatus('Modules are computed once this panel is on screen (scikit-learn loads on first use).', '');
    }
  }

  // Draw what changed: the views redraw from scratch, so skip those whose input is the same.
  let drawn = {};
  function render(state) {
    const {result, selected, zoomed, comparison} = state;
    mapHost.hidden = zoomed;  // first: text fitting measures only what is displayed
    zoomHost.hidden = !zoomed;
    if (drawn.result !== result || drawn.mapSelected !== (zoomed ? selected : null)) {
      map.update(result);
      map.select(zoomed ? selected : null);
    }
    if (zoomed && (drawn.result !== result || drawn.selected !== selected || !drawn.zoomed)) {
      zoom.update({result, id: selected, snapshot: app.snapshot()});
    }
    if (drawn.result !== result || drawn.selected !== selected) {
      detail.update({result, id: selected});
      controls.showAlerts(result?.alerts, (id) => source.select(id, true));
    }
    if (drawn.comparison !== comparison) compare.update(comparison);
    if (drawn.result !== result || drawn.selected !== selected || drawn.zoomed !== zoomed) applyOverlay(state);
    showStatus(state);
    drawn = {result, selected, zoomed, comparison, mapSelected: zoomed ? selected : null};
  }
  source.subscribe(render);

  map.on('select', (id) => source.select(id, true));
  zoom.on('back', () => { source.back(); mapHost.querySelector(`[data-module="${source.state().selected}"]`)?.focus(); });
  controls.onRecompute(() => source.recompute());
  controls.onEdges((options) => map.setOptions(options));

  let netHooked = null;
  function hookNetwork() {
    const net = getNetwork();
    if (!net || net === netHooked) return;
    netHooked = net;
    net.on('neuronclick', ({column, index}) => {
      if (!inMode()) return;
      const entry = source.state().result?.layers.find((e) => e.layer === column);
      if (entry) source.select(entry.neuron_module.data[index], true);
    });
    applyOverlay(source.state());
  }
  app.on('snapshot', hookNetwork);

  app.store.subscribe((state, changed) => {
    if (changed.includes('info') || changed.includes('settings')) controls.update(state.settings, layerCount());
    if (changed.includes('settings')) comparePanel.panel.hidden = state.settings.modules_vs === 'none';
    if (changed.includes('settings')) applyOverlay(source.state());
  });
  controls.update(settings(), layerCount());
  comparePanel.panel.hidden = settings().modules_vs === 'none';
  render(source.state());

  // Start computing the first time the panel is seen.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) { source.activate(); observer.disconnect(); }
  });
  observer.observe(mapPanel.panel);

  return source.view;
}
