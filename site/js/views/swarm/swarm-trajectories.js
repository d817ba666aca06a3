// A few members' paths over rounds for one series: a metric, a layer's weight summary
// ('w_norm:0', 'w_std:1') or one weight ('w:0:5', only for layers small enough to carry values).
// Each member keeps its colour (and, past eight members, a dash) in every swarm view.
// View contract: create(element, options) -> {update(state), setOptions, destroy, exportSVG, exportPNG,
// on('select', fn)}; options: members (ids; null = the best `count` by fitness), count (3),
// series ('val_accuracy'), selected, height (plot px, 260).
import {seriesInfo, availableSeries, formatMetric, bestMembers, memberById} from '../../state/swarm-state.js';
import {d3, makeFrame, addSelect, asButton, drawLegend, memberColor, memberTextColor, memberDash, plural, viewContract} from './swarm-common.js';

const TOP = 56, M = {left: 76, right: 56, bottom: 40};
const SHOW = [{value: '3', label: 'best 3 by fitness'}, {value: '5', label: 'best 5 by fitness'}, {value: '8', label: 'best 8 by fitness'}, {value: 'all', label: 'all members'}];

export function create(container, options = {}) {
  let opts = {members: null, count: 3, series: 'val_accuracy', selected: null, height: 260, ...options};
  let state = null;
  const frame = makeFrame(container, {name: 'trajectories', title: 'Trajectories over rounds', render});
  const {plot} = frame;
  plot.attr('transform', `translate(${M.left},${TOP + 8})`);
  const grid = plot.append('g').attr('class', 'gb-grid'), xAxis = plot.append('g').attr('class', 'gb-axis'), yAxis = plot.append('g').attr('class', 'gb-axis');
  const xLabel = plot.append('text').attr('class', 'gb-axis-label').attr('text-anchor', 'end').text('round');
  const yLabel = plot.append('text').attr('class', 'gb-axis-label').attr('transform', 'rotate(-90)').attr('text-anchor', 'end').attr('y', -62);
  const lineLayer = plot.append('g'), labelLayer = plot.append('g');
  const seriesSelect = addSelect(frame.controls, 'series', [], (v) => setOptions({series: v}));
  const showSelect = addSelect(frame.controls, 'members', SHOW, (v) => setOptions({members: null, count: v === 'all' ? Infinity : +v}));

  function chosen() {
    if (opts.members) return opts.members.map((id) => memberById(state, id)).filter(Boolean);
    return bestMembers(state, opts.count);
  }

  function syncControls() {
    const keys = state ? availableSeries(state) : [];
    if (!keys.includes(opts.series)) keys.push(opts.series);
    seriesSelect.setChoices(keys.map((k) => ({value: k, label: seriesInfo(k)?.label ?? k})), opts.series);
    const choices = opts.members ? [...SHOW, {value: 'custom', label: `chosen: ${opts.members.join(', ')}`}] : SHOW;
    showSelect.setChoices(choices, opts.members ? 'custom' : Number.isFinite(opts.count) ? String(opts.count) : 'all');
  }

  function render() {
    syncControls();
    const info = seriesInfo(opts.series) ?? seriesInfo('val_accuracy');
    const innerW = frame.width - M.left - M.right, innerH = opts.height;
    frame.svg.select('.gb-swarm-title').text(`Trajectories: ${info.label} over rounds`);
    const members = state ? chosen() : [];
    const lines = members.map((m) => ({m, index: state.members.indexOf(m),
      points: m.history.map((h) => ({round: h.round, value: info.value(h), m})).filter((p) => p.round != null)}));
    const withData = lines.filter((l) => l.points.some((p) => p.value != null));
    frame.size(TOP + innerH + M.bottom + 16);
    if (!withData.length) {
      [lineLayer, labelLayer, grid, xAxis, yAxis].forEach((l) => l.selectAll('*').remove());
      frame.legend.selectAll('*').remove(); xLabel.text(''); yLabel.text(''); frame.subtitle.text('');
      const why = !state ? 'Waiting for the swarm’s first round…' : !members.length ? 'No members to show yet.'
        : opts.series.startsWith('w:') ? `No values for ${info.label}: only layers of at most 64 weights carry them.` : `No values of ${info.label} yet.`;
      frame.empty(why, innerH);
      frame.describe(`Trajectories: ${why}`);
      return;
    }
    frame.empty(null);
    xLabel.text('round');
    const rounds = withData.flatMap((l) => l.points.map((p) => p.round));
    let [r0, r1] = d3.extent(rounds);
    if (r0 === r1) { r0 -= 1; r1 += 1; }
    const x = d3.scaleLinear().domain([r0, r1]).range([0, innerW]);
    const vals = withData.flatMap((l) => l.points.map((p) => p.value)).filter((v) => v != null);
    let [v0, v1] = d3.extent(vals);
    if (v0 === v1) { v0 -= Math.abs(v0) * 0.05 || 0.5; v1 += Math.abs(v1) * 0.05 || 0.5; }
    const y = d3.scaleLinear().domain([v0, v1]).nice().range([innerH, 0]);
    const tickFormat = (v) => formatMetric(info.key, v);
    xAxis.attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(Math.min(r1 - r0, Math.max(2, Math.floor(innerW / 70)))).tickFormat(d3.format('d')));
    yAxis.call(d3.axisLeft(y).ticks(Math.max(3, Math.floor(innerH / 45))).tickFormat(tickFormat));
    grid.call(d3.axisLeft(y).ticks(Math.max(3, Math.floor(innerH / 45))).tickSize(-innerW).tickFormat(''));
    xLabel.attr('x', innerW).attr('y', innerH + 34);
    yLabel.attr('x', 0).text(info.label + (info.higherIsBetter == null ? '' : info.higherIsBetter ? ' (higher is better)' : ' (lower is better)'));

    const line = d3.line().defined((p) => p.value != null).x((p) => x(p.round)).y((p) => y(p.value));
    const groups = lineLayer.selectAll('g.gb-swarm-traj').data(withData, (l) => l.m.id).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-swarm-traj');
      g.append('path').attr('class', 'gb-swarm-line');
      g.append('g').attr('class', 'gb-swarm-points');
      return g;
    }).attr('data-member', (l) => l.m.id);
    groups.select('path').attr('d', (l) => line(l.points)).attr('stroke', (l) => memberColor(l.index))
      .attr('stroke-dasharray', (l) => memberDash(l.index)).classed('gb-selected', (l) => l.m.id === opts.selected);
    groups.select('.gb-swarm-points').each(function (l) {
      d3.select(this).selectAll('circle').data(l.points.filter((p) => p.value != null), (p) => p.round).join('circle')
        .attr('class', 'gb-swarm-point').attr('r', l.m.id === opts.selected ? 4.5 : 3.2)
        .attr('cx', (p) => x(p.round)).attr('cy', (p) => y(p.value)).attr('fill', memberColor(l.index))
        .on('click', (event, p) => select(p.m.id))
        .on('pointermove', (event, p) => frame.tooltip([`${p.m.id}, round ${p.round}`, `${info.label}: ${formatMetric(info.key, p.value)}`], event))
        .on('pointerleave', () => frame.tooltip(null));
    });

    // End labels, pushed apart vertically so close finishes stay readable.
    const ends = withData.map((l) => { const last = [...l.points].reverse().find((p) => p.value != null); return {l, x: x(last.round), y: y(last.value), value: last.value}; })
      .sort((a, b) => a.y - b.y);
    for (let i = 1; i < ends.length; i++) ends[i].y = Math.max(ends[i].y, ends[i - 1].y + 15);
    labelLayer.selectAll('text').data(ends, (e) => e.l.m.id).join('text').attr('class', 'gb-swarm-label gb-swarm-label-strong')
      .attr('x', (e) => e.x + 7).attr('y', (e) => e.y + 4).style('fill', (e) => memberTextColor(e.l.index)).text((e) => e.l.m.id);

    const items = withData.map((l) => ({l, swatch: (g) => g.append('line').attr('class', 'gb-swarm-line').attr('x1', 0).attr('x2', 24).attr('y1', 5).attr('y2', 5)
      .attr('stroke', memberColor(l.index)).attr('stroke-dasharray', memberDash(l.index)),
    text: `${l.m.id}${l.m.alive ? '' : ' (culled)'}: ${tickFormat(ends.find((e) => e.l === l).value)}`}));
    const legendH = drawLegend(frame.legend, items, frame.width - 8);
    frame.legend.selectAll('.gb-swarm-legend-item').data(items).call(asButton, (it) => `${it.l.m.id}: select`, (it) => select(it.l.m.id));
    const missing = lines.length - withData.length;
    frame.legend.attr('transform', `translate(4,${TOP + innerH + M.bottom + 24})`);
    frame.size(TOP + innerH + M.bottom + 24 + legendH);
    const who = opts.members ? 'chosen members' : Number.isFinite(opts.count) ? `best ${opts.count} by fitness` : 'all members';
    frame.subtitle.text(`${who}: ${plural(withData.length, 'line')}, rounds ${r0}–${r1}${missing ? ` · ${missing} without values` : ''}`);
    const lead = ends.length ? [...ends].sort((a, b) => (info.higherIsBetter === false ? a.value - b.value : b.value - a.value))[0] : null;
    frame.describe(`Trajectories of ${info.label} over rounds ${r0}–${r1} for ${withData.map((l) => l.m.id).join(', ')}` +
      (lead ? `; ${lead.l.m.id} ends ${info.higherIsBetter == null ? 'highest' : 'best'} at ${tickFormat(lead.value)}.` : '.'));
  }

  function select(id) { opts.selected = id; render(); frame.emit(id); }
  function setOptions(partial = {}) { opts = {...opts, ...partial}; render(); }

  render();
  return viewContract(frame, 'swarm-trajectories', {update(next) { state = next; frame.schedule(); }, setOptions});
}
