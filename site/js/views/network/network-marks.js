// Neuron marks on the network view: the one table of them (MARKS: how each is drawn and what
// the legend says) and the pure helpers that read overlays and draw them. Overlays name a mark
// (overlay.marks[column][neuron] = 'alert' | 'dead' | 'perturbed'), never a colour, so no colour
// means two things; the colouring legend (colouringOf) follows whichever overlay fills neurons.

/** Neuron marks an overlay may set (overlay.marks[column][neuron] = one of these keys). */
export const MARKS = {
  // Dashed orange ring: a health alert names this neuron.
  alert: { label: 'dashed orange ring = health alert', stroke: '#E69F00', dash: '4 2.5', width: 2.6 },
  // Grey disc, heavy dark rim: a dead neuron (its ramp fill is replaced: near-white would read "low", not "dead").
  dead: { label: 'grey disc = dead (never fires)', stroke: '#334155', dash: null, width: 2.6, fill: '#cbd5e1' },
  // Black diamond beside the neuron: the parameter Perturb changes.
  perturbed: { label: 'perturbed parameter', glyph: true },
};

/** The colouring legend: the last overlay filling any neuron (with its legend), else `ramp`. */
export function colouringOf(overlays, ramp) {
  let filler = null;
  for (const [name, overlay] of overlays) if (overlay.fill?.some((col) => col?.some(Boolean))) filler = [name, overlay];
  if (!filler) return ramp;
  const [name, overlay] = filler;
  return { swatches: overlay.legend?.swatches ?? [], title: overlay.legend?.title ?? `neuron colours: ${name}`, by: name };
}

/** Mark keys any overlay uses, in MARKS order. */
export function marksOf(overlays) {
  const used = new Set();
  for (const overlay of overlays.values()) for (const col of overlay.marks ?? []) for (const m of col ?? []) if (MARKS[m]) used.add(m);
  return Object.keys(MARKS).filter((m) => used.has(m));
}

/** The ring mark (alert or dead; the overlay set last wins) of neuron k in column c, or null. */
export function ringOf(overlays, c, k) {
  let found = null;
  for (const overlay of overlays.values()) {
    const m = overlay.marks?.[c]?.[k];
    if (MARKS[m] && !MARKS[m].glyph) found = { key: m, ...MARKS[m] };
  }
  return found;
}

export const hasGlyph = (overlays, c, k) => [...overlays.values()].some((o) => MARKS[o.marks?.[c]?.[k]]?.glyph);

/** SVG path of a diamond centred on (x, y) with half-diagonal r. */
export function diamondPath(x, y, r) {
  return `M${x},${y - r}L${x + r},${y}L${x},${y + r}L${x - r},${y}Z`;
}

/** Stroke (ring mark or an overlay's plain colour, as 'colour|dash') one neuron element, or clear it. */
export function strokeNeuron(el, stroke, ring) {
  // Attribute and inline style: the .gb-neuron CSS rule would override the attribute alone.
  const [colour, dash] = stroke.split('|'), widthPx = ring ? ring.width : 2.5;
  if (stroke) {
    el.setAttribute('stroke', colour); el.setAttribute('stroke-width', widthPx);
    el.style.stroke = colour; el.style.strokeWidth = `${widthPx}px`;
  } else {
    el.removeAttribute('stroke'); el.removeAttribute('stroke-width');
    el.style.removeProperty('stroke'); el.style.removeProperty('stroke-width');
  }
  if (dash && dash !== 'null' && dash !== 'undefined') el.style.strokeDasharray = dash;
  else el.style.removeProperty('stroke-dasharray');
  if (ring) el.dataset.mark = ring.key; else delete el.dataset.mark;
}

/** Perturbed parameters: a diamond beside each marked neuron (a shape, so it reads over any fill), in the <g> `group`. */
export function drawGlyphs(group, columns, overlays) {
  const glyphs = [];
  columns.forEach((col, c) => {
    for (let k = 0; k < col.n; k++) if (hasGlyph(overlays, c, k)) glyphs.push([col.xs[k] + col.reach + 7, col.ys[k] - col.reach - 3, c, k]);
  });
  group.selectAll('path').data(glyphs).join('path').attr('class', 'gb-mark-perturbed')
    .attr('data-column', (d) => d[2]).attr('data-index', (d) => d[3]).attr('d', (d) => diamondPath(d[0], d[1], 6));
}
