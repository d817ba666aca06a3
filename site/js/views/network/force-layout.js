// Force-directed arrangement of the network drawing, an alternative to the layered one: neurons
// are pulled together by connection strength (|weight|) or by co-activation (correlation of their
// activations over the probe batch), so groups that work together end up near each other.
// Pure geometry like network-layout.js: it moves the xs/ys of a computed layered layout.
//
//   by 'weight':       links = the strongest weights of every layer (at most 120 per layer),
//                      link strength 0.05 + 0.7 |w| / max |W_l|
//   by 'coactivation': links = for each hidden or output neuron its 4 most correlated other
//                      neurons (Pearson r over the probe batch, r > 0.3), strength 0.8 (r - 0.3) / 0.7
// Plus a charge (repulsion), a collision radius, and a weak pull of each neuron towards its own
// layer's x (layers stay in order, left to right). The input column stays fixed, output neurons
// keep their column's x (their class labels sit beside them). d3-force seeds its own jitter, so
// the same network and snapshot give the same picture.
import d3 from '../common/d3.js';
import { topKAbsIndices } from '../common/tensor.js';

const TICKS = 300;

function correlations(snapshot, columns) {
  // Standardised activations of every non-input neuron over the probe batch: one row per neuron.
  const rows = [];
  columns.forEach((col, c) => {
    if (c === 0) return;
    const act = snapshot.layers?.[c - 1]?.act;
    if (!act || !act.shape || act.shape[1] !== col.n) return;
    const [P, n] = act.shape;
    for (let k = 0; k < n; k++) {
      const v = new Float64Array(P);
      let mean = 0, sq = 0;
      for (let p = 0; p < P; p++) { v[p] = act.data[p * n + k]; mean += v[p] / P; }
      for (let p = 0; p < P; p++) { v[p] -= mean; sq += v[p] * v[p]; }
      const norm = Math.sqrt(sq);
      if (norm > 1e-9) for (let p = 0; p < P; p++) v[p] /= norm;
      rows.push({ c, k, v, live: norm > 1e-9 });
    }
  });
  return rows;
}

/** Move the neurons of `layout` (from computeLayout) in place; returns the layout. */
export function applyForceLayout(layout, snapshot, { by = 'weight' } = {}) {
  const { columns } = layout;
  const top = 60, bottom = layout.legendY - 16, left = 16, right = layout.width - 140;
  const nodes = [], index = new Map();
  columns.forEach((col, c) => {
    for (let k = 0; k < col.n; k++) {
      const fixed = c === 0, output = c === columns.length - 1;
      const node = { c, k, x: col.xs[k], y: col.ys[k], homeX: col.xs[k], r: col.kind === 'image' ? 0 : (col.size || 4) + 1.5 };
      if (fixed) { node.fx = col.xs[k]; node.fy = col.ys[k]; }
      if (output) node.fx = col.xs[k];
      index.set(`${c}:${k}`, nodes.length);
      nodes.push(node);
    }
  });
  const links = [];
  if (by === 'coactivation') {
    const rows = correlations(snapshot, columns);
    for (const a of rows) {
      if (!a.live) continue;
      const best = [];
      for (const b of rows) {
        if (b === a || !b.live) continue;
        let r = 0;
        for (let p = 0; p < a.v.length; p++) r += a.v[p] * b.v[p];
        if (r > 0.3) best.push([r, b]);
      }
      best.sort((x, y) => y[0] - x[0]).slice(0, 4).forEach(([r, b]) => links.push({
        source: index.get(`${a.c}:${a.k}`), target: index.get(`${b.c}:${b.k}`), strength: 0.8 * (r - 0.3) / 0.7, distance: 24 }));
    }
  } else {
    (snapshot.layers || []).forEach((layer, l) => {
      const W = layer.W;
      if (!W || !columns[l + 1]) return;
      const [nIn, nOut] = W.shape, order = Array.from(topKAbsIndices(W.data, 120));
      const max = Math.abs(W.data[order[0]]) || 1;
      for (const m of order) {
        const i = Math.floor(m / nOut), j = m % nOut;
        if (i >= nIn) continue;
        links.push({ source: index.get(`${l}:${i}`), target: index.get(`${l + 1}:${j}`), strength: 0.05 + 0.7 * Math.abs(W.data[m]) / max, distance: 70 });
      }
    });
  }
  const movable = nodes.filter((d) => d.fx == null || d.fy == null).length;
  const charge = -90 * Math.sqrt(30 / Math.max(30, movable)); // crowded layers push less, so they stay in the plot
  const simulation = d3.forceSimulation(nodes)
    .force('link', d3.forceLink(links).strength((d) => d.strength).distance((d) => d.distance))
    .force('charge', d3.forceManyBody().strength((d) => (d.r === 0 ? 0 : charge)).distanceMax(320))
    .force('collide', d3.forceCollide((d) => d.r + 4))
    .force('x', d3.forceX((d) => d.homeX).strength(0.06))
    .force('y', d3.forceY((top + bottom) / 2).strength(0.008))
    .stop();
  for (let t = 0; t < TICKS; t++) {
    simulation.tick();
    for (const node of nodes) { // stay inside the plot
      if (node.fx == null) node.x = Math.max(left + node.r, Math.min(right - node.r, node.x));
      node.y = Math.max(top + node.r, Math.min(bottom - node.r, node.y));
    }
  }
  for (const node of nodes) {
    const col = columns[node.c];
    if (node.c === 0) continue;
    col.xs[node.k] = node.fx ?? node.x;
    col.ys[node.k] = node.y;
  }
  layout.force = { by, links: links.length };
  return layout;
}
