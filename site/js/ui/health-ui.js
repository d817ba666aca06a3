// Training dynamics and health on the app page: the health source's panels (health + alerts,
// gradient flow per layer, distributions over time, update ratios, neuron raster, sparsity and
// pruning), alerts marked on the network view, forked runs overlaid on the loss curves, and the
// panels handed to window.glassbox (healthViews). The views' actions go to the source
// (app/sources/health.js), which window.glassbox's health members use too. Called once from main.js.
import { healthSourceFor, viewActions } from '../app/sources/health.js';
import { ensureHealthStyles } from '../app/mounts/health.js';
import { shortChanges } from '../state/health-runs.js';
import { createHealthPanel } from '../views/health/health-panel.js';
import { createLayerBars } from '../views/health/layer-bars.js';
import { createDistributions } from '../views/health/distributions.js';
import { createUpdateRatios } from '../views/health/update-ratios.js';
import { createRaster } from '../views/health/raster.js';
import { createPruningPanel } from '../views/health/pruning-panel.js';

const MARKED_KINDS = ['vanishing_gradients', 'exploding_gradients', 'dead_relu', 'saturation', 'diverged'];
const SHORT = { vanishing_gradients: 'vanishing', exploding_gradients: 'exploding', dead_relu: 'dead ReLUs',
  saturation: 'saturated', diverged: 'NaN/Inf' };
const HEAVY_MS = 300; // the raster and the heatmaps redraw at most this often while training

/** Network overlay for the main run's alerts: marks on named neurons (dead ReLUs 'dead' = grey hollow,
 *  the others 'alert' = dashed orange ring; network-legend.js draws and explains them), a badge per layer. */
export function alertOverlay(alerts, layerSizes) {
  const marks = layerSizes.map((n) => new Array(n).fill(null)), badges = layerSizes.map(() => null);
  for (const a of alerts.filter((x) => MARKED_KINDS.includes(x.kind))) {
    for (const c of a.columns || [a.layer]) {
      if (c < 0 || c >= layerSizes.length) continue;
      badges[c] = badges[c] ? `${badges[c]}, ${SHORT[a.kind]}` : `⚠ ${SHORT[a.kind]}`;
      const neurons = c === a.layer && a.neurons ? a.neurons : [];
      for (const k of neurons) if (k < layerSizes[c]) marks[c][k] = a.kind === 'dead_relu' ? 'dead' : 'alert';
    }
  }
  return { marks, badges };
}

/** Update `view` with data() when its panel is on screen (at most every `minMs`); otherwise when it scrolls in. */
export function lazily(view, element, data, minMs = 0) {
  let visible = true, dirty = false, lastAt = 0, timer = null;
  const run = () => { timer = null; dirty = false; lastAt = performance.now(); view.update(data()); };
  const request = () => {
    dirty = true;
    if (!visible || timer) return;
    const wait = Math.max(0, lastAt + minMs - performance.now());
    timer = setTimeout(run, wait);
  };
  if (typeof IntersectionObserver === 'function') {
    new IntersectionObserver((entries) => {
      visible = entries.some((e) => e.isIntersecting);
      if (visible && dirty) request();
    }, { rootMargin: '200px' }).observe(element);
  }
  return request;
}

export function installHealth(app, { addPanel, views, provide }) {
  ensureHealthStyles();
  const health = healthSourceFor(app);
  const data = () => health.viewData();
  const v = {};
  const barsPanel = addPanel({ id: 'gradflow', title: 'Gradient flow per layer', view: () => v.bars, before: 'curves' });
  const healthPanel = addPanel({ id: 'health', title: 'Health: alerts and fixes', view: () => v.panel, before: 'curves' });
  const distPanel = addPanel({ id: 'distributions', title: 'Distributions over time', view: () => v.distributions });
  const updatePanel = addPanel({ id: 'updates', title: 'Update ratio and settling per layer', view: () => v.updates });
  const rasterPanel = addPanel({ id: 'raster', title: 'Neurons × time', view: () => v.raster });
  const prunePanel = addPanel({ id: 'pruning', title: 'Sparsity and pruning', view: () => v.pruning });
  v.panel = createHealthPanel(healthPanel.host, viewActions(health));
  v.bars = createLayerBars(barsPanel.host);
  v.distributions = createDistributions(distPanel.host);
  v.updates = createUpdateRatios(updatePanel.host);
  v.raster = createRaster(rasterPanel.host, { onScrub: (scrub) => scrubOverlay(scrub) });
  v.pruning = createPruningPanel(prunePanel.host, viewActions(health));
  const refresh = [
    () => v.panel.update(data()), () => v.bars.update(data()), // small, and the alerts must show at once
    lazily(v.distributions, distPanel.panel, data, HEAVY_MS), lazily(v.updates, updatePanel.panel, data, HEAVY_MS),
    lazily(v.raster, rasterPanel.panel, data, HEAVY_MS), lazily(v.pruning, prunePanel.panel, data, HEAVY_MS),
  ];

  function network() { return views().network || null; }

  function scrubOverlay(scrub) {
    const net = network(), snap = app.snapshot();
    if (!net || !snap) return;
    if (!scrub || scrub.run !== 'main') { net.setOverlay('raster-scrub', null); return; }
    const fill = snap.layer_sizes.map((n, c) => (c === 0 || !scrub.values[c] ? null
      : Array.from({ length: n }, (_, k) => scrub.colorFor(scrub.values[c][k], scrub.scales[c]))));
    // The raster's own colours, so the network legend explains exactly these.
    const swatches = scrub.quantity === 'grad'
      ? [[scrub.colorFor(1e-4, 1), 'tiny'], [scrub.colorFor(1, 1), 'largest']].map(([c, l]) => [c, `|gradient| ${l}`])
      : [[scrub.colorFor(-1, 1), 'negative'], [scrub.colorFor(0, 1), 'zero'], [scrub.colorFor(1, 1), 'positive']];
    net.setOverlay('raster-scrub', { fill, legend: { swatches,
      title: `replayed from the raster: mean ${scrub.quantity === 'grad' ? '|gradient|' : 'activation'} at step ${scrub.step}` } });
  }

  let markedKey = '';
  const overlaid = new Map(); // run id -> number of summaries drawn
  function decorate() {
    const net = network(), snap = app.snapshot();
    const wanted = app.store.get().settings.grad_scale || 'layer';
    if (net && net.options.gradScale !== wanted) net.setOptions({ gradScale: wanted });
    const alerts = health.alerts('main');
    const key = JSON.stringify([snap?.layer_sizes, alerts.map((a) => [a.id, a.neurons])]);
    if (net && snap && key !== markedKey) {
      markedKey = key;
      net.setOverlay('health', alerts.length ? alertOverlay(alerts, snap.layer_sizes) : null);
    }
    const curves = views().curves;
    if (!curves) return;
    for (const [id, count] of overlaid) {
      if (!health.get(id)) { curves.setSeries(id, null); overlaid.delete(id); }
      else if (count < 0) overlaid.delete(id);
    }
    for (const run of health.list()) {
      if (run.id === 'main' || overlaid.get(run.id) === run.summaries.length) continue;
      overlaid.set(run.id, run.summaries.length);
      const points = run.summaries.map((s) => ({ step: s.step, train: { loss: s.train_loss, accuracy: s.train_accuracy },
        val: { loss: s.val_loss, accuracy: s.val_accuracy } }));
      curves.setSeries(run.id, points, { label: `${run.id}${run.changes ? ` (${shortChanges(run.changes)})` : ''}` });
    }
  }

  // Many snapshots can arrive per frame (one per run): redraw and re-mark once per frame.
  let frame = false;
  const redraw = () => { frame = false; for (const request of refresh) request(); decorate(); };
  health.subscribe(() => { if (!frame) { frame = true; nextFrame(redraw); } });
  app.store.subscribe((state, changed) => {
    if (changed.includes('settings')) decorate();
    // While the replay bar shows a past step, the network's legend says whose values it draws.
    if (changed.includes('replay')) {
      const r = state.replay;
      network()?.setOverlay('replay', r && r.active ? { note: `replay of step ${r.step} (training paused)` } : null);
    }
  });

  provide('health', { views: Object.assign(v, { network }) });
  return { health, views: v };
}

/** fn on the next animation frame, or soon when the page is hidden (frames stop there). */
export function nextFrame(fn) {
  if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(fn); else setTimeout(fn, 0);
}
