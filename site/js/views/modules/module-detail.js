// Module detail: for one module, what drives it (input heatmaps, or feature bars for non-image
// data), which classes it responds to, and whether it matters -- measured two ways on held-out
// data: (a) ablation (silence it) and (b) read-out (a classifier on its activations alone).
// View contract: create(element, options) -> {update({result, id}), setOptions, destroy, exportSVG,
// exportPNG}; show(result, id) is the same as update.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import {exportSVG, exportPNG} from '../common/export-image.js';
import {moduleColor, fmt, fmtPct, fmtPts, heatmapURL, makeTooltip, plural, values, useModulesStyles, POSITIVE, NEGATIVE} from './module-common.js';

const IMG = 132;

export function create(container, options = {}) {
  useModulesStyles();
  let width = 0, last = null, opts = {...options};
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-module-detail');
  const svg = root.append('svg').attr('role', 'img').attr('aria-label', 'Module detail: waiting for modules.');
  const tooltip = makeTooltip(root);

  const text = (g, x, y, value, cls = 'gb-legend-label') => g.append('text').attr('class', cls).attr('x', x).attr('y', y).text(value);

  /** Grouped bars per class: series [{name, values, color, intact?}] -> one block of bars. */
  function classBars(g, x, y, w, h, classNames, series, title, note) {
    text(g, x, y - 22, title, 'gb-mod-block-title');
    if (note) text(g, x, y - 6, note, 'gb-caption');
    const C = classNames.length, band = w / C, bw = Math.max(2, (band - 4) / series.length);
    g.append('line').attr('x1', x).attr('x2', x + w).attr('y1', y + h).attr('y2', y + h).attr('stroke', '#94a3b8');
    [0.5, 1].forEach((t) => g.append('line').attr('x1', x).attr('x2', x + w).attr('y1', y + h - t * h).attr('y2', y + h - t * h).attr('stroke', '#e2e8f0'));
    text(g, x - 4, y + 4, '100%', 'gb-legend-small gb-anchor-end');
    series.forEach((s, si) => classNames.forEach((name, k) => {
      const v = s.values[k] ?? 0, bx = x + k * band + 2 + si * bw;
      g.append('rect').attr('x', bx).attr('y', y + h - h * v).attr('width', bw - 1).attr('height', h * v).attr('fill', s.color)
        .on('pointermove', (event) => { const [px, py] = d3.pointer(event, root.node()); tooltip.show([`class ${name}`, `${s.name}: ${fmtPct(v)}`, ...(s.intact ? [`intact network: ${fmtPct(s.intact[k])}`] : [])], px, py); })
        .on('pointerleave', () => tooltip.hide());
      if (s.intact) g.append('line').attr('x1', bx).attr('x2', bx + bw - 1).attr('y1', y + h - h * s.intact[k]).attr('y2', y + h - h * s.intact[k]).attr('stroke', '#0f172a').attr('stroke-width', 1.5);
    }));
    classNames.forEach((name, k) => { if (C <= 12) text(g, x + (k + 0.5) * band, y + h + 15, name, 'gb-legend-small gb-mod-center'); });
    const lg = g.append('g').attr('transform', `translate(${x},${y + h + 32})`);
    // Legend entries sit as close as their labels allow, so two blocks side by side do not overlap.
    const step = (label) => 30 + 7 * label.length;
    let lx = 0;
    series.forEach((s) => {
      lg.append('rect').attr('x', lx).attr('y', -9).attr('width', 12).attr('height', 12).attr('fill', s.color);
      text(lg, lx + 17, 1, s.name);
      lx += step(s.name);
    });
    if (series.some((s) => s.intact)) { lg.append('line').attr('x1', lx).attr('x2', lx + 14).attr('y1', -3).attr('y2', -3).attr('stroke', '#0f172a').attr('stroke-width', 1.5); text(lg, lx + 19, 1, 'intact network'); }
  }

  function inputPanels(g, result, m, y) {
    const shape = result.image_shape;
    if (shape && m.input_weighted) {
      const items = [
        {data: values(m.input_weighted), mode: 'gray', title: 'Inputs that drive it', note: ['probe inputs averaged,', 'weighted by its activation']},
        {data: Array.from(values(m.input_weighted), (v, i) => v - values(result.input_mean)[i]), mode: 'diverging',
          title: '… minus the average input', note: ['blue: brighter than average', 'when it fires; orange: darker']},
        {data: values(m.input_gradient), mode: 'diverging', title: '∂(its mean activation)/∂input', note: ['blue: a brighter pixel raises it,', 'orange: lowers it']},
      ];
      items.forEach((item, i) => {
        const x = 14 + i * (IMG + 150);
        text(g, x, y, item.title, 'gb-mod-block-title');
        g.append('image').attr('x', x).attr('y', y + 8).attr('width', IMG).attr('height', IMG).attr('preserveAspectRatio', 'none')
          .style('image-rendering', 'pixelated').attr('data-heatmap', item.mode).attr('href', heatmapURL(item.data, shape[0], shape[1], item.mode));
        g.append('rect').attr('x', x).attr('y', y + 8).attr('width', IMG).attr('height', IMG).attr('fill', 'none').attr('stroke', '#94a3b8');
        item.note.forEach((line, k) => text(g, x, y + IMG + 26 + 16 * k, line, 'gb-caption'));
      });
      return IMG + 60;
    }
    // Non-image data: one bar per input feature (up to 24) for the input gradient.
    const grad = values(m.input_gradient), n = Math.min(grad.length, 24), w = Math.min(width - 60, 40 * n);
    text(g, 14, y, '∂(its mean activation)/∂input, per input feature', 'gb-mod-block-title');
    const mx = d3.max(Array.from(grad).slice(0, n), Math.abs) || 1;
    for (let i = 0; i < n; i++) {
      const v = grad[i], h = 40 * v / mx, bx = 24 + i * w / n;
      g.append('rect').attr('x', bx).attr('width', w / n - 4).attr('y', h >= 0 ? y + 52 - h : y + 52).attr('height', Math.abs(h)).attr('fill', v >= 0 ? POSITIVE : NEGATIVE);
      text(g, bx + (w / n - 4) / 2, y + 110, `x${i + 1}`, 'gb-legend-small gb-mod-center');
    }
    const features = (m.top_features || []).map((f) => `${f.name} (r = ${fmt(f.corr)})`).join(', ');
    text(g, 14, y + 130, features ? `Inputs most correlated with it: ${features}` : '', 'gb-caption');
    return 146;
  }

  function show(result, id) {
    last = {result, id};
    svg.selectAll('*').remove();
    const m = result?.modules.find((mm) => mm.id === id);
    if (!m) {
      svg.attr('width', width).attr('height', 60);
      text(svg, 14, 30, result ? 'Click a module in the map to see what drives it.' : 'Waiting for modules…', 'gb-empty gb-mod-left');
      return;
    }
    const names = result.class_names;
    svg.attr('width', width);
    const g = svg.append('g');
    g.append('circle').attr('cx', 24).attr('cy', 20).attr('r', 10).attr('fill', moduleColor(m.id));
    text(g, 42, 25, `M${m.id} · hidden layer ${m.layer} · ${plural(m.size, 'neuron')} · ${m.label}`, 'gb-chart-title');
    text(g, 14, 48, `Gradient significance G = ${fmt(m.gradient_significance)} (rank #${m.rank} of ${result.modules.length}) — ` +
      'G = Σ a·g / Σ|a| over its neurons and probe samples, g = ∂loss/∂activation.', 'gb-caption');
    text(g, 14, 66, `${G_MEANING(m.gradient_significance)} Within-module variance ${fmt(m.within_variance)}, ` +
      `separation ${m.separation == null ? '—' : fmt(m.separation)}, dead neurons ${fmtPct(m.dead_fraction)}.`, 'gb-caption');
    let y = 98;
    y += inputPanels(g, result, m, y) + 26;
    const profile = Array.from(values(m.class_profile)), top = d3.max(profile) || 1;
    classBars(g, 46, y + 22, Math.min(width - 80, 560), 70, names, [{name: 'mean activation (scaled)', values: profile.map((v) => Math.max(0, v) / top), color: moduleColor(m.id)}],
      'What it responds to', `mean activation of its neurons per class (largest = ${fmt(top)})`);
    y += 150;
    if (m.metrics) {
      const a = m.metrics.ablation, r = m.metrics.readout, base = result.baseline, half = Math.max(300, (width - 110) / 2);
      text(g, 14, y + 6, `Does it matter? Measured on ${result.held_out_n} held-out (validation) samples, with the module in isolation:`, 'gb-mod-block-title');
      text(g, 14, y + 28, `(a) Ablation — its activations set to 0: accuracy ${fmtPct(base.accuracy)} → ${fmtPct(a.accuracy)} (${fmtPts(a.accuracy_drop)}).`, 'gb-legend-label');
      text(g, 14, y + 48, `(b) Read-out — logistic regression on its ${plural(m.size, 'activation')} alone: accuracy ${fmtPct(r.accuracy)} (chance ${fmtPct(result.chance)}).`, 'gb-legend-label');
      y += 100;
      classBars(g, 46, y, Math.min(half - 20, 520), 70, names, [{name: 'precision', values: a.precision, color: '#64748b', intact: base.precision},
        {name: 'recall', values: a.recall, color: '#0f766e', intact: base.recall}], '(a) With the module silenced', 'per class; black ticks: intact network');
      classBars(g, 46 + half + 20, y, Math.min(half - 20, 520), 70, names, [{name: 'precision', values: r.precision, color: '#64748b'},
        {name: 'recall', values: r.recall, color: moduleColor(m.id)}], '(b) Read-out from the module alone', 'per class');
      y += 130;
    } else {
      text(g, 14, y + 10, 'Ablation and read-out metrics were not computed for this result.', 'gb-caption');
      y += 30;
    }
    svg.attr('height', y).attr('viewBox', `0 0 ${width} ${y}`).attr('aria-label', `Detail of module M${m.id}: ${m.label}`);
  }

  const G_MEANING = (v) => (v < 0 ? 'Negative G: turning this module up would lower the loss.'
    : v > 0 ? 'Positive G: turning this module up would raise the loss.' : 'G = 0: no first-order effect on the loss.');

  const resizeObserver = new ResizeObserver(() => {
    const next = Math.max(520, Math.floor(container.clientWidth || 0));
    if (container.clientWidth && Math.abs(next - width) >= 1) { width = next; if (last) show(last.result, last.id); }
  });
  width = Math.max(520, Math.floor(container.clientWidth || 720));
  resizeObserver.observe(container);
  show(null, null);

  return {
    describe: () => labelOf(container, 'Module detail: no module selected.'),
    show,
    update: (data) => show(data?.result ?? null, data?.id ?? null),
    /** No options yet; kept for the view contract. */
    setOptions(partial = {}) { opts = {...opts, ...partial}; if (last) show(last.result, last.id); },
    destroy() { resizeObserver.disconnect(); root.remove(); },
    exportSVG: (filename = 'glassbox-module-detail.svg') => exportSVG(svg.node(), filename),
    exportPNG: (filename = 'glassbox-module-detail.png', scale = 2) => exportPNG(svg.node(), filename, scale),
    get element() { return root.node(); },
  };
}

/** The name the page used before the view contract. */
export const createModuleDetail = create;
