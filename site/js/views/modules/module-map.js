// Module map: each hidden layer's modules as nodes (size = members, colour = stable id, label =
// what drives it), then the output classes; edges aggregate the weights between modules and
// the gradient flow through them (width = flow or |summed weight|, colour = sign of the sum).
// View contract: create(element, options) -> {update(result), setOptions({edges, animate, selected}),
// destroy, exportSVG, exportPNG}; update takes the engine's 'modules' result; on('select', fn)
// reports a clicked module (the ui or mount hands it to the modules source).
import d3 from '../common/d3.js';
import {exportSVG, exportPNG} from '../common/export-image.js';
import {moduleColor, fmt, fmtPct, fmtPts, makeTooltip, asButton, plural, useModulesStyles, POSITIVE, NEGATIVE} from './module-common.js';

const TOP = 40, LEGEND = 74, ROW = 60, OUT_ROW = 30, CARD_H = 50, MIN_SHOWN = 0.02;
const fmt2 = d3.format('.2~g');
/** Set `text`, shortened with an ellipsis until it fits `maxWidth` pixels (the tooltip has it whole). */
function fitText(selection, text, maxWidth) {
  const node = selection.text(text).node();
  let shown = text;
  while (shown.length > 4 && node.getComputedTextLength && node.getComputedTextLength() > maxWidth) {
    shown = shown.slice(0, -2);
    node.textContent = shown + '…';
  }
}

export function create(container, options = {}) {
  useModulesStyles();
  let {selected = null, ...rest} = options;
  let opts = {edges: 'flow', animate: false, ...rest};
  let result = null, width = 0;
  const listeners = {select: new Set()};
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-module-map');
  const svg = root.append('svg').attr('role', 'group').attr('aria-label', 'Module map');
  const tooltip = makeTooltip(root);
  const edgeLayer = svg.append('g').attr('class', 'gb-mod-edges');
  const nodeLayer = svg.append('g').attr('class', 'gb-mod-nodes');
  const headLayer = svg.append('g');
  const legend = svg.append('g').attr('class', 'gb-legend');
  const empty = svg.append('text').attr('class', 'gb-empty');

  // Modules are cards (left edge x, centre y): a circle sized by member count, then the label.
  function layout() {
    const layers = result.layers.map((entry) => entry.layer);
    const nOut = result.layer_sizes[result.layer_sizes.length - 1];
    const outX = width - 60, left = 12, L = layers.length;
    // Equal edge spans between columns: left + L * (card + span) = outX - 8.
    const cardW = Math.round(Math.min(380, Math.max(170, (outX - left) / L - 150)));
    const span = (outX - 8 - left - L * cardW) / L;
    const xs = layers.map((_, c) => left + c * (cardW + span));
    const maxModules = d3.max(result.layers, (e) => e.modules.length) || 1;
    const height = TOP + Math.max(maxModules * ROW, nOut * OUT_ROW) + LEGEND + 10;
    const maxSize = d3.max(result.modules, (m) => m.size) || 1;
    const nodes = new Map();
    result.layers.forEach((entry, c) => entry.modules.forEach((m, i) => {
      const span = entry.modules.length * ROW, top = TOP + (height - TOP - LEGEND - span) / 2;
      nodes.set('m' + m.id, {key: 'm' + m.id, module: m, x: xs[c], y: top + ROW * (i + 0.5), inX: xs[c], outX: xs[c] + cardW,
        r: 6 + 13 * Math.sqrt(m.size / maxSize)});
    }));
    const outTop = TOP + (height - TOP - LEGEND - nOut * OUT_ROW) / 2;
    for (let j = 0; j < nOut; j++) {
      nodes.set('out' + j, {key: 'out' + j, output: j, x: outX, y: outTop + OUT_ROW * (j + 0.5), inX: outX - 8, r: 8});
    }
    return {xs, outX, height, nodes, layers, cardW};
  }

  function edgeValue(e) { return opts.edges === 'flow' ? e.flow : Math.abs(e.weight); }

  function draw() {
    svg.attr('width', width);
    if (!result) {
      svg.attr('height', 120);
      edgeLayer.selectAll('*').remove(); nodeLayer.selectAll('*').remove(); headLayer.selectAll('*').remove(); legend.selectAll('*').remove();
      empty.attr('x', width / 2).attr('y', 60).text('Modules appear here once they are computed…');
      return;
    }
    empty.text('');
    const {xs, outX, height, nodes, layers, cardW} = layout();
    svg.attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const className = (j) => result.class_names?.[j] ?? String(j);

    headLayer.selectAll('text').data([...layers.map((l, c) => ({x: xs[c], anchor: 'start', text: `hidden layer ${l}: ${result.layers[c].modules.length} modules`})),
      {x: outX, anchor: 'middle', text: 'output'}]).join('text')
      .attr('class', 'gb-layer-title').style('text-anchor', (d) => d.anchor).attr('x', (d) => d.x).attr('y', 22).text((d) => d.text);

    const maxValue = d3.max(result.edges, edgeValue) || 1;
    const shown = result.edges.filter((e) => nodes.has(e.from) && nodes.has(e.to) && edgeValue(e) >= MIN_SHOWN * maxValue);
    const path = (e) => {
      const a = nodes.get(e.from), b = nodes.get(e.to), x0 = a.outX, x1 = b.inX, mid = (x0 + x1) / 2;
      return `M${x0},${a.y} C${mid},${a.y} ${mid},${b.y} ${x1},${b.y}`;
    };
    const dim = (e) => selected != null && e.from !== 'm' + selected && e.to !== 'm' + selected;
    edgeLayer.selectAll('g.gb-mod-edge').data(shown, (e) => e.from + '>' + e.to).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-mod-edge');
      g.append('path').attr('class', 'gb-mod-edge-line');
      g.append('path').attr('class', 'gb-mod-edge-hit');
      return g;
    }).each(function (e) {
      const g = d3.select(this), d = path(e), t = edgeValue(e) / maxValue, w = 0.8 + 9 * t;
      g.select('.gb-mod-edge-line').attr('d', d).attr('stroke', e.weight >= 0 ? POSITIVE : NEGATIVE)
        .attr('stroke-width', w).attr('opacity', dim(e) ? 0.08 : 0.18 + 0.6 * t)
        .classed('gb-mod-flowing', opts.animate).style('animation-duration', `${(2.6 - 2 * t).toFixed(2)}s`);
      g.select('.gb-mod-edge-hit').attr('d', d).attr('stroke-width', Math.max(8, w));
    }).on('pointermove', (event, e) => {
      const [x, y] = d3.pointer(event, root.node());
      const to = e.to.startsWith('out') ? `class ${className(+e.to.slice(3))}` : `M${e.to.slice(1)}`;
      tooltip.show([`M${e.from.slice(1)} → ${to}`, `summed weight ${fmt(e.weight)} (mean |w| ${fmt(e.mean_abs_weight)})`,
        `gradient flow Σ|w·∂L/∂w| ${fmt(e.flow)}`], x, y);
    }).on('pointerleave', () => tooltip.hide());

    const moduleNodes = [...nodes.values()].filter((n) => n.module);
    nodeLayer.selectAll('g.gb-mod-node').data(moduleNodes, (n) => n.key).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-mod-node').attr('transform', (n) => `translate(${n.x},${n.y})`);
      g.append('rect').attr('class', 'gb-mod-card').attr('height', CARD_H).attr('y', -CARD_H / 2).attr('rx', 7);
      g.append('circle').attr('cx', 26);
      g.append('text').attr('class', 'gb-mod-label').attr('x', 50).attr('y', -5);
      g.append('text').attr('class', 'gb-mod-sub').attr('x', 50).attr('y', 13);
      return g;
    }).call((g) => asButton(g, (n) => `Module M${n.module.id}: ${n.module.label}. Open its neurons.`, (n) => emit(n.module.id)))
      .attr('data-module', (n) => n.module.id)
      .classed('gb-selected', (n) => n.module.id === selected)
      .each(function (n) {
        const g = d3.select(this), m = n.module, faded = selected != null && m.id !== selected;
        g.transition().duration(450).attr('transform', `translate(${n.x},${n.y})`);
        g.select('.gb-mod-card').attr('width', cardW).attr('stroke', moduleColor(m.id)).attr('opacity', faded ? 0.5 : 1);
        g.select('circle').attr('r', n.r).attr('fill', moduleColor(m.id));
        fitText(g.select('.gb-mod-label'), `M${m.id}: ${m.label}`, cardW - 58);
        const metric = m.metrics ? ` · silenced ${fmtPts(m.metrics.ablation.accuracy_drop)}` : '';
        fitText(g.select('.gb-mod-sub'), `#${m.rank} · ${plural(m.size, 'neuron')} · G ${fmt2(m.gradient_significance)}${metric}`, cardW - 58);
        // The spoken name holds the visible (possibly shortened) text, as WCAG's label-in-name asks.
        g.attr('aria-label', `${g.select('.gb-mod-label').text()} ${g.select('.gb-mod-sub').text()}. Open its neurons.`);
      })
      .on('pointermove', (event, n) => { const [x, y] = d3.pointer(event, root.node()); tooltip.show(moduleLines(n.module), x, y); })
      .on('pointerleave', () => tooltip.hide());

    const outs = [...nodes.values()].filter((n) => n.output != null);
    nodeLayer.selectAll('g.gb-mod-out').data(outs, (n) => n.key).join((enter) => {
      const g = enter.append('g').attr('class', 'gb-mod-out');
      g.append('circle');
      g.append('text');
      return g;
    }).attr('transform', (n) => `translate(${n.x},${n.y})`).each(function (n) {
      const g = d3.select(this);
      g.select('circle').attr('r', n.r);
      g.select('text').attr('x', n.r + 5).text(className(n.output));
    });
    drawLegend(height);
  }

  function moduleLines(m) {
    const members = m.members.slice(0, 12).join(', ') + (m.members.length > 12 ? ', …' : '');
    const lines = [`M${m.id} · layer ${m.layer} · ${m.label}`, `${plural(m.size, 'neuron')}: ${members}`,
      `gradient significance G = ${fmt(m.gradient_significance)} (rank #${m.rank})`,
      `mean |∂loss/∂activation| ${fmt(m.gradient_magnitude)}`,
      `within-module variance ${fmt(m.within_variance)} · separation ${m.separation == null ? '—' : fmt(m.separation)}`,
      `dead neurons ${fmtPct(m.dead_fraction)}`];
    if (m.top_features?.length) lines.push('inputs most correlated: ' + m.top_features.map((f) => `${f.name} (${fmt(f.corr)})`).join(', '));
    if (m.metrics) {
      lines.push(`silenced: accuracy ${fmtPct(m.metrics.ablation.accuracy)} (${fmtPts(m.metrics.ablation.accuracy_drop)})`);
      lines.push(`read-out alone: ${fmtPct(m.metrics.readout.accuracy)} accuracy`);
    }
    lines.push('Click or press Enter to see its neurons');
    return lines;
  }

  function drawLegend(height) {
    legend.attr('transform', `translate(14,${height - LEGEND + 14})`).selectAll('*').remove();
    const row = (y, items) => items.forEach(([draw, text], i) => {
      const g = legend.append('g').attr('transform', `translate(${i * 290},${y})`);
      draw(g);
      g.append('text').attr('class', 'gb-legend-label').attr('x', 30).attr('y', 4).attr('dominant-baseline', 'middle').text(text);
    });
    row(0, [
      [(g) => [0, 1, 2].forEach((i) => g.append('circle').attr('cx', 4 + i * 9).attr('r', 4).attr('fill', moduleColor(i))), 'colour = module (keeps its id)'],
      [(g) => { g.append('circle').attr('cx', 6).attr('r', 4).attr('fill', '#94a3b8'); g.append('circle').attr('cx', 20).attr('r', 8).attr('fill', '#94a3b8'); }, 'size = number of neurons'],
      [(g) => g.append('text').attr('class', 'gb-legend-label').attr('x', 0).attr('y', 4).attr('dominant-baseline', 'middle').text('#1'), 'rank by |gradient significance G|'],
    ]);
    row(26, [
      [(g) => [1, 4].forEach((w, i) => g.append('line').attr('x1', 0).attr('x2', 24).attr('y1', i * 6 - 3).attr('y2', i * 6 - 3).attr('stroke', '#475569').attr('stroke-width', w)),
        opts.edges === 'flow' ? 'width = gradient flow Σ|w·∂L/∂w|' : 'width = |summed weight|'],
      [(g) => g.append('line').attr('x1', 0).attr('x2', 24).attr('stroke', POSITIVE).attr('stroke-width', 4), 'summed weight positive'],
      [(g) => g.append('line').attr('x1', 0).attr('x2', 24).attr('stroke', NEGATIVE).attr('stroke-width', 4), 'summed weight negative'],
    ]);
  }

  function emit(id) { listeners.select.forEach((fn) => fn(id)); }

  const resizeObserver = new ResizeObserver(() => {
    const next = Math.max(480, Math.floor(container.clientWidth || 0));
    if (container.clientWidth && Math.abs(next - width) >= 1) { width = next; draw(); }
  });
  width = Math.max(480, Math.floor(container.clientWidth || 720));
  resizeObserver.observe(container);
  draw();

  const describe = () => (result ? `Module map at step ${result.step}: ` + result.layers.map((e) => `layer ${e.layer}: ${e.modules.length} modules`).join(', ') +
    '; ' + result.modules.map((m) => `M${m.id} (layer ${m.layer}, ${m.size} neurons, ${m.label})`).join('; ') : 'Module map: not computed yet');
  const redraw = () => { draw(); svg.attr('aria-label', describe()); };

  return {
    update(next) { result = next; redraw(); },
    setOptions({selected: id = selected, ...partial} = {}) { selected = id; opts = {...opts, ...partial}; redraw(); },
    /** Highlight module `id` (null: none); same as setOptions({selected: id}). */
    select(id) { selected = id; draw(); },
    on(event, fn) { listeners[event].add(fn); return () => listeners[event].delete(fn); },
    describe,
    exportSVG: (filename = 'glassbox-modules.svg') => exportSVG(svg.node(), filename),
    exportPNG: (filename = 'glassbox-modules.png', scale = 2) => exportPNG(svg.node(), filename, scale),
    destroy() { resizeObserver.disconnect(); root.remove(); },
    get element() { return root.node(); },
  };
}

/** The name the page used before the view contract. */
export const createModuleMap = create;
