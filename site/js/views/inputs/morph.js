// Morph view: slide along a path from one input to another (default a 5 to a 6) and watch the
// input, the output probabilities and the neurons change. For the whole path at once: a strip
// chart of the probabilities with the decision flips marked, and a neuron x path heatmap of the
// neurons that change most, sorted by where they switch.
//
// View contract: update({info, request, result, error, drawn}) from the inputs source (engine op
// 'morph'); choices go out as on('request', {from, to, steps, path}) and on('position', step);
// on('overlay', fill) colours the network view's neurons once the student moves along the path.
import d3 from '../common/d3.js';
import { CLASS_COLORS, classOptions, drawInput, emitter, exporters, fmt, labelled, makeTooltip, probabilityBars,
  purple, rampLegend, rowOf, imageURL } from './inputs-common.js';

const MAX_ROWS = 40;
const PATHS = { pixel: 'Pixel blend: fade one image into the other',
  real: 'Through real digits: a chain of nearest validation samples' };
// On 2-D datasets the only path is the straight line between the two points (drawn on the plane).
const PATHS_2D = { pixel: 'Straight line between the two points' };
const PLANE = { x: 0, y: 34, w: 280, h: 200 };

export function create(container, options = {}) {
  const events = emitter();
  const root = d3.select(container).append('div').attr('class', 'gb-view gbi-view gbi-morph');
  const bar = root.append('div').attr('class', 'gbi-controls');
  const fromSel = labelled(bar, 'From', 'select', 'gbi-morph-from');
  const fromNth = labelled(bar, 'example', 'input', 'gbi-morph-from-nth').attr('type', 'number').attr('min', 0).attr('value', 0)
    .attr('title', '0 = the most typical example of the class, 1 = the next, ...');
  const toSel = labelled(bar, 'To', 'select', 'gbi-morph-to');
  const toNth = labelled(bar, 'example', 'input', 'gbi-morph-to-nth').attr('type', 'number').attr('min', 0).attr('value', 0);
  const pathSel = labelled(bar, 'Path', 'select', 'gbi-morph-path');
  pathSel.selectAll('option').data(Object.entries(PATHS)).join('option').attr('value', (d) => d[0]).text((d) => d[1]);
  const stepsIn = labelled(bar, 'Steps', 'input', 'gbi-morph-steps').attr('type', 'number').attr('min', 2).attr('max', 200).attr('value', 50);
  const slideBar = root.append('div').attr('class', 'gbi-controls gbi-slide');
  const slider = labelled(slideBar, 'Position along the path', 'input', 'gbi-morph-slider').attr('type', 'range')
    .attr('min', 0).attr('max', 49).attr('value', 0).attr('aria-describedby', 'gbi-morph-where');
  const where = slideBar.append('span').attr('id', 'gbi-morph-where').attr('class', 'gbi-readout');
  const animate = slideBar.append('button').attr('type', 'button').text('▶ Animate');
  const message = root.append('div').attr('class', 'gbi-message').attr('role', 'status');
  const stage = root.append('div').attr('class', 'gbi-stage')
    // It scrolls sideways on narrow screens, so keyboard users must be able to focus it.
    .attr('tabindex', 0).attr('role', 'region').attr('aria-label', 'Morph path: images and outputs');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Morph between two inputs');
  const tooltip = makeTooltip(root);

  let result = null, pos = 0, rows = [], width = 0, timer = null, data = {}, optionsKey = '', shownRequest = null;
  let scaleX = null, heat = null, engaged = false, plane = null;
  const endName = (end) => (end.label != null ? `a ${nameOf(end.label)} (#${end.index})` : 'your drawing');

  const info = () => data.info;
  // Points, not pictures: a 2-feature input has no image to show (it was a black 1x2 square).
  const twoD = () => !info()?.image_shape && (info()?.layer_sizes?.[0] === 2 || result?.x?.shape?.[1] === 2);
  const classNames = () => info()?.class_names ?? [];
  const nameOf = (k) => classNames()[k] ?? String(k);

  function syncOptions() {
    const key = JSON.stringify([classNames(), data.drawn, twoD()]);
    if (key === optionsKey) return;
    optionsKey = key;
    pathSel.selectAll('option').data(Object.entries(twoD() ? PATHS_2D : PATHS)).join('option')
      .attr('value', (d) => d[0]).text((d) => d[1]);
    pathSel.node().closest('label')?.toggleAttribute('hidden', twoD());
    const extra = [{ value: 'drawn', text: 'my drawing', disabled: !data.drawn }];
    classOptions(fromSel, info(), { extra });
    classOptions(toSel, info(), { extra });
    shownRequest = null;
  }

  function endpoint(select, nth) {
    const v = select.property('value');
    return v === 'drawn' ? 'drawn' : { class: Number(v), nth: Math.max(0, Number(nth.property('value')) || 0) };
  }

  /** The controls show the latest request (the user's or an API call's). */
  function reflect(request) {
    if (!request || request === shownRequest) return;
    shownRequest = request;
    for (const [end, select, nth] of [['from', fromSel, fromNth], ['to', toSel, toNth]]) {
      const r = request[end];
      if (r && r.class != null) { select.property('value', String(r.class)); nth.property('value', r.nth ?? 0); }
      else if (r === 'drawn' || (r && r.x)) select.property('value', 'drawn');
    }
    stepsIn.property('value', request.steps);
    pathSel.property('value', request.path);
    // A link may ask for "through real digits" on a 2-D dataset: there the path is the straight line.
    if (twoD() && request.path !== 'pixel') events.emit('request', { ...request, path: 'pixel' });
  }

  const choose = () => events.emit('request', { from: endpoint(fromSel, fromNth), to: endpoint(toSel, toNth),
    steps: Number(stepsIn.property('value')) || 50, path: pathSel.property('value') });

  function show(out) {
    const keepT = result ? pos / Math.max(1, result.t.shape[0] - 1) : 0;
    result = out;
    slider.attr('max', out.t.shape[0] - 1);
    pos = Math.round(keepT * (out.t.shape[0] - 1));
    slider.property('value', pos);
    draw();
  }

  // The neurons that change most (relative to their layer), in the order they switch: first those
  // that switch off (cross the middle of their range going down), then those that switch on.
  function chooseRows() {
    const list = [];
    result.acts.slice(0, -1).forEach((t, l) => {
      const [S, n] = t.shape;
      for (let k = 0; k < n; k++) {
        let lo = Infinity, hi = -Infinity;
        for (let s = 0; s < S; s++) { const v = t.data[s * n + k]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (hi - lo <= 1e-6) continue;
        const first = t.data[k], last = t.data[(S - 1) * n + k], mid = (first + last) / 2, down = last < first;
        let at = S - 1;
        for (let s = 0; s < S; s++) { const v = t.data[s * n + k]; if (down ? v < mid : v > mid) { at = s; break; } }
        list.push({ layer: l, k, lo, hi, range: hi - lo, at, down, net: Math.abs(last - first) / (hi - lo) });
      }
    });
    const maxRange = {};
    list.forEach((r) => { maxRange[r.layer] = Math.max(maxRange[r.layer] || 0, r.range); });
    list.forEach((r) => { r.score = r.range / maxRange[r.layer]; });
    const group = (r) => (r.net > 0.5 ? (r.down ? 0 : 1) : 2);
    return list.sort((a, b) => b.score - a.score).slice(0, MAX_ROWS).sort((a, b) => group(a) - group(b) || a.at - b.at);
  }

  function draw() {
    if (!result) return;
    width = Math.max(560, container.clientWidth || 900);
    svg.selectAll('*').remove();
    const S = result.t.shape[0], C = result.probs.shape[1], names = classNames();
    rows = chooseRows();
    const top = 24, chartTop = 300, chartH = 150, heatTop = chartTop + chartH + 96;
    const rowH = Math.max(7, Math.min(14, 320 / Math.max(1, rows.length)));
    const height = heatTop + rows.length * rowH + 80;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    // Row 1: endpoints, the current input, its probabilities.
    const head = svg.append('g');
    const describe = (end) => (end.label != null ? `${end.split === 'val' ? 'validation' : 'training'} #${end.index} (a ${nameOf(end.label)})` : 'your drawing');
    const short = (end) => (end.label != null ? `a ${nameOf(end.label)}, #${end.index}` : 'your drawing');
    if (twoD()) drawPlane(head, short);
    else {
      drawInput(head, rowOf(result.x, 0), info(), { x: 0, y: top + 50, size: 90 });
      head.append('text').attr('class', 'gbi-caption').attr('x', 0).attr('y', top + 162).text('from');
      head.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', top + 178).text(short(result.from));
      drawInput(head, rowOf(result.x, S - 1), info(), { x: 310, y: top + 50, size: 90 });
      head.append('text').attr('class', 'gbi-caption').attr('x', 310).attr('y', top + 162).text('to');
      head.append('text').attr('class', 'gbi-small').attr('x', 310).attr('y', top + 178).text(short(result.to));
    }
    head.append('g').attr('class', 'gbi-current');
    const pathName = twoD() ? 'Straight line' : result.path === 'pixel' ? 'Pixel blend' : 'Through real digits';
    head.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', top - 6)
      .text(`${pathName}: ${describe(result.from)} → ${describe(result.to)}`);
    head.append('g').attr('class', 'gbi-bars');
    // Row 2: probabilities along the path.
    const left = 100, right = width - 60;
    scaleX = d3.scaleLinear([0, S - 1], [left, right]);
    const y = d3.scaleLinear([0, 1], [chartTop + chartH, chartTop]);
    const chart = svg.append('g').attr('class', 'gbi-chart');
    chart.append('text').attr('class', 'gbi-title').attr('x', left).attr('y', chartTop - 34).text('Output probabilities along the path');
    chart.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${chartTop + chartH})`)
      .call(d3.axisBottom(scaleX).ticks(Math.min(10, S - 1)).tickFormat((s) => d3.format('.2~f')(result.t.data[s] ?? s / (S - 1))));
    chart.append('g').attr('class', 'gb-axis').attr('transform', `translate(${left},0)`).call(d3.axisLeft(y).ticks(4).tickFormat(d3.format('.0%')));
    chart.append('text').attr('class', 'gbi-small').attr('x', right).attr('y', chartTop + chartH + 34).attr('text-anchor', 'end')
      .text('position along the path (0 = from, 1 = to)');
    // A diverged network answers NaN probabilities: say so instead of drawing lines through nothing.
    const finite = result.probs.data.every(Number.isFinite);
    if (!finite) {
      chart.append('text').attr('class', 'gbi-small').attr('x', left).attr('y', chartTop + chartH / 2)
        .text('The outputs are not numbers (NaN or infinite): this network has diverged. Roll it back or fix it under Health.');
    }
    for (let k = 0; finite && k < C; k++) {
      const values = d3.range(S).map((s) => result.probs.data[s * C + k]);
      if (d3.max(values) < 0.02) continue;
      chart.append('path').attr('class', 'gbi-line').attr('stroke', CLASS_COLORS[k % 10])
        .attr('d', d3.line().x((d, s) => scaleX(s)).y((d) => y(d))(values));
      const peak = d3.maxIndex(values);
      chart.append('text').attr('class', 'gbi-line-label').attr('fill', CLASS_COLORS[k % 10])
        .attr('x', Math.min(right - 8, scaleX(peak) + 4)).attr('y', y(values[peak]) - 5).text(names[k] ?? k);
    }
    for (const flip of result.flips) {
      const fx = scaleX(flip.step - 0.5);
      chart.append('line').attr('class', 'gbi-flip').attr('x1', fx).attr('x2', fx).attr('y1', chartTop - 4).attr('y2', heatTop + rows.length * rowH);
      chart.append('text').attr('class', 'gbi-flip-label').attr('x', fx + 3).attr('y', chartTop - 8)
        .text(`${names[flip.from] ?? flip.from} → ${names[flip.to] ?? flip.to}`);
    }
    if (result.path === 'real') {
      const chain = result.chain.data, ts = result.chain_t.data;
      chart.append('g').selectAll('circle').data(d3.range(chain.length)).join('circle').attr('class', 'gbi-chain')
        .attr('cx', (i) => scaleX(ts[i] * (S - 1))).attr('cy', chartTop + chartH).attr('r', 4)
        .append('title').text((i) => (chain[i] < 0 ? (i === 0 ? 'from' : 'to') : `real validation digit #${chain[i]}`));
      chart.append('circle').attr('class', 'gbi-chain').attr('cx', left + 4).attr('cy', chartTop + chartH + 30).attr('r', 4);
      chart.append('text').attr('class', 'gbi-small').attr('x', left + 14).attr('y', chartTop + chartH + 34)
        .text(`= the ends and the ${chain.length - 2} real validation digits the path passes through`);
    }
    // Row 3: neuron x path heatmap.
    const g = svg.append('g').attr('class', 'gbi-heat');
    g.append('text').attr('class', 'gbi-title').attr('x', left).attr('y', heatTop - 30)
      .text(rows.length ? `The ${rows.length} hidden neurons that change most: ↓ switch off, ↑ switch on (in path order), ∩ rise and fall` : 'No hidden neuron changes along this path');
    const values = new Float32Array(rows.length * S);
    rows.forEach((r, i) => {
      const t = result.acts[r.layer], n = t.shape[1];
      for (let s = 0; s < S; s++) values[i * S + s] = (t.data[s * n + r.k] - r.lo) / r.range;
    });
    heat = { left, top: heatTop, rowH, cell: (right - left) / S };
    if (rows.length) {
      g.append('image').attr('x', left - heat.cell / 2).attr('y', heatTop).attr('width', right - left + heat.cell).attr('height', rows.length * rowH)
        .attr('preserveAspectRatio', 'none').attr('href', imageURL(values, rows.length, S, (v) => {
          const c = d3.rgb(purple(v)); return [c.r, c.g, c.b];
        }, 4)).attr('class', 'gbi-heat-image');
      const every = rowH >= 12 ? 1 : rowH >= 8 ? 2 : 4;
      rows.forEach((r, i) => {
        if (i % every) return;
        g.append('text').attr('class', 'gbi-row-label').attr('x', left - heat.cell / 2 - 4).attr('y', heatTop + (i + 0.5) * rowH)
          .text(`${r.net > 0.5 ? (r.down ? '↓' : '↑') : '∩'} h${r.layer + 1}#${r.k}`);
      });
    }
    rampLegend(g, purple, { x: left, y: heatTop + rows.length * rowH + 30, width: 150, left: 'lowest', right: 'highest',
      title: "activation, each neuron scaled to its own range on this path" });
    g.append('line').attr('class', 'gbi-cursor').attr('y1', chartTop).attr('y2', heatTop + rows.length * rowH);
    paintPosition();
  }

  // 2-D: the input plane around the path, the path's points coloured by the class predicted
  // there, the two ends named; the current position is marked by paintPosition.
  function drawPlane(head, short) {
    const S = result.t.shape[0], xs = d3.range(S).map((s) => result.x.data[2 * s]), ys = d3.range(S).map((s) => result.x.data[2 * s + 1]);
    const pad = (lo, hi) => { const m = Math.max(0.25, 0.2 * (hi - lo)); return [lo - m, hi + m]; };
    const sx = d3.scaleLinear(pad(...d3.extent(xs)), [PLANE.x + 40, PLANE.x + PLANE.w]);
    const sy = d3.scaleLinear(pad(...d3.extent(ys)), [PLANE.y + PLANE.h, PLANE.y + 20]);
    plane = { sx, sy };
    const g = head.append('g').attr('class', 'gbi-morph-plane');
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${PLANE.y + PLANE.h})`).call(d3.axisBottom(sx).ticks(4));
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(${PLANE.x + 40},0)`).call(d3.axisLeft(sy).ticks(4));
    g.append('text').attr('class', 'gbi-small').attr('x', PLANE.x + PLANE.w + 8).attr('y', PLANE.y + PLANE.h + 4).text('x1');
    g.append('text').attr('class', 'gbi-small').attr('x', PLANE.x + 4).attr('y', PLANE.y + 14).text('x2');
    g.append('line').attr('class', 'gbi-morph-line').attr('x1', sx(xs[0])).attr('y1', sy(ys[0])).attr('x2', sx(xs[S - 1])).attr('y2', sy(ys[S - 1]));
    g.append('g').selectAll('circle').data(d3.range(S)).join('circle').attr('class', 'gbi-morph-point')
      .attr('cx', (s) => sx(xs[s])).attr('cy', (s) => sy(ys[s])).attr('r', 3.5)
      .attr('fill', (s) => CLASS_COLORS[result.pred.data[s] % 10]);
    [[0, 'from', result.from], [S - 1, 'to', result.to]].forEach(([s, word, end]) => g.append('text').attr('class', 'gbi-small gbi-strong')
      .attr('x', sx(xs[s]) + 8).attr('y', sy(ys[s]) - 8).text(`${word}: ${short(end)}`));
  }

  function paintPosition() {
    if (!result) return;
    const S = result.t.shape[0], names = classNames();
    pos = Math.max(0, Math.min(S - 1, pos));
    const cur = svg.select('.gbi-current');
    cur.selectAll('*').remove();
    const pred = result.pred.data[pos], here = rowOf(result.x, pos);
    if (twoD() && plane) {
      cur.append('circle').attr('class', 'gbi-morph-here').attr('cx', plane.sx(here[0])).attr('cy', plane.sy(here[1])).attr('r', 7);
      // Under the output bars (2-D datasets have few classes), clear of the chart's title below the plane.
      cur.append('text').attr('class', 'gbi-caption').attr('x', 440).attr('y', 44 + Math.min(20, 200 / names.length) * names.length + 30)
        .text(`step ${pos} of ${S - 1}: at (${fmt(here[0])}, ${fmt(here[1])}) the network says ${names[pred] ?? pred}`);
    } else {
      drawInput(cur, here, info(), { x: 110, y: 34, size: 180 });
      cur.append('text').attr('class', 'gbi-caption').attr('x', 110).attr('y', 240)
        .text(`step ${pos} of ${S - 1}: the network says ${names[pred] ?? pred}`);
    }
    const p = result.probs.data[pos * result.probs.shape[1] + pred];
    svg.attr('aria-label', `Morph ${twoD() ? 'along the straight line ' : ''}from ${endName(result.from)} to ${endName(result.to)} in ${S} steps ` +
      `(${result.flips.length} decision change${result.flips.length === 1 ? '' : 's'}): at step ${pos} the network predicts ${names[pred] ?? pred}` +
      (Number.isFinite(p) ? ` with ${Math.round(100 * p)}%.` : ' (outputs are not numbers: the network diverged).'));
    probabilityBars(svg.select('.gbi-bars'), rowOf(result.probs, pos), names,
      { x: 440, y: 44, width: Math.min(360, width - 450), row: Math.min(20, 200 / names.length), title: 'Output at this step' });
    svg.select('.gbi-cursor').attr('x1', scaleX(pos)).attr('x2', scaleX(pos));
    where.text(`step ${pos} of ${S - 1} · t = ${fmt(result.t.data[pos])} · predicted ${names[pred] ?? pred}`);
    // The Network panel shows the morph's activations once the student moves along the path.
    if (engaged) events.emit('overlay', { fill: overlayFill(), badges: [`neurons: morph step ${pos}`], legend: { title: `morph step ${pos}: |activation| on the morph path (output: probability)`, swatches: [[purple(0), 'low'], [purple(0.5), 'mid'], [purple(1), 'high']] } });
  }

  function overlayFill() {
    const L = result.acts.length, fill = [null];
    for (let l = 0; l < L; l++) {
      const t = l === L - 1 ? result.probs : result.acts[l], [S, n] = t.shape;
      let max = 1e-9;
      if (l < L - 1) for (let i = 0; i < S * n; i++) max = Math.max(max, Math.abs(t.data[i]));
      else max = 1;
      fill.push(Array.from({ length: n }, (_, k) => purple(Math.abs(t.data[pos * n + k]) / max)));
    }
    return fill;
  }

  svg.on('pointermove', (event) => {
    if (!result || !heat) return;
    const [px, py] = d3.pointer(event, svg.node()), S = result.t.shape[0];
    const s = Math.round(scaleX.invert(px));
    if (s < 0 || s >= S) { tooltip.hide(); return; }
    const row = Math.floor((py - heat.top) / heat.rowH);
    if (row >= 0 && row < rows.length) {
      const r = rows[row], t = result.acts[r.layer];
      tooltip.show([`hidden ${r.layer + 1} · neuron ${r.k}`, `step ${s}: activation ${fmt(t.data[s * t.shape[1] + r.k])}`,
        `range on this path ${fmt(r.lo)} … ${fmt(r.hi)}`, r.net > 0.5 ? `switches ${r.down ? 'off' : 'on'} at step ${r.at}` : 'rises and falls along the path'], px, py);
    } else if (py > 250 && py < heat.top) {
      const C = result.probs.shape[1], names = classNames();
      const lines = d3.range(C).map((k) => [k, result.probs.data[s * C + k]]).sort((a, b) => b[1] - a[1]).slice(0, 4)
        .map(([k, p]) => `${names[k] ?? k}: ${d3.format('.1%')(p)}`);
      tooltip.show([`step ${s} (t = ${fmt(result.t.data[s])})`, ...lines], px, py);
    } else tooltip.hide();
  }).on('pointerleave', () => tooltip.hide()).on('click', (event) => {
    if (!result) return;
    const [px, py] = d3.pointer(event, svg.node());
    if (py < 250) return;
    setPosition(Math.round(scaleX.invert(px)));
  });

  function setPosition(s) {
    if (!result) return;
    engaged = true;
    pos = Math.max(0, Math.min(result.t.shape[0] - 1, s));
    slider.property('value', pos);
    paintPosition();
    events.emit('position', pos);
  }

  slider.on('input', () => setPosition(Number(slider.property('value'))));
  for (const el of [fromSel, toSel, pathSel, stepsIn, fromNth, toNth]) el.on('change', choose);
  animate.on('click', () => {
    if (timer) { clearInterval(timer); timer = null; animate.text('▶ Animate'); return; }
    animate.text('■ Stop');
    if (result && pos >= result.t.shape[0] - 1) setPosition(0);
    timer = setInterval(() => {
      if (!result || pos >= result.t.shape[0] - 1) { clearInterval(timer); timer = null; animate.text('▶ Animate'); return; }
      setPosition(pos + 1);
    }, 80);
  });

  return {
    on: events.on,
    /** data: {info, request, result, error, drawn} (see the header). */
    update(next) {
      data = next;
      if (!next.info) return;
      plane = twoD() ? plane : null;
      syncOptions();
      reflect(next.request);
      message.text(next.error || '');
      if (!next.result) { if (result) { result = null; engaged = false; svg.selectAll('*').remove(); } return; }
      if (next.result !== result) show(next.result);
      else paintPosition();
    },
    setOptions() {},
    setPosition,
    describe: () => svg.attr('aria-label'),
    get result() { return result; },
    get position() { return pos; },
    destroy() { if (timer) clearInterval(timer); root.remove(); },
    ...exporters(stage.node(), 'morph'),
  };
}

/** The name the page used before the view contract. */
export const createMorphView = create;
