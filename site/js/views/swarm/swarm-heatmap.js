// A members x metrics table in colour ('metrics': each column scaled on its own so that bright
// always means better, the raw value written in the cell and its tooltip), or members x rounds for
// one metric ('time'). Rows sort by clicking a column head (again: reverse), or by option sortBy.
// View contract: create(element, options) -> {update(state), setOptions, destroy, exportSVG, exportPNG,
// on('select', fn)}; options: mode ('metrics' | 'time'), metric (for 'time', 'val_accuracy'),
// metrics (the columns of 'metrics'), sortBy (null = stream order, 'id', a metric key, or 'round:N'),
// sortOrder ('best-first' | 'worst-first'), maxRounds (60), selected.
import {METRICS, metricInfo, metricValue, formatMetric} from '../../state/swarm-state.js';
import {d3, makeFrame, addSelect, asButton, drawLegend, rampSwatch, fitText, textOn, plural, viewContract} from './swarm-common.js';

const TOP = 56, HEAD = 44, ROW = 24, LABEL_W = 86, NO_VALUE = '#e2e8f0';
export const DEFAULT_COLUMNS = ['val_accuracy', 'val_loss', 'macro_f1', 'gap', 'fitness', 'share', 'allocated', 'ms_per_step', 'bytes'];

export function create(container, options = {}) {
  let opts = {mode: 'metrics', metric: 'val_accuracy', metrics: DEFAULT_COLUMNS, sortBy: null, sortOrder: 'best-first', maxRounds: 60, selected: null, ...options};
  let state = null, order = [];
  const frame = makeFrame(container, {name: 'heatmap', title: 'Swarm heatmap', render});
  const {plot} = frame;
  plot.attr('transform', `translate(0,${TOP})`);
  const headLayer = plot.append('g'), rowLayer = plot.append('g');
  const modeSelect = addSelect(frame.controls, 'show', [{value: 'metrics', label: 'members × metrics'}, {value: 'time', label: 'members × rounds'}], (v) => setOptions({mode: v}));
  const metricSelect = addSelect(frame.controls, 'metric over rounds', METRICS.map((m) => ({value: m.key, label: m.label})), (v) => setOptions({metric: v}));

  // Columns: {key, label, value(member) -> number|null, better(v) -> 0..1 where 1 = best in column}.
  function columns() {
    if (opts.mode === 'time') {
      const info = metricInfo(opts.metric) ?? metricInfo('val_accuracy');
      const rounds = state.rounds.map((r) => r.round).filter((r) => r != null);
      const fromMembers = [...new Set(state.members.flatMap((m) => m.history.map((h) => h.round)))].filter((r) => r != null);
      const all = [...new Set([...rounds, ...fromMembers])].sort((a, b) => a - b).slice(-opts.maxRounds);
      const entry = (m, r) => m.history.find((h) => h.round === r);
      const cols = all.map((r) => ({key: `round:${r}`, label: String(r), title: `round ${r}`, info, value: (m) => metricValue(info.key, entry(m, r))}));
      const finite = state.members.flatMap((m) => cols.map((c) => c.value(m))).filter((v) => v != null);
      const [lo, hi] = finite.length ? d3.extent(finite) : [0, 1];
      for (const c of cols) c.better = scaler(lo, hi, info.higherIsBetter);
      return {cols, info, lo, hi};
    }
    const cols = opts.metrics.map(metricInfo).filter(Boolean).map((info) => {
      const value = (m) => metricValue(info.key, m);
      const finite = state.members.map(value).filter((v) => v != null);
      const [lo, hi] = finite.length ? d3.extent(finite) : [0, 1];
      return {key: info.key, label: info.short, title: info.label, info, value, better: scaler(lo, hi, info.higherIsBetter)};
    });
    return {cols};
  }

  function scaler(lo, hi, higherIsBetter) {
    return (v) => {
      if (v == null) return null;
      const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      return higherIsBetter === false ? 1 - t : t;
    };
  }

  function sortedMembers(cols) {
    const members = [...state.members];
    const by = opts.sortBy;
    if (by == null) return members;
    if (by === 'id') {
      members.sort((a, b) => a.id.localeCompare(b.id, 'en', {numeric: true}));
      return opts.sortOrder === 'worst-first' ? members.reverse() : members;
    }
    // A column of the table, else a metric's latest value (sortBy a metric in 'time' mode).
    const col = cols.find((c) => c.key === by);
    const score = col ? (m) => col.better(col.value(m)) : (m) => {
      const info = metricInfo(by);
      const v = info ? metricValue(by, m) : null;
      return v == null ? null : info.higherIsBetter === false ? -v : v;
    };
    const sign = opts.sortOrder === 'worst-first' ? -1 : 1;
    // Missing values sort last whichever the order: a member with no data is not the worst.
    return members.sort((a, b) => {
      const x = score(a), y = score(b);
      if (x == null || y == null) return (x == null) - (y == null);
      return sign * (y - x);
    });
  }

  function sortOn(key) {
    const same = opts.sortBy === key;
    setOptions({sortBy: key, sortOrder: same && opts.sortOrder === 'best-first' ? 'worst-first' : 'best-first'});
  }

  function render() {
    modeSelect.property('value', opts.mode);
    metricSelect.property('value', opts.metric);
    metricSelect.node().parentNode.style.display = opts.mode === 'time' ? null : 'none';
    frame.svg.select('.gb-swarm-title').text(opts.mode === 'time' ? `Swarm heatmap: ${(metricInfo(opts.metric) ?? metricInfo('val_accuracy')).label} per round` : 'Swarm heatmap: members × metrics');
    if (!state || !state.members.length) {
      headLayer.selectAll('*').remove(); rowLayer.selectAll('*').remove(); frame.legend.selectAll('*').remove();
      frame.subtitle.text('');
      frame.size(TOP + 120);
      frame.empty(state ? 'The stream has no members yet.' : 'Waiting for the swarm’s first round…', 120);
      frame.describe('Swarm heatmap: no members yet.');
      return;
    }
    frame.empty(null);
    const {cols, info, lo, hi} = columns();
    const members = sortedMembers(cols);
    order = members.map((m) => m.id);
    const cellW = cols.length ? Math.max(opts.mode === 'time' ? 8 : 40, Math.min(opts.mode === 'time' ? 40 : 110, (frame.width - LABEL_W) / cols.length)) : 0;
    const showText = opts.mode === 'metrics' ? cellW >= 54 : cellW >= 34;
    const tableW = LABEL_W + cols.length * cellW;
    const labelEvery = Math.ceil(24 / Math.max(1, cellW));

    headLayer.selectAll('g.gb-swarm-col-head').data(cols, (c) => c.key).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-swarm-col-head');
      g.append('rect').attr('class', 'gb-swarm-row-hit gb-focus-ring');
      g.append('text').attr('text-anchor', 'middle');
      return g;
    }).attr('transform', (c, i) => `translate(${LABEL_W + i * cellW},0)`)
      .classed('gb-sorted', (c) => c.key === opts.sortBy).attr('data-column', (c) => c.key)
      .call(asButton, (c) => `Sort rows by ${c.title}${c.key === opts.sortBy ? ` (now ${opts.sortOrder.replace('-', ' ')})` : ''}`, (c) => sortOn(c.key))
      .each(function (c, i) {
        const g = d3.select(this);
        g.select('rect').attr('width', cellW).attr('height', HEAD - 6);
        const arrow = c.key === opts.sortBy ? (opts.sortOrder === 'best-first' ? ' ▼' : ' ▲') : '';
        const text = g.select('text').attr('x', cellW / 2).attr('y', HEAD - 14);
        if (opts.mode === 'time') text.text(i % labelEvery === 0 || arrow ? c.label + arrow : '');
        else fitText(text, c.label + arrow, cellW - 4);
      });
    const corner = headLayer.selectAll('g.gb-swarm-corner').data([0]).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-swarm-col-head gb-swarm-corner');
      g.append('rect').attr('class', 'gb-swarm-row-hit gb-focus-ring').attr('width', LABEL_W - 4).attr('height', HEAD - 6);
      g.append('text').attr('x', 2).attr('y', HEAD - 14);
      return g;
    }).classed('gb-sorted', opts.sortBy === 'id').call(asButton, () => 'Sort rows by member id', () => sortOn('id'));
    corner.select('text').text(opts.mode === 'time' ? 'member / round' : `member${opts.sortBy === 'id' ? (opts.sortOrder === 'best-first' ? ' ▼' : ' ▲') : ''}`);

    const rows = rowLayer.attr('transform', `translate(0,${HEAD})`).selectAll('g.gb-swarm-row').data(members, (m) => m.id).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-swarm-row');
      g.append('rect').attr('class', 'gb-swarm-row-hit gb-focus-ring').attr('height', ROW);
      g.append('text').attr('class', 'gb-swarm-row-label').attr('x', 4).attr('y', ROW / 2).attr('dominant-baseline', 'central');
      g.append('g').attr('class', 'gb-swarm-cells');
      return g;
    });
    rows.order().attr('transform', (m, i) => `translate(0,${i * ROW})`).attr('data-member', (m) => m.id)
      .classed('gb-selected', (m) => m.id === opts.selected).classed('gb-culled', (m) => !m.alive)
      .call(asButton, (m) => `${m.id}${m.alive ? '' : ' (culled)'}. Enter selects.`, (m) => select(m.id));
    rows.select('.gb-swarm-row-hit').attr('width', tableW);
    rows.select('.gb-swarm-row-label').text((m) => (m.alive ? m.id : `${m.id} ✕`));
    rows.select('.gb-swarm-cells').each(function (m) {
      const cells = d3.select(this).selectAll('g').data(cols, (c) => c.key).join((enter) => {
        const g = enter.append('g');
        g.append('rect').attr('class', 'gb-swarm-cell');
        g.append('text').attr('class', 'gb-swarm-cell-text');
        g.append('title');
        return g;
      }).attr('transform', (c, i) => `translate(${LABEL_W + i * cellW},0)`);
      cells.each(function (c) {
        const g = d3.select(this), v = c.value(m), b = c.better(v);
        g.select('rect').attr('width', cellW).attr('height', ROW).attr('fill', b == null ? NO_VALUE : d3.interpolateViridis(b));
        g.select('text').attr('x', cellW / 2).attr('y', ROW / 2).style('fill', b == null ? '#64748b' : textOn(b))
          .text(showText ? formatMetric(c.info.key, v) : '');
        g.select('title').text(`${m.id} · ${c.title}: ${formatMetric(c.info.key, v)}`);
      });
    });

    const tableH = HEAD + members.length * ROW;
    const items = opts.mode === 'time'
      ? [{swatch: (g) => rampSwatch(g.attr('transform', 'translate(0,-6)'), {width: 24, reversed: info.higherIsBetter === false}),
        text: `colour = ${info.label}: ${formatMetric(info.key, lo)} → ${formatMetric(info.key, hi)} (yellow = ${info.higherIsBetter === false ? 'lower' : 'higher'}, the better end)`}]
      : [{swatch: (g) => rampSwatch(g.attr('transform', 'translate(0,-6)'), {width: 24}),
        text: 'colour: each column on its own scale, yellow = best member, purple = worst'}, {text: 'lower is better for loss, gap, ms/step, memory'}];
    if (members.some((m) => cols.some((c) => c.value(m) == null))) {
      items.push({swatch: (g) => g.append('rect').attr('width', 24).attr('height', 12).attr('y', -1).attr('fill', NO_VALUE), text: 'grey = no value'});
    }
    if (members.some((m) => !m.alive)) items.push({text: '✕ = culled member'});
    items.push({text: `rows sorted by ${opts.sortBy == null ? 'order of appearance' : opts.sortBy === 'id' ? 'member id' : (cols.find((c) => c.key === opts.sortBy)?.title ?? opts.sortBy) + ', ' + opts.sortOrder.replace('-', ' ')} · click a column head to sort`});
    const legendH = drawLegend(frame.legend, items, frame.width);
    frame.legend.attr('transform', `translate(4,${TOP + tableH + 22})`);
    frame.size(TOP + tableH + 22 + legendH);
    frame.subtitle.text(opts.mode === 'time'
      ? `${plural(members.length, 'member')} × ${plural(cols.length, 'round')}${cols.length === opts.maxRounds ? ` (the last ${opts.maxRounds})` : ''}`
      : `${plural(members.length, 'member')} × ${plural(cols.length, 'metric')} at round ${state.round ?? '—'}`);
    const top = members[0];
    frame.describe(`Swarm heatmap, ${opts.mode === 'time' ? `${info.label} over ${plural(cols.length, 'round')}` : `${plural(cols.length, 'metric')}`} for ${plural(members.length, 'member')}; ` +
      (opts.sortBy != null && top ? `top row ${top.id} (sorted by ${opts.sortBy}).` : 'rows in order of appearance.'));
  }

  function select(id) { opts.selected = id; render(); frame.emit(id); }
  function setOptions(partial = {}) { opts = {...opts, ...partial}; render(); }

  render();
  return viewContract(frame, 'swarm-heatmap', {update(next) { state = next; frame.schedule(); }, setOptions}, {
    /** Member ids in row order, top to bottom. */
    rowOrder: () => [...order],
  });
}
