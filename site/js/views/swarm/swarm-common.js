// What the six swarm views share: one frame (controls, an SVG with title and legend, an empty
// message, a text alternative, select listeners, export, resize), member colours that stay with a
// member's id, the event kinds' look, and small drawing helpers. Palettes: Okabe-Ito for
// categories, viridis for values, both readable with the common colour-vision deficiencies.
import d3 from '../common/d3.js';
import {exportSVG, exportPNG, svgToString} from '../common/export-image.js';

export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
// Eight colours are not enough for a swarm of 16: later members repeat them with a hatch
// (fills) or a dash (lines), so no two of the first 24 members look the same.
const DASHES = [null, '7 3', '2 3'];
export const memberColor = (index) => OKABE_ITO[((index % 8) + 8) % 8];
// Okabe-Ito yellow is fine as a fill but unreadable as text on white: its text is darkened.
export const memberTextColor = (index) => (((index % 8) + 8) % 8 === 7 ? '#7a6f00' : memberColor(index));
export const memberDash = (index) => DASHES[Math.floor(index / 8) % DASHES.length];

export const EVENT_STYLE = {
  created: {label: 'created', icon: '+', color: '#009E73'},
  exploited: {label: 'exploited', icon: '⇢', color: '#D55E00'},
  explored: {label: 'explored', icon: '~', color: '#56B4E9'},
  bred: {label: 'bred', icon: '×', color: '#0072B2'},
  culled: {label: 'culled', icon: '−', color: '#000000'},  // not ×: that is breeding's cross
  flagged: {label: 'flagged', icon: '!', color: '#E69F00'},
};
export const eventStyle = (kind) => EVENT_STYLE[kind] ?? {label: String(kind ?? 'event'), icon: '•', color: '#64748b'};

export const plural = (n, word, many = word + 's') => `${n} ${n === 1 ? word : many}`;

/** Load css/swarm.css once per document, so a swarm view mounted alone on any page is styled. */
export function useSwarmStyles() {
  const href = new URL('../../../css/swarm.css', import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === href)) return;
  document.head.append(Object.assign(document.createElement('link'), {rel: 'stylesheet', href}));
}

/** Make SVG elements act as buttons: focusable, Enter/Space activate, labelled. */
export function asButton(selection, label, onActivate) {
  return selection.attr('tabindex', 0).attr('role', 'button').attr('aria-label', label)
    .on('click', (event, d) => onActivate(d, event))
    .on('keydown', (event, d) => {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); onActivate(d, event); }
    });
}

/** A fill for member `index`: its colour, hatched for the second and third eight. */
export function memberFill(svg, index) {
  const cycle = Math.floor(index / 8) % 3;
  if (cycle === 0) return memberColor(index);
  const id = `gb-swarm-hatch-${svg.attr('data-uid')}-${index % 8}-${cycle}`;
  let defs = svg.select('defs.gb-swarm-patterns');
  if (defs.empty()) defs = svg.insert('defs', ':first-child').attr('class', 'gb-swarm-patterns');
  if (defs.select(`#${id}`).empty()) {
    const p = defs.append('pattern').attr('id', id).attr('patternUnits', 'userSpaceOnUse').attr('width', 6).attr('height', 6)
      .attr('patternTransform', `rotate(${cycle === 1 ? 45 : -45})`);
    p.append('rect').attr('width', 6).attr('height', 6).attr('fill', memberColor(index)).attr('opacity', 0.55);
    p.append('rect').attr('width', 3).attr('height', 6).attr('fill', memberColor(index));
  }
  return `url(#${id})`;
}

let uid = 0;

/** The frame every swarm view draws in. `render()` is called on resize. */
export function makeFrame(container, {name, title, render}) {
  useSwarmStyles();
  const listeners = {select: new Set()};
  const root = d3.select(container).append('div').attr('class', `gb-view gb-swarm gb-swarm-${name}`);
  const controls = root.append('div').attr('class', 'gb-swarm-controls');
  const svg = root.append('svg').attr('role', 'group').attr('data-uid', ++uid).attr('class', 'gb-swarm-svg');
  svg.append('text').attr('class', 'gb-swarm-title').attr('x', 0).attr('y', 18).text(title);
  const subtitle = svg.append('text').attr('class', 'gb-swarm-subtitle').attr('x', 0).attr('y', 38);
  const plot = svg.append('g').attr('class', 'gb-swarm-plot');
  const legend = svg.append('g').attr('class', 'gb-legend gb-swarm-legend');
  const empty = svg.append('text').attr('class', 'gb-empty gb-swarm-empty');
  const tip = root.append('div').attr('class', 'gb-tooltip').style('display', 'none');
  // The text alternative as an sr-only caption too: the drawing holds focusable marks, so it is not role=img.
  const caption = root.append('p').attr('class', 'gb-sr-only gb-describe');
  let pending = null;
  const frame = {
    root, controls, svg, plot, legend, subtitle, width: Math.max(320, Math.floor(container.clientWidth || 720)),
    emit(id) { listeners.select.forEach((fn) => fn(id)); },
    on(event, fn) {
      if (!listeners[event]) throw new Error(`swarm ${name} view: no event '${event}' (only 'select')`);
      listeners[event].add(fn);
      return () => listeners[event].delete(fn);
    },
    /** Show the empty message (text) or hide it (null); the message sits in the plot's middle. */
    empty(text, height) {
      empty.text(text ?? '').attr('x', frame.width / 2).attr('y', (height ?? 160) / 2 + 30).style('display', text ? null : 'none');
    },
    size(height) { svg.attr('width', frame.width).attr('height', height).attr('viewBox', `0 0 ${frame.width} ${height}`); },
    describe(text) { svg.attr('aria-label', text); root.attr('data-description', text); caption.text(text); },
    tooltip(lines, event) {
      if (!lines) { tip.style('display', 'none'); return; }
      const [x, y] = d3.pointer(event, root.node());
      tip.selectAll('div').data(lines).join('div').attr('class', (d, i) => (i === 0 ? 'gb-tooltip-title' : null)).text((d) => d);
      tip.style('display', 'block').style('left', `${Math.min(x + 14, frame.width - 300)}px`).style('top', `${y + 14}px`);
    },
    exportSVG: (filename) => exportSVG(svg.node(), filename),
    exportPNG: (filename, scale = 2) => exportPNG(svg.node(), filename, scale),
    svgString: () => svgToString(svg.node()),
    // A stream can deliver many records in one frame: update() only schedules, and one render
    // per animation frame draws the latest state. flush() draws a pending update now.
    schedule() { if (pending == null) pending = requestAnimationFrame(() => { pending = null; render(); }); },
    flush() { if (pending != null) { cancelAnimationFrame(pending); pending = null; render(); } },
    destroy() { if (pending != null) cancelAnimationFrame(pending); observer.disconnect(); root.remove(); listeners.select.clear(); },
  };
  const observer = new ResizeObserver(() => {
    const next = Math.max(320, Math.floor(container.clientWidth || 0));
    if (container.clientWidth && Math.abs(next - frame.width) >= 1) { frame.width = next; render(); }
  });
  observer.observe(container);
  return frame;
}

/** A labelled <select> in the controls bar; returns the select's d3 selection. */
export function addSelect(controls, label, choices, onChange) {
  const wrap = controls.append('label').attr('class', 'gb-swarm-control');
  wrap.append('span').text(label);
  const select = wrap.append('select').on('change', (event) => onChange(event.target.value));
  select.setChoices = (list, value) => {
    select.selectAll('option').data(list, (d) => d.value).join('option').attr('value', (d) => d.value).text((d) => d.label);
    select.property('value', value);
    return select;
  };
  return select.setChoices(choices, choices[0]?.value);
}

// Measuring text forces a layout; legends and headers repeat the same strings every update.
const widths = new Map();
function textWidth(selection, text) {
  const key = `${selection.attr('class')}|${text}`;
  if (!widths.has(key)) {
    const w = selection.node().getComputedTextLength?.() || 0;
    if (!w) return text.length * 7;  // not laid out (hidden): estimate, and measure next time
    if (widths.size > 2000) widths.clear();
    widths.set(key, w);
  }
  return widths.get(key);
}

/** Lay legend items out in rows under `width`; each item: {swatch(g) drawing in a 24x14 box, text}.
 *  Returns the height used. Only items that describe what is drawn now should be passed. */
export function drawLegend(g, items, width) {
  g.selectAll('*').remove();
  let x = 0, y = 0;
  for (const item of items) {
    const row = g.append('g').attr('class', 'gb-swarm-legend-item');
    if (item.swatch) item.swatch(row.append('g').attr('transform', 'translate(0,-5)'));
    const text = row.append('text').attr('class', 'gb-legend-label').attr('x', item.swatch ? 30 : 0).attr('y', 4.5).text(item.text);
    const w = (item.swatch ? 30 : 0) + textWidth(text, item.text) + 22;
    if (x > 0 && x + w > width) { x = 0; y += 22; }
    row.attr('transform', `translate(${x},${y})`);
    x += w;
  }
  return items.length ? y + 22 : 0;
}

/** A horizontal viridis ramp from `lo` to `hi` labels (optionally reversed): for legends. */
export function rampSwatch(g, {width = 90, reversed = false} = {}) {
  const steps = 12;
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    g.append('rect').attr('x', (i * width) / steps).attr('y', 0).attr('width', width / steps + 0.5).attr('height', 12)
      .attr('fill', d3.interpolateViridis(reversed ? 1 - t : t));
  }
  g.append('rect').attr('width', width).attr('height', 12).attr('fill', 'none').attr('stroke', '#64748b').attr('stroke-width', 0.5);
}

/** Text shortened with an ellipsis until it fits `maxWidth` px. */
export function fitText(selection, text, maxWidth) {
  let shown = text;
  selection.text(text);
  while (shown.length > 3 && textWidth(selection, shown === text ? text : shown + '…') > maxWidth) {
    shown = shown.slice(0, -2);
    selection.text(shown + '…');
  }
}

/** Readable text colour on a viridis cell: dark on the yellow end, white on the purple end. */
export const textOn = (t) => (t > 0.55 ? '#0f172a' : '#ffffff');

export {d3};

/** The view contract around a swarm view's frame: update, flush, setOptions, on('select'),
 *  describe, exportSVG/PNG (files named after the view), destroy, element; `extra` adds members. */
export function viewContract(frame, name, {update, setOptions}, extra = {}) {
  const contract = {
    update, flush: frame.flush, setOptions, on: frame.on,
    describe: () => frame.svg.attr('aria-label'),
    exportSVG: (filename = `glassbox-${name}.svg`) => frame.exportSVG(filename),
    exportPNG: (filename = `glassbox-${name}.png`, scale = 2) => frame.exportPNG(filename, scale),
    destroy: frame.destroy,
    ...extra,
  };
  return Object.defineProperty(contract, 'element', {get: () => frame.root.node(), enumerable: true});
}
