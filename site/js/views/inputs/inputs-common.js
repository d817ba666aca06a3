// Helpers shared by the "Explore inputs" views (morph, draw, pour, perturb, hidden space, input
// plane): pixel images as data URLs (they export with the SVG), colour scales, probability bars,
// a tooltip and the export pair. Nothing here talks to the engine.
import d3 from '../common/d3.js';
import { exportSVG, exportPNG } from '../common/export-image.js';

export const BLUE = '#1f5fd6';   // class set A / positive
export const RED = '#d62828';    // class set B / negative
export const fmt = d3.format('.3~g');
export const pct = d3.format('.1%');
export const CLASS_COLORS = d3.schemeTableau10;

export const ink = (t) => { // ink on paper, like the network view's input image
  const v = Math.min(1, Math.max(0, t)) || 0;
  return [255 - v * 240, 255 - v * 232, 255 - v * 213];
};

/** Diverging: +1 -> blue, 0 -> white, -1 -> red (as RGB triple). */
export function diverging(t) {
  const c = d3.rgb(d3.interpolateRdBu(0.5 + 0.5 * Math.max(-1, Math.min(1, t || 0))));
  return [c.r, c.g, c.b];
}

/** Purples ramp (the network view's activation colour) for t in [0, 1]. */
export const purple = (t) => d3.interpolatePurples(0.03 + 0.97 * Math.min(1, Math.max(0, t || 0)));

/** Bivariate colour for pouring: level A adds blue, level B adds red, on a dark base. */
export function pourColor(levelA, levelB) {
  const base = [34, 34, 46], blue = [40, 110, 255], red = [240, 40, 40];
  const c = base.map((b, i) => Math.round(Math.min(255, b + levelA * (blue[i] - b) + levelB * (red[i] - b))));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * A row-major grid of values as a PNG data URL, `scale` screen pixels per cell (so it stays
 * crisp when exported); colour(value) returns [r, g, b].
 */
export function imageURL(values, rows, cols, colour, scale = 6) {
  const canvas = document.createElement('canvas');
  canvas.width = cols * scale;
  canvas.height = rows * scale;
  const ctx = canvas.getContext('2d');
  const small = document.createElement('canvas');
  small.width = cols;
  small.height = rows;
  const sctx = small.getContext('2d'), img = sctx.createImageData(cols, rows);
  for (let k = 0; k < rows * cols; k++) {
    const [r, g, b] = colour(values[k]);
    img.data.set([r, g, b, 255], k * 4);
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/png');
}

/** The image shape to draw an input with: the dataset's, or a 1-row strip of features. */
export const shapeOf = (info, n) => (info?.image_shape && info.image_shape[0] * info.image_shape[1] === n
  ? info.image_shape : [1, n]);

/** Append an <image> showing input x (ink on paper) at (x, y), `size` px on its longer side. */
export function drawInput(g, values, info, { x = 0, y = 0, size = 120, colour = null, max = null } = {}) {
  const [rows, cols] = shapeOf(info, values.length);
  let paint = colour;
  if (!paint) {
    const hi = max ?? Math.max(1e-9, d3.max(values, Math.abs));
    paint = (v) => ink(v / hi);
  }
  const cell = size / Math.max(rows, cols);
  return g.append('image').attr('x', x).attr('y', y).attr('width', cols * cell).attr('height', rows * cell)
    .attr('preserveAspectRatio', 'none').attr('href', imageURL(values, rows, cols, paint, Math.max(2, Math.ceil(cell))))
    .attr('data-rows', rows).attr('data-cols', cols);
}

/** Horizontal probability bars: one row per class, the largest in bold. ghost = earlier probs. */
export function probabilityBars(g, probs, classNames, { x = 0, y = 0, width = 220, row = 20, ghost = null, title = '' } = {}) {
  g.selectAll('*').remove();
  const n = probs.length, top = d3.maxIndex(probs), label = 34;
  if (title) g.append('text').attr('class', 'gbi-title').attr('x', x).attr('y', y - 8).text(title);
  const scale = d3.scaleLinear([0, 1], [0, width - label - 52]);
  for (let k = 0; k < n; k++) {
    const yy = y + k * row, name = classNames?.[k] ?? String(k);
    g.append('text').attr('class', k === top ? 'gbi-bar-label gbi-strong' : 'gbi-bar-label')
      .attr('x', x + label - 6).attr('y', yy + row / 2).text(name);
    g.append('rect').attr('class', 'gbi-bar-track').attr('x', x + label).attr('y', yy + 3)
      .attr('width', scale(1)).attr('height', row - 6);
    if (ghost) g.append('rect').attr('class', 'gbi-bar-ghost').attr('x', x + label).attr('y', yy + 3)
      .attr('width', scale(ghost[k] || 0)).attr('height', row - 6);
    g.append('rect').attr('class', k === top ? 'gbi-bar gbi-bar-top' : 'gbi-bar').attr('x', x + label)
      .attr('y', yy + (ghost ? 5 : 3)).attr('width', Math.max(0, scale(probs[k] || 0))).attr('height', ghost ? row - 10 : row - 6)
      .append('title').text(`class ${name}: ${pct(probs[k] || 0)}`);
    g.append('text').attr('class', 'gbi-bar-value').attr('x', x + label + scale(1) + 6).attr('y', yy + row / 2)
      .text(pct(probs[k] || 0));
  }
  return y + n * row;
}

/** A horizontal colour ramp legend: ramp(t) for t in [0, 1], with end labels. */
export function rampLegend(g, ramp, { x = 0, y = 0, width = 140, left = 'low', right = 'high', title = '' } = {}) {
  const id = `gbi-ramp-${Math.random().toString(36).slice(2, 9)}`;
  const grad = g.append('defs').append('linearGradient').attr('id', id);
  d3.range(0, 1.001, 0.1).forEach((t) => grad.append('stop').attr('offset', t).attr('stop-color', ramp(t)));
  if (title) g.append('text').attr('class', 'gbi-legend').attr('x', x).attr('y', y - 5).text(title);
  g.append('rect').attr('x', x).attr('y', y).attr('width', width).attr('height', 12)
    .attr('fill', `url(#${id})`).attr('stroke', '#94a3b8').attr('stroke-width', 0.5);
  g.append('text').attr('class', 'gbi-small').attr('x', x).attr('y', y + 26).text(left);
  g.append('text').attr('class', 'gbi-small gbi-end').attr('x', x + width).attr('y', y + 26).text(right);
}

/** Tooltip div (HTML) over a view root; show(lines, x, y, extraNode?) / hide(). */
export function makeTooltip(root) {
  const tip = root.append('div').attr('class', 'gb-tooltip').style('display', 'none');
  return {
    show(lines, x, y, extra = null) {
      tip.style('display', null).selectAll('*').remove();
      lines.forEach((line, i) => tip.append('div').attr('class', i === 0 ? 'gb-tooltip-title' : null).text(line));
      if (extra) tip.node().append(extra);
      const width = root.node().clientWidth, box = tip.node().getBoundingClientRect();
      const left = x + 16 + box.width > width ? x - 16 - box.width : x + 16;
      tip.style('left', `${Math.max(0, left)}px`).style('top', `${Math.max(0, y + 12)}px`);
    },
    hide() { tip.style('display', 'none'); },
  };
}

/**
 * on(event, fn) / emit(event, value): how a view reports the user's choices ('request', 'draw',
 * 'select', ...) to its data source instead of fetching anything itself. on() returns off().
 */
export function emitter() {
  const listeners = new Map();
  return {
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
      return () => listeners.get(event).delete(fn);
    },
    emit(event, value) { for (const fn of [...(listeners.get(event) || [])]) fn(value); },
  };
}

/** exportSVG / exportPNG for a view whose drawing is the <svg> inside `stage`. */
export function exporters(stage, name) {
  return {
    exportSVG: (filename = `glassbox-${name}.svg`) => exportSVG(stage, filename),
    exportPNG: (filename = `glassbox-${name}.png`, scale = 2) => exportPNG(stage, filename, scale),
  };
}

/** Small form helpers: a labelled control appended to `bar` (a d3 selection). */
export function labelled(bar, text, element, id) {
  const wrap = bar.append('label').attr('class', 'gbi-field');
  wrap.append('span').text(text);
  const el = wrap.append(element).attr('id', id);
  return el;
}

export function classOptions(select, info, { extra = [] } = {}) {
  const names = info?.class_names ?? [];
  const options = [...names.map((name, k) => ({ value: String(k), text: `class ${name}` })), ...extra];
  select.selectAll('option').data(options, (d) => d.value).join('option')
    .attr('value', (d) => d.value).text((d) => d.text).property('disabled', (d) => !!d.disabled);
  return select;
}

/** Neuron label for page column c (0 = input, L = output) of a network with `sizes`. */
export function neuronName(sizes, c, k, classNames) {
  const L = sizes.length - 1;
  if (c === 0) return `input ${k}`;
  if (c === L) return `output ${classNames?.[k] ?? k}`;
  return `hidden ${c} #${k}`;
}

/** Spread labels [{y, ...}] apart vertically (at least `gap` px), keeping their order; returns them. */
export function dodge(labels, gap = 13) {
  const sorted = [...labels].sort((a, b) => a.y - b.y);
  for (let i = 1; i < sorted.length; i++) sorted[i].y = Math.max(sorted[i].y, sorted[i - 1].y + gap);
  return labels;
}

/** Show a status line: an error (red) or, with ok, a plain note. */
export function say(selection, text, ok = false) {
  selection.text(text).classed('gbi-ok', ok);
}

/** Row i of a {shape, data} 2-D array as a plain Float32Array view. */
export function rowOf(t, i) {
  const n = t.shape[t.shape.length - 1];
  return t.data.subarray(i * n, (i + 1) * n);
}
