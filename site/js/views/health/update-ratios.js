// Update ratio per layer over time: the per-step update |ΔW|/|W| of each layer (solid; measured
// on the last optimiser step before each snapshot) and its drift over the last 100 steps
// (dashed), on a log scale, with a "settled" verdict per layer. Rule (py/glassbox/runs.py): a
// layer is settled from the first step after which its 100-step drift ||W_t - W_t-100|| / ||W_t||
// stays below 1 %.
// View contract: update({run}) draws `run`'s summaries (a health run record, state/health-runs.js).
import d3 from '../common/d3.js';
import {labelOf} from '../common/describe.js';
import { columnName, createTooltip, exporters, fmt, widthOf, LAYER_COLORS } from './health-common.js';
import { settledSince, SETTLED_DRIFT } from '../../state/health-runs.js';

const MARGIN = { top: 56, right: 20, bottom: 46, left: 62 };
const FROZEN = 1e-5; // a layer whose every per-step update is below this never really learned

/** Per layer: {column, steps, update, drift, settled} from a run's summaries. */
export function updateSeries(items) {
  const L = items.length ? items[items.length - 1].layers.length : 0;
  return d3.range(L).map((l) => {
    const rows = items.filter((s) => s.layers[l]);
    const steps = rows.map((s) => s.step), drift = rows.map((s) => s.layers[l].drift);
    const update = rows.map((s) => s.layers[l].step_update);
    return { column: l + 1, name: columnName(l + 1, L), steps, update, drift, settled: settledSince(steps, drift),
      lastDrift: drift.filter(Number.isFinite).pop(), frozen: update.length > 2 && Math.max(...update.filter(Number.isFinite)) < FROZEN };
  });
}

export function createUpdateRatios(container) {
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-update-ratios');
  const stage = root.append('div').attr('class', 'gb-h-stage');
  const svg = stage.append('svg').attr('role', 'img').attr('aria-label', 'Update ratios per layer: waiting for snapshots.');
  const verdicts = root.append('ul').attr('class', 'gb-h-settled');
  const tip = createTooltip(root);
  let series = [], current = {};

  function update(data = current) {
    current = data || {};
    const run = current.run;
    const items = run ? run.summaries.filter((s) => s.step > 0) : [];
    series = updateSeries(items);
    const width = widthOf(container), height = 300;
    svg.selectAll('*').remove();
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    svg.append('text').attr('class', 'gb-chart-title').attr('x', 8).attr('y', 18)
      .text(`Update ratio |ΔW|/|W| per layer · ${run ? run.label : ''}`);
    const legend = svg.append('g').attr('transform', 'translate(8,40)');
    let lx = 0;
    series.forEach((s, i) => {
      const item = legend.append('g').attr('transform', `translate(${lx},0)`);
      item.append('line').attr('x2', 22).attr('y1', -4).attr('y2', -4).attr('stroke', LAYER_COLORS[i % LAYER_COLORS.length]).attr('stroke-width', 2.5);
      item.append('text').attr('class', 'gb-legend-label').attr('x', 27).text(s.name);
      lx += 40 + 8 * s.name.length;
    });
    legend.append('text').attr('class', 'gb-legend-small').attr('x', lx).text('solid: per step · dashed: drift over 100 steps');
    const all = series.flatMap((s) => [...s.update, ...s.drift]).filter((v) => Number.isFinite(v) && v > 0);
    const innerW = width - MARGIN.left - MARGIN.right, innerH = height - MARGIN.top - MARGIN.bottom;
    const g = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);
    if (!all.length) { g.append('text').attr('class', 'gb-empty').attr('x', innerW / 2).attr('y', innerH / 2).text('waiting for training…'); verdicts.selectAll('li').remove(); return; }
    const steps = series.flatMap((s) => s.steps);
    const x = d3.scaleLinear().domain([d3.min(steps), Math.max(d3.min(steps) + 1, d3.max(steps))]).range([0, innerW]);
    const y = d3.scaleLog().domain([Math.min(d3.min(all), SETTLED_DRIFT / 10), Math.max(d3.max(all), SETTLED_DRIFT * 10)]).range([innerH, 0]).clamp(true);
    g.append('g').attr('class', 'gb-axis').attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(6, '~s'));
    g.append('g').attr('class', 'gb-axis').call(d3.axisLeft(y).ticks(5, '.0e'));
    g.append('text').attr('class', 'gb-axis-label').attr('x', innerW).attr('y', innerH + 36).attr('text-anchor', 'end').text('step');
    g.append('line').attr('class', 'gb-h-threshold').attr('x2', innerW).attr('y1', y(SETTLED_DRIFT)).attr('y2', y(SETTLED_DRIFT));
    g.append('text').attr('class', 'gb-legend-small').attr('x', innerW - 4).attr('y', y(SETTLED_DRIFT) - 5).attr('text-anchor', 'end')
      .text('settled: drift below 1% per 100 steps');
    series.forEach((s, i) => {
      const color = LAYER_COLORS[i % LAYER_COLORS.length];
      for (const [key, dash] of [['update', null], ['drift', '5 4']]) {
        const points = s.steps.map((step, k) => [x(step), Number.isFinite(s[key][k]) && s[key][k] > 0 ? y(s[key][k]) : NaN]);
        g.append('path').attr('class', 'gb-curve').attr('data-layer', s.column).attr('data-series', key)
          .attr('stroke', color).attr('stroke-width', key === 'update' ? 1.6 : 2.2).attr('stroke-dasharray', dash)
          .attr('d', d3.line().defined((p) => Number.isFinite(p[1]))(points) || '');
      }
      if (s.settled != null) {
        g.append('circle').attr('cx', x(s.settled)).attr('cy', y(SETTLED_DRIFT)).attr('r', 5).attr('fill', color)
          .attr('stroke', '#fff').attr('class', 'gb-h-settled-dot');
      }
    });
    g.append('rect').attr('width', innerW).attr('height', innerH).attr('fill', 'transparent').on('pointermove', (event) => {
      const [px] = d3.pointer(event), step = x.invert(px), [tx, ty] = d3.pointer(event, root.node());
      const lines = [`near step ${Math.round(step)}`];
      for (const s of series) {
        const k = Math.max(0, d3.bisectRight(s.steps, step) - 1);
        lines.push(`${s.name}: per step ${fmt(s.update[k])}, drift ${fmt(s.drift[k])}`);
      }
      tip.show(lines, tx, ty);
    }).on('pointerleave', () => tip.hide());
    verdicts.selectAll('li').data(series).join('li').attr('data-layer', (s) => s.column)
      .text((s) => `${s.name}: ${s.frozen ? 'frozen: its weights barely move at all (vanishing gradients?)'
        : s.settled != null ? `settled since step ${s.settled}` : 'still moving'}` +
        (Number.isFinite(s.lastDrift) ? ` (drift ${fmt(100 * s.lastDrift)}% over the last 100 steps)` : ' (drift measured after 100 steps)'));
    svg.attr('aria-label', `Update ratios per layer; ${series.map((s) => `${s.name} ${s.settled != null ? 'settled' : 'moving'}`).join(', ')}.`);
  }

  return {
    describe: () => labelOf(container, 'Update ratios per layer: waiting for snapshots.'),
    update,
    setOptions() { update(); }, // nothing to choose: every layer is drawn
    destroy() { root.remove(); },
    data: () => series,
    ...exporters(stage.node(), 'update-ratios'),
    get element() { return root.node(); },
  };
}
export const create = createUpdateRatios;
