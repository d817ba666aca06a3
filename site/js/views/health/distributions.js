// Distributions over time (TensorBoard style) for one layer: its weights, biases, activations
// (probe batch) or weight gradients, as a step x value heatmap or as a ridge plot. Each snapshot
// contributes the engine's fixed-bin histogram (history.py: 24 equal bins between that
// snapshot's min and max). The heatmap re-bins those onto a shared value axis assuming values
// spread evenly inside a bin; the ridge plot draws each histogram exactly.
// View contract: update({run}) draws `run`'s summaries (a health run record, state/health-runs.js);
// options {layer (0 = first Dense layer), quantity ('W' | 'b' | 'act' | 'grad'), mode ('heatmap' | 'ridge')}.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { addSelect, setOptions as setSelectOptions, columnName, createTooltip, exporters, fmt, sizeStage, widthOf } from './health-common.js';

const QUANTITIES = [['W', 'weights W'], ['b', 'biases b'], ['act', 'activations (probe batch)'], ['grad', 'weight gradients dL/dW']];
const ROWS = 48, MAX_RIDGES = 18;
const MARGIN = { top: 34, right: 20, bottom: 48, left: 70 };

/** Share of a histogram's entries in each of `rows` equal rows over [y0, y1] (uniform within a bin). */
export function rebin(hist, y0, y1, rows = ROWS) {
  const out = new Float64Array(rows), B = hist.counts.length, w = (hist.hi - hist.lo) / B, rowH = (y1 - y0) / rows;
  let total = 0;
  for (let b = 0; b < B; b++) total += hist.counts[b];
  if (!total || !(w > 0) || !(rowH > 0)) return out;
  for (let b = 0; b < B; b++) {
    const c = hist.counts[b];
    if (!c) continue;
    const a0 = hist.lo + b * w, a1 = a0 + w;
    const r0 = Math.max(0, Math.floor((a0 - y0) / rowH)), r1 = Math.min(rows - 1, Math.floor((a1 - y0) / rowH));
    for (let r = r0; r <= r1; r++) {
      const overlap = Math.min(a1, y0 + (r + 1) * rowH) - Math.max(a0, y0 + r * rowH);
      if (overlap > 0) out[r] += (c * overlap) / w / total;
    }
  }
  return out;
}

export function createDistributions(container, options = {}) {
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-distributions');
  const bar = root.append('div').attr('class', 'gb-h-controls');
  let layer = options.layer ?? 0, quantity = options.quantity || 'W', mode = options.mode || 'heatmap';
  let shown = null, current = {};
  const layerSelect = addSelect(bar, 'Layer', [['0', 'hidden 1']], '0', (v) => { layer = Number(v); update(); });
  const quantitySelect = addSelect(bar, 'Values', QUANTITIES, quantity, (v) => { quantity = v; update(); });
  const modeSelect = addSelect(bar, 'Drawing', [['heatmap', 'step × value heatmap'], ['ridge', 'ridge plot']], mode, (v) => { mode = v; update(); });
  const stage = root.append('div').attr('class', 'gb-h-stage');
  const canvas = stage.append('canvas').attr('class', 'gb-h-canvas').attr('data-export-layer', 'under').node();
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Distributions over time: waiting for snapshots.').attr('class', 'gb-h-svg');
  const caption = root.append('p').attr('class', 'gb-h-caption');
  const tip = createTooltip(root);

  function update(data = current) {
    current = data || {};
    const run = current.run;
    const items = run ? run.summaries : [];
    const L = items.length ? items[items.length - 1].layers.length : 0;
    setSelectOptions(layerSelect, d3.range(L).map((l) => [String(l), columnName(l + 1, L)]), String(Math.min(layer, Math.max(0, L - 1))));
    layer = Math.min(layer, Math.max(0, L - 1));
    const series = items.filter((s) => s.layers[layer]).map((s) => ({ step: s.step, hist: s.layers[layer].hist[quantity] }));
    shown = { run: run?.id, layer, quantity, mode, steps: series.map((d) => d.step), hist: series.map((d) => d.hist) };
    const width = widthOf(container), height = mode === 'ridge' ? 380 : 300;
    const ctx = sizeStage({ svg, stage, canvas }, width, height);
    const what = QUANTITIES.find(([k]) => k === quantity)[1];
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 8).attr('y', 20)
      .text(`${what} · ${columnName(layer + 1, L)} · ${run ? run.label : ''}`);
    const finite = series.filter((d) => d.hist && d.hist.counts.length && Number.isFinite(d.hist.lo) && Number.isFinite(d.hist.hi) && d.hist.hi > d.hist.lo);
    if (!finite.length) { caption.text('Waiting for snapshots…'); return; }
    const y0 = d3.min(finite, (d) => d.hist.lo), y1 = d3.max(finite, (d) => d.hist.hi);
    const innerW = width - MARGIN.left - MARGIN.right, innerH = height - MARGIN.top - MARGIN.bottom;
    const g = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);
    const last = finite[finite.length - 1].hist;
    if (mode === 'heatmap') drawHeatmap(ctx, g, finite, y0, y1, innerW, innerH);
    else drawRidges(g, finite, y0, y1, innerW, innerH);
    caption.text(`Newest (step ${finite[finite.length - 1].step}): mean ${fmt(last.mean)}, std ${fmt(last.std)}, ` +
      `range ${fmt(last.lo)} to ${fmt(last.hi)}${last.nonfinite ? `, ${last.nonfinite} NaN/Inf` : ''}. ` +
      (mode === 'heatmap' ? 'Each column is one snapshot; darker = a larger share of the values (per column).'
        : 'Each ridge is one snapshot\'s histogram (oldest at the top); height = share of values.'));
    svg.attr('aria-label', `Distribution of ${what} in ${columnName(layer + 1, L)} over ${finite.length} snapshots.`);
  }

  function drawHeatmap(ctx, g, series, y0, y1, innerW, innerH) {
    const x = d3.scaleLinear().domain([series[0].step, Math.max(series[0].step + 1, series[series.length - 1].step)]).range([0, innerW]);
    const y = d3.scaleLinear().domain([y0, y1]).range([innerH, 0]);
    const columns = series.map((d) => rebin(d.hist, y0, y1));
    const rowH = innerH / ROWS;
    series.forEach((d, i) => {
      const left = x(d.step), right = i + 1 < series.length ? x(series[i + 1].step) : innerW;
      const col = columns[i], top = d3.max(col) || 1;
      for (let r = 0; r < ROWS; r++) {
        if (!(col[r] > 0)) continue; // empty: the white background
        ctx.fillStyle = d3.interpolateBlues(0.12 + 0.88 * (col[r] / top));
        ctx.fillRect(MARGIN.left + left, MARGIN.top + innerH - (r + 1) * rowH, Math.max(1, right - left + 0.5), rowH + 0.5);
      }
    });
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(6, '~s'));
    g.append('g').attr('class', 'gb-axis').call(d3.axisLeft(y).ticks(6, '.2~g'));
    g.append('text').attr('class', 'gb-axis-label').attr('x', innerW).attr('y', innerH + 36).attr('text-anchor', 'end').text('step');
    g.append('text').attr('class', 'gb-axis-label').attr('transform', 'rotate(-90)').attr('x', 0).attr('y', -52).attr('text-anchor', 'end').text('value');
    g.append('rect').attr('width', innerW).attr('height', innerH).attr('fill', 'transparent')
      .on('pointermove', (event) => {
        const [px, py] = d3.pointer(event), step = x.invert(px);
        const i = Math.max(0, d3.bisectRight(series.map((d) => d.step), step) - 1), r = Math.min(ROWS - 1, Math.floor((innerH - py) / rowH));
        const [a, b] = [y0 + (r * (y1 - y0)) / ROWS, y0 + ((r + 1) * (y1 - y0)) / ROWS], h = series[i].hist;
        const [tx, ty] = d3.pointer(event, root.node());
        tip.show([`step ${series[i].step}`, `values ${fmt(a)} to ${fmt(b)}: ${(100 * columns[i][r]).toFixed(1)}% of entries`,
          `mean ${fmt(h.mean)} · std ${fmt(h.std)}`], tx, ty);
      }).on('pointerleave', () => tip.hide());
  }

  function drawRidges(g, series, y0, y1, innerW, innerH) {
    const n = Math.min(MAX_RIDGES, series.length);
    const picks = [...new Set(d3.range(n).map((i) => Math.round((i * (series.length - 1)) / Math.max(1, n - 1))))];
    const x = d3.scaleLinear().domain([y0, y1]).range([0, innerW]);
    const gap = innerH / (picks.length + 2), ridgeH = gap * 2.6;
    const color = d3.scaleSequential(d3.interpolateViridis).domain([picks.length, 0]);
    picks.forEach((index, k) => {
      const h = series[index].hist, B = h.counts.length, w = (h.hi - h.lo) / B, top = d3.max(h.counts) || 1, base = (k + 2) * gap;
      const points = [[x(h.lo), base], ...Array.from(h.counts, (c, b) => [x(h.lo + (b + 0.5) * w), base - (c / top) * ridgeH]), [x(h.hi), base]];
      g.append('path').attr('class', 'gb-ridge').attr('d', d3.line()(points)).attr('fill', color(k)).attr('fill-opacity', 0.75)
        .attr('stroke', '#ffffff').attr('stroke-width', 1.2)
        .on('pointermove', (event) => {
          const [tx, ty] = d3.pointer(event, root.node());
          tip.show([`step ${series[index].step}`, `mean ${fmt(h.mean)} · std ${fmt(h.std)}`, `range ${fmt(h.lo)} to ${fmt(h.hi)}`], tx, ty);
        }).on('pointerleave', () => tip.hide());
      if (k === 0 || k === picks.length - 1 || k % 4 === 0) {
        g.append('text').attr('class', 'gb-legend-small').attr('x', -8).attr('y', base).attr('text-anchor', 'end').text(`step ${series[index].step}`);
      }
    });
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(6, '.2~g'));
    g.append('text').attr('class', 'gb-axis-label').attr('x', innerW).attr('y', innerH + 36).attr('text-anchor', 'end').text('value');
  }

  /** Choose what to show: {layer, quantity, mode} (any of them). */
  function setOptions({ layer: l, quantity: q, mode: m } = {}) {
    if (l != null) layer = l;
    if (q) quantity = q;
    if (m) mode = m;
    quantitySelect.value = quantity;
    modeSelect.value = mode;
    update();
  }

  return {
    describe: () => labelOf(container, 'Distributions over time: waiting for snapshots.'),
    update,
    /** What is drawn: {run, layer, quantity, mode, steps, hist: [{lo, hi, counts, mean, std}]} (for tests). */
    data: () => shown,
    setOptions,
    select: setOptions, // its older name
    destroy() { root.remove(); },
    ...exporters(stage.node(), 'distributions'),
    get element() { return root.node(); },
  };
}
export const create = createDistributions;
