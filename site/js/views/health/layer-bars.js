// Gradient flow per layer: for each Dense layer, the norm of its weight gradient ||dL/dW|| and
// the RMS of the backprop signal dL/dz reaching it (per sample), on a log scale, so shrinking or
// growing gradients read as bars getting shorter or longer toward the input. Layers named by a
// vanishing / exploding alert are marked.
// View contract: update({run}) draws the newest summary of `run` (a health run record,
// state/health-runs.js); app/sources/health.js gives it (viewData()).
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { columnName, createTooltip, exporters, fmt, widthOf, ALERT_COLOR } from './health-common.js';

const MEASURES = [
  { key: 'dW_norm', label: '‖dL/dW‖ weight gradient', color: '#1b7837' },
  { key: 'delta_rms', label: 'RMS dL/dz backprop signal', color: '#a6dba0' },
];
const FLOW_ALERTS = ['vanishing_gradients', 'exploding_gradients', 'diverged'];
const ROW = 46, MARGIN = { top: 58, right: 150, bottom: 46, left: 92 };

export function createLayerBars(container) {
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-layer-bars');
  const stage = root.append('div').attr('class', 'gb-h-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Gradient flow per layer: waiting for a snapshot.');
  const tip = createTooltip(root);
  let rows = [], current = {};

  function update(data = current) {
    current = data || {};
    const run = current.run;
    const summary = run?.summaries[run.summaries.length - 1];
    svg.selectAll('*').remove();
    const width = widthOf(container);
    if (!summary) { svg.attr('width', width).attr('height', 40).append('text').attr('x', 8).attr('y', 24).text('Waiting for a snapshot…'); return; }
    const L = summary.layers.length;
    rows = summary.layers.map((layer, l) => ({ column: l + 1, name: columnName(l + 1, L), layer }));
    const height = MARGIN.top + rows.length * ROW + MARGIN.bottom;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const values = rows.flatMap((r) => MEASURES.map((m) => r.layer[m.key])).filter((v) => Number.isFinite(v) && v > 0);
    const hi = d3.max(values) ?? 1, lo = Math.min(d3.min(values) ?? hi / 10, hi / 10);
    const x = d3.scaleLog().domain([lo / 2, hi * 2]).range([0, width - MARGIN.left - MARGIN.right]).clamp(true);
    const g = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 8).attr('y', 18)
      .text(`Gradient flow per layer · ${run.label} · step ${summary.step}`);
    const legend = svg.append('g').attr('transform', `translate(8,38)`);
    MEASURES.forEach((m, i) => {
      const item = legend.append('g').attr('transform', `translate(${i * 230},0)`);
      item.append('rect').attr('width', 14).attr('height', 12).attr('y', -10).attr('fill', m.color);
      item.append('text').attr('class', 'gb-legend-label').attr('x', 20).text(m.label);
    });
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${rows.length * ROW})`)
      .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor((width - 250) / 90)), '.0e'));
    g.append('text').attr('class', 'gb-axis-label').attr('x', 0).attr('y', rows.length * ROW + 36)
      .text('log scale: each step of the axis is 10×; shrinking toward the input = vanishing');
    const flagged = new Map();
    for (const a of run.alerts) if (FLOW_ALERTS.includes(a.kind)) for (const c of a.columns || [a.layer]) flagged.set(c, a.title);
    const row = g.selectAll('g.gb-bar-row').data(rows).join('g').attr('class', 'gb-bar-row')
      .attr('transform', (d, i) => `translate(0,${i * ROW})`).attr('data-column', (d) => d.column);
    row.append('text').attr('class', 'gb-legend-label').attr('x', -8).attr('y', ROW / 2).attr('text-anchor', 'end')
      .attr('dominant-baseline', 'middle').text((d) => d.name);
    MEASURES.forEach((m, i) => {
      row.append('rect').attr('class', 'gb-bar').attr('data-measure', m.key).attr('y', 6 + i * 17).attr('height', 15)
        .attr('width', (d) => (Number.isFinite(d.layer[m.key]) && d.layer[m.key] > 0 ? Math.max(1, x(d.layer[m.key])) : 0))
        .attr('fill', m.color)
        .attr('stroke', (d) => (flagged.has(d.column) ? ALERT_COLOR : 'none')).attr('stroke-width', 2);
      row.append('text').attr('class', 'gb-legend-small').attr('y', 18 + i * 17)
        .attr('x', (d) => (Number.isFinite(d.layer[m.key]) && d.layer[m.key] > 0 ? x(d.layer[m.key]) + 6 : 6))
        .text((d) => fmt(d.layer[m.key]));
    });
    row.filter((d) => flagged.has(d.column)).append('text').attr('class', 'gb-h-flag')
      .attr('x', width - MARGIN.left - MARGIN.right + 64).attr('y', ROW / 2).attr('dominant-baseline', 'middle')
      .text((d) => `⚠ ${flagged.get(d.column).replace(' gradients', '').toLowerCase()}`);
    svg.attr('aria-label', `Gradient norms per layer at step ${summary.step}: ` +
      rows.map((r) => `${r.name} ${fmt(r.layer.dW_norm)}`).join(', ') + '.');
    row.on('pointermove', (event, d) => {
      const [px, py] = d3.pointer(event, root.node());
      tip.show([`${d.name} (column ${d.column})`, `‖dL/dW‖ ${fmt(d.layer.dW_norm)}`, `RMS dL/dz ${fmt(d.layer.delta_rms)}`,
        `‖W‖ ${fmt(d.layer.W_norm)}`, `per-step update |ΔW|/|W| ${fmt(d.layer.step_update)}`], px, py);
    }).on('pointerleave', () => tip.hide());
  }

  return {
    describe: () => labelOf(container, 'Gradient flow per layer: waiting for a snapshot.'),
    update,
    setOptions() { update(); }, // nothing to choose: it always shows the newest summary
    destroy() { root.remove(); },
    data: () => rows.map((r) => ({ column: r.column, dW_norm: r.layer.dW_norm, delta_rms: r.layer.delta_rms })),
    ...exporters(stage.node(), 'gradient-flow'),
    get element() { return root.node(); },
  };
}
export const create = createLayerBars;
