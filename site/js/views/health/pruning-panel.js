// Sparsity and pruning: per hidden layer, the share of (neuron, probe sample) pairs where the
// neuron is inactive (ReLU output 0, tanh/sigmoid saturated) and the share of neurons that are
// inactive on every probe sample; a "prune inactive neurons" action (engine op 'prune', see
// py/glassbox/pruning.py) that reports validation accuracy before and after and draws the
// smaller network (a new run, trainable side by side).
// View contract: update({main, runs, info}) draws the main run's newest summary (health run
// records, state/health-runs.js; info: the engine's model info) and the pruned run's network
// while that run exists. The button calls options.onPrune({tolerance}), which resolves with the
// engine's prune answer (app/sources/health.js prune); the view never asks the engine itself.
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { createNetworkView } from '../network/network.js';
import { addSelect, columnName, createTooltip, exporters, fmt, pct, widthOf } from './health-common.js';

const MEASURES = [
  { key: 'sparsity', label: 'inactive (neuron, sample) pairs', color: '#7570b3' },
  { key: 'dead', label: 'neurons inactive on every sample', color: '#d95f02' },
];

/** Per hidden layer of a summary: {column, sparsity, dead}. */
export function sparsity(summary) {
  const L = summary.layers.length;
  return summary.layers.slice(0, L - 1).map((layer, l) => ({
    column: l + 1, name: columnName(l + 1, L),
    sparsity: 1 - d3.mean(layer.neuron_active), dead: Math.max(layer.dead_fraction, layer.saturated_fraction),
  }));
}

export function createPruningPanel(container, options = {}) {
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-pruning');
  const stage = root.append('div').attr('class', 'gb-h-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Sparsity per layer: waiting for a snapshot.');
  const bar = root.append('div').attr('class', 'gb-h-controls');
  let tolerance = '0.01';
  addSelect(bar, 'Inactive means constant within', [['0', 'exactly constant'], ['0.01', '1% of the layer\'s range'],
    ['0.05', '5% of the layer\'s range']], tolerance, (v) => { tolerance = v; });
  const button = bar.append('button').attr('type', 'button').attr('data-action', 'prune').text('Prune inactive neurons');
  const result = root.append('div').attr('class', 'gb-h-prune-result').attr('aria-live', 'polite');
  const drawing = root.append('div').attr('class', 'gb-h-pruned-net');
  const tip = createTooltip(root);
  let network = null, last = null, rows = [], current = {}, onPrune = options.onPrune || null;
  const runById = (id) => (current.runs || []).find((r) => r.id === id) || null;

  button.on('click', async () => {
    if (!onPrune) { result.text('Pruning is not available here.'); return; }
    button.property('disabled', true);
    result.text('Pruning…');
    try {
      last = await onPrune({ tolerance: Number(tolerance) });
      showResult();
    } catch (error) {
      result.text(`Pruning failed: ${error.message || error}`);
    } finally {
      button.property('disabled', false);
    }
  });

  function showResult() {
    const removed = last.removed.map((units, l) => `${units.length} of ${last.sizes_before[l + 1]} in ${columnName(l + 1, last.sizes_before.length - 1)}`);
    result.text('');
    result.append('p').text(`Removed ${removed.join(', ')} → ${last.sizes_before.join('-')} became ${last.sizes_after.join('-')}.`);
    result.append('p').attr('class', 'gb-h-prune-acc').text(`Validation accuracy ${pct(last.accuracy_before)} before, ` +
      `${pct(last.accuracy_after)} after (loss ${fmt(last.loss_before)} → ${fmt(last.loss_after)}). ` +
      `The pruned network is run “${last.run}”; press Play to fine-tune it beside the original.`);
    const info = current.info || {};
    const netOptions = { imageShape: info.image_shape, classNames: info.class_names };
    if (!network) network = createNetworkView(drawing.node(), netOptions); else network.setOptions(netOptions);
    network.update(runById(last.run)?.snapshot || last.snapshot);
  }

  function update(data = current) {
    current = data || {};
    const run = current.main;
    const summary = run?.summaries[run.summaries.length - 1];
    svg.selectAll('*').remove();
    const width = widthOf(container);
    // The pruned run was dropped: forget its result. Until the first update lists it, keep it.
    if (last && current.runs && !runById(last.run)) { last = null; result.selectAll('*').remove(); network?.destroy(); network = null; }
    if (last && network && runById(last.run)?.snapshot) network.update(runById(last.run).snapshot);
    if (!summary || summary.layers.length < 2) { svg.attr('width', width).attr('height', 30); rows = []; return; }
    rows = sparsity(summary);
    const rowH = 40, margin = { top: 50, left: 90, right: 70, bottom: 30 };
    const height = margin.top + rows.length * rowH + margin.bottom;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 8).attr('y', 18).text(`Sparsity per layer · main run · step ${summary.step}`);
    MEASURES.forEach((m, i) => {
      const item = svg.append('g').attr('transform', `translate(${8 + i * 260},38)`);
      item.append('rect').attr('width', 14).attr('height', 12).attr('y', -10).attr('fill', m.color);
      item.append('text').attr('class', 'gb-legend-label').attr('x', 20).text(m.label);
    });
    const x = d3.scaleLinear().domain([0, 1]).range([0, width - margin.left - margin.right]);
    const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${rows.length * rowH})`).call(d3.axisBottom(x).ticks(5, '.0%'));
    const row = g.selectAll('g.gb-sparsity-row').data(rows).join('g').attr('class', 'gb-sparsity-row')
      .attr('transform', (d, i) => `translate(0,${i * rowH})`).attr('data-column', (d) => d.column);
    row.append('text').attr('class', 'gb-legend-label').attr('x', -8).attr('y', rowH / 2).attr('text-anchor', 'end')
      .attr('dominant-baseline', 'middle').text((d) => d.name);
    MEASURES.forEach((m, i) => {
      row.append('rect').attr('y', 5 + i * 15).attr('height', 13).attr('width', (d) => x(d[m.key] || 0)).attr('fill', m.color);
      row.append('text').attr('class', 'gb-legend-small').attr('y', 16 + i * 15).attr('x', (d) => x(d[m.key] || 0) + 5).text((d) => pct(d[m.key]));
    });
    row.on('pointermove', (event, d) => {
      const [px, py] = d3.pointer(event, root.node());
      tip.show([d.name, `inactive pairs ${pct(d.sparsity)}`, `inactive neurons ${pct(d.dead)}`], px, py);
    }).on('pointerleave', () => tip.hide());
    svg.attr('aria-label', `Sparsity per layer: ${rows.map((r) => `${r.name} ${pct(r.sparsity)}`).join(', ')}.`);
  }

  return {
    describe: () => labelOf(container, 'Sparsity per layer: waiting for a snapshot.'),
    update,
    /** {onPrune} */
    setOptions(next = {}) { if (next.onPrune) onPrune = next.onPrune; update(); },
    destroy() { network?.destroy(); root.remove(); },
    data: () => ({ rows, last }),
    ...exporters(stage.node(), 'sparsity'),
    get element() { return root.node(); },
  };
}
export const create = createPruningPanel;
