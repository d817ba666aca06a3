// Loss and accuracy curves. History is a list of named runs so a forked or
// earlier run can be overlaid (lighter) on the current one. Each update
// appends one point and redraws paths from a per-pixel min/max digest, so the
// cost stays flat however many thousand steps a run has.
import d3 from '../common/d3.js';
import { exportSVG, exportPNG } from '../common/export-image.js';

export const TRAIN_COLOR = '#0072B2';      // Okabe-Ito blue, solid line
export const VALIDATION_COLOR = '#D55E00'; // Okabe-Ito vermillion, dashed line
export const PRIMARY_RUN = 'current';
const DEFAULTS = { logLoss: false, height: null, lossCapFactor: 5, cursor: null };
const SERIES = [
  { key: 'trainLoss', chart: 'loss', split: 'train', color: TRAIN_COLOR },
  { key: 'valLoss', chart: 'loss', split: 'val', color: VALIDATION_COLOR },
  { key: 'trainAcc', chart: 'accuracy', split: 'train', color: TRAIN_COLOR },
  { key: 'valAcc', chart: 'accuracy', split: 'val', color: VALIDATION_COLOR },
];
const MARGIN = { top: 84, right: 18, bottom: 44, left: 58 }; // top: shared legend row, title, current values
const fmtLoss = d3.format('.4~g');
const fmtAcc = (v) => `${d3.format('.1f')(v)}%`;
let instanceCount = 0;

const asNumber = (v) => (typeof v === 'number' ? v : v == null ? null : Number(v));
// Accuracy arrives as a fraction; tolerate engines that already send percent.
const asPercent = (v) => { const n = asNumber(v); return n == null ? NaN : Math.abs(n) <= 1 ? n * 100 : n; };
const isBad = (v) => typeof v === 'number' && !Number.isFinite(v);

function emptyRun(name, label, style) {
  return { name, label, style, divergedAt: null, step: [], trainLoss: [], valLoss: [], trainAcc: [], valAcc: [] };
}

function appendPoint(run, point) {
  const step = asNumber(point?.step);
  if (step == null || !Number.isFinite(step)) return;
  const last = run.step.length ? run.step[run.step.length - 1] : -Infinity;
  if (step < last) { // a new run started (step 0) or a roll-back: keep only the earlier points
    const keep = run.step.findIndex((s) => s >= step);
    for (const key of ['step', 'trainLoss', 'valLoss', 'trainAcc', 'valAcc']) run[key].length = keep;
    if (run.divergedAt != null && run.divergedAt >= step) run.divergedAt = null;
  }
  const entry = {
    trainLoss: asNumber(point.train?.loss), valLoss: asNumber(point.val?.loss),
    trainAcc: asPercent(point.train?.accuracy), valAcc: asPercent(point.val?.accuracy),
  };
  const replace = step === last && run.step.length > 0;
  const at = replace ? run.step.length - 1 : run.step.length;
  run.step[at] = step;
  for (const [key, value] of Object.entries(entry)) run[key][at] = value == null ? NaN : value;
  if (run.divergedAt == null && (isBad(entry.trainLoss) || isBad(entry.valLoss))) run.divergedAt = step;
}

/** Points to draw for one series: every point, or per pixel column the first/min/max/last. */
function digest(steps, values, x, y, defined) {
  const n = steps.length, out = [];
  const pointFor = (i) => [x(steps[i]), defined(values[i]) ? y(values[i]) : NaN];
  if (n <= 2 * (x.range()[1] - x.range()[0])) { for (let i = 0; i < n; i++) out.push(pointFor(i)); return out; }
  let column = null, lo = -1, hi = -1, first = -1, last = -1, gap = false;
  const flush = () => {
    if (first < 0) return;
    const picks = [...new Set([first, lo, hi, last].filter((i) => i >= 0))].sort((a, b) => a - b);
    for (const i of picks) out.push(pointFor(i));
    if (gap) out.push([x(steps[last]), NaN]);
  };
  for (let i = 0; i < n; i++) {
    const c = Math.round(x(steps[i]));
    if (c !== column) { flush(); column = c; lo = hi = -1; first = i; gap = false; }
    last = i;
    const v = values[i];
    if (!defined(v)) { gap = true; continue; }
    if (lo < 0 || v < values[lo]) lo = i;
    if (hi < 0 || v > values[hi]) hi = i;
  }
  flush();
  return out;
}

export function createCurvesView(container, options = {}) {
  const clipId = `gb-curves-clip-${++instanceCount}`;
  let opts = { ...DEFAULTS, ...options };
  let runs = [emptyRun(PRIMARY_RUN, 'this run', 'primary')];
  let width = 0, charts = null;

  const root = d3.select(container).append('div').attr('class', 'gb-view gb-curves');
  const svg = root.append('svg').attr('role', 'img').attr('aria-label', 'Loss and accuracy: waiting for a snapshot.');
  // An HTML button (not part of the SVG) so it is keyboard-reachable and stays out of exports.
  const logToggle = root.append('button').attr('type', 'button').attr('class', 'gb-log-toggle')
    .on('click', () => setOptions({ logLoss: !opts.logLoss }));
  const primary = () => runs.find((r) => r.name === PRIMARY_RUN);

  function build() {
    const sideBySide = width >= 640;
    const chartWidth = sideBySide ? width / 2 : width;
    const chartHeight = opts.height ?? Math.round(Math.min(Math.max(chartWidth * 0.62, 230), 340));
    const height = sideBySide ? chartHeight : chartHeight * 2;
    svg.selectAll('*').remove();
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const innerW = chartWidth - MARGIN.left - MARGIN.right, innerH = chartHeight - MARGIN.top - MARGIN.bottom;
    svg.append('defs').append('clipPath').attr('id', clipId).append('rect')
      .attr('x', -2).attr('y', -2).attr('width', innerW + 4).attr('height', innerH + 4);
    charts = {};
    for (const [i, name] of ['loss', 'accuracy'].entries()) {
      const ox = sideBySide ? i * chartWidth : 0, oy = sideBySide ? 0 : i * chartHeight;
      const g = svg.append('g').attr('class', `gb-chart gb-chart-${name}`)
        .attr('transform', `translate(${ox + MARGIN.left},${oy + MARGIN.top})`);
      const chart = { g, innerW, innerH, name };
      g.append('text').attr('class', 'gb-chart-title').attr('x', 0).attr('y', -42).text(name === 'loss' ? 'Loss' : 'Accuracy');
      chart.current = g.append('text').attr('class', 'gb-current').attr('x', 0).attr('y', -22);
      chart.grid = g.append('g').attr('class', 'gb-grid');
      chart.xAxis = g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${innerH})`);
      chart.yAxis = g.append('g').attr('class', 'gb-axis');
      g.append('text').attr('class', 'gb-axis-label').attr('x', innerW).attr('y', innerH + 36)
        .attr('text-anchor', 'end').text('step');
      chart.yLabel = g.append('text').attr('class', 'gb-axis-label').attr('transform', 'rotate(-90)')
        .attr('x', 0).attr('y', -44).attr('text-anchor', 'end');
      chart.lines = g.append('g').attr('clip-path', `url(#${clipId})`);
      chart.markers = g.append('g').attr('class', 'gb-diverged');
      chart.empty = g.append('text').attr('class', 'gb-empty').attr('x', innerW / 2).attr('y', innerH / 2);
      charts[name] = chart;
    }
    buildLegend();
  }

  // One legend row above both charts: line style = split, faint lines = overlaid runs.
  function buildLegend() {
    const legend = svg.append('g').attr('class', 'gb-legend').attr('transform', `translate(${MARGIN.left},14)`);
    [['train', TRAIN_COLOR, null, 0], ['validation', VALIDATION_COLOR, '6 4', 84]].forEach(([label, color, dash, dx]) => {
      legend.append('line').attr('class', 'gb-curve').attr('x1', dx).attr('x2', dx + 26).attr('y1', 0).attr('y2', 0)
        .attr('stroke', color).attr('stroke-dasharray', dash);
      legend.append('text').attr('class', 'gb-legend-label').attr('x', dx + 32).attr('y', 4.5).text(label);
    });
    svg.append('g').attr('class', 'gb-legend-runs').attr('transform', `translate(${MARGIN.left + 200},14)`);
  }

  function scales(chart) {
    const visible = runs.filter((r) => r.step.length);
    const maxStep = d3.max(visible, (r) => r.step[r.step.length - 1]) ?? 1;
    const x = d3.scaleLinear().domain([0, Math.max(1, maxStep)]).range([0, chart.innerW]);
    if (chart.name === 'accuracy') {
      return { x, y: d3.scaleLinear().domain([0, 100]).range([chart.innerH, 0]), defined: Number.isFinite };
    }
    const finite = visible.flatMap((r) => [...r.trainLoss, ...r.valLoss].filter(Number.isFinite));
    const run = primary().step.length ? primary() : visible[0];
    const firstLoss = run ? [...run.trainLoss, ...run.valLoss].find(Number.isFinite) : undefined;
    // A blow-up would squash the useful part of the curve flat; clip it instead.
    let top = d3.max(finite) ?? 1;
    if (firstLoss > 0) top = Math.min(top, firstLoss * opts.lossCapFactor);
    if (!(top > 0)) top = 1;
    if (opts.logLoss) {
      const lowest = d3.min(finite.filter((v) => v > 0)) ?? top / 10;
      return { x, y: d3.scaleLog().domain([Math.max(lowest * 0.8, top * 1e-6), top * 1.1]).range([chart.innerH, 0]).clamp(true),
        defined: (v) => Number.isFinite(v) && v > 0 };
    }
    return { x, y: d3.scaleLinear().domain([0, top * 1.05]).range([chart.innerH, 0]), defined: Number.isFinite };
  }

  function renderChart(chart) {
    const { x, y, defined } = scales(chart);
    const ticksX = Math.max(2, Math.floor(chart.innerW / 90)), ticksY = Math.max(3, Math.floor(chart.innerH / 45));
    chart.xAxis.call(d3.axisBottom(x).ticks(ticksX, '~s'));
    chart.yAxis.call(chart.name === 'loss' && opts.logLoss ? d3.axisLeft(y).ticks(ticksY, '~g') : d3.axisLeft(y).ticks(ticksY));
    chart.grid.call(d3.axisLeft(y).ticks(ticksY).tickSize(-chart.innerW).tickFormat(''));
    chart.yLabel.text(chart.name === 'loss' ? (opts.logLoss ? 'loss (log scale)' : 'loss') : 'accuracy %');
    const line = d3.line().defined((d) => Number.isFinite(d[1]));
    const paths = runs.flatMap((run) => SERIES.filter((s) => s.chart === chart.name)
      .map((s) => ({ id: `${run.name}:${s.key}`, run, s })));
    chart.lines.selectAll('path').data(paths, (d) => d.id).join('path')
      .attr('class', (d) => `gb-curve gb-curve-${d.s.split}${d.run.style === 'overlay' ? ' gb-curve-overlay' : ''}`)
      .attr('stroke', (d) => d.s.color)
      .attr('data-run', (d) => d.run.name)
      .attr('d', (d) => line(digest(d.run.step, d.run[d.s.key], x, y, defined)) ?? '');
    const diverged = chart.name === 'loss' ? runs.filter((r) => r.divergedAt != null) : [];
    const marker = chart.markers.selectAll('g').data(diverged, (r) => r.name).join((enter) => {
      const g = enter.append('g');
      g.append('line');
      g.append('text');
      return g;
    });
    marker.select('line').attr('x1', (r) => x(r.divergedAt)).attr('x2', (r) => x(r.divergedAt))
      .attr('y1', 0).attr('y2', chart.innerH);
    marker.select('text').attr('x', (r) => x(r.divergedAt) + (x(r.divergedAt) > chart.innerW * 0.6 ? -6 : 6)).attr('y', 14)
      .attr('text-anchor', (r) => (x(r.divergedAt) > chart.innerW * 0.6 ? 'end' : 'start'))
      .text((r) => `diverged at step ${r.divergedAt}`);
    // Replay (option `cursor`: a step, or null): a dashed line where the network view is now.
    const cursor = opts.cursor == null ? [] : [opts.cursor];
    chart.markers.selectAll('line.gb-replay-cursor').data(cursor).join('line').attr('class', 'gb-replay-cursor')
      .attr('x1', (t) => x(t)).attr('x2', (t) => x(t)).attr('y1', 0).attr('y2', chart.innerH)
      .attr('stroke', '#8a5a00').attr('stroke-width', 1.5).attr('stroke-dasharray', '4 3');
    chart.markers.selectAll('text.gb-replay-cursor').data(chart.name === 'loss' ? cursor : []).join('text')
      .attr('class', 'gb-replay-cursor').attr('fill', '#8a5a00').attr('y', chart.innerH - 6)
      .attr('x', (t) => x(t) + (x(t) > chart.innerW * 0.6 ? -5 : 5))
      .attr('text-anchor', (t) => (x(t) > chart.innerW * 0.6 ? 'end' : 'start')).text((t) => `replay: step ${t}`);
    chart.empty.text(runs.some((r) => r.step.length) ? '' : 'waiting for training to start…');
    chart.current.text(currentText(chart.name));
  }

  function latest(run, key) {
    const values = run[key];
    return values.length ? values[values.length - 1] : NaN;
  }

  function currentText(name) {
    const run = primary();
    if (!run.step.length) return '';
    const show = (v, fmt) => (Number.isFinite(v) ? fmt(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞');
    const [a, b] = name === 'loss' ? ['trainLoss', 'valLoss'] : ['trainAcc', 'valAcc'];
    const fmt = name === 'loss' ? fmtLoss : fmtAcc;
    return `step ${run.step[run.step.length - 1]} · train ${show(latest(run, a), fmt)} · validation ${show(latest(run, b), fmt)}`;
  }

  function renderRunLegend() {
    const overlays = runs.filter((r) => r.style === 'overlay');
    const items = svg.select('.gb-legend-runs').selectAll('g').data(overlays, (r) => r.name).join((enter) => {
      const g = enter.append('g');
      g.append('line').attr('class', 'gb-curve gb-curve-overlay').attr('x1', 0).attr('x2', 26).attr('stroke', TRAIN_COLOR);
      g.append('text').attr('class', 'gb-legend-label').attr('x', 32).attr('y', 4.5);
      return g;
    });
    items.attr('transform', (r, i) => `translate(${i * 130},0)`).select('text').text((r) => `${r.label} (faint)`);
  }

  function render() {
    if (!charts) return;
    renderChart(charts.loss);
    renderChart(charts.accuracy);
    renderRunLegend();
    logToggle.attr('aria-pressed', String(!!opts.logLoss)).text(opts.logLoss ? 'loss: log scale ✓' : 'loss: log scale');
    svg.attr('aria-label', describe());
  }

  function describe() {
    const run = primary();
    if (!run.step.length) return 'Loss and accuracy curves: no training steps yet.';
    const latestText = (name) => currentText(name).replace(/^step \d+ · /, '');
    return `Loss and accuracy curves: ${run.step.length} points up to step ${run.step[run.step.length - 1]}. ` +
      `Latest loss ${latestText('loss')}; accuracy ${latestText('accuracy')}.` +
      (run.divergedAt != null ? ` Training diverged at step ${run.divergedAt}.` : '') +
      (opts.cursor != null ? ` The replay cursor marks step ${opts.cursor}.` : '');
  }

  function setOptions(partial = {}) {
    const rebuild = 'height' in partial && partial.height !== opts.height;
    opts = { ...opts, ...partial };
    if (rebuild) build();
    render();
  }

  function resize() {
    const next = Math.max(300, Math.floor(container.clientWidth || 0));
    if (!container.clientWidth || Math.abs(next - width) < 1) return;
    width = next;
    build();
    render();
  }

  const resizeObserver = new ResizeObserver(resize);
  width = Math.max(300, Math.floor(container.clientWidth || 720));
  build();
  render();
  resizeObserver.observe(container);

  return {
    update(snapshot) { appendPoint(primary(), snapshot); render(); },
    /** Add or replace a named run (points: snapshot-like {step, train, val}); null removes it. */
    setSeries(name, points, { label = name, style = 'overlay' } = {}) {
      runs = runs.filter((r) => r.name !== name || name === PRIMARY_RUN);
      if (points != null) {
        let run = runs.find((r) => r.name === name);
        if (!run) { run = emptyRun(name, label, style); runs.push(run); }
        Object.assign(run, emptyRun(name, label, name === PRIMARY_RUN ? 'primary' : style));
        for (const p of points) appendPoint(run, p);
      }
      render();
    },
    getSeries: () => runs.map((r) => ({ ...r, step: [...r.step] })),
    setOptions,
    reset() { runs = [emptyRun(PRIMARY_RUN, 'this run', 'primary')]; render(); },
    describe,
    exportSVG: (filename = 'glassbox-curves.svg') => exportSVG(svg.node(), filename),
    exportPNG: (filename = 'glassbox-curves.png', scale = 2) => exportPNG(svg.node(), filename, scale),
    destroy() { resizeObserver.disconnect(); root.remove(); },
    get element() { return root.node(); },
  };
}
export const create = createCurvesView;
