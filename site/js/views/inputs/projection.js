// Hidden-space view: one layer's activations over validation samples projected to 2-D, coloured
// by class. PCA (numpy, in the engine) follows training live; t-SNE (scikit-learn) runs on demand
// with a progress indication. Hover a point to see its input.
//
// View contract: update({info, request, result, inputs, step, seconds, pending, progress, error})
// from the inputs source (engine op 'project'; `inputs` are the samples' pixels for the hover
// thumbnails, `pending` a t-SNE under way). Out: on('request', {layer, method}).
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { CLASS_COLORS, emitter, exporters, fmt, imageURL, ink, labelled, makeTooltip, shapeOf } from './inputs-common.js';

export function create(container, options = {}) {
  const events = emitter();
  const root = d3.select(container).append('div').attr('class', 'gb-view gbi-view gbi-projection');
  const bar = root.append('div').attr('class', 'gbi-controls');
  const layerSel = labelled(bar, 'Layer', 'select', 'gbi-proj-layer');
  const methodSel = labelled(bar, 'Method', 'select', 'gbi-proj-method');
  methodSel.selectAll('option').data([['pca', 'PCA (follows training live)'], ['tsne', 't-SNE (scikit-learn, on demand)']])
    .join('option').attr('value', (d) => d[0]).text((d) => d[1]);
  const runBtn = bar.append('button').attr('type', 'button').attr('id', 'gbi-proj-run').text('Run t-SNE');
  const colourSel = labelled(bar, 'Colour by', 'select', 'gbi-proj-colour');
  colourSel.selectAll('option').data([['label', 'true class'], ['pred', 'predicted class']]).join('option')
    .attr('value', (d) => d[0]).text((d) => d[1]);
  const progress = root.append('div').attr('class', 'gbi-progress').attr('role', 'status').attr('aria-live', 'polite');
  const progressText = progress.append('span');
  progress.append('div').attr('class', 'gbi-progress-bar').append('div');
  const message = root.append('div').attr('class', 'gbi-message').attr('role', 'status');
  const stage = root.append('div').attr('class', 'gbi-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Hidden space projection');
  const tooltip = makeTooltip(root);

  let result = null, inputs = null, domain = null, delaunay = null, points = [], data = {}, ticker = null, shownRequest = null;
  let method = 'pca', layer = null, stepShown = 0;
  const info = () => data.info;
  const names = () => info()?.class_names ?? [];
  const sizes = () => info()?.layer_sizes ?? [];
  const layerName = (l) => (l === 0 ? 'input pixels' : l === sizes().length - 1 ? 'output logits' : `hidden ${l}`);

  function syncOptions() {
    const s = sizes();
    layerSel.selectAll('option').data(d3.range(s.length)).join('option').attr('value', (l) => l)
      .text((l) => `${layerName(l)} (${s[l]} ${l === 0 ? 'features' : 'neurons'})`);
    if (data.request && data.request !== shownRequest) { shownRequest = data.request; layer = data.request.layer; method = data.request.method; }
    if (layer != null) layerSel.property('value', layer);
    methodSel.property('value', method);
    runBtn.style('display', method === 'tsne' ? null : 'none');
  }

  /** The progress line: a t-SNE under way (and the package loading first), or how long the last took. */
  function showProgress() {
    const pending = data.pending;
    if (ticker) { clearInterval(ticker); ticker = null; }
    progress.classed('gbi-busy', Boolean(pending));
    if (pending) {
      const tick = () => {
        const p = data.progress, loading = p && p.phase === 'packages' && p.fraction < 1, seconds = ((performance.now() - pending.since) / 1000).toFixed(1);
        progressText.text(loading ? `${p.label}… ${seconds} s` : `Running t-SNE on ${pending.n} points of ${layerName(pending.layer)}… ${seconds} s`);
      };
      tick();
      ticker = setInterval(tick, 100);
    } else if (data.error) {
      progressText.text('');
    } else if (result && result.method === 'tsne' && data.seconds != null) {
      progressText.text(`t-SNE took ${data.seconds.toFixed(1)} s (at training step ${stepShown}; it does not follow training — run it again).`);
    } else if (result && method === 'pca') {
      progressText.text('');
    }
  }

  function show(out) {
    if (result && result.method === out.method && result.layer === out.layer && result.coords.shape[0] === out.coords.shape[0]) align(out);
    else domain = null;
    result = out;
    stepShown = data.step ?? 0;
    draw();
  }

  function align(out) { // PCA axes are defined up to sign: keep the picture from flipping.
    const a = result.coords.data, b = out.coords.data, n = out.coords.shape[0];
    for (let k = 0; k < 2; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += a[i * 2 + k] * b[i * 2 + k];
      if (dot < 0) for (let i = 0; i < n; i++) b[i * 2 + k] = -b[i * 2 + k];
    }
  }

  function draw() {
    if (!result) return;
    const width = Math.max(560, container.clientWidth || 900), height = 470, left = 60, right = width - 150, top = 34, bottom = height - 56;
    svg.selectAll('*').remove();
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const c = result.coords.data, n = result.coords.shape[0];
    const xe = d3.extent(d3.range(n), (i) => c[i * 2]), ye = d3.extent(d3.range(n), (i) => c[i * 2 + 1]);
    const inside = domain && xe[0] >= domain[0][0] && xe[1] <= domain[0][1] && ye[0] >= domain[1][0] && ye[1] <= domain[1][1]
      && (xe[1] - xe[0]) > 0.6 * (domain[0][1] - domain[0][0]) && (ye[1] - ye[0]) > 0.6 * (domain[1][1] - domain[1][0]);
    if (!inside) domain = [d3.scaleLinear(xe, [0, 1]).nice().domain(), d3.scaleLinear(ye, [0, 1]).nice().domain()];
    const xs = d3.scaleLinear(domain[0], [left, right]), ys = d3.scaleLinear(domain[1], [bottom, top]);
    const pca = result.method === 'pca', ex = result.explained.data;
    const title = `${pca ? 'PCA' : 't-SNE'} of ${layerName(result.layer)} over ${n} validation samples · step ${stepShown}`;
    svg.append('text').attr('class', 'gbi-title').attr('x', left).attr('y', 18).text(title);
    svg.attr('aria-label', `Hidden space: ${title}; each dot is one sample, coloured by its class` +
      (pca && ex?.length >= 2 ? `; the two axes explain ${Math.round(100 * (ex[0] + ex[1]))}% of the variance.` : '.'));
    svg.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${bottom})`).call(d3.axisBottom(xs).ticks(6));
    svg.append('g').attr('class', 'gb-axis').attr('transform', `translate(${left},0)`).call(d3.axisLeft(ys).ticks(6));
    svg.append('text').attr('class', 'gbi-small').attr('x', right).attr('y', bottom + 38).attr('text-anchor', 'end')
      .text(pca ? `principal component 1 (${d3.format('.0%')(ex[0])} of the variance)` : 't-SNE dimension 1');
    svg.append('text').attr('class', 'gbi-small').attr('transform', `translate(16,${bottom}) rotate(-90)`)
      .text(pca ? `principal component 2 (${d3.format('.0%')(ex[1])})` : 't-SNE dimension 2');
    const by = colourSel.property('value') === 'pred' ? result.pred.data : result.labels.data;
    points = d3.range(n).map((i) => [xs(c[i * 2]), ys(c[i * 2 + 1])]);
    delaunay = d3.Delaunay.from(points);
    svg.append('g').attr('class', 'gbi-points').selectAll('circle').data(d3.range(n)).join('circle')
      .attr('cx', (i) => points[i][0]).attr('cy', (i) => points[i][1]).attr('r', n > 600 ? 3 : 4)
      .attr('fill', (i) => CLASS_COLORS[by[i] % 10])
      .attr('class', (i) => (result.pred.data[i] !== result.labels.data[i] ? 'gbi-wrong' : null));
    const legend = svg.append('g').attr('transform', `translate(${right + 24},${top})`);
    legend.append('text').attr('class', 'gbi-small').attr('x', 0).attr('y', 0).text(colourSel.property('value') === 'pred' ? 'predicted class' : 'true class');
    names().forEach((name, k) => {
      legend.append('circle').attr('cx', 6).attr('cy', 18 + k * 20).attr('r', 6).attr('fill', CLASS_COLORS[k % 10]);
      legend.append('text').attr('class', 'gbi-legend').attr('x', 18).attr('y', 22 + k * 20).text(name);
    });
    const y0 = 30 + names().length * 20;
    legend.append('circle').attr('cx', 6).attr('cy', y0).attr('r', 5).attr('class', 'gbi-wrong').attr('fill', '#e2e8f0');
    legend.append('text').attr('class', 'gbi-small').attr('x', 18).attr('y', y0 + 4).text('ring = misclassified');
    svg.append('g').attr('class', 'gbi-hover-mark');
  }

  svg.on('pointermove', (event) => {
    if (!result || !delaunay) return;
    const [px, py] = d3.pointer(event, svg.node()), i = delaunay.find(px, py);
    const mark = svg.select('.gbi-hover-mark');
    mark.selectAll('*').remove();
    if (i < 0 || Math.hypot(points[i][0] - px, points[i][1] - py) > 24) { tooltip.hide(); return; }
    mark.append('circle').attr('cx', points[i][0]).attr('cy', points[i][1]).attr('r', 8).attr('class', 'gbi-hover-ring');
    let thumb = null;
    if (inputs) {
      const D = inputs.shape[1], [rows, cols] = shapeOf(info(), D);
      if (rows > 1) {
        thumb = document.createElement('img');
        thumb.src = imageURL(inputs.data.subarray(i * D, (i + 1) * D), rows, cols, (v) => ink(v / 255), 4);
        thumb.width = 84; thumb.height = 84 * rows / cols;
        thumb.alt = 'input image';
      }
    }
    const lab = result.labels.data[i], pred = result.pred.data[i], cc = result.coords.data;
    tooltip.show([`validation #${result.index.data[i]}`, `true class ${names()[lab] ?? lab} · predicted ${names()[pred] ?? pred}`,
      `position (${fmt(cc[i * 2])}, ${fmt(cc[i * 2 + 1])})`], px, py, thumb);
  }).on('pointerleave', () => { tooltip.hide(); svg.select('.gbi-hover-mark').selectAll('*').remove(); });

  layerSel.on('change', () => { domain = null; method = 'pca'; events.emit('request', { layer: Number(layerSel.property('value')), method: 'pca' }); });
  methodSel.on('change', () => {
    method = methodSel.property('value');
    runBtn.style('display', method === 'tsne' ? null : 'none');
    if (method === 'pca') events.emit('request', { method });
    else progressText.text('Press "Run t-SNE" (scikit-learn; the first run also loads it, a few seconds).');
  });
  runBtn.on('click', () => events.emit('request', { method: 'tsne' }));
  colourSel.on('change', draw);

  return {
    describe: () => labelOf(container, 'Hidden space projection: not computed yet.'),
    on: events.on,
    /** data: see the header. */
    update(next) {
      data = next;
      if (!next.info) return;
      syncOptions();
      message.text(next.error || '');
      inputs = next.inputs || null;
      if (!next.result) { if (result) { result = null; domain = null; svg.selectAll('*').remove(); } }
      else if (next.result !== result) show(next.result);
      showProgress();
    },
    setOptions() {},
    get result() { return result; },
    destroy() { if (ticker) clearInterval(ticker); root.remove(); },
    ...exporters(stage.node(), 'hidden-space'),
  };
}

/** The name the page used before the view contract. */
export const createProjectionView = create;
