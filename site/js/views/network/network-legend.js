// The network view's legend: one item for what colours the neurons NOW (the view's own
// |activation| or |gradient| ramp, or the swatches of whichever overlay fills them: pour, morph,
// modules, the raster scrub...), the edge sign and width items, and one item per neuron mark in
// use. Marks each have their own shape so no colour means two things (MARKS in network-marks.js
// is the one table of them; overlays name a mark, never a colour). Pure drawing into an SVG <g>.
import { MARKS, diamondPath } from './network-marks.js';

const ITEM_GAP = 30, ROW = 38;

function text(g, x, y, value, cls = 'gb-legend-label') {
  return g.append('text').attr('class', cls).attr('x', x).attr('y', y).text(value);
}

/** The colouring item: a ramp ({ramp: gradient id, title}) or swatches ({swatches: [[colour, label]], title}). */
function drawColouring(g, spec) {
  if (spec.swatches) {
    let x = 0;
    spec.swatches.forEach(([colour, label]) => {
      g.append('rect').attr('class', 'gb-legend-swatch').attr('x', x).attr('y', 0).attr('width', 13).attr('height', 13)
        .attr('fill', colour);
      const t = text(g, x + 17, 11, label).node();
      x += 17 + (t.getComputedTextLength?.() || 8 * label.length) + 12;
    });
    text(g, 0, 28, spec.title, 'gb-legend-small');
    return;
  }
  g.append('rect').attr('class', 'gb-ramp').attr('width', 110).attr('height', 12).attr('fill', `url(#${spec.ramp})`);
  text(g, 0, 27, 'low', 'gb-legend-small');
  text(g, 110, 27, 'high', 'gb-legend-small gb-anchor-end');
  text(g, 120, 11, spec.title);
}

function drawMark(g, key) {
  const mark = MARKS[key];
  if (mark.glyph) g.append('path').attr('class', 'gb-mark-perturbed').attr('d', diamondPath(7, 7, 6));
  else {
    g.append('circle').attr('cx', 7).attr('cy', 7).attr('r', 6).attr('fill', mark.fill ?? '#c4b5fd')
      .attr('stroke', mark.stroke).attr('stroke-width', mark.width).attr('stroke-dasharray', mark.dash);
  }
  text(g, 20, 11, mark.label);
}

/**
 * Rebuild `legend` (an SVG <g>) for `spec` = {colouring, edges: {sizeLabel}, marks: [keys],
 * colors: {positive, negative}} and flow its items into rows no wider than `width`.
 * Returns the height the items use (the caption goes below).
 */
export function drawLegend(legend, spec, width) {
  legend.selectAll('g.gb-legend-item').remove();
  const item = (name) => legend.insert('g', '.gb-caption').attr('class', `gb-legend-item gb-legend-${name}`);
  drawColouring(item('colouring'), spec.colouring);
  const sign = item('sign');
  [[spec.colors.positive, 'positive', 0], [spec.colors.negative, 'negative', 100]].forEach(([colour, label, x]) => {
    sign.append('line').attr('x1', x).attr('x2', x + 24).attr('y1', 6).attr('y2', 6).attr('stroke', colour).attr('stroke-width', 3);
    text(sign, x + 30, 11, label);
  });
  const size = item('size');
  [0.6, 1.6, 3.2].forEach((w, i) => size.append('line').attr('x1', i * 16).attr('x2', i * 16 + 12).attr('y1', 6).attr('y2', 6)
    .attr('stroke', '#475569').attr('stroke-width', w));
  text(size, 52, 11, spec.edges.sizeLabel);
  for (const key of spec.marks) drawMark(item(`mark-${key}`), key);
  let x = 0, y = 0;
  legend.selectAll('g.gb-legend-item').each(function () {
    const w = this.getBBox().width;
    if (x > 0 && x + w > width - 28) { x = 0; y += ROW; }
    this.setAttribute('transform', `translate(${x},${y})`);
    x += w + ITEM_GAP;
  });
  return y + ROW;
}
