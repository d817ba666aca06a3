// Accuracy against cost: each alive member a point (validation accuracy up, a cost across), the
// Pareto front (no other member is both cheaper and more accurate) ringed and joined by a step
// line. A cost spanning more than 20x is drawn on a log scale, and the axis says so.
// View contract: create(element, options) -> {update(state), setOptions, destroy, exportSVG, exportPNG,
// on('select', fn)}; options: cost ('ms_per_step' | 'bytes' | 'params'), culled ('hide' | 'show'),
// selected, height (plot px, 300).
import {metricInfo, metricValue, formatMetric, paretoFront} from '../../state/swarm-state.js';
import {d3, makeFrame, addSelect, asButton, drawLegend, memberColor, plural, viewContract} from './swarm-common.js';

const TOP = 56, M = {left: 76, right: 16, bottom: 42};
const COSTS = ['ms_per_step', 'bytes', 'params'];

export function create(container, options = {}) {
  let opts = {cost: 'ms_per_step', culled: 'hide', selected: null, height: 300, ...options};
  let state = null, front = [];
  const frame = makeFrame(container, {name: 'pareto', title: 'Accuracy against cost', render});
  const {plot} = frame;
  plot.attr('transform', `translate(${M.left},${TOP + 8})`);
  const grid = plot.append('g').attr('class', 'gb-grid'), xAxis = plot.append('g').attr('class', 'gb-axis'), yAxis = plot.append('g').attr('class', 'gb-axis');
  const xLabel = plot.append('text').attr('class', 'gb-axis-label').attr('text-anchor', 'end');
  const yLabel = plot.append('text').attr('class', 'gb-axis-label').attr('transform', 'rotate(-90)').attr('text-anchor', 'end').attr('y', -62);
  const frontLine = plot.append('path').attr('class', 'gb-swarm-front-line');
  const pointLayer = plot.append('g');
  const costSelect = addSelect(frame.controls, 'cost', COSTS.map((k) => ({value: k, label: metricInfo(k).label})), (v) => setOptions({cost: v}));
  const culledSelect = addSelect(frame.controls, 'culled', [{value: 'hide', label: 'hidden'}, {value: 'show', label: 'shown (faded)'}], (v) => setOptions({culled: v}));

  function render() {
    costSelect.property('value', opts.cost); culledSelect.property('value', opts.culled);
    const cost = metricInfo(COSTS.includes(opts.cost) ? opts.cost : 'ms_per_step'), acc = metricInfo('val_accuracy');
    const innerW = frame.width - M.left - M.right, innerH = opts.height;
    frame.svg.select('.gb-swarm-title').text(`Accuracy against cost (${cost.label})`);
    const pts = !state ? [] : state.members.map((m, index) => ({id: m.id, m, index, x: metricValue(cost.key, m), y: metricValue('val_accuracy', m)}))
      .filter((p) => (p.m.alive || opts.culled === 'show') && p.x != null && p.y != null);
    const counted = pts.filter((p) => p.m.alive);
    front = paretoFront(counted, {x: 'x', y: 'y'});
    frame.size(TOP + innerH + M.bottom + 16);
    if (!pts.length) {
      [pointLayer, grid, xAxis, yAxis].forEach((l) => l.selectAll('*').remove());
      frontLine.attr('d', null); xLabel.text(''); yLabel.text(''); frame.legend.selectAll('*').remove(); frame.subtitle.text('');
      const why = !state ? 'Waiting for the swarm’s first round…' : `No member reports both validation accuracy and ${cost.label} yet.`;
      frame.empty(why, innerH);
      frame.describe(`Accuracy against cost: ${why}`);
      return;
    }
    frame.empty(null);
    const [c0, c1] = d3.extent(pts, (p) => p.x);
    const log = c0 > 0 && c1 / c0 > 20;
    const x = (log ? d3.scaleLog() : d3.scaleLinear()).domain(c0 === c1 ? [c0 * 0.9 || -1, c1 * 1.1 || 1] : [c0, c1]).nice().range([0, innerW]);
    let [a0, a1] = d3.extent(pts, (p) => p.y);
    if (a0 === a1) { a0 -= 0.05; a1 += 0.05; }
    const pad = (a1 - a0) * 0.08;
    const y = d3.scaleLinear().domain([Math.max(0, a0 - pad), Math.min(1, a1 + pad)]).nice().range([innerH, 0]);
    const xTicks = Math.max(2, Math.floor(innerW / 90));
    xAxis.attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(xTicks, log ? '~s' : undefined).tickFormat((v) => (log && !isFirstDigit(v) ? '' : formatMetric(cost.key, v))));
    yAxis.call(d3.axisLeft(y).ticks(Math.max(3, Math.floor(innerH / 45))).tickFormat((v) => formatMetric('val_accuracy', v)));
    grid.call(d3.axisLeft(y).ticks(Math.max(3, Math.floor(innerH / 45))).tickSize(-innerW).tickFormat(''));
    xLabel.attr('x', innerW).attr('y', innerH + 36).text(`${cost.label}${log ? ' (log scale)' : ''} → cheaper to the left`);
    yLabel.attr('x', 0).text(`${acc.label} (higher is better)`);

    const frontPts = front.map((id) => counted.find((p) => p.id === id)).sort((a, b) => a.x - b.x);
    frontLine.attr('d', frontPts.length > 1 ? d3.line().curve(d3.curveStepAfter).x((p) => x(p.x)).y((p) => y(p.y))(frontPts) : null);
    const onFront = new Set(front);
    const showLabel = pts.length <= 24;
    const g = pointLayer.selectAll('g.gb-swarm-pt').data(pts, (p) => p.id).join((enter) => {
      const e = enter.append('g').attr('class', 'gb-swarm-pt');
      e.append('circle').attr('class', 'gb-swarm-front-ring').attr('r', 10);
      e.append('circle').attr('class', 'gb-swarm-point gb-focus-ring').attr('r', 6);
      e.append('text').attr('class', 'gb-swarm-label');
      return e;
    });
    g.attr('transform', (p) => `translate(${x(p.x)},${y(p.y)})`).attr('data-member', (p) => p.id).attr('data-front', (p) => (onFront.has(p.id) ? 'yes' : null))
      .attr('opacity', (p) => (p.m.alive ? 1 : 0.35)).classed('gb-selected', (p) => p.id === opts.selected)
      .call(asButton, (p) => `${p.id}: ${formatMetric('val_accuracy', p.y)} at ${formatMetric(cost.key, p.x)}${onFront.has(p.id) ? ', on the Pareto front' : ''}. Enter selects.`, (p) => select(p.id))
      .on('pointermove', (event, p) => frame.tooltip([p.id + (p.m.alive ? '' : ' (culled)'), `${acc.label} ${formatMetric('val_accuracy', p.y)}`, `${cost.label} ${formatMetric(cost.key, p.x)}`,
        onFront.has(p.id) ? 'on the Pareto front' : 'another member is cheaper and at least as accurate'], event))
      .on('pointerleave', () => frame.tooltip(null));
    g.select('.gb-swarm-front-ring').style('display', (p) => (onFront.has(p.id) ? null : 'none'));
    g.select('.gb-swarm-point').attr('fill', (p) => memberColor(p.index)).attr('r', (p) => (p.id === opts.selected ? 8 : 6))
      .style('stroke', (p) => (p.id === opts.selected ? '#0f172a' : null)).style('stroke-width', (p) => (p.id === opts.selected ? 3 : null));
    const spots = placeLabels(pts.filter((p) => showLabel || onFront.has(p.id) || p.id === opts.selected), x, y, onFront);
    g.select('text').text((p) => (spots.has(p.id) ? p.id : '')).classed('gb-swarm-label-strong', (p) => onFront.has(p.id))
      .attr('x', (p) => spots.get(p.id)?.[0] ?? 0).attr('y', (p) => spots.get(p.id)?.[1] ?? 0)
      .attr('text-anchor', (p) => spots.get(p.id)?.[2] ?? 'start');

    const items = [{swatch: (s) => s.append('circle').attr('cx', 12).attr('cy', 5).attr('r', 5).attr('fill', memberColor(0)), text: 'dot = member (its colour in every swarm view)'},
      {swatch: (s) => { s.append('circle').attr('class', 'gb-swarm-front-ring').attr('cx', 12).attr('cy', 5).attr('r', 8); s.append('circle').attr('cx', 12).attr('cy', 5).attr('r', 4).attr('fill', '#64748b'); },
        text: `ring = on the Pareto front (${front.join(', ') || 'none'})`}];
    if (frontPts.length > 1) items.push({swatch: (s) => s.append('path').attr('class', 'gb-swarm-front-line').attr('d', 'M0,10 H10 V0 H24'), text: 'dashed steps = the front: nothing above-left of it'});
    if (pts.some((p) => !p.m.alive)) items.push({text: 'faded = culled (not counted for the front)'});
    const legendH = drawLegend(frame.legend, items, frame.width - 8);
    frame.legend.attr('transform', `translate(4,${TOP + innerH + M.bottom + 26})`);
    frame.size(TOP + innerH + M.bottom + 26 + legendH);
    const missing = state.members.filter((m) => m.alive).length - counted.length;
    frame.subtitle.text(`${plural(counted.length, 'alive member')} · ${plural(front.length, 'member')} on the front${missing ? ` · ${missing} without values` : ''}`);
    const best = [...counted].sort((a, b) => b.y - a.y)[0];
    frame.describe(`Validation accuracy against ${cost.label} for ${plural(counted.length, 'alive member')}: Pareto front ${front.join(', ')}; ` +
      `most accurate ${best.id} at ${formatMetric('val_accuracy', best.y)} costing ${formatMetric(cost.key, best.x)}.`);
  }

  // Each label takes the first of four spots around its dot that overlaps no dot and no label
  // placed before it (front members first); with none free it takes the first.
  function placeLabels(labelled, x, y, onFront) {
    const boxes = labelled.map((p) => [x(p.x) - 7, y(p.y) - 7, 14, 14]);
    const [x0, x1] = x.range();
    const hits = (b) => b[0] < x0 - M.left + 8 || b[0] + b[2] > x1 + M.right || boxes.some((o) => b[0] < o[0] + o[2] && o[0] < b[0] + b[2] && b[1] < o[1] + o[3] && o[1] < b[1] + b[3]);
    const spots = new Map();
    const order = [...labelled].sort((a, b) => onFront.has(b.id) - onFront.has(a.id) || b.y - a.y);
    for (const p of order) {
      const px = x(p.x), py = y(p.y), w = 8 * p.id.length + 2;
      const options = [[10, -7, 'start'], [10, 17, 'start'], [-10, -7, 'end'], [-10, 17, 'end']].map(([dx, dy, anchor]) =>
        ({spot: [dx, dy, anchor], box: [anchor === 'start' ? px + dx : px + dx - w, py + dy - 12, w, 14]}));
      const pick = options.find((o) => !hits(o.box)) ?? options[0];
      boxes.push(pick.box);
      spots.set(p.id, pick.spot);
    }
    return spots;
  }

  // A log axis labels only 1, 2 and 5 of each decade, so its ticks do not collide.
  function isFirstDigit(v) { const d = +String(v.toExponential()).charAt(0); return d === 1 || d === 2 || d === 5; }

  function select(id) { opts.selected = id; render(); frame.emit(id); }
  function setOptions(partial = {}) { opts = {...opts, ...partial}; render(); }

  render();
  return viewContract(frame, 'swarm-pareto', {update(next) { state = next; frame.schedule(); }, setOptions}, {
    /** Ids on the Pareto front as drawn now, cheapest first. */
    front: () => [...front],
  });
}
