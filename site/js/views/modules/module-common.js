// Shared pieces of the module views: colours keyed by module id, number formats, a tooltip,
// small raster images (heatmaps, weight thumbnails) as data URLs so SVG/PNG export keeps them.
import d3 from '../common/d3.js';

// Tableau 10: distinguishable, and readable as fills behind dark text on a light page.
export const MODULE_PALETTE = d3.schemeTableau10;
export const POSITIVE = '#0072B2';   // Okabe-Ito blue, as in the network view
export const NEGATIVE = '#D55E00';   // Okabe-Ito vermillion
/** A module keeps its colour for as long as it keeps its id (ids survive recomputation). */
export const moduleColor = (id) => MODULE_PALETTE[((id % MODULE_PALETTE.length) + MODULE_PALETTE.length) % MODULE_PALETTE.length];
export const fmt = d3.format('.3~g');
export const fmtPct = d3.format('.1%');
export const fmtPts = (v) => `${v >= 0 ? '−' : '+'}${d3.format('.1f')(Math.abs(100 * v))} pts`;
export const METHOD_NAMES = {kmeans: 'k-means', agglomerative: 'agglomerative (Ward)', nmf: 'NMF'};
export const SIMILARITY_NAMES = {coactivation: 'fire together', dependence: 'depend on the same inputs (sign-free)'};

/** Load css/modules.css once per document: a module view mounted alone on a course page needs
 *  it as much as the app's panels do. */
export function useModulesStyles() {
  const href = new URL('../../../css/modules.css', import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === href)) return;
  document.head.append(Object.assign(document.createElement('link'), {rel: 'stylesheet', href}));
}

/** '1 neuron', '3 neurons'. */
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function values(t) {
  return t && t.data ? t.data : (Array.isArray(t) ? t : []);
}

/** A tooltip div inside `root` (a d3 selection); show(lines, x, y) with lines[0] as the title. */
export function makeTooltip(root) {
  const tip = root.append('div').attr('class', 'gb-tooltip').style('display', 'none');
  return {
    show(lines, x, y) {
      if (!lines) { tip.style('display', 'none'); return; }
      tip.selectAll('*').remove();
      lines.forEach((line, i) => tip.append('div').attr('class', i === 0 ? 'gb-tooltip-title' : null).text(line));
      const width = root.node().clientWidth || 600;
      tip.style('display', 'block').style('left', `${Math.min(x + 14, width - 330)}px`).style('top', `${y + 14}px`);
    },
    hide() { tip.style('display', 'none'); },
  };
}

/** PNG data URL of a (rows x cols) grid of values. mode 'gray': 0..max -> white..black;
 *  'diverging': -m..m -> orange..white..blue (m = max |v|). */
export function heatmapURL(data, rows, cols, mode = 'gray', scale = 1) {
  const canvas = document.createElement('canvas');
  canvas.width = cols * scale;
  canvas.height = rows * scale;
  const ctx = canvas.getContext('2d');
  let m = 0;
  for (const v of data) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  m = m || 1;
  const blue = d3.rgb(POSITIVE), orange = d3.rgb(NEGATIVE);
  const image = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const v = Number.isFinite(data[i]) ? data[i] / m : 0;
    let r, g, b;
    if (mode === 'gray') {
      const t = Math.max(0, v);
      r = g = b = Math.round(255 * (1 - t));
    } else {
      const c = v >= 0 ? blue : orange, t = Math.min(1, Math.abs(v));
      r = Math.round(255 + (c.r - 255) * t); g = Math.round(255 + (c.g - 255) * t); b = Math.round(255 + (c.b - 255) * t);
    }
    image.data.set([r, g, b, 255], 4 * i);
  }
  if (scale === 1) { ctx.putImageData(image, 0, 0); return canvas.toDataURL('image/png'); }
  const small = document.createElement('canvas');
  small.width = cols; small.height = rows;
  small.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/png');
}

/** Make an SVG element act as a button: focusable, Enter/Space activate, labelled. */
export function asButton(selection, label, onActivate) {
  selection.attr('tabindex', 0).attr('role', 'button').attr('aria-label', label)
    .on('click', (event, d) => onActivate(d, event))
    .on('keydown', (event, d) => {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); onActivate(d, event); }
    });
  return selection;
}
