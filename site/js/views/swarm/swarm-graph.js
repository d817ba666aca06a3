// The swarm as a graph: one node per member (size and colour = a chosen metric), grey links
// between members at least `threshold` similar (latest round), and lineage arrows: bred children
// from both parents, exploit targets from their source (dashed).
// View contract: create(element, options) -> {update(state), setOptions, destroy, exportSVG, exportPNG,
// on('select', fn)}; options: metric ('val_accuracy'), similarity ('combined'), threshold (0.8),
// culled ('fade' | 'hide'), lineage ('recent' | 'all' | 'none'), selected (member id), height (plot px).
// The layout is force-directed but computed in one go, never animated: positions are kept by id,
// and only a change of membership re-runs it, gently, with the old nodes pulled to where they were.
import {METRICS, SIMILARITY_KINDS, metricInfo, metricValue, formatMetric, latestSimilarity, lineage, bestMembers, memberById} from '../../state/swarm-state.js';
import {d3, makeFrame, addSelect, asButton, drawLegend, rampSwatch, plural, EVENT_STYLE, viewContract} from './swarm-common.js';

const TOP = 56, RECENT_ROUNDS = 3;
const ARROWS = {bred: EVENT_STYLE.bred.color, exploited: EVENT_STYLE.exploited.color, parent: '#64748b'};
const THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const NO_VALUE = '#cbd5e1';

export function create(container, options = {}) {
  let opts = {metric: 'val_accuracy', similarity: 'combined', threshold: 0.8, culled: 'fade', lineage: 'recent', selected: null, height: 360, ...options};
  let state = null, plotW = 0, layoutKey = '';
  const nodes = new Map(); // id -> {id, x, y, vx, vy, ax, ay}: survives updates, so positions do
  const frame = makeFrame(container, {name: 'graph', title: 'Swarm: members, similarity and lineage', render});
  const {svg, plot} = frame;
  const markerIds = {};
  const defs = svg.insert('defs', ':first-child');
  for (const [kind, color] of Object.entries(ARROWS)) {
    markerIds[kind] = `gb-swarm-arrow-${svg.attr('data-uid')}-${kind}`;
    defs.append('marker').attr('id', markerIds[kind]).attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
      .attr('markerWidth', 7).attr('markerHeight', 7).attr('orient', 'auto-start-reverse')
      .append('path').attr('d', 'M0,0 L10,5 L0,10 z').attr('fill', color);
  }
  plot.attr('transform', `translate(0,${TOP})`);
  const simLayer = plot.append('g'), arrowLayer = plot.append('g'), nodeLayer = plot.append('g');

  const metricSelect = addSelect(frame.controls, 'size & colour', METRICS.map((m) => ({value: m.key, label: m.label})), (v) => setOptions({metric: v}));
  const simSelect = addSelect(frame.controls, 'links show', SIMILARITY_KINDS.map((k) => ({value: k, label: `${k} similarity`})), (v) => setOptions({similarity: v}));
  const thresholdSelect = addSelect(frame.controls, 'similarity ≥', THRESHOLDS.map((t) => ({value: String(t), label: String(t)})), (v) => setOptions({threshold: +v}));
  const culledSelect = addSelect(frame.controls, 'culled', [{value: 'fade', label: 'faded'}, {value: 'hide', label: 'hidden'}], (v) => setOptions({culled: v}));
  const lineageSelect = addSelect(frame.controls, 'lineage', [{value: 'recent', label: `last ${RECENT_ROUNDS} rounds`},
    {value: 'all', label: 'all rounds'}, {value: 'none', label: 'none'}], (v) => setOptions({lineage: v}));

  const plotH = () => opts.height;
  const radius = (t) => (t == null ? 6 : 7 + 13 * Math.sqrt(t));

  function drawn() {
    if (!state) return [];
    return state.members.filter((m) => m.alive || opts.culled !== 'hide');
  }

  // Bounds for the largest node with its selection ring: a node's size follows the metric, and
  // a bound that followed it would move nodes whenever the metric changed.
  const PAD = 20 + 5 + 4;
  function clamp(n) {
    n.x = Math.max(PAD, Math.min(plotW - PAD, n.x));
    n.y = Math.max(PAD, Math.min(plotH() - PAD - 14, n.y));
  }

  // Force layout, run synchronously: first time from scratch; later with old nodes anchored.
  function layout(members, simLinks, treeLinks) {
    const first = ![...nodes.values()].some((n) => n.placed);
    const cx = plotW / 2, cy = plotH() / 2;
    const list = members.map((m, i) => {
      let n = nodes.get(m.id);
      if (!n) {
        const parent = m.parents.map((p) => nodes.get(p)).find((p) => p && p.placed);
        const angle = i * 2.39996, spread = parent ? 36 : 12 * Math.sqrt(i + 1);
        n = {id: m.id, x: (parent ? parent.x : cx) + spread * Math.cos(angle), y: (parent ? parent.y : cy) + spread * Math.sin(angle)};
        nodes.set(m.id, n);
      }
      n.anchored = !first && n.placed;
      n.culled = !m.alive;
      n.ax = n.x; n.ay = n.y;
      return n;
    });
    const byId = new Map(list.map((n) => [n.id, n]));
    const links = [...simLinks.map((e) => ({...e, strength: 0.25 * e.value, distance: 40 + 90 * (1 - e.value)})),
      ...treeLinks.map((e) => ({...e, strength: 0.08, distance: 80}))].filter((e) => byId.has(e.source) && byId.has(e.target));
    // Members with no link (culled ones, loners) would drift to the walls: pull them in harder.
    const linked = new Set(links.flatMap((e) => [e.source, e.target]));
    const anchor = (alpha) => { for (const n of list) if (n.anchored) { n.vx += (n.ax - n.x) * 0.5 * alpha * 4; n.vy += (n.ay - n.y) * 0.5 * alpha * 4; } };
    const sim = d3.forceSimulation(list).stop()
      .force('charge', d3.forceManyBody().strength((n) => (n.culled ? -60 : -260)).distanceMax(Math.max(plotW, plotH())))
      .force('link', d3.forceLink(links).id((n) => n.id).strength((e) => e.strength).distance((e) => e.distance))
      .force('collide', d3.forceCollide((n) => (n.r ?? 10) + 16))
      .force('x', d3.forceX(cx).strength((n) => (linked.has(n.id) ? 0.03 : 0.08))).force('y', d3.forceY(cy).strength((n) => (linked.has(n.id) ? 0.08 : 0.14)))
      .force('anchor', anchor);
    sim.alpha(first ? 1 : 0.3);
    for (let i = 0, ticks = first ? 300 : 120; i < ticks; i++) { sim.tick(); list.forEach(clamp); }
    list.forEach((n) => { n.placed = true; n.vx = n.vy = 0; });
  }

  function render() {
    const previousW = plotW;
    plotW = frame.width;
    if (previousW && previousW !== plotW) for (const n of nodes.values()) n.x *= plotW / previousW;
    metricSelect.property('value', opts.metric); simSelect.property('value', opts.similarity);
    thresholdSelect.property('value', String(opts.threshold)); culledSelect.property('value', opts.culled);
    lineageSelect.property('value', opts.lineage);
    const members = drawn();
    if (!members.length) {
      [simLayer, arrowLayer, nodeLayer].forEach((l) => l.selectAll('*').remove());
      frame.legend.selectAll('*').remove();
      frame.subtitle.text('');
      frame.size(TOP + plotH());
      frame.empty(state ? 'No members to draw (all culled and hidden).' : 'Waiting for the swarm’s first round…', plotH());
      frame.describe('Swarm graph: no members yet.');
      return;
    }
    frame.empty(null);
    const info = metricInfo(opts.metric) ?? metricInfo('val_accuracy');
    const values = new Map(members.map((m) => [m.id, metricValue(info.key, m)]));
    const finite = [...values.values()].filter((v) => v != null);
    const [lo, hi] = finite.length ? d3.extent(finite) : [0, 1];
    const t = (v) => (v == null ? null : hi > lo ? (v - lo) / (hi - lo) : 0.5);
    const ids = new Set(members.map((m) => m.id));
    const simLinks = latestSimilarity(state, opts.similarity, opts.threshold).filter((e) => ids.has(e.source) && ids.has(e.target));
    const lastRound = state.round ?? 0;
    const arrows = opts.lineage === 'none' ? [] : lineage(state).filter((e) => ids.has(e.source) && ids.has(e.target)
      && (opts.lineage === 'all' || e.kind !== 'exploited' || (e.round ?? lastRound) > lastRound - RECENT_ROUNDS));
    for (const m of members) { const n = nodes.get(m.id); if (n) n.r = radius(t(values.get(m.id))); }

    const key = members.map((m) => m.id).join(',');
    if (key !== layoutKey || previousW !== plotW) {
      layout(members, simLinks, arrows.filter((e) => e.kind !== 'exploited'));
      layoutKey = key;
    }
    for (const m of members) nodes.get(m.id).r = radius(t(values.get(m.id)));

    simLayer.selectAll('line').data(simLinks, (e) => `${e.source}>${e.target}`).join('line').attr('class', 'gb-swarm-sim')
      .attr('x1', (e) => nodes.get(e.source).x).attr('y1', (e) => nodes.get(e.source).y)
      .attr('x2', (e) => nodes.get(e.target).x).attr('y2', (e) => nodes.get(e.target).y)
      .attr('stroke-width', (e) => 1 + 4 * Math.max(0, (e.value - opts.threshold) / Math.max(0.05, 1 - opts.threshold)))
      .attr('opacity', (e) => (memberById(state, e.source).alive && memberById(state, e.target).alive ? 0.8 : 0.3));

    arrowLayer.selectAll('path').data(arrows, (e) => `${e.kind}:${e.source}>${e.target}`).join('path')
      .attr('class', (e) => `gb-swarm-arrow gb-${e.kind}`).attr('stroke', (e) => ARROWS[e.kind])
      .attr('marker-end', (e) => `url(#${markerIds[e.kind]})`).attr('d', (e) => arrowPath(nodes.get(e.source), nodes.get(e.target)));

    const node = nodeLayer.selectAll('g.gb-swarm-node').data(members, (m) => m.id).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-swarm-node');
      g.append('circle').attr('class', 'gb-swarm-selected-ring');
      g.append('circle').attr('class', 'gb-swarm-dot gb-focus-ring');
      g.append('text').attr('class', 'gb-swarm-label').attr('text-anchor', 'middle');
      return g;
    });
    node.attr('transform', (m) => `translate(${nodes.get(m.id).x},${nodes.get(m.id).y})`).attr('data-member', (m) => m.id)
      .classed('gb-culled', (m) => !m.alive).classed('gb-selected', (m) => m.id === opts.selected)
      .call(asButton, (m) => `${m.id}, ${m.alive ? 'alive' : 'culled'}: ${info.label} ${formatMetric(info.key, values.get(m.id))}. Enter selects.`, (m) => select(m.id))
      .on('pointermove', (event, m) => frame.tooltip(tooltipLines(m, info, values.get(m.id)), event))
      .on('pointerleave', () => frame.tooltip(null));
    node.select('.gb-swarm-dot').attr('r', (m) => nodes.get(m.id).r)
      .attr('fill', (m) => (values.get(m.id) == null ? NO_VALUE : d3.interpolateViridis(t(values.get(m.id)))));
    node.select('.gb-swarm-selected-ring').attr('r', (m) => nodes.get(m.id).r + 5);
    node.select('.gb-swarm-label').attr('y', (m) => nodes.get(m.id).r + 14).classed('gb-swarm-label-strong', (m) => m.id === opts.selected).text((m) => m.id);

    const legendH = drawLegend(frame.legend, legendItems(info, lo, hi, finite.length < members.length, simLinks, arrows, members), frame.width);
    frame.legend.attr('transform', `translate(4,${TOP + plotH() + 14})`);
    frame.size(TOP + plotH() + legendH + 14);
    const alive = members.filter((m) => m.alive).length, culled = state.members.length - state.members.filter((m) => m.alive).length;
    const best = memberById(state, state.rounds.at(-1)?.best) ?? bestMembers(state, 1)[0];
    frame.subtitle.text(`round ${state.round ?? '—'} · ${plural(state.members.length, 'member')}, ${alive} alive` +
      (best ? ` · best ${best.id} (fitness ${formatMetric('fitness', best.fitness)})` : ''));
    frame.describe(`Swarm graph at round ${state.round ?? 'none'}: ${plural(state.members.length, 'member')} (${alive} alive, ${culled} culled${culled ? (opts.culled === 'hide' ? ', hidden' : ', faded') : ''}); ` +
      (best ? `best ${best.id} at ${formatMetric(info.key, metricValue(info.key, best))} ${info.label}; ` : '') +
      `${plural(simLinks.length, 'link')} of ${opts.similarity} similarity ≥ ${opts.threshold}; ${plural(arrows.length, 'lineage arrow')}.`);
  }

  // A gently bent arrow from the edge of a's circle to the edge of b's: two arrows in opposite
  // directions between the same pair bend apart instead of overlapping.
  function arrowPath(a, b) {
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1, ux = dx / len, uy = dy / len;
    const x0 = a.x + ux * (a.r + 2), y0 = a.y + uy * (a.r + 2), x1 = b.x - ux * (b.r + 4), y1 = b.y - uy * (b.r + 4);
    const bend = 0.18 * len, mx = (x0 + x1) / 2 - uy * bend, my = (y0 + y1) / 2 + ux * bend;
    return `M${x0},${y0} Q${mx},${my} ${x1},${y1}`;
  }

  function legendItems(info, lo, hi, someMissing, simLinks, arrows, members) {
    const items = [{swatch: (g) => rampSwatch(g.attr('transform', 'translate(0,-6)'), {width: 24}),
      text: `size & colour = ${info.label}: ${formatMetric(info.key, lo)} (small, purple) → ${formatMetric(info.key, hi)} (large, yellow)` +
        `, ${info.higherIsBetter ? 'higher' : 'lower'} is better`}];
    if (someMissing) items.push({swatch: (g) => g.append('circle').attr('cx', 12).attr('cy', 5).attr('r', 6).attr('fill', NO_VALUE).attr('stroke', '#1e293b'), text: 'grey = no value yet'});
    items.push({swatch: (g) => g.append('line').attr('class', 'gb-swarm-sim').attr('x1', 0).attr('x2', 24).attr('y1', 5).attr('y2', 5).attr('stroke-width', 3),
      text: simLinks.length ? `line = ${opts.similarity} similarity ≥ ${opts.threshold} (thicker = more similar)` : `no pairs with ${opts.similarity} similarity ≥ ${opts.threshold}`});
    const kinds = new Set(arrows.map((e) => e.kind));
    const arrowText = {bred: 'arrow = bred (parent → child)', exploited: `dashed arrow = exploited (source → target${opts.lineage === 'recent' ? `, last ${RECENT_ROUNDS} rounds` : ''})`, parent: 'grey arrow = parent → child'};
    for (const kind of ['bred', 'exploited', 'parent']) {
      if (!kinds.has(kind)) continue;
      items.push({swatch: (g) => g.append('line').attr('class', `gb-swarm-arrow gb-${kind}`).attr('stroke', ARROWS[kind]).attr('x1', 0).attr('x2', 22).attr('y1', 5).attr('y2', 5)
        .attr('marker-end', `url(#${markerIds[kind]})`), text: arrowText[kind]});
    }
    const culled = state.members.filter((m) => !m.alive).length;
    if (culled && opts.culled === 'fade') {
      items.push({swatch: (g) => g.append('circle').attr('cx', 12).attr('cy', 5).attr('r', 6).attr('fill', NO_VALUE).attr('stroke', '#1e293b').attr('stroke-dasharray', '3 2').attr('opacity', 0.4),
        text: `faded, dashed = culled (${culled})`});
    } else if (culled) items.push({text: `${plural(culled, 'culled member')} hidden`});
    if (opts.selected != null && members.some((m) => m.id === opts.selected)) {
      items.push({swatch: (g) => g.append('circle').attr('cx', 12).attr('cy', 5).attr('r', 7).attr('fill', 'none').attr('stroke', '#0f172a').attr('stroke-width', 3),
        text: `ring = selected (${opts.selected})`});
    }
    return items;
  }

  function tooltipLines(m, info, value) {
    const c = m.config ?? {};
    return [`${m.id}${m.alive ? '' : ' (culled)'}`, `${info.label}: ${formatMetric(info.key, value)}`,
      `fitness ${formatMetric('fitness', m.fitness)} · share ${formatMetric('share', m.share)}`,
      c.sizes ? `layers ${c.sizes.join('–')}${c.activation ? ' · ' + c.activation : ''}` : 'architecture unknown',
      c.optimizer || c.lr != null ? `${c.optimizer ?? ''} lr ${c.lr ?? '—'} · batch ${c.batch_size ?? '—'}` : '',
      m.parents.length ? `from ${m.parents.join(' + ')}` : 'random start'].filter(Boolean);
  }

  function select(id) { opts.selected = id; render(); frame.emit(id); }

  function setOptions(partial = {}) {
    const relayout = 'culled' in partial && partial.culled !== opts.culled;
    opts = {...opts, ...partial};
    if (relayout || 'height' in partial) layoutKey = '';
    render();
  }

  render();
  return viewContract(frame, 'swarm-graph', {update(next) { state = next; frame.schedule(); }, setOptions}, {
    /** Node centres by member id (plot coordinates): what the stability test compares. */
    positions: () => Object.fromEntries([...nodes].filter(([id]) => state && memberById(state, id)).map(([id, n]) => [id, [n.x, n.y]])),
  });
}
