// Compare two decompositions of one layer side by side: each neuron as a cell coloured by its
// module in decomposition A (top) and B (bottom), neurons ordered so that agreement shows as
// aligned colour runs; the contingency table counts shared neurons; the adjusted Rand index
// (ARI) scores agreement (1 = same grouping, about 0 = no better than chance).
// View contract: create(element, options) -> {update(result), setOptions, destroy, exportSVG,
// exportPNG}; update takes the engine's 'modules_compare' result (null: nothing to compare).
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import {exportSVG, exportPNG} from '../common/export-image.js';
import {moduleColor, METHOD_NAMES, fmt, makeTooltip, values, useModulesStyles} from './module-common.js';

export function create(container, options = {}) {
  useModulesStyles();
  let width = 0, last = null, opts = {...options};
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-module-compare');
  const svg = root.append('svg').attr('role', 'img').attr('aria-label', 'Module comparison: waiting for two decompositions.');
  const tooltip = makeTooltip(root);

  const sideName = (s) => `${METHOD_NAMES[s.method] || s.method}, k = ${s.k === 'auto' ? `auto (${s.k_found})` : s.k}` +
    (s.similarity === 'dependence' ? ', sign-free' : '');

  function update(result) {
    last = result;
    svg.selectAll('*').remove();
    if (!result) {
      svg.attr('width', width).attr('height', 50);
      svg.append('text').attr('class', 'gb-empty gb-mod-left').attr('x', 14).attr('y', 30).text('Choose a second algorithm to compare with.');
      return;
    }
    const a = values(result.a.neuron_module), b = values(result.b.neuron_module), n = a.length;
    const order = d3.range(n).sort((i, j) => a[i] - a[j] || b[i] - b[j] || i - j);
    const cell = Math.max(3, Math.min(22, (width - 130) / n)), x0 = 116;
    const labels = (side) => new Map(side.modules.map((m) => [m.id, m]));
    const la = labels(result.a), lb = labels(result.b);
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 14).attr('y', 24)
      .text(`Hidden layer ${result.layer}: agreement ARI = ${fmt(result.ari)}`);
    svg.append('text').attr('class', 'gb-caption').attr('x', 14).attr('y', 44)
      .text('Adjusted Rand index of the two groupings: 1 = identical, ≈0 = no better than chance. Each cell is one neuron.');
    [[result.a, a, la, 'A'], [result.b, b, lb, 'B']].forEach(([side, labelsOf, info, name], row) => {
      const y = 62 + row * (cell + 30);
      svg.append('text').attr('class', 'gb-legend-label').attr('x', 14).attr('y', y + cell / 2 + 4).text(name);
      svg.append('text').attr('class', 'gb-legend-small').attr('x', x0).attr('y', y - 4).text(sideName(side));
      svg.append('g').selectAll('rect').data(order).join('rect')
        .attr('x', (j, i) => x0 + i * cell).attr('y', y).attr('width', Math.max(cell - 1, 1)).attr('height', cell)
        .attr('fill', (j) => moduleColor(labelsOf[j]))
        .on('pointermove', (event, j) => {
          const [px, py] = d3.pointer(event, root.node());
          const ma = la.get(a[j]), mb = lb.get(b[j]);
          tooltip.show([`neuron ${j}`, `A: M${a[j]} (${ma ? ma.label : ''})`, `B: M${b[j]} (${mb ? mb.label : ''})`], px, py);
        }).on('pointerleave', () => tooltip.hide());
    });
    // Contingency table: rows = A's modules, columns = B's, counts of neurons in both.
    const table = values(result.contingency), [ka, kb] = result.contingency.shape;
    const top = 62 + 2 * (cell + 30) + 20, size = Math.max(22, Math.min(34, (width - 200) / Math.max(kb, 1)));
    svg.append('text').attr('class', 'gb-mod-block-title').attr('x', 14).attr('y', top).text('Neurons shared by each pair of modules (rows A, columns B)');
    const max = d3.max(table) || 1, gx = 80, gy = top + 30;
    result.b.modules.forEach((m, j) => {
      svg.append('circle').attr('cx', gx + j * size + size / 2).attr('cy', gy - 10).attr('r', 6).attr('fill', moduleColor(m.id));
      svg.append('text').attr('class', 'gb-legend-small gb-mod-center').attr('x', gx + j * size + size / 2).attr('y', gy - 20).text(`M${m.id}`);
    });
    result.a.modules.forEach((m, i) => {
      svg.append('circle').attr('cx', gx - 12).attr('cy', gy + i * size + size / 2).attr('r', 6).attr('fill', moduleColor(m.id));
      svg.append('text').attr('class', 'gb-legend-small gb-anchor-end').attr('x', gx - 22).attr('y', gy + i * size + size / 2 + 4).text(`M${m.id}`);
      for (let j = 0; j < kb; j++) {
        const v = table[i * kb + j];
        svg.append('rect').attr('x', gx + j * size).attr('y', gy + i * size).attr('width', size - 2).attr('height', size - 2)
          .attr('fill', d3.interpolateGreys(0.05 + 0.75 * v / max));
        svg.append('text').attr('class', 'gb-legend-small gb-mod-center').attr('x', gx + j * size + size / 2 - 1).attr('y', gy + i * size + size / 2 + 4)
          .style('fill', v / max > 0.55 ? '#ffffff' : '#1e293b').text(v || '');
      }
    });
    const height = gy + ka * size + 16;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`)
      .attr('aria-label', `Comparison of two module decompositions: ARI ${fmt(result.ari)}`);
  }

  const resizeObserver = new ResizeObserver(() => {
    const next = Math.max(480, Math.floor(container.clientWidth || 0));
    if (container.clientWidth && Math.abs(next - width) >= 1) { width = next; update(last); }
  });
  width = Math.max(480, Math.floor(container.clientWidth || 720));
  resizeObserver.observe(container);
  update(null);

  return {
    describe: () => labelOf(container, 'Module comparison: not computed yet.'),
    update,
    /** No options yet; kept for the view contract. */
    setOptions(partial = {}) { opts = {...opts, ...partial}; update(last); },
    destroy() { resizeObserver.disconnect(); root.remove(); },
    exportSVG: (filename = 'glassbox-module-compare.svg') => exportSVG(svg.node(), filename),
    exportPNG: (filename = 'glassbox-module-compare.png', scale = 2) => exportPNG(svg.node(), filename, scale),
    get element() { return root.node(); },
  };
}

/** The name the page used before the view contract. */
export const createModuleCompare = create;
