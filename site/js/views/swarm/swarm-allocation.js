// Where the compute went: for each round, the swarm's steps split between its members, stacked
// (from each round record's `allocation`). A band that widens is a member the swarm is betting on;
// a band that stops is a member culled. Each round is drawn as a step one round wide.
// View contract: create(element, options) -> {update(state), setOptions, destroy, exportSVG, exportPNG,
// on('select', fn)}; options: normalise (true: share of the round's steps; false: steps), selected,
// height (plot px, 260).
import {formatMetric} from '../../state/swarm-state.js';
import {d3, makeFrame, addSelect, asButton, drawLegend, memberFill, plural, viewContract} from './swarm-common.js';

const TOP = 56, M = {left: 76, right: 20, bottom: 42};

export function create(container, options = {}) {
  let opts = {normalise: true, selected: null, height: 260, ...options};
  let state = null;
  const frame = makeFrame(container, {name: 'allocation', title: 'Compute allocation over rounds', render});
  const {plot, svg} = frame;
  plot.attr('transform', `translate(${M.left},${TOP + 8})`);
  const xAxis = plot.append('g').attr('class', 'gb-axis'), yAxis = plot.append('g').attr('class', 'gb-axis');
  const xLabel = plot.append('text').attr('class', 'gb-axis-label').attr('text-anchor', 'end').text('round');
  const yLabel = plot.append('text').attr('class', 'gb-axis-label').attr('transform', 'rotate(-90)').attr('text-anchor', 'end').attr('y', -62);
  const bandLayer = plot.append('g'), labelLayer = plot.append('g');
  const scaleSelect = addSelect(frame.controls, 'band height', [{value: 'share', label: 'share of the round (%)'}, {value: 'steps', label: 'steps'}],
    (v) => setOptions({normalise: v === 'share'}));

  function render() {
    scaleSelect.property('value', opts.normalise ? 'share' : 'steps');
    const innerW = frame.width - M.left - M.right, innerH = opts.height;
    const rounds = !state ? [] : state.rounds.filter((r) => r.round != null && Object.keys(r.allocation).length);
    frame.size(TOP + innerH + M.bottom + 16);
    if (!rounds.length) {
      [bandLayer, labelLayer, xAxis, yAxis].forEach((l) => l.selectAll('*').remove());
      frame.legend.selectAll('*').remove(); yLabel.text(''); xLabel.text(''); frame.subtitle.text('');
      const why = state ? 'No round has reported its allocation yet.' : 'Waiting for the swarm’s first round…';
      frame.empty(why, innerH);
      frame.describe(`Compute allocation: ${why}`);
      return;
    }
    frame.empty(null);
    xLabel.text('round');
    const named = new Set(rounds.flatMap((r) => Object.keys(r.allocation)));
    const members = state.members.map((m, index) => ({m, index})).filter(({m}) => named.has(m.id));
    const rows = rounds.map((r) => {
      const total = d3.sum(Object.values(r.allocation), (v) => (Number.isFinite(v) ? v : 0)) || 1;
      const row = {round: r.round, total};
      for (const {m} of members) { const v = r.allocation[m.id]; row[m.id] = Number.isFinite(v) ? (opts.normalise ? v / total : v) : 0; }
      return row;
    });
    // One extra row, a copy of the last, closes the last round's step.
    const last = rows[rows.length - 1];
    const padded = [...rows, {...last, round: last.round + 1}];
    const series = d3.stack().keys(members.map(({m}) => m.id))(padded);
    const x = d3.scaleLinear().domain([rows[0].round, last.round + 1]).range([0, innerW]);
    const top = opts.normalise ? 1 : d3.max(rows, (r) => r.total);
    const y = d3.scaleLinear().domain([0, top]).nice().range([innerH, 0]);
    const roundTicks = rows.map((r) => r.round).filter((r, i, all) => i % Math.ceil(all.length / Math.max(2, innerW / 40)) === 0);
    xAxis.attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).tickValues(roundTicks.map((r) => r + 0.5)).tickFormat((v) => d3.format('d')(v - 0.5)));
    yAxis.call(d3.axisLeft(y).ticks(5).tickFormat(opts.normalise ? d3.format('.0%') : d3.format('~s')));
    xLabel.attr('x', innerW).attr('y', innerH + 36);
    yLabel.attr('x', 0).text(opts.normalise ? 'share of the round’s steps' : 'steps trained in the round');
    const area = d3.area().curve(d3.curveStepAfter).x((d) => x(d.data.round)).y0((d) => y(d[0])).y1((d) => y(d[1]));
    const info = new Map(members.map((e) => [e.m.id, e]));
    bandLayer.selectAll('path').data(series, (s) => s.key).join('path').attr('class', 'gb-swarm-band gb-focus-ring')
      .attr('d', area).attr('fill', (s) => memberFill(svg, info.get(s.key).index)).attr('data-member', (s) => s.key)
      .classed('gb-selected', (s) => s.key === opts.selected)
      .call(asButton, (s) => `${s.key}: ${describeBand(s, rows)}. Enter selects.`, (s) => select(s.key))
      .on('pointermove', (event, s) => {
        const [px] = d3.pointer(event, plot.node());
        const row = rows[Math.max(0, Math.min(rows.length - 1, d3.bisectRight(rows.map((r) => r.round), x.invert(px)) - 1))];
        frame.tooltip([`${s.key}, round ${row.round}`, opts.normalise ? `${formatMetric('share', row[s.key])} of ${row.total} steps` : `${row[s.key]} of ${row.total} steps`], event);
      })
      .on('pointerleave', () => frame.tooltip(null));
    // Ids written inside the bands that are thick enough at the last round.
    const labels = series.filter((s) => y(s[s.length - 2][0]) - y(s[s.length - 2][1]) >= 15);
    labelLayer.selectAll('text').data(labels, (s) => s.key).join('text').attr('class', 'gb-swarm-label')
      .attr('x', x(last.round + 1) - 4).attr('text-anchor', 'end').attr('dominant-baseline', 'central')
      .attr('y', (s) => y((s[s.length - 2][0] + s[s.length - 2][1]) / 2)).text((s) => s.key);

    const items = members.map(({m, index}) => ({swatch: (g) => g.append('rect').attr('width', 22).attr('height', 12).attr('y', -1)
      .attr('fill', memberFill(svg, index)).attr('stroke', '#64748b').attr('stroke-width', 0.5), text: m.alive ? m.id : `${m.id} (culled)`, id: m.id}));
    const legendH = drawLegend(frame.legend, items, frame.width - 8);
    frame.legend.selectAll('.gb-swarm-legend-item').data(items).call(asButton, (it) => `${it.id}: select`, (it) => select(it.id));
    frame.legend.attr('transform', `translate(4,${TOP + innerH + M.bottom + 26})`);
    frame.size(TOP + innerH + M.bottom + 26 + legendH);
    const lastRound = rows[rows.length - 1];
    const leader = members.map(({m}) => m.id).sort((a, b) => lastRound[b] - lastRound[a])[0];
    frame.subtitle.text(`${plural(rows.length, 'round')} · ${plural(members.length, 'member')} · round ${lastRound.round}: ${lastRound.total} steps, most to ${leader}`);
    frame.describe(`Compute allocation over ${plural(rows.length, 'round')} for ${plural(members.length, 'member')}; in round ${lastRound.round} ` +
      `${leader} got the most (${opts.normalise ? formatMetric('share', lastRound[leader]) : lastRound[leader] + ' steps'}).`);
  }

  function describeBand(s, rows) {
    const values = rows.map((r) => r[s.key]);
    const fmt = (v) => (opts.normalise ? formatMetric('share', v) : `${v} steps`);
    return `from ${fmt(values[0])} in round ${rows[0].round} to ${fmt(values[values.length - 1])} in round ${rows[rows.length - 1].round}`;
  }

  function select(id) { opts.selected = id; render(); frame.emit(id); }
  function setOptions(partial = {}) { opts = {...opts, ...partial}; render(); }

  render();
  return viewContract(frame, 'swarm-allocation', {update(next) { state = next; frame.schedule(); }, setOptions});
}
