// Helpers shared by the health feature's views: number formats, layer names, a tooltip, small
// form controls (keyboard reachable, labelled) and export of views drawn on SVG (+ canvas).
import d3 from '../common/d3.js';
import { exportSVG, exportPNG } from '../common/export-image.js';

// Okabe-Ito (colour-vision safe), one colour per layer, in order.
export const LAYER_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442', '#999999'];
export const ALERT_COLOR = '#b91c1c';
export const WARN_COLOR = '#b45309';

const fmt3 = d3.format('.3~g');
const fmtPct = d3.format('.1%');

/** Numbers for people: 3 significant digits, NaN and ±∞ spelled out. */
export function fmt(v) {
  if (v == null || Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return Math.abs(v) >= 1e-3 || v === 0 ? fmt3(v) : d3.format('.2~e')(v);
}
export const pct = (v) => (Number.isFinite(v) ? fmtPct(v) : '–');

/** 'input', 'hidden 2', 'output' for a network column (L = number of Dense layers). */
export function columnName(column, L) {
  return column === 0 ? 'input' : column === L ? 'output' : `hidden ${column}`;
}

/** A floating tooltip inside `root` (a d3 selection with position: relative). */
export function createTooltip(root) {
  const tip = root.append('div').attr('class', 'gb-tooltip').style('display', 'none');
  return {
    show(lines, x, y) {
      tip.style('display', null).selectAll('div').data(lines).join('div')
        .attr('class', (d, i) => (i === 0 ? 'gb-tooltip-title' : null)).text((d) => d);
      const width = root.node().clientWidth || 600, box = tip.node().getBoundingClientRect();
      const left = x + 16 + box.width > width ? x - 16 - box.width : x + 16;
      tip.style('left', `${Math.max(0, left)}px`).style('top', `${Math.max(0, y + 12)}px`);
    },
    hide() { tip.style('display', 'none'); },
  };
}

/** A labelled <select>; onChange(value). Returns the select element. */
export function addSelect(parent, label, options, value, onChange) {
  const wrap = parent.append('label').attr('class', 'gb-h-field');
  wrap.append('span').text(label);
  const select = wrap.append('select');
  setOptions(select.node(), options, value);
  select.on('change', (event) => onChange(event.target.value));
  return select.node();
}

/** Replace a select's options ([value, text] pairs), keeping `value` selected when present. */
export function setOptions(select, options, value) {
  const key = JSON.stringify(options);
  if (select.dataset.options !== key) {
    select.replaceChildren(...options.map(([v, text]) => Object.assign(document.createElement('option'), {value: v, textContent: text})));
    select.dataset.options = key;
  }
  if (value != null && options.some(([v]) => String(v) === String(value))) select.value = String(value);
}

/** Export functions for a view whose drawing is `stage` (an element holding an <svg>, maybe canvases). */
export function exporters(stage, name) {
  return {
    exportSVG: (filename = `glassbox-${name}.svg`) => exportSVG(stage, filename),
    exportPNG: (filename = `glassbox-${name}.png`, scale = 2) => exportPNG(stage, filename, scale),
  };
}

/** Width available in a container (at least `min`). */
export function widthOf(container, min = 320) {
  return Math.max(min, Math.floor(container.clientWidth || 720));
}

/** Wrap text into lines of at most `chars` characters. */
export function wrap(text, chars) {
  const lines = [''];
  for (const word of String(text).split(/\s+/)) {
    const joined = `${lines[lines.length - 1]} ${word}`.trim();
    if (joined.length > chars && lines[lines.length - 1]) lines.push(word); else lines[lines.length - 1] = joined;
  }
  return lines;
}

/** Size a view's stacked <svg> and <canvas> (stage holds both) to width x height, clear both,
 *  and return the canvas context in CSS pixels (sharp on high-density screens). */
export function sizeStage({ svg, stage, canvas }, width, height) {
  const dpr = window.devicePixelRatio || 1;
  svg.selectAll('*').remove();
  svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
  stage.style('height', `${height}px`);
  Object.assign(canvas, { width: Math.round(width * dpr), height: Math.round(height * dpr) });
  Object.assign(canvas.style, { width: `${width}px`, height: `${height}px` });
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}
