// Neuron x time raster: one row per neuron (hidden and output layers), one column per snapshot,
// colour = the neuron's mean activation (or mean |gradient|) over the probe batch at that step.
// Rows sort by layer, by similarity of their histories (greedy nearest-neighbour chain on the
// correlation of z-scored series) or by when they settled (last step they moved by more than 5 %
// of their layer's largest value). A slider scrubs back to any snapshot; `onScrub` gets the
// values there (the page recolours the network view with them).
// View contract: update({run}) draws `run`'s summaries (a health run record, state/health-runs.js);
// options {quantity ('act' | 'grad'), sort ('layer' | 'similarity' | 'settled'), onScrub(scrub | null)}.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { addSelect, columnName, createTooltip, exporters, fmt, sizeStage, widthOf } from './health-common.js';

const MARGIN = { top: 30, right: 16, bottom: 40, left: 86 };
const SETTLE_TOLERANCE = 0.05;

/** Rows of the raster from a run's summaries: [{column, index, values: Float64Array(T)}], steps (T). */
export function rasterRows(items, quantity) {
  const key = quantity === 'grad' ? 'neuron_grad' : 'neuron_act';
  const L = items.length ? items[items.length - 1].layers.length : 0;
  const rows = [];
  for (let l = 0; l < L; l++) {
    const n = items[items.length - 1].layers[l][key].length;
    for (let k = 0; k < n; k++) {
      rows.push({ column: l + 1, index: k, values: Float64Array.from(items, (s) => (s.layers[l] && s.layers[l][key].length === n ? s.layers[l][key][k] : NaN)) });
    }
  }
  return { rows, steps: items.map((s) => s.step), L };
}

/** Per layer column: the largest finite |value| over all its neurons and snapshots. */
function layerScales(rows) {
  const scale = new Map();
  for (const r of rows) for (const v of r.values) if (Number.isFinite(v)) scale.set(r.column, Math.max(scale.get(r.column) || 0, Math.abs(v)));
  return scale;
}

/** Step from which the neuron stays within tol * its layer scale of its newest value. */
export function settleStep(values, steps, tol) {
  const last = values[values.length - 1];
  for (let t = values.length - 1; t >= 0; t--) if (!(Math.abs(values[t] - last) <= tol)) return steps[Math.min(t + 1, steps.length - 1)];
  return steps[0];
}

function similarityOrder(rows) {
  const z = rows.map((r) => {
    const v = Array.from(r.values, (x) => (Number.isFinite(x) ? x : 0)), m = d3.mean(v) || 0, s = d3.deviation(v) || 0;
    return s > 0 ? v.map((x) => (x - m) / s) : null;
  });
  const dist = (a, b) => (!z[a] || !z[b] ? (z[a] === z[b] ? 0 : 2) : 1 - d3.mean(z[a].map((x, t) => x * z[b][t])));
  const left = new Set(d3.range(rows.length));
  let current = d3.greatest([...left], (i) => d3.variance(rows[i].values) || 0) ?? 0;
  const order = [];
  while (left.size) {
    left.delete(current);
    order.push(current);
    let best = null, bestD = Infinity;
    for (const j of left) { const d = dist(current, j); if (d < bestD) { bestD = d; best = j; } }
    if (best == null) break;
    current = best;
  }
  return order;
}

export function createRaster(container, options = {}) {
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-raster');
  const bar = root.append('div').attr('class', 'gb-h-controls');
  let quantity = options.quantity || 'act', sort = options.sort || 'layer', onScrub = options.onScrub || (() => {});
  let scrub = null, shown = null, current = {};
  const quantitySelect = addSelect(bar, 'Colour', [['act', 'mean activation'], ['grad', 'mean |gradient| dL/da']], quantity, (v) => { quantity = v; update(); });
  const sortSelect = addSelect(bar, 'Sort neurons', [['layer', 'by layer'], ['similarity', 'by similarity'], ['settled', 'by when they settled']], sort, (v) => { sort = v; update(); });
  const scrubLabel = bar.append('label').attr('class', 'gb-h-field');
  scrubLabel.append('span').text('Step');
  const slider = scrubLabel.append('input').attr('type', 'range').attr('min', 0).attr('step', 1).attr('aria-label', 'scrub to snapshot');
  const readout = bar.append('span').attr('class', 'gb-h-readout');
  const stage = root.append('div').attr('class', 'gb-h-stage');
  const canvas = stage.append('canvas').attr('class', 'gb-h-canvas').attr('data-export-layer', 'under').node();
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Neurons × time raster: waiting for snapshots.').attr('class', 'gb-h-svg');
  const caption = root.append('p').attr('class', 'gb-h-caption');
  const tip = createTooltip(root);
  let steps = [];
  slider.on('input', (event) => { const i = Number(event.target.value); scrub = i >= steps.length - 1 ? null : steps[i]; update(); });

  function colorFor(v, scale) {
    if (!Number.isFinite(v)) return '#d1d5db';
    if (quantity === 'grad') {
      const level = v > 0 && scale > 0 ? Math.max(0, 1 + Math.log10(v / scale) / 4) : 0; // 4 decades below the layer max
      return d3.interpolateGreens(0.04 + 0.96 * level);
    }
    return d3.interpolatePuOr(0.5 - 0.5 * (scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0)); // PuOr runs orange -> purple
  }

  function update(data = current) {
    current = data || {};
    const run = current.run;
    const items = run ? run.summaries : [];
    const built = rasterRows(items, quantity), rows = built.rows, L = built.L;
    steps = built.steps;
    const scales = layerScales(rows);
    const settled = rows.map((r) => settleStep(r.values, steps, SETTLE_TOLERANCE * (scales.get(r.column) || 0)));
    let order = d3.range(rows.length);
    if (sort === 'similarity') order = similarityOrder(rows);
    else if (sort === 'settled') order = d3.sort(order, (i) => settled[i], (i) => i);
    const T = steps.length, latest = Math.max(0, T - 1);
    const at = scrub == null ? latest : Math.max(0, d3.bisectRight(steps, scrub) - 1);
    slider.attr('max', latest).property('value', at);
    const live = at === latest;
    readout.text(T ? `${live ? 'newest' : 'showing'} step ${steps[at]}${live ? '' : ' (network view shows this step)'}` : '');
    shown = { run: run?.id, quantity, sort, steps, at, neurons: order.map((i) => ({ column: rows[i].column, index: rows[i].index, settled: settled[i] })),
      values: order.map((i) => Array.from(rows[i].values)) };
    const width = widthOf(container), rowH = rows.length ? Math.max(1, Math.min(10, 420 / rows.length)) : 10;
    const innerW = width - MARGIN.left - MARGIN.right, innerH = Math.max(40, rows.length * rowH), height = innerH + MARGIN.top + MARGIN.bottom;
    const ctx = sizeStage({ svg, stage, canvas }, width, height);
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 8).attr('y', 18)
      .text(`Neurons × time · ${quantity === 'grad' ? 'mean |gradient|' : 'mean activation'} · ${run ? run.label : ''}`);
    if (!T) { caption.text('Waiting for snapshots…'); return; }
    const x = d3.scaleLinear().domain([steps[0], Math.max(steps[0] + 1, steps[latest])]).range([0, innerW]);
    order.forEach((i, rowIndex) => {
      const r = rows[i], scale = scales.get(r.column) || 0;
      for (let t = 0; t < T; t++) {
        const left = x(steps[t]), right = t + 1 < T ? x(steps[t + 1]) : innerW;
        ctx.fillStyle = colorFor(r.values[t], scale);
        ctx.fillRect(MARGIN.left + left, MARGIN.top + rowIndex * rowH, Math.max(1, right - left + 0.5), rowH + 0.3);
      }
    });
    const g = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(6, '~s'));
    g.append('text').attr('class', 'gb-axis-label').attr('x', innerW).attr('y', innerH + 34).attr('text-anchor', 'end').text('step');
    if (sort === 'layer') {
      let start = 0;
      for (let c = 1; c <= L; c++) {
        const n = rows.filter((r) => r.column === c).length;
        g.append('line').attr('class', 'gb-h-sep').attr('x1', -80).attr('x2', innerW).attr('y1', start * rowH).attr('y2', start * rowH);
        g.append('text').attr('class', 'gb-legend-small').attr('x', -6).attr('y', (start + n / 2) * rowH).attr('text-anchor', 'end')
          .attr('dominant-baseline', 'middle').text(`${columnName(c, L)} (${n})`);
        start += n;
      }
    } else g.append('text').attr('class', 'gb-legend-small').attr('x', -6).attr('y', innerH / 2).attr('text-anchor', 'end').text(`${rows.length} neurons`);
    g.append('line').attr('class', 'gb-h-cursor').attr('x1', x(steps[at])).attr('x2', x(steps[at])).attr('y1', -4).attr('y2', innerH + 4);
    g.append('rect').attr('width', innerW).attr('height', innerH).attr('fill', 'transparent').on('pointermove', (event) => {
      const [px, py] = d3.pointer(event), [tx, ty] = d3.pointer(event, root.node());
      const t = Math.max(0, d3.bisectRight(steps, x.invert(px)) - 1), rowIndex = Math.min(order.length - 1, Math.floor(py / rowH));
      const r = rows[order[rowIndex]];
      tip.show([`${columnName(r.column, L)} · neuron ${r.index}`, `step ${steps[t]}: ${quantity === 'grad' ? 'mean |dL/da|' : 'mean activation'} ${fmt(r.values[t])}`,
        `settled since step ${settled[order[rowIndex]]}`], tx, ty);
    }).on('pointerleave', () => tip.hide());
    caption.text(quantity === 'grad'
      ? 'Green = mean |gradient| on a log scale per layer (4 decades below the layer\'s largest); grey = NaN.'
      : 'Purple = positive, orange = negative mean activation, relative to each layer\'s largest |value|; grey = NaN.');
    svg.attr('aria-label', `Raster of ${rows.length} neurons over ${T} snapshots, sorted ${sort}.`);
    const values = {};
    for (const r of rows) (values[r.column] ||= [])[r.index] = r.values[at];
    onScrub(live ? null : { step: steps[at], run: run.id, quantity, values, scales: Object.fromEntries(scales), colorFor });
  }

  return {
    describe: () => labelOf(container, 'Neurons × time raster: waiting for snapshots.'),
    update,
    /** What is drawn (for tests): {run, quantity, sort, steps, at, neurons: [{column, index, settled}], values}. */
    data: () => shown,
    /** Show the snapshot at `step` (null = follow the newest). */
    setScrub(step) { scrub = step; update(); },
    /** {quantity, sort, onScrub} (any of them). */
    setOptions(next = {}) {
      if (next.quantity) quantity = quantitySelect.value = next.quantity;
      if (next.sort) sort = sortSelect.value = next.sort;
      if (next.onScrub) onScrub = next.onScrub;
      update();
    },
    destroy() { onScrub(null); root.remove(); },
    ...exporters(stage.node(), 'raster'),
    get element() { return root.node(); },
  };
}
export const create = createRaster;
