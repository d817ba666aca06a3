// Input plane view (2-D datasets: circle, xor, gaussians, spiral), after TensorFlow Playground:
// every neuron drawn as a small heatmap of its own output over the (x1, x2) plane, joined by the
// weights, and the network's decision as a large heatmap with the data points on it. Updates
// live while training.
//
// View contract: update({info, snapshot, result, error, unavailable}) from the inputs source
// (engine op 'input_plane'; the snapshot gives the weights drawn as lines). For a dataset that is
// not 2-D the source sends `unavailable` (why) and the view says so over an empty plane.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { emitter, exporters, fmt, imageURL, makeTooltip } from './inputs-common.js';

const ORANGE = [245, 147, 34], BLUE_TF = [8, 119, 189], WHITE = [248, 250, 252];
const MAX_SHOWN = 32;
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
/** -1 -> orange, 0 -> white, +1 -> blue (TensorFlow Playground's palette). */
const signed = (t) => (t >= 0 ? mix(WHITE, BLUE_TF, Math.min(1, t)) : mix(WHITE, ORANGE, Math.min(1, -t)));
const CLASS_RGB = [BLUE_TF, ORANGE];

export function create(container, options = {}) {
  const events = emitter();
  const root = d3.select(container).append('div').attr('class', 'gb-view gbi-view gbi-plane');
  const message = root.append('div').attr('class', 'gbi-message').attr('role', 'status');
  const stage = root.append('div').attr('class', 'gbi-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Decision over the input plane and every neuron\'s output');
  const tooltip = makeTooltip(root);
  let result = null, geometry = null, data = {};
  const info = () => data.info;
  const names = () => info()?.class_names ?? ['0', '1'];

  /** No plane to show: an empty plane with the reason, so an embedded view never stays blank. */
  function drawUnavailable(reason) {
    const width = Math.max(520, container.clientWidth || 700), size = 180, top = 30;
    svg.selectAll('*').remove();
    svg.attr('width', width).attr('height', size + 80).attr('viewBox', `0 0 ${width} ${size + 80}`);
    svg.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', 18).text('No input plane for this network');
    svg.attr('aria-label', `Input plane: none for this network (${reason}).`);
    const g = svg.append('g').attr('class', 'gbi-plane-empty').attr('transform', `translate(40,${top})`);
    g.append('rect').attr('class', 'gbi-plane-frame').attr('width', size).attr('height', size).attr('fill', '#f8fafc');
    const xs = d3.scaleLinear([-1, 1], [0, size]), ys = d3.scaleLinear([-1, 1], [size, 0]);
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${size})`).call(d3.axisBottom(xs).ticks(4));
    g.append('g').attr('class', 'gb-axis').call(d3.axisLeft(ys).ticks(4));
    g.append('text').attr('class', 'gbi-small').attr('x', size / 2).attr('y', size + 34).attr('text-anchor', 'middle').text('x1');
    g.append('text').attr('class', 'gbi-small').attr('transform', `translate(-30,${size / 2}) rotate(-90)`).attr('text-anchor', 'middle').text('x2');
    const text = svg.append('g').attr('transform', `translate(${size + 70},${top + 20})`);
    const words = reason.split(' '), lines = [''];
    for (const word of words) { if ((lines[lines.length - 1] + ' ' + word).length > 52) lines.push(''); lines[lines.length - 1] += (lines[lines.length - 1] ? ' ' : '') + word; }
    lines.forEach((line, i) => text.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', i * 18).text(line));
    message.text('');
  }

  function nodeImage(t, k) {
    const [, g] = t.shape, cells = t.data.subarray(k * g * g, (k + 1) * g * g), max = Math.max(1e-9, d3.max(cells, Math.abs));
    return { url: imageURL(cells, g, g, (v) => signed(v / max), 3), lo: d3.min(cells), hi: d3.max(cells) };
  }

  function draw() {
    if (!result) return;
    const width = Math.max(700, container.clientWidth || 900), snap = data.snapshot;
    const layers = [result.inputs, ...result.neurons];   // page columns 0 .. L-1 (the output is the big map)
    const outSize = Math.min(300, Math.max(220, width * 0.3)), outX = width - outSize - 24, top = 40;
    const node = Math.max(28, Math.min(52, 420 / Math.max(...layers.map((t) => Math.min(MAX_SHOWN, t.shape[0])))));
    const gap = 8, colW = [];
    const plotH = Math.max(outSize + 40, 430);
    layers.forEach((t) => {
      const n = Math.min(MAX_SHOWN, t.shape[0]), perCol = Math.max(1, Math.floor((plotH - 20) / (node + gap)));
      colW.push(Math.ceil(n / perCol) * (node + gap));
    });
    const free = outX - 40 - d3.sum(colW), step = layers.length > 1 ? free / layers.length : 0;
    let x = 24;
    geometry = layers.map((t, c) => {
      const n = Math.min(MAX_SHOWN, t.shape[0]), perCol = Math.max(1, Math.floor((plotH - 20) / (node + gap)));
      const rowsUsed = Math.min(n, perCol), y0 = top + (plotH - rowsUsed * (node + gap)) / 2;
      const pos = d3.range(n).map((k) => [x + Math.floor(k / perCol) * (node + gap), y0 + (k % perCol) * (node + gap)]);
      const col = { x, pos, n, total: t.shape[0] };
      x += colW[c] + step;
      return col;
    });
    const height = top + plotH + 60;
    svg.selectAll('*').remove();
    const P = result.points.shape[0], shares = d3.rollup(Array.from(result.pred.data), (v) => v.length, (k) => k);
    const area = [...shares].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${names()[k] ?? k} ${Math.round(100 * n / result.pred.data.length)}%`);
    svg.attr('aria-label', `Input plane (x1, x2): the network's decision covers ${area.join(', ')} of the plane; ${P} samples drawn as dots; ` +
      `what each neuron of ${layers.length - 1} hidden layer${layers.length === 2 ? '' : 's'} computes over the plane.`);
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    // Edges: weights from the latest snapshot, blue positive, orange negative, width ~ |w|.
    const edges = svg.append('g').attr('class', 'gbi-plane-edges');
    const outY = top + (plotH - outSize) / 2;
    (snap?.layers ?? []).forEach((layer, l) => {
      if (l >= geometry.length) return;
      const W = layer.W, [nIn, nOut] = W.shape, max = Math.max(1e-9, d3.max(W.data, Math.abs)), from = geometry[l];
      const to = geometry[l + 1];
      for (let i = 0; i < Math.min(nIn, from.n); i++) {
        for (let j = 0; j < (to ? Math.min(nOut, to.n) : 1); j++) {
          // Into the decision map: W[i, 0] - W[i, 1], the push towards class 0 (drawn blue) over class 1.
          const w = to ? W.data[i * nOut + j] : nOut === 2 ? W.data[i * nOut] - W.data[i * nOut + 1] : 0;
          const a = from.pos[i], b = to ? to.pos[j] : [outX, outY + outSize / 2 - node / 2];
          edges.append('line').attr('x1', a[0] + node).attr('y1', a[1] + node / 2).attr('x2', b[0]).attr('y2', b[1] + node / 2)
            .attr('stroke', w >= 0 ? `rgb(${BLUE_TF})` : `rgb(${ORANGE})`).attr('stroke-width', 0.4 + 3.2 * Math.min(1, Math.abs(w) / max))
            .attr('stroke-opacity', 0.25 + 0.6 * Math.min(1, Math.abs(w) / max));
        }
      }
    });
    // Nodes: each neuron's output over the plane.
    layers.forEach((t, c) => {
      const col = geometry[c], g = svg.append('g').attr('class', 'gbi-plane-nodes');
      g.append('text').attr('class', 'gbi-layer-title').attr('x', col.x + (colW[c] - gap) / 2).attr('y', 22)
        .text(c === 0 ? 'inputs' : `hidden ${c}${col.total > col.n ? ` (first ${col.n} of ${col.total})` : ''}`);
      for (let k = 0; k < col.n; k++) {
        const img = nodeImage(t, k), [nx, ny] = col.pos[k];
        g.append('image').attr('x', nx).attr('y', ny).attr('width', node).attr('height', node).attr('href', img.url)
          .attr('preserveAspectRatio', 'none').attr('data-column', c).attr('data-index', k);
        g.append('rect').attr('class', 'gbi-plane-node').attr('x', nx).attr('y', ny).attr('width', node).attr('height', node)
          .on('pointermove', (event) => {
            const [px, py] = d3.pointer(event, svg.node());
            tooltip.show([c === 0 ? `input x${k + 1}` : `hidden ${c} · neuron ${k}`, `output over the plane: ${fmt(img.lo)} … ${fmt(img.hi)}`,
              'blue = positive, orange = negative, white = 0'], px, py);
          }).on('pointerleave', () => tooltip.hide());
        if (c === 0) g.append('text').attr('class', 'gbi-small').attr('x', nx - 4).attr('y', ny + node / 2 + 4).attr('text-anchor', 'end').text(`x${k + 1}`);
      }
    });
    drawOutput(svg.append('g').attr('transform', `translate(${outX},${outY})`), outSize);
    const legend = svg.append('g').attr('transform', `translate(24,${top + plotH + 18})`);
    const grad = legend.append('defs').append('linearGradient').attr('id', 'gbi-plane-ramp');
    d3.range(0, 1.001, 0.1).forEach((t) => grad.append('stop').attr('offset', t).attr('stop-color', `rgb(${signed(2 * t - 1)})`));
    legend.append('rect').attr('width', 150).attr('height', 12).attr('fill', 'url(#gbi-plane-ramp)').attr('stroke', '#94a3b8').attr('stroke-width', 0.5);
    legend.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', 28).text('negative');
    legend.append('text').attr('class', 'gbi-small gbi-end').attr('x', 150).attr('y', 28).text('positive');
    legend.append('text').attr('class', 'gbi-small').attr('x', 165).attr('y', 11)
      .text(`each square: that neuron's output over the whole plane (scaled to its own largest |value|) · lines: weights (blue +, orange −)`);
  }

  function drawOutput(g, size) {
    const G = result.grid, [x0, x1, y0, y1] = result.extent, C = names().length;
    const colour = C === 2 ? (p) => signed(1 - 2 * p) : (p) => mix(WHITE, [30, 41, 59], p);
    g.append('image').attr('width', size).attr('height', size).attr('preserveAspectRatio', 'none')
      .attr('href', imageURL(result.prob.data, G, G, colour, 4)).attr('class', 'gbi-plane-output');
    const xs = d3.scaleLinear([x0, x1], [0, size]), ys = d3.scaleLinear([y0, y1], [size, 0]);
    const P = result.points.shape[0], pts = result.points.data;
    g.append('g').selectAll('circle').data(d3.range(P)).join('circle').attr('cx', (i) => xs(pts[i * 2])).attr('cy', (i) => ys(pts[i * 2 + 1]))
      .attr('r', 3.2).attr('fill', (i) => `rgb(${CLASS_RGB[result.labels.data[i]] ?? [100, 100, 100]})`)
      .attr('class', (i) => (result.split.data[i] ? 'gbi-plane-point gbi-val' : 'gbi-plane-point'));
    g.append('rect').attr('class', 'gbi-plane-frame').attr('width', size).attr('height', size)
      .on('pointermove', (event) => {
        const [px, py] = d3.pointer(event, g.node()), c = Math.floor(px / size * G), r = Math.floor(py / size * G);
        if (c < 0 || r < 0 || c >= G || r >= G) return;
        const [mx, my] = d3.pointer(event, svg.node()), p = result.prob.data[r * G + c];
        tooltip.show([`x1 = ${fmt(xs.invert(px))}, x2 = ${fmt(ys.invert(py))}`,
          C === 2 ? `P(${names()[1]}) = ${d3.format('.1%')(p)} → ${names()[result.pred.data[r * G + c]]}` : `predicted ${names()[result.pred.data[r * G + c]]} (${d3.format('.0%')(p)})`], mx, my);
      }).on('pointerleave', () => tooltip.hide());
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${size})`).call(d3.axisBottom(xs).ticks(4));
    g.append('g').attr('class', 'gb-axis').call(d3.axisLeft(ys).ticks(4));
    g.append('text').attr('class', 'gbi-layer-title').attr('x', size / 2).attr('y', -10).text('output: the decision');
    const legend = g.append('g').attr('transform', `translate(0,${size + 34})`);
    names().slice(0, 2).forEach((name, k) => {
      legend.append('circle').attr('cx', 6 + k * 100).attr('cy', 0).attr('r', 5).attr('fill', `rgb(${CLASS_RGB[k]})`).attr('class', 'gbi-plane-point');
      legend.append('text').attr('class', 'gbi-small').attr('x', 15 + k * 100).attr('y', 4).text(`class ${name}`);
    });
    legend.append('circle').attr('cx', 6).attr('cy', 20).attr('r', 5).attr('fill', '#cbd5e1').attr('class', 'gbi-plane-point gbi-val');
    legend.append('text').attr('class', 'gbi-small').attr('x', 15).attr('y', 24).text('dark ring = validation point');
  }

  return {
    describe: () => labelOf(container, 'Input plane: not computed yet.'),
    on: events.on,
    /** data: {info, snapshot, result, error, unavailable} (see the header). */
    update(next) {
      data = next;
      if (next.unavailable) { result = null; drawUnavailable(next.unavailable); return; }
      message.text(next.error || '');
      if (!next.result) { if (result) { result = null; svg.selectAll('*').remove(); } return; }
      if (next.result !== result) { result = next.result; draw(); }
    },
    setOptions() {},
    get result() { return result; },
    destroy() { root.remove(); },
    ...exporters(stage.node(), 'input-plane'),
  };
}

/** The name the page used before the view contract. */
export const createInputPlaneView = create;
