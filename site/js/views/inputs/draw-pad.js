// Draw-your-own view: a drawing pad sized to the dataset's image (drawn large), the preprocessed
// image the network actually sees, and its live prediction and hidden activations. Mouse, touch,
// pen, and keyboard (arrows move a cursor cell, Space paints it, Delete erases it, Ctrl+Z undoes).
// An existing sample can be loaded and edited by painting and erasing.
//
// Preprocessing (what the network sees): the pad is rendered at 10 canvas pixels per image pixel;
// with "centre and scale" on, the ink's bounding box is scaled to fit FIT of the image (MNIST:
// 20 of 28 pixels, as in MNIST itself; digits: 8 of 8) and moved so its centre of mass sits at
// the image centre; then each image pixel is the mean ink coverage of its 10 x 10 block (0..1).
//
// View contract: update({info, pixels, pad, result, error, note}) from the inputs source: `pixels`
// is what the network sees, `result` its answer (engine op 'classify_input'), a new `pad` is put
// on the pad as blocks of ink (window.glassbox.draw). Out: on('draw', pixels) after every stroke,
// on('load', {class, nth}) for "Edit a sample", on('overlay', ...) for the network view.
import d3 from '../common/d3.js';
import { classOptions, drawInput, emitter, exporters, fmt, labelled, makeTooltip, probabilityBars, purple, say } from './inputs-common.js';

const RES = 10;           // canvas pixels per image pixel
const PAD = 300;          // pad size on screen (px)
const MAX_UNDO = 40;

export function create(container, options = {}) {
  const events = emitter();
  const root = d3.select(container).append('div').attr('class', 'gb-view gbi-view gbi-draw');
  const bar = root.append('div').attr('class', 'gbi-controls');
  const buttons = {};
  for (const [name, text, title] of [['clear', 'Clear', 'Erase everything (Delete key clears the cursor cell)'],
    ['undo', 'Undo', 'Undo the last stroke (Ctrl+Z)']]) {
    buttons[name] = bar.append('button').attr('type', 'button').attr('id', `gbi-draw-${name}`).attr('title', title).text(text);
  }
  const modeSel = labelled(bar, 'Brush', 'select', 'gbi-draw-mode');
  modeSel.selectAll('option').data([['ink', 'paint'], ['erase', 'erase']]).join('option').attr('value', (d) => d[0]).text((d) => d[1]);
  const sizeIn = labelled(bar, 'width', 'input', 'gbi-draw-width').attr('type', 'range').attr('min', 0.4).attr('max', 3).attr('step', 0.1);
  const centreIn = labelled(bar, 'centre and scale', 'input', 'gbi-draw-centre').attr('type', 'checkbox').property('checked', true);
  const loadSel = labelled(bar, 'Edit a sample of', 'select', 'gbi-draw-load-class');
  const loadNth = labelled(bar, 'example', 'input', 'gbi-draw-load-nth').attr('type', 'number').attr('min', 0).attr('value', 0);
  const loadBtn = bar.append('button').attr('type', 'button').attr('id', 'gbi-draw-load').text('Load');
  const message = root.append('div').attr('class', 'gbi-message').attr('role', 'status');
  const stage = root.append('div').attr('class', 'gbi-stage');
  const canvas = stage.append('canvas').attr('class', 'gbi-pad-canvas').attr('data-export-layer', 'under').node();
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Drawing pad and what the network sees');
  // Pointer input lands on this HTML layer over the pad, not on the SVG rect: browsers do not honour
  // touch-action on SVG shapes, so a finger's stroke became a page scroll and was cancelled after
  // two moves. Here `touch-action: none` holds (css/inputs.css) and the pointer is captured.
  const touchLayer = stage.append('div').attr('class', 'gbi-pad-touch').attr('aria-hidden', 'true')
    .on('pointerdown', (event) => start(event)).on('pointermove', (event) => move(event))
    .on('pointerup', () => end()).on('pointercancel', () => end()).on('pointerleave', (event) => { if (!drawing) tooltip.hide(); });
  const tooltip = makeTooltip(root);
  const padCtx = canvas.getContext('2d', { willReadFrequently: true });

  let shape = null, undo = [], drawing = null, cursor = [0, 0], x = null, out = null, frame = false, data = {}, pad = null;
  const info = () => data.info;
  const names = () => info()?.class_names ?? [];

  function setup() {
    const s = info()?.image_shape;
    const key = s ? s.join('x') : 'none';
    if (shape && shape.join('x') === key) return;
    shape = s ? [...s] : null;
    classOptions(loadSel, info());
    svg.selectAll('*').remove();
    say(message, shape ? '' : 'Drawing needs an image dataset (digits or MNIST); 2-D datasets have the Input plane view.', true);
    bar.style('display', shape ? null : 'none');
    if (!shape) { canvas.style.display = 'none'; touchLayer.style('display', 'none'); return; }
    const big = shape[0] > 10;
    sizeIn.property('value', big ? 1.3 : 0.6);
    centreIn.property('checked', true);
    Object.assign(canvas, { width: shape[1] * RES, height: shape[0] * RES });
    Object.assign(canvas.style, { display: '', left: '0px', top: '28px', width: `${PAD}px`, height: `${PAD * shape[0] / shape[1]}px` });
    touchLayer.style('display', null).style('left', '0px').style('top', '28px').style('width', `${PAD}px`)
      .style('height', `${PAD * shape[0] / shape[1]}px`);
    undo = [];
    clearPad();
    layout();
  }

  function layout() {
    const width = Math.max(640, container.clientWidth || 900), padH = PAD * shape[0] / shape[1];
    const height = Math.max(padH + 90, 430);
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    svg.append('text').attr('class', 'gbi-title').attr('x', 0).attr('y', 18).text(`Draw here (${shape[1]}×${shape[0]} pixels, drawn large)`);
    const cell = PAD / shape[1];
    const grid = svg.append('g').attr('class', 'gbi-pad-grid').attr('transform', 'translate(0,28)');
    if (shape[1] <= 12) {
      for (let i = 1; i < shape[1]; i++) grid.append('line').attr('x1', i * cell).attr('x2', i * cell).attr('y1', 0).attr('y2', padH);
      for (let i = 1; i < shape[0]; i++) grid.append('line').attr('y1', i * cell).attr('y2', i * cell).attr('x1', 0).attr('x2', PAD);
    }
    grid.append('rect').attr('class', 'gbi-pad-cursor').attr('width', cell).attr('height', cell).style('display', 'none');
    grid.append('rect').attr('class', 'gbi-pad').attr('id', 'gbi-draw-pad').attr('width', PAD).attr('height', padH)
      .attr('tabindex', 0).attr('role', 'application')
      .attr('aria-label', 'Drawing pad: drag to draw; arrow keys move the cursor, Space paints a pixel, Delete erases it, Ctrl+Z undoes')
      .on('pointerdown', start).on('pointermove', move).on('pointerup', end).on('pointercancel', end)
      .on('keydown', key).on('focus', () => showCursor(true)).on('blur', () => showCursor(false));
    svg.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', padH + 48)
      .text('Drag to draw · arrows + Space paint · Delete erases · Ctrl+Z undoes');
    svg.append('text').attr('class', 'gbi-title').attr('x', PAD + 30).attr('y', 18).text('What the network sees');
    svg.append('g').attr('class', 'gbi-seen').attr('transform', `translate(${PAD + 30},28)`);
    svg.append('text').attr('class', 'gbi-small gbi-seen-note').attr('x', PAD + 30).attr('y', 28 + 190);
    svg.append('g').attr('class', 'gbi-bars');
    svg.append('g').attr('class', 'gbi-acts').attr('transform', `translate(${PAD + 30},${28 + 240})`);
    paint();
  }

  const padPoint = (event) => {
    const [px, py] = d3.pointer(event, touchLayer.node());
    return [px / PAD * canvas.width, py / PAD * canvas.width];
  };

  function pushUndo() {
    undo.push(padCtx.getImageData(0, 0, canvas.width, canvas.height));
    if (undo.length > MAX_UNDO) undo.shift();
  }

  function stroke(from, to) {
    padCtx.save();
    padCtx.globalCompositeOperation = modeSel.property('value') === 'erase' ? 'destination-out' : 'source-over';
    padCtx.strokeStyle = padCtx.fillStyle = '#101828';
    padCtx.lineCap = 'round';
    padCtx.lineJoin = 'round';
    padCtx.lineWidth = 2 * Number(sizeIn.property('value')) * RES;
    padCtx.beginPath();
    padCtx.moveTo(from[0], from[1]);
    padCtx.lineTo(to[0] + 0.01, to[1]);
    padCtx.stroke();
    padCtx.restore();
  }

  function start(event) {
    if (!shape) return;
    event.preventDefault();
    touchLayer.node().setPointerCapture?.(event.pointerId); // the stroke follows the finger even off the pad
    pushUndo();
    drawing = padPoint(event);
    stroke(drawing, drawing);
    changed();
  }
  function move(event) {
    const p = padPoint(event);
    const [gx, gy] = [Math.floor(p[0] / RES), Math.floor(p[1] / RES)];
    if (!drawing) {
      if (x && gx >= 0 && gy >= 0 && gx < shape[1] && gy < shape[0]) {
        const [mx, my] = d3.pointer(event, svg.node());
        tooltip.show([`pixel (row ${gy}, col ${gx})`, 'hover "What the network sees" for its value'], mx, my);
      }
      return;
    }
    stroke(drawing, p);
    drawing = p;
    changed();
  }
  function end() { drawing = null; tooltip.hide(); }

  function cellFill(gx, gy, erase) {
    padCtx.save();
    if (erase) padCtx.clearRect(gx * RES, gy * RES, RES, RES);
    else { padCtx.fillStyle = '#101828'; padCtx.fillRect(gx * RES, gy * RES, RES, RES); }
    padCtx.restore();
  }

  function showCursor(on) {
    const cell = PAD / shape[1];
    svg.select('.gbi-pad-cursor').style('display', on ? null : 'none').attr('x', cursor[0] * cell).attr('y', cursor[1] * cell);
  }

  function key(event) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      cursor = [Math.max(0, Math.min(shape[1] - 1, cursor[0] + moves[event.key][0])), Math.max(0, Math.min(shape[0] - 1, cursor[1] + moves[event.key][1]))];
      showCursor(true);
    } else if (event.key === ' ' || event.key === 'Enter' || event.key === 'Delete' || event.key === 'Backspace') {
      pushUndo();
      cellFill(cursor[0], cursor[1], event.key === 'Delete' || event.key === 'Backspace');
      changed();
    } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
      doUndo();
    } else return;
    event.preventDefault();
    event.stopPropagation();
  }

  function clearPad() { padCtx.clearRect(0, 0, canvas.width, canvas.height); }
  function doUndo() { const last = undo.pop(); if (last) { padCtx.putImageData(last, 0, 0); changed(); } }

  /** The network's input: preprocess the pad (see the header comment). */
  function preprocess() {
    const [H, W] = shape, w = canvas.width, h = canvas.height;
    let source = canvas;
    if (centreIn.property('checked')) {
      const alpha = padCtx.getImageData(0, 0, w, h).data;
      let x0 = w, y0 = h, x1 = -1, y1 = -1;
      for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) {
        if (alpha[(yy * w + xx) * 4 + 3] > 12) { x0 = Math.min(x0, xx); x1 = Math.max(x1, xx); y0 = Math.min(y0, yy); y1 = Math.max(y1, yy); }
      }
      if (x1 >= 0) {
        const fit = (H > 10 ? 20 / 28 : 1) * Math.min(w, h), bw = x1 - x0 + 1, bh = y1 - y0 + 1, s = fit / Math.max(bw, bh);
        const scaled = Object.assign(document.createElement('canvas'), { width: w, height: h }), sc = scaled.getContext('2d', { willReadFrequently: true });
        sc.drawImage(canvas, x0, y0, bw, bh, (w - bw * s) / 2, (h - bh * s) / 2, bw * s, bh * s);
        if (H > 10) { // MNIST: centre of mass to the centre
          const a = sc.getImageData(0, 0, w, h).data;
          let m = 0, mx = 0, my = 0;
          for (let k = 0; k < w * h; k++) { const v = a[k * 4 + 3]; m += v; mx += v * (k % w); my += v * Math.floor(k / w); }
          const shifted = Object.assign(document.createElement('canvas'), { width: w, height: h });
          shifted.getContext('2d').drawImage(scaled, Math.round(w / 2 - mx / m), Math.round(h / 2 - my / m));
          source = shifted;
        } else source = scaled;
      }
    }
    const a = source.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, w, h).data, out = new Float32Array(H * W);
    for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) out[Math.floor(yy / RES) * W + Math.floor(xx / RES)] += a[(yy * w + xx) * 4 + 3] / 255;
    for (let k = 0; k < H * W; k++) out[k] = Math.min(1, out[k] / (RES * RES));
    return out;
  }

  function changed() {
    if (frame) return;
    frame = true;
    requestAnimationFrame(() => { frame = false; classify(); });
  }

  // The source classifies what the network sees; strokes made meanwhile replace its queued request.
  function classify() {
    if (!shape) return;
    x = preprocess();
    paint();
    events.emit('draw', x);
  }

  function paint() {
    if (!shape || !x) return;
    const seen = svg.select('.gbi-seen');
    seen.selectAll('*').remove();
    seen.append('rect').attr('class', 'gbi-frame').attr('width', 180).attr('height', 180 * shape[0] / shape[1]);
    drawInput(seen, x, info(), { size: 180, max: 1 }).attr('class', 'gbi-seen-image').on('pointermove', (event) => {
      const [px, py] = d3.pointer(event, seen.node()), cell = 180 / shape[1];
      const gx = Math.floor(px / cell), gy = Math.floor(py / cell), [mx, my] = d3.pointer(event, svg.node());
      if (gx >= 0 && gy >= 0 && gx < shape[1] && gy < shape[0]) tooltip.show([`pixel (row ${gy}, col ${gx})`, `value ${fmt(x[gy * shape[1] + gx])}`], mx, my);
    }).on('pointerleave', () => tooltip.hide());
    const note = svg.select('.gbi-seen-note');
    note.selectAll('tspan').data(centreIn.property('checked')
      ? [`centred and scaled like ${shape[0] > 10 ? 'MNIST' : 'the digits'},`, `averaged to ${shape[1]}×${shape[0]} pixels`]
      : [`averaged to ${shape[1]}×${shape[0]} pixels`, '(no centring)']).join('tspan')
      .attr('x', PAD + 30).attr('dy', (d, i) => (i ? 16 : 0)).text((d) => d);
    const barsX = PAD + 250;
    const inked = x.reduce((n, v) => n + (v > 0.1 ? 1 : 0), 0), p = out?.probs?.data?.[out.pred];
    svg.attr('aria-label', `Drawing pad: ${inked} of ${x.length} pixels inked` + (out ? `; predicted ${names()[out.pred] ?? out.pred}` +
      (Number.isFinite(p) ? ` with ${Math.round(100 * p)}%.` : '.') : '; waiting for the prediction.'));
    if (!out) return;
    probabilityBars(svg.select('.gbi-bars'), out.probs.data, names(),
      { x: barsX, y: 48, width: Math.max(220, Math.min(360, (container.clientWidth || 900) - barsX - 10)), row: Math.min(20, 190 / names().length),
        title: `The network says ${names()[out.pred] ?? out.pred}` });
    const acts = svg.select('.gbi-acts');
    acts.selectAll('*').remove();
    const hidden = out.acts.slice(0, -1), fill = [null];
    let yy = 0;
    const room = Math.max(300, (container.clientWidth || 900) - PAD - 40);
    hidden.forEach((t, l) => {
      const n = t.data.length, max = Math.max(1e-9, d3.max(t.data, Math.abs)), size = Math.max(6, Math.min(16, Math.floor(room / n)));
      const perRow = Math.floor(room / size);
      acts.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', yy + 10).text(`hidden ${l + 1}: ${n} neurons (brightness = activation)`);
      acts.append('g').selectAll('rect').data(Array.from(t.data)).join('rect').attr('class', 'gbi-act-cell')
        .attr('x', (v, k) => (k % perRow) * size).attr('y', (v, k) => yy + 16 + Math.floor(k / perRow) * size)
        .attr('width', size - 1).attr('height', size - 1).attr('fill', (v) => purple(Math.abs(v) / max))
        .append('title').text((v, k) => `hidden ${l + 1} · neuron ${k}: ${fmt(v)}`);
      fill.push(Array.from(t.data, (v) => purple(Math.abs(v) / max)));
      yy += 24 + Math.ceil(n / perRow) * size;
    });
    fill.push(Array.from(out.probs.data, (p) => purple(p)));
    const needed = 28 + 240 + yy + 10;
    if (Number(svg.attr('height')) < needed) svg.attr('height', needed).attr('viewBox', `0 0 ${svg.attr('width')} ${needed}`);
    events.emit('overlay', { fill, badges: ['neurons: your drawing'], legend: { title: 'your drawing: |activation| per layer (output: probability)', swatches: [[purple(0), 'low'], [purple(0.5), 'mid'], [purple(1), 'high']] } });
  }

  /** Put an input vector on the pad (as blocks of ink), e.g. a sample to edit; it is what the network sees. */
  function setPixels(values) {
    const [H, W] = shape;
    pushUndo();
    clearPad();
    padCtx.save();
    padCtx.fillStyle = '#101828';
    for (let k = 0; k < H * W; k++) {
      const v = Math.min(1, Math.max(0, Number(values[k]) || 0));
      if (v <= 0) continue;
      padCtx.globalAlpha = v;
      padCtx.fillRect((k % W) * RES, Math.floor(k / W) * RES, RES, RES);
    }
    padCtx.restore();
    centreIn.property('checked', false);
  }

  buttons.clear.on('click', () => { pushUndo(); clearPad(); changed(); });
  buttons.undo.on('click', doUndo);
  centreIn.on('change', changed);
  loadBtn.on('click', () => events.emit('load', { class: Number(loadSel.property('value')), nth: Number(loadNth.property('value')) || 0 }));

  return {
    on: events.on,
    /** data: {info, pixels, pad, result, error, note} (see the header). */
    update(next) {
      data = next;
      if (!next.info) return;
      setup();
      if (!shape) return;
      if (next.pad && next.pad !== pad) { pad = next.pad; setPixels(pad); x = next.pixels; }
      if (!next.pixels && x) { x = null; out = null; clearPad(); svg.selectAll('*').remove(); layout(); }
      out = next.result || null;   // the newest answer (until it comes, the one before)
      if (next.error) say(message, next.error); else say(message, next.note || '', true);
      paint();
    },
    setOptions() {},
    describe: () => svg.attr('aria-label'),
    get input() { return x; },
    get result() { return out; },
    destroy() { root.remove(); },
    ...exporters(stage.node(), 'drawing'),
  };
}

/** The name the page used before the view contract. */
export const createDrawView = create;
