// Pour view: pour N samples of class set A (blue) and class set B (red) through the network.
// Every neuron is coloured by how it answers (blue = A only, red = B only, purple = both, dark =
// neither) here and in the Network panel; its selectivity is 2*AUC - 1 (ROC AUC of its A vs B
// responses). A chosen neuron shows its incoming weights and its response histograms; the
// saliency map shows which input pixels decide A vs B.
//
// View contract: update({info, snapshot, request, result, selected, error}) from the inputs source
// (engine op 'pour'; the snapshot gives the chosen neuron's incoming weights). Out:
// on('request', {a, b, n}), on('select', {column, index}), on('overlay', ...) for the network view.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { BLUE, RED, diverging, drawInput, emitter, exporters, fmt, labelled, makeTooltip, pourColor, rampLegend, shapeOf } from './inputs-common.js';

const GROUPS = { even: 'even digits (0,2,4,6,8)', odd: 'odd digits (1,3,5,7,9)', custom: 'custom list…' };

export function create(container, options = {}) {
  const events = emitter();
  const root = d3.select(container).append('div').attr('class', 'gb-view gbi-view gbi-pour');
  const bar = root.append('div').attr('class', 'gbi-controls');
  const sides = {};
  for (const [side, text] of [['a', 'A (blue)'], ['b', 'B (red)']]) {
    const select = labelled(bar, text, 'select', `gbi-pour-${side}`);
    const custom = bar.append('input').attr('type', 'text').attr('id', `gbi-pour-${side}-custom`).attr('size', 9)
      .attr('placeholder', 'e.g. 1,7').attr('aria-label', `${text} classes, comma-separated`).style('display', 'none');
    select.on('change', () => { custom.style('display', select.property('value') === 'custom' ? null : 'none'); });
    sides[side] = { select, custom };
  }
  const nIn = labelled(bar, 'samples of each', 'input', 'gbi-pour-n').attr('type', 'number').attr('min', 1).attr('max', 1000).attr('value', 200);
  const pourBtn = bar.append('button').attr('type', 'button').attr('id', 'gbi-pour-go').attr('class', 'primary').text('Pour');
  const neuronSel = labelled(bar, 'Neuron', 'select', 'gbi-pour-neuron');
  const message = root.append('div').attr('class', 'gbi-message').attr('role', 'status');
  const stage = root.append('div').attr('class', 'gbi-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Pouring two classes through the network');
  const tooltip = makeTooltip(root);

  let result = null, selected = null, optionsFor = '', data = {}, shownRequest = null, shownResult = null;
  const info = () => data.info;
  const names = () => info()?.class_names ?? [];
  const setName = (list) => list.map((k) => names()[k] ?? k).join(', ');

  function syncOptions() {
    const key = names().join('|');
    if (key === optionsFor) return;
    optionsFor = key;
    const digitsLike = names().length === 10;
    const options = [...names().map((n, k) => [String(k), `class ${n}`]), ...Object.entries(GROUPS).filter(([k]) => digitsLike || k === 'custom')];
    for (const side of ['a', 'b']) {
      sides[side].select.selectAll('option').data(options).join('option').attr('value', (d) => d[0]).text((d) => d[1]);
    }
    shownRequest = null;
  }

  /** The controls show the latest request: the classes the engine answered for, else those asked. */
  function reflect(request) {
    if (!request || (request === shownRequest && result === shownResult)) return;
    const list = (v) => (Array.isArray(v) ? v : typeof v === 'number' ? [v] : String(v).split(',').map(Number));
    const answered = result && request === shownRequest;   // the engine's answer names the classes exactly
    shownRequest = request;
    shownResult = result;
    setSide('a', answered ? result.a : list(request.a));
    setSide('b', answered ? result.b : list(request.b));
    nIn.property('value', request.n);
  }

  function setSide(side, list) {
    const { select, custom } = sides[side], key = list.join(',');
    const group = key === '0,2,4,6,8' ? 'even' : key === '1,3,5,7,9' ? 'odd' : list.length === 1 ? String(list[0]) : 'custom';
    select.property('value', group);
    custom.property('value', key).style('display', group === 'custom' ? null : 'none');
  }

  function readSide(side) {
    const v = sides[side].select.property('value');
    if (v === 'even') return [0, 2, 4, 6, 8];
    if (v === 'odd') return [1, 3, 5, 7, 9];
    if (v === 'custom') return sides[side].custom.property('value');
    return [Number(v)];
  }

  const choose = () => events.emit('request', { a: readSide('a'), b: readSide('b'), n: Number(nIn.property('value')) || 200 });

  function fillNeuronOptions() {
    const opts = [];
    result.layers.forEach((layer, l) => {
      const column = l + 1, last = l === result.layers.length - 1;
      d3.range(layer.selectivity.data.length).forEach((k) => opts.push([`${column}:${k}`,
        `${last ? `output ${names()[k] ?? k}` : `hidden ${column} #${k}`} (${d3.format('+.2f')(layer.selectivity.data[k])})`]));
    });
    neuronSel.selectAll('option').data(opts).join('option').attr('value', (d) => d[0]).text((d) => d[1]);
    neuronSel.property('value', `${selected.column}:${selected.index}`);
  }

  const selectNeuron = (column, index) => events.emit('select', { column, index });

  function draw() {
    if (!result) return;
    // Below 960 px the three columns would collide: draw at 960 and let the SVG scale down (CSS).
    const width = Math.max(960, container.clientWidth || 960), L = result.layers.length;
    svg.selectAll('*').remove();
    const midX = 240, rightX = width - 305, midW = rightX - midX - 24;
    // Saliency and the mean inputs.
    const left = svg.append('g');
    left.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', 18).text('Which pixels decide A vs B');
    const sal = result.saliency.data, max = Math.max(1e-12, d3.max(sal, Math.abs));
    drawInput(left, sal, info(), { x: 0, y: 28, size: 200, colour: (v) => diverging(v / max) }).attr('class', 'gbi-saliency')
      .on('pointermove', (event) => hoverPixel(event, sal, 'saliency')).on('pointerleave', () => tooltip.hide());
    const [rows, cols] = shapeOf(info(), sal.length), imgH = 200 * rows / Math.max(rows, cols);
    rampLegend(left, (t) => d3.interpolateRdBu(t), { x: 0, y: imgH + 46, width: 200, left: 'pushes to B (red)', right: 'to A (blue)',
      title: `gradient × input, mean of ${result.n_a + result.n_b}` });
    left.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', imgH + 96).text('Mean input of A and of B:');
    drawInput(left, result.mean_x_a.data, info(), { x: 0, y: imgH + 104, size: 90 });
    drawInput(left, result.mean_x_b.data, info(), { x: 105, y: imgH + 104, size: 90 });
    left.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', imgH + 212).attr('fill', BLUE).text(`A: ${result.n_a} samples`);
    left.append('text').attr('class', 'gbi-small').attr('x', 105).attr('y', imgH + 212).attr('fill', RED).text(`B: ${result.n_b} samples`);
    // Neuron strips per layer, sorted by selectivity.
    const mid = svg.append('g').attr('transform', `translate(${midX},0)`);
    mid.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', 18).text('How each neuron answers (A-only left … B-only right)');
    let y = 40;
    const fill = [null], badges = ['neurons: pour'];
    result.layers.forEach((layer, l) => {
      const n = layer.selectivity.data.length, order = d3.range(n).sort((i, j) => layer.selectivity.data[j] - layer.selectivity.data[i]);
      const size = Math.max(8, Math.min(22, Math.floor(midW / Math.min(n, 40)))), perRow = Math.max(1, Math.floor(midW / size));
      const counts = [0, 0, 0, 0];
      layer.category.data.forEach((c) => counts[c]++);
      const column = l + 1, label = l === L - 1 ? 'output' : `hidden ${column}`;
      badges.push(`${counts[1]} A · ${counts[2]} B · ${counts[3]} both`);
      mid.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', y + 10)
        .text(`${label}: ${counts[1]} A only · ${counts[2]} B only · ${counts[3]} both · ${counts[0]} neither`);
      const colours = d3.range(n).map((k) => pourColor(layer.level_a.data[k], layer.level_b.data[k]));
      fill.push(colours);
      mid.append('g').selectAll('rect').data(order).join('rect').attr('class', 'gbi-pour-cell')
        .attr('data-column', column).attr('data-index', (k) => k)
        .attr('x', (k, i) => (i % perRow) * size).attr('y', (k, i) => y + 18 + Math.floor(i / perRow) * size)
        .attr('width', size - 2).attr('height', size - 2).attr('fill', (k) => colours[k])
        .classed('gbi-selected', (k) => selected && selected.column === column && selected.index === k)
        .on('click', (event, k) => selectNeuron(column, k))
        .on('pointermove', (event, k) => {
          const [px, py] = d3.pointer(event, svg.node());
          tooltip.show(neuronLines(column, k), px, py);
        }).on('pointerleave', () => tooltip.hide());
      y += 30 + Math.ceil(n / perRow) * size;
    });
    // 2-D colour legend.
    const legend = mid.append('g').attr('transform', `translate(0,${y + 10})`);
    const steps = [0, 0.25, 0.5, 0.75, 1];
    steps.forEach((la, i) => steps.forEach((lb, j) => legend.append('rect').attr('x', 70 + i * 14).attr('y', 56 - j * 14)
      .attr('width', 14).attr('height', 14).attr('fill', pourColor(la, lb))));
    legend.append('text').attr('class', 'gbi-small').attr('x', 70).attr('y', 86).text('answers A →');
    legend.append('text').attr('class', 'gbi-small gbi-end').attr('x', 64).attr('y', 12).text('answers B ↑');
    legend.append('text').attr('class', 'gbi-small').attr('x', 150).attr('y', 14).text('blue = A only · red = B only');
    legend.append('text').attr('class', 'gbi-small').attr('x', 150).attr('y', 32).text('purple = both · dark = neither');
    legend.append('text').attr('class', 'gbi-small').attr('x', 150).attr('y', 50).text('selectivity = 2·AUC − 1 (ROC AUC of A vs B):');
    legend.append('text').attr('class', 'gbi-small').attr('x', 150).attr('y', 68).text('+1 only A fires it more, −1 only B, 0 no preference');
    // The chosen neuron.
    const detailH = drawDetail(svg.append('g').attr('transform', `translate(${rightX},0)`));
    const height = Math.max(imgH + 230, y + 110, detailH);
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`)
      .style('max-width', '100%').style('height', 'auto');
    svg.attr('aria-label', `Pouring A (${setName(result.a)}, ${result.n_a} samples) against B (${setName(result.b)}, ${result.n_b}): ` +
      result.layers.map((layer, l) => { const c = [0, 0, 0, 0]; layer.category.data.forEach((k) => c[k]++);
        return `${l === L - 1 ? 'output' : `hidden ${l + 1}`}: ${c[1]} neurons answer A only, ${c[2]} B only, ${c[3]} both`; }).join('; ') + '.');
    events.emit('overlay', { fill, badges, legend: { title: `pour: how each neuron answers A (${setName(result.a)}) vs B (${setName(result.b)})`,
      swatches: [[pourColor(1, 0), 'A only'], [pourColor(0, 1), 'B only'], [pourColor(1, 1), 'both'], [pourColor(0, 0), 'neither']] } });
  }

  function neuronLines(column, k) {
    const layer = result.layers[column - 1], L = result.layers.length;
    return [column === L ? `output ${names()[k] ?? k}` : `hidden ${column} · neuron ${k}`,
      `selectivity ${d3.format('+.3f')(layer.selectivity.data[k])} (ROC AUC ${d3.format('.3f')((layer.selectivity.data[k] + 1) / 2)})`,
      `d′ ${fmt(layer.dprime.data[k])}`, `mean response: A ${fmt(layer.mean_a.data[k])} · B ${fmt(layer.mean_b.data[k])}`];
  }

  function hoverPixel(event, values, what) {
    const el = event.currentTarget, [rows, cols] = [Number(el.getAttribute('data-rows')), Number(el.getAttribute('data-cols'))];
    const [px, py] = d3.pointer(event, el), w = Number(el.getAttribute('width')), h = Number(el.getAttribute('height'));
    const c = Math.floor(((px - Number(el.getAttribute('x'))) / w) * cols), r = Math.floor(((py - Number(el.getAttribute('y'))) / h) * rows);
    const [mx, my] = d3.pointer(event, svg.node());
    if (r < 0 || c < 0 || r >= rows || c >= cols) return;
    tooltip.show([rows > 1 ? `pixel (row ${r}, col ${c})` : `feature ${c + 1}`, `${what} ${fmt(values[r * cols + c])}`], mx, my);
  }

  function drawDetail(g) {
    if (!selected) return 0;
    const { column, index } = selected, layer = result.layers[column - 1], snap = data.snapshot;
    const lines = neuronLines(column, index);
    g.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', 18).text(lines[0]);
    g.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', 36).text(lines[1]);
    let y = 52;
    const W = snap?.layers?.[column - 1]?.W;
    if (W) {
      const [nIn, nOut] = W.shape, incoming = Float32Array.from({ length: nIn }, (_, i) => W.data[i * nOut + index]);
      const max = Math.max(1e-12, d3.max(incoming, Math.abs));
      g.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', y + 12).text('incoming weights (blue +, red −)');
      if (column === 1 && info()?.image_shape) {
        drawInput(g, incoming, info(), { x: 0, y: y + 20, size: 150, colour: (v) => diverging(v / max) })
          .on('pointermove', (event) => hoverPixel(event, incoming, 'weight')).on('pointerleave', () => tooltip.hide());
        y += 185;
      } else {
        const x = d3.scaleBand(d3.range(nIn), [0, 290]), h = d3.scaleLinear([-max, max], [y + 100, y + 20]);
        g.append('g').selectAll('rect').data(Array.from(incoming)).join('rect').attr('x', (v, i) => x(i)).attr('width', Math.max(1, x.bandwidth() - 1))
          .attr('y', (v) => Math.min(h(0), h(v))).attr('height', (v) => Math.abs(h(v) - h(0))).attr('fill', (v) => (v >= 0 ? BLUE : RED))
          .append('title').text((v, i) => `from ${column === 1 ? `input ${i}` : `hidden ${column - 1} #${i}`}: ${fmt(v)}`);
        g.append('line').attr('class', 'gbi-zero').attr('x1', 0).attr('x2', 290).attr('y1', h(0)).attr('y2', h(0));
        y += 115;
      }
    }
    const edges = Array.from(layer.edges.data.subarray(index * 21, index * 21 + 21));
    const ha = Array.from(layer.hist_a.data.subarray(index * 20, index * 20 + 20)), hb = Array.from(layer.hist_b.data.subarray(index * 20, index * 20 + 20));
    if (!edges.every(Number.isFinite)) {  // the model holds NaN/Inf: no histogram to draw (never a NaN attribute)
      g.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', y + 16).text('responses are not finite numbers: the model holds NaN/Inf');
      return y + 40;
    }
    const x = d3.scaleLinear([edges[0], edges[20]], [30, 290]), top = Math.max(1, d3.max([...ha, ...hb]));
    const h = d3.scaleLinear([0, top], [y + 130, y + 30]);
    g.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', y + 16).text(`responses: A (blue) vs B (red)${column === result.layers.length ? ', probability' : ''}`);
    for (const [counts, colour] of [[ha, BLUE], [hb, RED]]) {
      g.append('g').selectAll('rect').data(counts).join('rect').attr('x', (c, i) => x(edges[i])).attr('width', (c, i) => Math.max(1, x(edges[i + 1]) - x(edges[i]) - 1))
        .attr('y', (c) => h(c)).attr('height', (c) => h(0) - h(c)).attr('fill', colour).attr('fill-opacity', 0.55)
        .append('title').text((c, i) => `${fmt(edges[i])} … ${fmt(edges[i + 1])}: ${c} samples`);
    }
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${y + 130})`).call(d3.axisBottom(x).ticks(4));
    g.append('g').attr('class', 'gb-axis').attr('transform', 'translate(30,0)').call(d3.axisLeft(h).ticks(3));
    g.append('text').attr('class', 'gbi-small').attr('x', 290).attr('y', y + 162).attr('text-anchor', 'end').text('activation →');
    return y + 175;
  }

  pourBtn.on('click', choose);
  nIn.on('change', choose);
  for (const side of ['a', 'b']) {
    sides[side].select.on('change.run', () => { if (sides[side].select.property('value') !== 'custom') choose(); });
    sides[side].custom.on('change', choose);
  }
  neuronSel.on('change', () => { const [c, k] = neuronSel.property('value').split(':').map(Number); selectNeuron(c, k); });

  return {
    describe: () => labelOf(container, 'Pour: not computed yet.'),
    on: events.on,
    /** data: {info, snapshot, request, result, selected, error} (see the header). */
    update(next) {
      data = next;
      if (!next.info) return;
      syncOptions();
      message.text(next.error || '');
      if (!next.result) { if (result) { result = null; selected = null; svg.selectAll('*').remove(); } reflect(next.request); return; }
      const changed = next.result !== result || JSON.stringify(next.selected) !== JSON.stringify(selected);
      result = next.result;
      selected = next.selected ? { ...next.selected } : null;
      reflect(next.request);
      if (!changed) return;
      fillNeuronOptions();
      draw();
    },
    setOptions() {},
    get result() { return result; },
    get selected() { return selected && { ...selected }; },
    destroy() { root.remove(); },
    ...exporters(stage.node(), 'pour'),
  };
}

/** The name the page used before the view contract. */
export const createPourView = create;
