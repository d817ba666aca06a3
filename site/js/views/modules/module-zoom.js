// Module zoom: the neurons of one module, each as a card with its incoming weights (an image
// for pixel inputs, else a bar strip over the previous layer's neurons coloured by sign) and its
// mean activation per class on the probe set. View contract: create(element, options) ->
// {update({result, id, snapshot}), setOptions({backButton}), destroy, exportSVG, exportPNG};
// show(result, id, snapshot) is the same as update. The 'back' event asks to return to the map
// (backButton: false hides the button, e.g. when the zoom is mounted alone without a map).
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import {exportSVG, exportPNG} from '../common/export-image.js';
import {moduleColor, fmt, heatmapURL, makeTooltip, plural, values, useModulesStyles, POSITIVE, NEGATIVE} from './module-common.js';

const CARD_W = 150, CARD_H = 180, MAX_CARDS = 48, HEAD = 64;

export function create(container, options = {}) {
  useModulesStyles();
  let width = 0, last = null, opts = {backButton: true, ...options};
  const listeners = {back: new Set()};
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-module-zoom');
  const bar = root.append('div').attr('class', 'gb-mod-zoombar');
  bar.append('button').attr('type', 'button').attr('class', 'gb-mod-back').text('← Back to the module map')
    .on('click', () => listeners.back.forEach((fn) => fn()));
  bar.style('display', opts.backButton ? null : 'none');
  const svg = root.append('svg').attr('role', 'img').attr('aria-label', 'Module zoom: waiting for modules.');
  const tooltip = makeTooltip(root);
  // Before a module is shown the view still says what it is for.
  const emptyText = () => svg.attr('width', width).attr('height', 50).append('text').attr('class', 'gb-empty gb-mod-left')
    .attr('x', 14).attr('y', 30).text('The neurons of one module appear here once modules are computed…');

  function show(result, id, snapshot) {
    last = {result, id, snapshot};
    const module = result?.modules.find((m) => m.id === id);
    svg.selectAll('*').remove();
    if (!module) { emptyText(); return; }
    const entry = result.layers.find((e) => e.layer === module.layer);
    const c = module.layer, nPrev = result.layer_sizes[c - 1], nHere = result.layer_sizes[c];
    const W = snapshot?.layers?.[c - 1]?.W;  // (n_{c-1}, n_c) incoming weights, live from the snapshot
    const image = c === 1 && result.image_shape ? result.image_shape : null;
    const classMeans = values(entry.class_means), nClasses = result.class_names.length;
    const prevModule = c > 1 ? result.layers.find((e) => e.layer === c - 1) : null;
    const members = module.members.slice(0, MAX_CARDS);
    const perRow = Math.max(1, Math.floor((width - 20) / CARD_W));
    const height = HEAD + Math.ceil(members.length / perRow) * CARD_H + 10;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`)
      .attr('aria-label', `Module M${module.id} zoomed: ${plural(module.size, 'neuron')} of hidden layer ${c} (${module.label}); ` +
        `${members.length < module.size ? `the first ${members.length} ` : ''}each drawn with its incoming weights and mean activation per class.`);
    svg.append('circle').attr('cx', 22).attr('cy', 20).attr('r', 10).attr('fill', moduleColor(module.id));
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 40).attr('y', 25)
      .text(`M${module.id} · hidden layer ${c} · ${plural(module.size, 'neuron')} · ${module.label}`);
    svg.append('text').attr('class', 'gb-caption').attr('x', 14).attr('y', 48).text(
      (image ? 'Top: incoming weights as an image (blue +, orange −). ' : `Top: incoming weights from the ${nPrev} neurons of layer ${c - 1} (blue +, orange −${prevModule ? ', underline = their module' : ''}). `) +
      'Bottom: mean activation per class.' + (module.members.length > MAX_CARDS ? ` Showing ${MAX_CARDS} of ${module.members.length}.` : ''));
    const maxAct = d3.max(members, (j) => d3.max(d3.range(nClasses), (k) => classMeans[k * nHere + j])) || 1;
    members.forEach((j, i) => {
      const g = svg.append('g').attr('class', 'gb-mod-card').attr('data-neuron', j)
        .attr('transform', `translate(${10 + (i % perRow) * CARD_W},${HEAD + Math.floor(i / perRow) * CARD_H})`);
      g.append('rect').attr('class', 'gb-mod-card-frame').attr('width', CARD_W - 10).attr('height', CARD_H - 10).attr('rx', 5)
        .attr('stroke', moduleColor(module.id));
      const incoming = W ? d3.range(nPrev).map((p) => values(W)[p * nHere + j]) : [];
      if (image && incoming.length) {
        g.append('image').attr('x', 25).attr('y', 6).attr('width', 90).attr('height', 90).attr('preserveAspectRatio', 'none')
          .style('image-rendering', 'pixelated').attr('href', heatmapURL(incoming, image[0], image[1], 'diverging'));
      } else if (incoming.length) {
        const m = d3.max(incoming, Math.abs) || 1, bw = (CARD_W - 24) / nPrev;
        incoming.forEach((w, p) => {
          g.append('rect').attr('x', 7 + p * bw).attr('width', Math.max(bw - 0.5, 0.5)).attr('y', w >= 0 ? 51 - 44 * w / m : 51)
            .attr('height', Math.abs(44 * w / m)).attr('fill', w >= 0 ? POSITIVE : NEGATIVE);
          if (prevModule) {
            const owner = values(prevModule.neuron_module)[p];
            g.append('rect').attr('x', 7 + p * bw).attr('y', 98).attr('width', Math.max(bw - 0.5, 0.5)).attr('height', 4).attr('fill', moduleColor(owner));
          }
        });
        g.append('line').attr('x1', 7).attr('x2', CARD_W - 17).attr('y1', 51).attr('y2', 51).attr('stroke', '#94a3b8');
      }
      const bw = (CARD_W - 24) / nClasses;
      d3.range(nClasses).forEach((k) => {
        const v = classMeans[k * nHere + j], h = 28 * Math.max(0, v) / maxAct;
        g.append('rect').attr('x', 7 + k * bw).attr('y', 150 - h).attr('width', Math.max(bw - 1, 1)).attr('height', h).attr('fill', moduleColor(module.id));
        if (nClasses <= 10) g.append('text').attr('class', 'gb-mod-tiny').attr('x', 7 + (k + 0.5) * bw).attr('y', 163).text(result.class_names[k]);
      });
      g.append('line').attr('x1', 7).attr('x2', CARD_W - 17).attr('y1', 150).attr('y2', 150).attr('stroke', '#cbd5e1');
      g.append('text').attr('class', 'gb-legend-label').attr('x', 7).attr('y', 116).text(`neuron ${j}`);
      g.on('pointermove', (event) => {
        const [x, y] = d3.pointer(event, root.node());
        const profile = d3.range(nClasses).map((k) => `${result.class_names[k]}: ${fmt(classMeans[k * nHere + j])}`);
        const wNorm = Math.sqrt(d3.sum(incoming, (w) => w * w));
        tooltip.show([`neuron ${j} of hidden layer ${c}`, `incoming |w| = ${fmt(wNorm)}`, 'mean activation by class:',
          ...d3.range(0, profile.length, 5).map((s) => profile.slice(s, s + 5).join('  '))], x, y);
      }).on('pointerleave', () => tooltip.hide());
    });
  }

  const resizeObserver = new ResizeObserver(() => {
    const next = Math.max(480, Math.floor(container.clientWidth || 0));
    if (container.clientWidth && Math.abs(next - width) >= 1) { width = next; if (last) show(last.result, last.id, last.snapshot); }
  });
  width = Math.max(480, Math.floor(container.clientWidth || 720));
  resizeObserver.observe(container);
  show(null, null, null);

  return {
    describe: () => labelOf(container, 'Module zoom: no module selected.'),
    show,
    update: (data) => show(data?.result ?? null, data?.id ?? null, data?.snapshot ?? null),
    setOptions(partial = {}) {
      opts = {...opts, ...partial};
      bar.style('display', opts.backButton ? null : 'none');
    },
    destroy() { resizeObserver.disconnect(); root.remove(); },
    on(event, fn) { listeners[event].add(fn); return () => listeners[event].delete(fn); },
    exportSVG: (filename = 'glassbox-module-neurons.svg') => exportSVG(svg.node(), filename),
    exportPNG: (filename = 'glassbox-module-neurons.png', scale = 2) => exportPNG(svg.node(), filename, scale),
    get element() { return root.node(); },
  };
}

/** The name the page used before the view contract. */
export const createModuleZoom = create;
