// Network view (view contract: create(element, options) -> {update(snapshot), setOptions, destroy, exportSVG, exportPNG}).
// Network view: the MLP as a layered node-link drawing (NN-SVG style); edges and the input image are
// drawn by network-canvas.js, the geometry comes from network-layout.js (or force-layout.js).
// Neurons are SVG elements (one per neuron, so they can be hovered); edges
// and the input image live on one <canvas> under the SVG, because even the
// K strongest edges per layer would be thousands of DOM nodes to restyle on
// every snapshot. update() on an unchanged architecture only rewrites fills,
// a few texts and the canvas; layout is computed on architecture/size change.
import d3 from '../common/d3.js';
import { row, cols, meanAxis0, meanAbsAxis0, argmax, topKAbsIndices, absmax, scaleToUnit } from '../common/tensor.js';
import { exportSVG, exportPNG } from '../common/export-image.js';
import { computeLayout, captionCharsPerLine, wrapWords } from './network-layout.js';
import { describeNetwork, edgeLines, formatValue, neuronLines } from './network-text.js';
import { applyForceLayout } from './force-layout.js';
import { drawLegend } from './network-legend.js';
import { colouringOf, marksOf, ringOf, strokeNeuron, drawGlyphs } from './network-marks.js';
import { globalIntensities, globalMax, logFloor, GLOBAL_DECADES } from './grad-scale.js';

import { POSITIVE_COLOR, NEGATIVE_COLOR, nearestEdge, paintInputImage, paintPixelDots, strokeEdges } from './network-canvas.js';

export { POSITIVE_COLOR, NEGATIVE_COLOR };
const SVG_NS = 'http://www.w3.org/2000/svg';
// gradScale (gradient mode): 'layer' = each layer on its own log scale, 'global' = one log scale (grad-scale.js)
const DEFAULTS = { probe: 0, mode: 'activation', gradScale: 'layer', maxEdgesPerLayer: 300, imageShape: null, classNames: null, height: null, layout: 'layered', forceBy: 'weight' };
const LAYOUT_OPTIONS = ['imageShape', 'classNames', 'height', 'layout', 'forceBy']; // layout: 'layered' | 'force' (force-layout.js)
const FOCUS_EDGES = 24;  // strongest in/out edges drawn for a hovered neuron
const RAMPS = { activation: d3.interpolatePurples, gradient: d3.interpolateGreens };
const LUTS = Object.fromEntries(Object.entries(RAMPS).map(([mode, ramp]) =>
  [mode, d3.range(256).map((i) => d3.color(ramp(0.03 + 0.97 * i / 255)).formatHex())]));
export { formatValue };
const fmtPercent = d3.format('.0%');
let instanceCount = 0;

export function createNetworkView(container, options = {}) {
  const gradientId = `gb-network-ramp-${++instanceCount}`;
  let opts = { ...DEFAULTS, ...options };
  let snapshot = null, archKey = '', layout = null, width = 0, sampleIndex = null, focus = null, selected = null;
  let nodeEls = [], nodeFills = [], outputTexts = [], texts = {}, values = [], intensity = [], edgeCount = [], hits = [];
  // Overlays let other features recolour or mark neurons without owning this view:
  // name -> {fill?: [column][neuron] CSS colour | null, stroke?: same, badges?: [column] text | null}.
  const overlays = new Map();
  const listeners = { neuronclick: new Set(), edgeclick: new Set() };
  let nodeStrokes = [], badgeTexts = [];

  const root = d3.select(container).append('div').attr('class', 'gb-view gb-network');
  const stage = root.append('div').attr('class', 'gb-network-stage');
  const canvas = stage.append('canvas').attr('class', 'gb-network-canvas').attr('data-export-layer', 'under').node();
  const svg = stage.append('svg').attr('class', 'gb-network-svg').attr('role', 'img').attr('aria-label', 'Network: waiting for a snapshot.');
  const tooltip = root.append('div').attr('class', 'gb-tooltip').style('display', 'none');
  const pixelCanvas = document.createElement('canvas');

  const L = () => snapshot.layer_sizes.length - 1;
  const gradientMode = () => opts.mode === 'gradient';
  const probeCount = () => snapshot?.probe?.x?.shape?.[0] ?? 0;
  const className = (k) => (opts.classNames?.[k] ?? String(k));
  const columnSource = (c, field) => snapshot.layers?.[c - 1]?.[field]; // column c > 0 is what layer c-1 produced
  const overlayValue = (kind, c, k) => {
    let found = null;
    for (const overlay of overlays.values()) {
      const value = overlay[kind]?.[c]?.[k];
      if (value) found = value; // the overlay set last wins
    }
    return found;
  };

  // One number per neuron: the probe sample's value, or the batch mean (of |value| unless signedMean).
  function reduce(t, n, signedMean) {
    if (!t || !t.data || t.shape[0] === 0 || cols(t) !== n) return new Float32Array(n);
    if (sampleIndex != null) return row(t, sampleIndex);
    return signedMean ? meanAxis0(t) : meanAbsAxis0(t);
  }

  function computeValues() {
    const p = probeCount(), wanted = opts.probe === 'mean' || opts.probe == null ? NaN : Math.trunc(Number(opts.probe));
    sampleIndex = !Number.isFinite(wanted) || p === 0 ? null : Math.min(Math.max(wanted, 0), p - 1);
    const gradient = gradientMode();
    values = snapshot.layer_sizes.map((n, c) => {
      if (c === 0) return reduce(snapshot.probe?.x, n, !!layout.image);
      if (c === L()) return gradient ? reduce(columnSource(c, 'grad_pre'), n) : reduce(snapshot.probe?.prob, n, true);
      return reduce(columnSource(c, gradient ? 'grad_act' : 'act'), n);
    });
    // Output probabilities are already 0..1; everything else is relative to its own layer.
    const shared = gradient && opts.gradScale === 'global' ? globalIntensities(values) : null;
    intensity = values.map((v, c) => (shared && c > 0 ? shared[c] : c === L() && !gradient ? v : scaleToUnit(v, { log: gradient && c > 0 })));
  }

  function build() {
    layout = computeLayout(snapshot.layer_sizes, width, opts.height, opts.imageShape);
    if (opts.layout === 'force') applyForceLayout(layout, snapshot, { by: opts.forceBy });
    const { height, columns } = layout, dpr = window.devicePixelRatio || 1;
    svg.selectAll('*').remove();
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    stage.style('height', `${height}px`);
    Object.assign(canvas, { width: Math.round(width * dpr), height: Math.round(height * dpr) });
    Object.assign(canvas.style, { width: `${width}px`, height: `${height}px` });
    svg.append('defs').append('linearGradient').attr('id', gradientId)
      .selectAll('stop').data(d3.range(0, 1.001, 0.125)).join('stop').attr('offset', (d) => d);
    const labels = svg.append('g').attr('class', 'gb-layer-labels');
    texts = { detail: columns.map((col, c) => {
      // On a narrow drawing centred titles of the last two columns collide ("hidden 1output 10"):
      // the output's title then starts at its neurons and runs over its (empty) label margin.
      const last = c === L() && c > 0 && col.cx - columns[c - 1].cx < 110;
      const x = last ? col.cx - col.reach - 2 : col.cx, anchor = last ? 'start' : null;
      labels.append('text').attr('class', 'gb-layer-title').attr('x', x).attr('y', 18).style('text-anchor', anchor)
        .text(c === 0 ? `input ${col.n}` : c === L() ? `output ${col.n}` : `hidden ${c}`);
      return labels.append('text').attr('class', 'gb-layer-detail').attr('x', x).attr('y', 36).style('text-anchor', anchor);
    }) };
    if (layout.image) {
      const col = columns[0], bottom = col.y0 + col.cell * col.rowsCount;
      svg.append('rect').attr('class', 'gb-input-frame').attr('data-role', 'input-image')
        .attr('x', col.x0).attr('y', col.y0).attr('width', col.width).attr('height', bottom - col.y0);
      texts.imageCaption = svg.append('text').attr('class', 'gb-image-caption').attr('x', col.x0).attr('y', bottom + 18);
    }
    nodeEls = columns.map((col, c) => {
      if (col.kind === 'image') return [];
      const group = svg.append('g').attr('class', `gb-neurons gb-neurons-${col.kind}`).node(), circle = col.kind === 'circle';
      return Array.from({ length: col.n }, (_, k) => {
        const el = document.createElementNS(SVG_NS, circle ? 'circle' : 'rect');
        const attrs = circle ? { cx: col.xs[k], cy: col.ys[k], r: col.size }
          : { x: col.xs[k] - col.size / 2, y: col.ys[k] - col.size / 2, width: col.size, height: col.size };
        for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
        el.setAttribute('class', 'gb-neuron');
        Object.assign(el.dataset, { column: c, index: k });
        return group.appendChild(el);
      });
    });
    nodeFills = nodeEls.map((els) => new Array(els.length).fill(''));
    nodeStrokes = nodeEls.map((els) => new Array(els.length).fill(''));
    badgeTexts = columns.map((col) => labels.append('text').attr('class', 'gb-layer-badge').attr('x', col.cx).attr('y', 50));
    if (layout.featureLabels) {
      const col = columns[0];
      texts.featureLabels = svg.append('g').attr('class', 'gb-feature-labels').selectAll('text').data(d3.range(col.n)).join('text')
        .attr('x', col.xs[0] - col.reach - 6).attr('y', (k) => col.ys[k]).text((k) => `x${k + 1}`);
    }
    const out = columns[columns.length - 1], outLabels = svg.append('g').attr('class', 'gb-output-labels');
    outputTexts = out.kind === 'circle' || out.spacing >= 12 ? d3.range(out.n).map((k) => {
      const text = outLabels.append('text').attr('x', out.cx + out.width / 2 + 8).attr('y', out.ys[k]);
      return { name: text.append('tspan').attr('class', 'gb-out-name').text(className(k)),
        prob: text.append('tspan').attr('class', 'gb-out-prob').attr('dx', 2),
        truth: text.append('tspan').attr('class', 'gb-out-true').attr('dx', 2) };
    }) : [];
    texts.marks = svg.append('g').attr('class', 'gb-marks');
    buildLegend();
  }

  function buildLegend() {
    texts.legend = svg.append('g').attr('class', 'gb-legend').attr('transform', `translate(14,${layout.legendY + 8})`);
    texts.caption = texts.legend.append('text').attr('class', 'gb-caption');
    texts.legendKey = '';
    texts.legendRows = 38;
  }

  // What colours the neurons now (network-legend.js): an overlay's own legend, or this view's ramp.
  // An overlay's `note` (e.g. 'replay of step 120') says whose values the ramp shows.
  const notes = () => [...overlays.values()].map((o) => o.note).filter(Boolean);
  const colouringLegend = () => colouringOf(overlays, { ramp: gradientId, by: notes().length ? `${opts.mode}-note` : opts.mode,
    title: (gradientMode()
      ? `neuron |gradient| (log scale, ${opts.gradScale === 'global' ? `all layers, ${GLOBAL_DECADES} decades` : 'per layer'})`
      : 'neuron |activation| (per layer)') + notes().map((n) => ` · ${n}`).join('') });
  const marksInUse = () => marksOf(overlays);

  function setText(selection, value) {
    if (!selection || selection.node().textContent === value) return false;
    selection.text(value);
    return true;
  }

  function setCaption(paragraphs) {
    const lines = wrapWords(paragraphs, captionCharsPerLine(width));
    if (texts.caption.attr('data-text') === lines.join('\n')) return false;
    texts.caption.attr('data-text', lines.join('\n')).selectAll('tspan').data(lines).join('tspan')
      .attr('x', 0).attr('dy', (d, i) => (i === 0 ? 0 : 17)).text((d) => d);
    return true;
  }

  // The legend's rows vary with what is drawn: grow (or shrink) the drawing so the caption fits.
  function fitLegend() {
    const lines = texts.caption.selectAll('tspan').size();
    texts.caption.attr('y', texts.legendRows + 14);
    const height = Math.max(layout.legendY + 8 + texts.legendRows + 14 + 17 * lines + 6, layout.legendY + 40);
    if (Math.abs(height - (Number(svg.attr('height')) || 0)) < 1) return;
    svg.attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    stage.style('height', `${height}px`);
  }

  function paintTexts() {
    const gradient = gradientMode(), sizes = snapshot.layer_sizes, p = probeCount();
    const inputDetail = layout.image ? `${layout.image[0]}×${layout.image[1]} pixels` : 'features';
    texts.detail.forEach((t, c) => setText(t, c === 0 ? inputDetail : c === L() ? outputSummary()
      : `${sizes[c]} · ${snapshot.activation ?? ''}`));
    texts.detail[L()].classed('gb-out-summary', sampleIndex != null);
    if (texts.imageCaption) setText(texts.imageCaption, sampleIndex == null ? `mean of ${p} probe images`
      : `probe sample ${sampleIndex} · label ${className(snapshot.probe.y?.data?.[sampleIndex])}`);
    if (texts.featureLabels) texts.featureLabels.text((k) => (sampleIndex != null && sizes[0] <= 4
      ? `x${k + 1} = ${formatValue(values[0][k])}` : `x${k + 1}`));
    const ramp = RAMPS[gradient ? 'gradient' : 'activation'];
    svg.select(`#${gradientId}`).selectAll('stop').attr('stop-color', (d) => ramp(0.03 + 0.97 * d));
    const colouring = colouringLegend();
    const spec = { colouring, marks: marksInUse(), colors: { positive: POSITIVE_COLOR, negative: NEGATIVE_COLOR },
      edges: { sizeLabel: gradient ? '|dL/dw| small → large (log)' : '|weight| small → large' } };
    const key = JSON.stringify([spec, width]);
    if (key !== texts.legendKey) {
      texts.legendKey = key;
      texts.legendRows = drawLegend(texts.legend, spec, width);
      texts.legend.attr('data-colouring', colouring.by);
    }
    const who = sampleIndex == null ? `mean over ${p} probe samples` : `probe sample ${sampleIndex}`;
    const what = gradient ? 'weight gradients dL/dw' : 'weights';
    const thinned = sizes.some((n, l) => l < L() && n * sizes[l + 1] > opts.maxEdgesPerLayer);
    const fills = colouring.ramp ? (gradient
      ? `Brightness = |dLoss/d activation| at each neuron (${who}), log scale ${opts.gradScale === 'global'
        ? 'shared by all layers (a dark layer gets tiny gradients)' : 'per layer'}; the input shows the data.`
      : `Brightness = |activation| (${who}), relative to each layer's largest; output = softmax probability.`)
      : `Neuron colours: ${colouring.title}.`;
    setCaption([fills, `Edges: ${thinned ? `only the ${opts.maxEdgesPerLayer} largest ${what} per layer` : `all ${what}`}; ` +
      'blue = positive, orange = negative, thicker = larger. Hover for values.',
    `Click a neuron: ${clickHint() || 'select it (its strongest connections stay drawn; click again to clear)'}.`]);
    fitLegend();
    svg.attr('aria-label', describe());
  }

  // Next to the outputs: the shown input's prediction, or a warning that the bars are a mean.
  function outputSummary() {
    if (sampleIndex == null) return `mean over ${probeCount()} inputs`;
    const shown = reduce(snapshot.probe?.prob, snapshot.layer_sizes[L()], true), top = argmax(shown);
    return top < 0 ? 'softmax' : `predicted ${className(top)} · ${fmtPercent(shown[top])}`;
  }

  function paintNodes() {
    const lut = LUTS[gradientMode() ? 'gradient' : 'activation'];
    nodeEls.forEach((els, c) => {
      const fills = nodeFills[c], level = intensity[c];
      for (let k = 0; k < els.length; k++) {
        const fill = overlayValue('fill', c, k) || lut[Math.round(Math.min(1, Math.max(0, level[k])) * 255) || 0];
        if (fills[k] !== fill) { els[k].setAttribute('fill', fill); fills[k] = fill; }
        const ring = ringOf(overlays, c, k), stroke = ring ? `${ring.stroke}|${ring.dash}` : overlayValue('stroke', c, k) || '';
        if (ring?.fill && fills[k] !== ring.fill) { els[k].setAttribute('fill', ring.fill); fills[k] = ring.fill; }
        if (nodeStrokes[c][k] !== stroke) { strokeNeuron(els[k], stroke, ring); nodeStrokes[c][k] = stroke; }
      }
    });
    // Perturbed parameters: a diamond beside the neuron (a shape, not a colour, so it reads over any fill).
    drawGlyphs(texts.marks, layout.columns, overlays);
    badgeTexts.forEach((text, c) => {
      let badge = '';
      for (const overlay of overlays.values()) badge = overlay.badges?.[c] || badge;
      setText(text, badge);
    });
    const prob = snapshot.probe?.prob, shown = reduce(prob, snapshot.layer_sizes[L()], true), predicted = argmax(shown);
    const truth = sampleIndex != null ? snapshot.probe?.y?.data?.[sampleIndex] : -1;
    outputTexts.forEach((t, k) => {
      setText(t.prob, prob ? ` ${fmtPercent(shown[k] || 0)}` : ''); // real spaces, so copied/exported text reads well
      setText(t.truth, k === truth ? (width < 640 ? ' ✓' : ' ✓ label') : '');  // narrow: the tick alone fits
      t.name.classed('gb-predicted', k === predicted);
    });
  }

  function drawCanvas() {
    const ctx = canvas.getContext('2d'), dpr = canvas.width / width, field = gradientMode() ? 'dW' : 'W';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, layout.height);
    hits = [];
    edgeCount = [];
    const faintDots = [], boldDots = [];
    const sharedTop = gradientMode() && opts.gradScale === 'global'
      ? globalMax(snapshot.layers?.map((layer) => layer?.dW?.data) ?? []) : 0;
    for (let l = 0; l < L(); l++) {
      const matrix = snapshot.layers?.[l]?.[field], layerTop = matrix ? absmax(matrix) : 0;
      const indices = layerTop ? topKAbsIndices(matrix.data, opts.maxEdgesPerLayer) : [];
      edgeCount.push(indices.length);
      if (!layerTop) continue;
      const scale = sharedTop || layerTop, logLow = gradientMode() ? logFloor(scale, sharedTop ? GLOBAL_DECADES : 3) : null;
      const edges = { from: layout.columns[l], to: layout.columns[l + 1], layer: l, matrix, scale, logLow, hits, image: !!layout.image };
      strokeEdges(ctx, { ...edges, indices, alphaFactor: focus ? 0.22 : 1, dots: focus ? null : faintDots });
      // A hovered neuron's own strongest connections, even those outside the global top K.
      if (!focus || (focus.column !== l + 1 && focus.column !== l)) continue;
      const nIn = layout.columns[l].n, nOut = layout.columns[l + 1].n;
      const candidates = focus.column === l + 1 ? Int32Array.from({ length: nIn }, (_, i) => i * nOut + focus.index)
        : Int32Array.from({ length: nOut }, (_, j) => focus.index * nOut + j);
      const strongest = topKAbsIndices(Float32Array.from(candidates, (k) => matrix.data[k]), FOCUS_EDGES);
      strokeEdges(ctx, { ...edges, indices: Array.from(strongest, (m) => candidates[m]), alphaFactor: 1, dots: boldDots });
    }
    if (!layout.image) return;
    // The image covers the pixel ends of its edges; dots mark which pixels they leave from: bold for a
    // hovered neuron's own, faint for the global top K -- unless those touch most pixels and say nothing.
    paintInputImage(ctx, layout.columns[0], values[0], pixelCanvas);
    paintPixelDots(ctx, layout.columns[0], faintDots, boldDots);
  }

  function restyle() {
    if (!snapshot || !layout) return;
    computeValues();
    paintNodes();
    drawCanvas();
    paintTexts();
  }

  function update(next) {
    if (!next || !Array.isArray(next.layer_sizes) || next.layer_sizes.length < 2) return;
    snapshot = next;
    const key = next.layer_sizes.join('-');
    if (key !== archKey || !layout) { archKey = key; focus = null; selected = null; build(); }
    restyle();
  }

  function setFocus(next) {
    if ((next?.column ?? -1) === (focus?.column ?? -1) && (next?.index ?? -1) === (focus?.index ?? -1)) return;
    focus = next;
    drawCanvas();
  }

  function showTooltip(lines, x, y) {
    if (!lines) { tooltip.style('display', 'none'); return; }
    tooltip.style('display', null).selectAll('div').data(lines).join('div')
      .attr('class', (d, i) => (i === 0 ? 'gb-tooltip-title' : null)).text((d) => d);
    const box = tooltip.node().getBoundingClientRect();
    const left = x + 16 + box.width > width ? x - 16 - box.width : x + 16; // flip left near the right edge
    tooltip.style('left', `${Math.max(0, left)}px`).style('top', `${Math.max(0, y + 12)}px`);
  }

  // The neuron (or input pixel) under the pointer, as {column, index}, or null.
  function neuronAt(event, x, y) {
    const data = event.target.dataset ?? {}, col = layout.columns[0];
    if (data.index !== undefined) return { column: +data.column, index: +data.index };
    if (data.role !== 'input-image') return null;
    const r = Math.min(col.rowsCount - 1, Math.floor((y - col.y0) / col.cell));
    const c = Math.min(col.colsCount - 1, Math.floor((x - col.x0) / col.cell));
    return { column: 0, index: Math.max(0, r) * col.colsCount + Math.max(0, c) };
  }

  svg.on('click', (event) => {
    if (!snapshot || !layout) return;
    const [x, y] = d3.pointer(event, svg.node()), neuron = neuronAt(event, x, y);
    if (neuron) {
      // One thing per click: the page's mode may own clicks (an overlay's `click` says what they do); else select.
      if (!clickHint()) select(selected && selected.column === neuron.column && selected.index === neuron.index ? null : neuron);
      listeners.neuronclick.forEach((fn) => fn(neuron));
      return;
    }
    const edge = nearestEdge(hits, x, y);
    if (edge) listeners.edgeclick.forEach((fn) => fn({ layer: edge[0], from: edge[1], to: edge[2] }));
  });

  svg.on('pointermove', (event) => {
    if (!snapshot || !layout) return;
    const [x, y] = d3.pointer(event, svg.node());
    const hovered = neuronAt(event, x, y);
    setFocus(hovered);
    const edge = hovered ? null : nearestEdge(hits, x, y);
    const text = { snapshot, layout, sample: sampleIndex, classNames: opts.classNames };
    showTooltip(hovered ? neuronLines(text, hovered.column, hovered.index) : edge && edgeLines(text, ...edge), x, y);
  });
  svg.on('pointerleave', () => { showTooltip(null); setFocus(selected); });

  // The selected neuron keeps its strongest connections drawn and a dark outline until clicked again.
  function select(neuron) {
    svg.selectAll('.gb-neuron.gb-selected').classed('gb-selected', false);
    selected = neuron && nodeEls[neuron.column]?.[neuron.index] ? neuron : null;
    if (selected) nodeEls[selected.column][selected.index].classList.add('gb-selected');
    setFocus(selected);
  }
  function clickHint() {
    let hint = null;
    for (const overlay of overlays.values()) hint = overlay.click || hint;
    return hint;
  }

  function describe() {
    return describeNetwork({ snapshot, sample: sampleIndex, classNames: opts.classNames, gradient: gradientMode(),
      shown: snapshot && reduce(snapshot.probe?.prob, snapshot.layer_sizes[L()], true),
      colouring: snapshot && layout ? colouringLegend() : null, marks: snapshot && layout ? marksInUse() : [], notes: notes() });
  }

  function setOptions(partial = {}) {
    const relayout = LAYOUT_OPTIONS.some((k) => k in partial && JSON.stringify(partial[k]) !== JSON.stringify(opts[k]));
    opts = { ...opts, ...partial };
    if (!snapshot) return;
    if (relayout) {
      // A page may announce a new architecture's imageShape before its first snapshot: wait for it.
      archKey = '';
      if (opts.imageShape && opts.imageShape[0] * opts.imageShape[1] !== snapshot.layer_sizes[0]) return;
      update(snapshot);
    } else restyle();
  }

  const resizeObserver = new ResizeObserver(() => {
    const next = Math.max(320, Math.floor(container.clientWidth || 0));
    if (!container.clientWidth || Math.abs(next - width) < 1) return;
    width = next;
    if (snapshot) { archKey = ''; update(snapshot); }
  });
  width = Math.max(320, Math.floor(container.clientWidth || 720));
  resizeObserver.observe(container);

  return {
    update, setOptions, describe,
    /** Recolour/mark neurons (see `overlays` above); null removes the overlay. */
    setOverlay(name, overlay) {
      if (overlay) overlays.set(name, overlay); else overlays.delete(name);
      if (snapshot && layout) { paintNodes(); paintTexts(); }
    },
    /** 'neuronclick' -> fn({column, index}) (column 0 = input); 'edgeclick' -> fn({layer, from, to}). */
    on(event, fn) {
      listeners[event].add(fn);
      return () => listeners[event].delete(fn);
    },
    reset() {
      snapshot = null; archKey = ''; layout = null;
      svg.selectAll('*').remove();
      canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    },
    exportSVG: (filename = 'glassbox-network.svg') => exportSVG(stage.node(), filename),
    exportPNG: (filename = 'glassbox-network.png', scale = 2) => exportPNG(stage.node(), filename, scale),
    destroy() { resizeObserver.disconnect(); root.remove(); },
    get options() { return { ...opts }; },
    get element() { return root.node(); },
    /** Geometry and drawn edges, for tests and for lessons that point at parts of the drawing. */
    inspect: () => layout && {
      width, height: layout.height, edgeCount: [...edgeCount], sampleIndex,
      edges: hits.map(([x1, y1, x2, y2, layer, from, to]) => ({ layer, from, to, x1, y1, x2, y2 })),
      columns: layout.columns.map((c) => ({ n: c.n, kind: c.kind, cx: c.cx, size: c.size ?? c.cell,
        xs: Array.from(c.xs), ys: Array.from(c.ys) })),
    },
  };
}
export const create = createNetworkView;
