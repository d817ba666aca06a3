// Perturb view: change one weight or bias (or silence a neuron) and watch the output for one
// input and the validation accuracy; the robustness readout says exactly how far the value can
// move before the prediction changes, and a chart shows every logit as that value moves.
// Targets come from clicks on the Network panel (a line = weight, a neuron = its bias) or from
// the selects here. The live model is never changed: Reset is exact.
//
// View contract: update({info, request, result, error, drawn}) from the inputs source (engine op
// 'perturb'). Out: on('request', {target | value | silence | input}) where target may be
// 'strongest', and on('overlay', ...) to ring the perturbed parameter in the network view.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { CLASS_COLORS, dodge, drawInput, emitter, exporters, fmt, labelled, makeTooltip, pct, probabilityBars } from './inputs-common.js';

export function create(container, options = {}) {
  const events = emitter();
  const root = d3.select(container).append('div').attr('class', 'gb-view gbi-view gbi-perturb');
  const pick = root.append('div').attr('class', 'gbi-controls');
  pick.append('span').attr('class', 'gbi-hint').text('Click a line (weight) or a neuron (bias) in the Network panel, or choose:');
  const layerSel = labelled(pick, 'Layer', 'select', 'gbi-perturb-layer');
  const kindSel = labelled(pick, 'Parameter', 'select', 'gbi-perturb-kind');
  kindSel.selectAll('option').data([['weight', 'weight'], ['bias', 'bias']]).join('option').attr('value', (d) => d[0]).text((d) => d[1]);
  const fromIn = labelled(pick, 'from', 'input', 'gbi-perturb-i').attr('type', 'number').attr('min', 0).attr('value', 0);
  const toIn = labelled(pick, 'to neuron', 'input', 'gbi-perturb-j').attr('type', 'number').attr('min', 0).attr('value', 0);
  const strongest = pick.append('button').attr('type', 'button').attr('id', 'gbi-perturb-strongest').text('Strongest weight into the answer');
  const move = root.append('div').attr('class', 'gbi-controls gbi-slide');
  const slider = labelled(move, 'Value', 'input', 'gbi-perturb-slider').attr('type', 'range').attr('min', -1).attr('max', 1).attr('step', 'any');
  const valueIn = move.append('input').attr('type', 'number').attr('id', 'gbi-perturb-value').attr('step', 'any').attr('aria-label', 'Exact value');
  const silenceIn = labelled(move, 'silence this neuron', 'input', 'gbi-perturb-silence').attr('type', 'checkbox');
  const resetBtn = move.append('button').attr('type', 'button').attr('id', 'gbi-perturb-reset').text('Reset to trained value');
  const inputIn = labelled(move, 'Input: validation #', 'input', 'gbi-perturb-input').attr('type', 'number').attr('min', 0).attr('value', 0);
  const drawnIn = labelled(move, 'use my drawing', 'input', 'gbi-perturb-drawn').attr('type', 'checkbox');
  const message = root.append('div').attr('class', 'gbi-message').attr('role', 'status');
  const stage = root.append('div').attr('class', 'gbi-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Perturbing one parameter');
  const tooltip = makeTooltip(root);

  let result = null, x = null, data = {}, layersFor = '';
  const info = () => data.info;
  const names = () => info()?.class_names ?? [];
  const sizes = () => info()?.layer_sizes ?? [];
  const colName = (c) => (c === 0 ? 'input' : c === sizes().length - 1 ? 'output' : `hidden ${c}`);
  const end = (c, k) => (c === 0 && info()?.image_shape ? `pixel (${Math.floor(k / info().image_shape[1])}, ${k % info().image_shape[1]})`
    : c === sizes().length - 1 ? `output ${names()[k] ?? k}` : `${colName(c)} #${k}`);
  const targetName = (t) => (t.kind === 'weight' ? `weight ${end(t.layer, t.i)} → ${end(t.layer + 1, t.j)}` : `bias of ${end(t.layer + 1, t.j)}`);

  function syncOptions() {
    const s = sizes();
    if (s.join() === layersFor) return;
    layersFor = s.join();
    layerSel.selectAll('option').data(d3.range(s.length - 1)).join('option').attr('value', (l) => l)
      .text((l) => `${colName(l)} → ${colName(l + 1)}`);
  }

  const run = (args) => events.emit('request', args);

  function reflect() {
    const t = result.target;
    layerSel.property('value', t.layer);
    kindSel.property('value', t.kind);
    fromIn.property('value', t.i ?? 0).property('disabled', t.kind !== 'weight');
    toIn.property('value', t.j);
    const [lo, hi] = t.range;
    slider.attr('min', lo).attr('max', hi).property('value', t.value);
    if (document.activeElement !== valueIn.node()) valueIn.property('value', +t.value.toPrecision(6));
    const hidden = t.kind === 'bias' && t.layer < sizes().length - 2;
    silenceIn.property('checked', t.silence).property('disabled', !hidden);
    const input = data.request?.input;
    if (input !== 'drawn' && input?.index != null) inputIn.property('value', input.index);
    drawnIn.property('checked', input === 'drawn').property('disabled', !data.drawn);
  }

  function robustnessText(r, t) {
    const what = t.kind === 'weight' ? 'this weight' : 'this bias', pred = names()[r.pred] ?? r.pred;
    if (r.method === 'no effect') {
      return [t.silence ? 'The neuron is silenced, so its bias has no effect.'
        : `${what[0].toUpperCase()}${what.slice(1)} has no effect on this input: the value it multiplies is 0.`,
      'No value changes the prediction.'];
    }
    const side = (bound, cls, dir) => (Number.isFinite(bound) ? `${dir} to ${fmt(bound)} (then ${names()[cls] ?? cls})` : `${dir}: never (searched to ±1000)`);
    return [`The answer stays "${pred}" while ${what} is in [${Number.isFinite(r.lo) ? fmt(r.lo) : '−∞'}, ${Number.isFinite(r.hi) ? fmt(r.hi) : '+∞'}].`,
      `It can move ${side(r.lo, r.lo_class, 'down')}; ${side(r.hi, r.hi_class, 'up')}.`,
      `Computed by ${r.method === 'exact walk' ? 'an exact walk along the piecewise-linear logits' : 'a scan plus bisection on the true forward pass'}.`];
  }

  function draw() {
    if (!result) return;
    // Below 960 px the bars and the robustness text would collide: draw at 960, scale down (CSS).
    const width = Math.max(960, container.clientWidth || 900), t = result.target, r = result.robustness;
    svg.selectAll('*').remove();
    const head = svg.append('g');
    head.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', 18).text(`${targetName(t)}: trained ${fmt(t.original)} → now ${fmt(t.value)}${t.silence ? ', neuron silenced' : ''}`);
    x = result.x.data;
    drawInput(head, x, info(), { x: 0, y: 34, size: 130 });
    const inp = result.input;
    head.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', 186)
      .text(inp.label != null ? `validation #${inp.index} (a ${names()[inp.label] ?? inp.label})` : 'your drawing');
    const barsW = Math.min(330, width - 520);
    probabilityBars(head.append('g'), result.perturbed.probs.data, names(), { x: 150, y: 50, width: barsW, row: Math.max(14, Math.min(20, 160 / names().length)),
      ghost: result.original.probs.data, title: 'Output: now (dark) vs trained (light)' });
    const text = head.append('g').attr('transform', `translate(${170 + barsW},40)`);
    const p0 = names()[result.original.pred] ?? result.original.pred, p1 = names()[result.perturbed.pred] ?? result.perturbed.pred;
    const va = result.val_accuracy;
    [[`Prediction: ${p0} → ${p1}`, p0 !== p1 ? 'gbi-strong gbi-alert' : 'gbi-strong'],
      [`Validation accuracy: ${pct(va.original)} → ${pct(va.perturbed)}`, va.perturbed < va.original - 0.005 ? 'gbi-strong gbi-alert' : 'gbi-strong'],
      ...robustnessText(r, t).map((line) => [line, 'gbi-small'])].forEach(([line, cls], i) => {
      text.append('text').attr('class', cls).attr('x', 0).attr('y', i * 22).text(line);
    });
    drawCurve(svg.append('g'), width, 225);
    // A diamond mark (network-legend.js MARKS.perturbed) on the changed bias's neuron or both ends of the weight.
    const marks = sizes().map((n) => new Array(n).fill(null));
    if (t.kind === 'weight' && t.layer > 0) marks[t.layer][t.i] = 'perturbed';
    marks[t.layer + 1][t.j] = 'perturbed';
    events.emit('overlay', { marks, badges: ['◆ perturbed'] });
    svg.attr('aria-label', `Perturbing ${targetName(t)}: trained ${fmt(t.original)}, now ${fmt(t.value)}; ` +
      `prediction ${p0} → ${p1}; validation accuracy ${pct(va.original)} → ${pct(va.perturbed)}.`);
    svg.attr('width', width).attr('height', 500).attr('viewBox', `0 0 ${width} 500`)
      .style('max-width', '100%').style('height', 'auto');
  }

  function drawCurve(g, width, top) {
    const values = result.curve.values.data, logits = result.curve.logits, [K, C] = logits.shape, t = result.target, r = result.robustness;
    const left = 54, right = width - 70, h = 200;
    const xs = d3.scaleLinear([values[0], values[K - 1]], [left, right]);
    const ys = d3.scaleLinear(d3.extent(logits.data), [top + h, top + 20]).nice();
    g.append('text').attr('class', 'gbi-title').attr('x', left).attr('y', top).text(`Every output logit as the ${t.kind} moves (the shaded band keeps the answer)`);
    const lo = Math.max(values[0], r.lo), hi = Math.min(values[K - 1], r.hi);
    if (hi > lo) g.append('rect').attr('class', 'gbi-band').attr('x', xs(lo)).attr('width', xs(hi) - xs(lo)).attr('y', top + 20).attr('height', h - 20);
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${top + h})`).call(d3.axisBottom(xs).ticks(8));
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(${left},0)`).call(d3.axisLeft(ys).ticks(5));
    g.append('text').attr('class', 'gbi-small').attr('x', right).attr('y', top + h + 34).attr('text-anchor', 'end').text(`value of the ${t.kind}`);
    g.append('text').attr('class', 'gbi-small').attr('x', 4).attr('y', top + 14).text('logit');
    const labels = [];
    for (let c = 0; c < C; c++) {
      const top3 = c === r.pred || c === r.lo_class || c === r.hi_class;
      g.append('path').attr('class', top3 ? 'gbi-line' : 'gbi-line gbi-faint').attr('stroke', CLASS_COLORS[c % 10])
        .attr('d', d3.line().x((v, k) => xs(values[k])).y((k) => ys(logits.data[k * C + c]))(d3.range(K)));
      labels.push({ c, y: ys(logits.data[(K - 1) * C + c]) + 4 });
    }
    dodge(labels).forEach(({ c, y }) => g.append('text').attr('class', 'gbi-line-label').attr('fill', CLASS_COLORS[c % 10])
      .attr('x', right + 4).attr('y', y).text(names()[c] ?? c));
    for (const [v, cls, label] of [[t.original, 'gbi-trained', 'trained'], [t.value, 'gbi-now', 'now']]) {
      if (v < values[0] || v > values[K - 1]) continue;
      g.append('line').attr('class', cls).attr('x1', xs(v)).attr('x2', xs(v)).attr('y1', top + 20).attr('y2', top + h);
      g.append('text').attr('class', 'gbi-small').attr('x', xs(v) + 3).attr('y', top + (label === 'now' ? 32 : 48)).text(label);
    }
    g.append('rect').attr('class', 'gbi-hover-area').attr('x', left).attr('y', top + 20).attr('width', right - left).attr('height', h - 20)
      .on('pointermove', (event) => {
        const [px] = d3.pointer(event, g.node()), k = Math.max(0, Math.min(K - 1, Math.round((px - left) / (right - left) * (K - 1))));
        const [mx, my] = d3.pointer(event, svg.node());
        const order = d3.range(C).sort((a, b) => logits.data[k * C + b] - logits.data[k * C + a]).slice(0, 3);
        tooltip.show([`value ${fmt(values[k])}`, ...order.map((c) => `${names()[c] ?? c}: logit ${fmt(logits.data[k * C + c])}`), 'click to set this value'], mx, my);
      }).on('pointerleave', () => tooltip.hide())
      .on('click', (event) => { const [px] = d3.pointer(event, g.node()); run({ value: xs.invert(px) }); });
  }

  const readTarget = () => ({ layer: Number(layerSel.property('value')), kind: kindSel.property('value'),
    i: Number(fromIn.property('value')) || 0, j: Number(toIn.property('value')) || 0 });
  for (const el of [layerSel, kindSel, fromIn, toIn]) el.on('change', () => run({ target: readTarget() }));
  strongest.on('click', () => run({ target: 'strongest' }));
  slider.on('input', () => run({ value: Number(slider.property('value')) }));
  valueIn.on('change', () => run({ value: Number(valueIn.property('value')) }));
  silenceIn.on('change', () => run({ silence: silenceIn.property('checked') }));
  resetBtn.on('click', () => run({ value: null, silence: false }));
  inputIn.on('change', () => run({ input: { index: Number(inputIn.property('value')) || 0 } }));
  drawnIn.on('change', () => run({ input: drawnIn.property('checked') ? 'drawn' : { index: Number(inputIn.property('value')) || 0 } }));

  return {
    describe: () => labelOf(container, 'Perturb: no parameter chosen yet.'),
    on: events.on,
    /** data: {info, request, result, error, drawn} (see the header). */
    update(next) {
      data = next;
      if (!next.info) return;
      syncOptions();
      message.text(next.error || '');
      if (!next.result) { if (result) { result = null; svg.selectAll('*').remove(); } return; }
      if (next.result === result) { reflect(); return; }
      result = next.result;
      reflect();
      draw();
    },
    setOptions() {},
    get result() { return result; },
    destroy() { root.remove(); },
    ...exporters(stage.node(), 'perturb'),
  };
}

/** The name the page used before the view contract. */
export const createPerturbView = create;
