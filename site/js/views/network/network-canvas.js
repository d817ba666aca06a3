// Canvas layer of the network view: edges and the input image. Edges live on a canvas, not in
// the SVG, because even the K strongest per layer would be thousands of DOM nodes to restyle on
// every snapshot. Pure drawing functions: the view passes its layout and snapshot arrays in.
import { finiteExtent } from '../common/tensor.js';

export const POSITIVE_COLOR = '#0072B2'; // Okabe-Ito blue: safe for the common colour-vision deficiencies
export const NEGATIVE_COLOR = '#D55E00'; // Okabe-Ito vermillion
const EDGE_BUCKETS = 8; // edges are stroked in batches of equal width/opacity: 16 strokes per layer, not 300

/** Draw input values (one per pixel of `col`, an image column of the layout) as ink on paper. */
export function paintInputImage(ctx, col, values, scratch) {
  const [lo, hi] = finiteExtent(values), { rowsCount: h, colsCount: w } = col;
  Object.assign(scratch, scratch.width === w && scratch.height === h ? {} : { width: w, height: h });
  const pctx = scratch.getContext('2d'), pixels = pctx.createImageData(w, h);
  for (let k = 0; k < w * h; k++) { // larger values darker, like the digits themselves
    const t = hi > lo ? Math.min(1, Math.max(0, (values[k] - lo) / (hi - lo))) || 0 : 0;
    pixels.data.set([255 - t * 240, 255 - t * 232, 255 - t * 213, 255], k * 4);
  }
  pctx.putImageData(pixels, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, col.x0, col.y0, col.width, col.cell * h);
}

/**
 * Stroke the edges `indices` (flat indices into `matrix`, n_from x n_to) between two layout
 * columns, batched by sign and magnitude bucket; dense layers get thinner lines so 300 edges stay a
 * texture, not a blot. Each edge is appended to `hits` as [x1, y1, x2, y2, layer, i, j]; for image
 * inputs the pixel ends go to `dots`. logLow (gradient mode): buckets run in log10 |w| from logLow
 * up to log10(scale) instead of linearly.
 */
export function strokeEdges(ctx, { from: a, to: b, layer, indices, matrix, scale, alphaFactor, dots, logLow = null, hits, image }) {
  const maxWidth = Math.min(3.4, Math.max(1.3, 3.4 * Math.sqrt(60 / Math.max(60, indices.length))));
  const buckets = Array.from({ length: EDGE_BUCKETS * 2 }, () => []);
  const span = logLow == null ? 0 : Math.log10(scale) - logLow;
  for (const k of indices) {
    const w = matrix.data[k];
    const level = logLow == null ? Math.abs(w) / scale : Math.max(0, (Math.log10(Math.abs(w)) - logLow) / span);
    buckets[(w >= 0 ? 0 : EDGE_BUCKETS) + Math.min(EDGE_BUCKETS - 1, Math.floor(level * EDGE_BUCKETS))].push(k);
  }
  buckets.forEach((bucket, index) => {
    if (!bucket.length) return;
    const rel = ((index % EDGE_BUCKETS) + 0.5) / EDGE_BUCKETS, color = index < EDGE_BUCKETS ? POSITIVE_COLOR : NEGATIVE_COLOR;
    ctx.lineWidth = 0.3 + (maxWidth - 0.3) * rel;
    ctx.globalAlpha = (0.08 + 0.82 * rel ** 1.3) * alphaFactor;
    ctx.strokeStyle = color;
    ctx.beginPath();
    for (const k of bucket) {
      const i = Math.floor(k / b.n), j = k - i * b.n;
      const x1 = a.xs[i] + a.reach, y1 = a.ys[i], x2 = b.xs[j] - b.reach, y2 = b.ys[j];
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      hits.push([x1, y1, x2, y2, layer, i, j]);
      if (dots && layer === 0 && image) dots.push([x1, y1, color, ctx.globalAlpha]);
    }
    ctx.stroke();
  });
  ctx.globalAlpha = 1;
}

/**
 * Dots on the input image marking which pixels edges leave from: bold for a hovered neuron's own,
 * faint for the global top K -- unless those touch most pixels and say nothing.
 */
export function paintPixelDots(ctx, col, faintDots, boldDots) {
  const cell = col.cell;
  if (new Set(faintDots.map(([x, y]) => x * 1e5 + y)).size > 0.5 * col.n) faintDots.length = 0;
  ctx.lineWidth = 0.8;
  ctx.strokeStyle = '#ffffff';
  for (const [dots, bold] of [[faintDots, false], [boldDots, true]]) {
    for (const [x, y, color, alpha] of dots) {
      Object.assign(ctx, { globalAlpha: bold ? Math.min(1, alpha * 1.6) : 0.5, fillStyle: color });
      ctx.beginPath();
      ctx.arc(x, y, bold ? Math.min(3.2, Math.max(1.2, cell * 0.2)) : Math.min(1.5, Math.max(0.8, cell * 0.08)), 0, 2 * Math.PI);
      ctx.fill();
      if (bold) ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
}

/** The drawn edge nearest (x, y) within `tolerance` px, as [layer, from, to], or null; `hits` as strokeEdges fills it. */
export function nearestEdge(hits, x, y, tolerance = 5) {
  let best = null, bestDistance = tolerance * tolerance;
  for (const hit of hits) {
    const [x1, y1, x2, y2] = hit, dx = x2 - x1, dy = y2 - y1;
    const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy || 1)));
    const d = (x1 + t * dx - x) ** 2 + (y1 + t * dy - y) ** 2;
    if (d <= bestDistance) { bestDistance = d; best = hit; }
  }
  return best && best.slice(4);
}
