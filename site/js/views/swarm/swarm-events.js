// The swarm's event log: a timeline (one row per kind, a dot per round with events of that kind,
// its number when more than one) above the list itself, newest first, with "show more". Every
// member id in the list is a button that selects the member; kinds can be filtered out.
// Export (SVG/PNG) is of the timeline: the list is HTML text, copied as text.
// View contract: create(element, options) -> {update(state), setOptions, destroy, exportSVG, exportPNG,
// on('select', fn)}; options: kinds (null = all, else the kinds shown), limit (20 at a time), selected.
import {EVENT_KINDS} from '../../state/swarm-state.js';
import {d3, makeFrame, drawLegend, eventStyle, plural, viewContract} from './swarm-common.js';

const TOP = 56, ROW = 24, LABEL_W = 96, M = {right: 20, bottom: 34};

export function create(container, options = {}) {
  let opts = {kinds: null, limit: 20, selected: null, ...options};
  let state = null, shown = opts.limit;
  const frame = makeFrame(container, {name: 'events', title: 'Swarm events', render});
  const {plot, root} = frame;
  plot.attr('transform', `translate(0,${TOP})`);
  const rowLayer = plot.append('g'), dotLayer = plot.append('g'), xAxis = plot.append('g').attr('class', 'gb-axis');
  const xLabel = plot.append('text').attr('class', 'gb-axis-label').attr('text-anchor', 'end');
  const filter = frame.controls.append('fieldset').attr('class', 'gb-swarm-filter');
  filter.append('legend').text('show');
  const list = root.append('ol').attr('class', 'gb-swarm-events-list').attr('aria-label', 'Swarm events, newest first');
  const emptyNote = root.append('p').attr('class', 'gb-swarm-events-empty');
  const more = root.append('button').attr('type', 'button').attr('class', 'gb-swarm-more').on('click', () => { shown += opts.limit; render(); });

  const visible = (e) => !opts.kinds || opts.kinds.includes(e.kind);

  function renderFilter(kinds, counts) {
    filter.selectAll('label').data(kinds, (k) => k).join((enter) => {
      const label = enter.append('label');
      label.append('input').attr('type', 'checkbox').on('change', (event, k) => {
        const on = new Set(opts.kinds ?? kinds);
        if (event.target.checked) on.add(k); else on.delete(k);
        setOptions({kinds: kinds.every((x) => on.has(x)) ? null : [...on]});
      });
      label.append('span').attr('class', 'gb-swarm-event-icon').attr('aria-hidden', 'true');
      label.append('span').attr('class', 'gb-swarm-filter-text');
      return label;
    }).each(function (k) {
      const label = d3.select(this), style = eventStyle(k);
      label.select('input').property('checked', !opts.kinds || opts.kinds.includes(k));
      label.select('.gb-swarm-event-icon').style('background', style.color).text(style.icon);
      label.select('.gb-swarm-filter-text').text(`${style.label} (${counts.get(k) ?? 0})`);
    });
  }

  function memberButton(parent, id) {
    parent.append('button').attr('type', 'button').attr('class', 'gb-swarm-member-btn').attr('data-member', id)
      .attr('aria-pressed', String(id === opts.selected)).attr('aria-label', `select ${id}`).text(id)
      .on('click', () => select(id));
  }

  function renderList(events) {
    const items = list.selectAll('li').data(events, (d) => d.index).join((enter) => enter.append('li').attr('class', 'gb-swarm-event'))
      .attr('data-kind', (d) => d.e.kind);
    items.order().each(function (d) {
      // Rebuilt per item each update: a handful of spans, and the selection state lives in them.
      const li = d3.select(this), style = eventStyle(d.e.kind);
      li.selectAll('*').remove();
      const kind = li.append('span').attr('class', 'gb-swarm-event-kind');
      kind.append('span').attr('class', 'gb-swarm-event-icon').attr('aria-hidden', 'true').style('background', style.color).text(style.icon);
      kind.append('span').text(style.label);
      li.append('span').attr('class', 'gb-swarm-event-round').text(d.e.round == null ? 'round —' : `round ${d.e.round}`);
      if (d.e.member != null) memberButton(li, d.e.member);
      if (d.e.from.length) {
        li.append('span').attr('class', 'gb-swarm-event-round').text('from');
        d.e.from.forEach((id) => memberButton(li, id));
      }
      if (d.e.detail) li.append('span').attr('class', 'gb-swarm-event-detail').text(String(d.e.detail));
    });
  }

  function render() {
    const all = state ? state.events.map((e, index) => ({e, index})) : [];
    const kinds = [...EVENT_KINDS, ...new Set(all.map((d) => d.e.kind).filter((k) => !EVENT_KINDS.includes(k)))];
    const counts = d3.rollup(all, (v) => v.length, (d) => d.e.kind);
    renderFilter(kinds, counts);
    const filtered = all.filter((d) => visible(d.e)).reverse();
    renderList(filtered.slice(0, shown));
    const hidden = filtered.length - Math.min(shown, filtered.length);
    more.style('display', hidden > 0 ? null : 'none').text(`show ${Math.min(opts.limit, hidden)} more (${hidden} older not shown)`);
    emptyNote.style('display', filtered.length ? 'none' : null)
      .text(!state ? 'Waiting for the swarm’s first round…' : all.length ? 'No events of the kinds ticked above.' : 'No events yet.');

    // Timeline: rows = kinds that occur (and are ticked); dots per round.
    const rowKinds = kinds.filter((k) => counts.get(k) && (!opts.kinds || opts.kinds.includes(k)));
    const innerW = frame.width - LABEL_W - M.right, innerH = Math.max(1, rowKinds.length) * ROW;
    const roundsSeen = all.map((d) => d.e.round).filter((r) => r != null);
    if (!rowKinds.length || !roundsSeen.length) {
      [rowLayer, dotLayer, xAxis].forEach((l) => l.selectAll('*').remove());
      xLabel.text(''); frame.legend.selectAll('*').remove(); frame.subtitle.text('');
      frame.size(TOP + 70);
      frame.empty(!state ? 'Waiting for the swarm’s first round…' : all.length ? 'Every kind of event is filtered out.' : 'No events yet.', 70);
      frame.describe(`Swarm events: ${state ? plural(all.length, 'event') : 'none yet'}.`);
      return;
    }
    frame.empty(null);
    let [r0, r1] = d3.extent(state.rounds.map((r) => r.round).concat(roundsSeen).filter((r) => r != null));
    if (r0 === r1) { r0 -= 1; r1 += 1; }
    const x = d3.scaleLinear().domain([r0, r1]).range([LABEL_W + 10, LABEL_W + innerW]);
    const y = (k) => rowKinds.indexOf(k) * ROW + ROW / 2;
    rowLayer.selectAll('g').data(rowKinds, (k) => k).join((enter) => {
      const g = enter.append('g');
      g.append('line').attr('class', 'gb-swarm-row-rule').attr('stroke', '#e2e8f0');
      g.append('text').attr('class', 'gb-legend-label').attr('x', 0).attr('dominant-baseline', 'central');
      return g;
    }).attr('transform', (k) => `translate(0,${y(k)})`).each(function (k) {
      const g = d3.select(this);
      g.select('line').attr('x1', LABEL_W).attr('x2', LABEL_W + innerW);
      g.select('text').text(`${eventStyle(k).icon}  ${eventStyle(k).label}`);
    });
    const cells = d3.flatRollup(all.filter((d) => d.e.round != null && rowKinds.includes(d.e.kind)), (v) => v.map((d) => d.e), (d) => d.e.kind, (d) => d.e.round)
      .map(([kind, round, events]) => ({kind, round, events}));
    const dot = dotLayer.selectAll('g').data(cells, (c) => `${c.kind}@${c.round}`).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-swarm-event-dot');
      g.append('circle');
      g.append('text').attr('class', 'gb-swarm-cell-text').style('fill', '#ffffff');
      g.append('title');
      return g;
    }).attr('transform', (c) => `translate(${x(c.round)},${y(c.kind)})`).attr('data-kind', (c) => c.kind).attr('data-round', (c) => c.round);
    dot.select('circle').attr('r', (c) => (c.events.length > 1 ? 9 : 6)).attr('fill', (c) => eventStyle(c.kind).color)
      .attr('stroke', (c) => (c.events.some((e) => e.member === opts.selected || e.from.includes(opts.selected)) ? '#0f172a' : '#ffffff')).attr('stroke-width', 2);
    dot.select('text').text((c) => (c.events.length > 1 ? c.events.length : ''));
    dot.select('title').text((c) => `round ${c.round}, ${eventStyle(c.kind).label}: ${c.events.map((e) => e.member).join(', ')}`);
    xAxis.attr('transform', `translate(0,${innerH + 4})`).call(d3.axisBottom(x).ticks(Math.min(r1 - r0, Math.max(2, Math.floor(innerW / 60)))).tickFormat(d3.format('d')));
    xLabel.attr('x', LABEL_W + innerW).attr('y', innerH + 32).text('round');
    const items = [{swatch: (g) => { g.append('circle').attr('cx', 6).attr('cy', 5).attr('r', 5).attr('fill', '#64748b'); g.append('circle').attr('cx', 18).attr('cy', 5).attr('r', 7).attr('fill', '#64748b'); },
      text: 'dot = events of that kind in that round (a number: how many)'}];
    if (opts.selected != null) items.push({swatch: (g) => g.append('circle').attr('cx', 12).attr('cy', 5).attr('r', 6).attr('fill', '#fff').attr('stroke', '#0f172a').attr('stroke-width', 2), text: `dark outline = involves ${opts.selected}`});
    const legendH = drawLegend(frame.legend, items, frame.width - 8);
    frame.legend.attr('transform', `translate(4,${TOP + innerH + M.bottom + 18})`);
    frame.size(TOP + innerH + M.bottom + 18 + legendH);
    const latest = filtered[0]?.e;
    frame.subtitle.text(`${plural(filtered.length, 'event')}${opts.kinds ? ` (of ${all.length})` : ''} over rounds ${r0}–${r1}`);
    frame.describe(`Swarm events: ${plural(filtered.length, 'event')} shown of ${all.length}` +
      (latest ? `; latest: ${eventStyle(latest.kind).label} ${latest.member ?? ''} in round ${latest.round ?? '—'}.` : '.'));
  }

  function select(id) { opts.selected = id; render(); frame.emit(id); }
  function setOptions(partial = {}) {
    if ('limit' in partial) shown = partial.limit;
    opts = {...opts, ...partial};
    render();
  }

  render();
  return viewContract(frame, 'swarm-events', {update(next) { state = next; frame.schedule(); }, setOptions});
}
