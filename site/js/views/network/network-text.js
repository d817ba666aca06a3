// The network view's words: tooltip lines for one neuron or edge, and the description screen
// readers get. Pure functions of {snapshot, layout, sample (probe index or null = mean), classNames}.
import d3 from '../common/d3.js';
import { argmax, cols } from '../common/tensor.js';

const fmtNumber = d3.format('.4~g'), fmtPercent = d3.format('.0%');
export const formatValue = (v) => (v == null || Number.isNaN(v) ? 'NaN'
  : !Number.isFinite(v) ? (v > 0 ? '∞' : '−∞') : fmtNumber(v));

const lastColumn = (snapshot) => snapshot.layer_sizes.length - 1;
const columnName = (snapshot, c) => (c === 0 ? 'input' : c === lastColumn(snapshot) ? 'output' : `hidden ${c}`);
// Column c > 0 is what Dense layer c - 1 produced.
const columnSource = (snapshot, c, field) => snapshot.layers?.[c - 1]?.[field];

/** Lines for neuron k of column c (0 = input). */
export function neuronLines({ snapshot, layout, sample: s, classNames }, c, k) {
  const probeCount = snapshot?.probe?.x?.shape?.[0] ?? 0;
  const scope = s == null ? ` (mean over ${probeCount} samples)` : ` (sample ${s})`;
  const pick = (t, signedMean = true) => {
    const n = t?.data ? cols(t) : 0;
    if (n <= k || t.shape[0] === 0) return NaN;
    if (s != null) return t.data[s * n + k];
    let sum = 0;
    for (let i = 0; i < t.shape[0]; i++) sum += signedMean ? t.data[i * n + k] : Math.abs(t.data[i * n + k]);
    return sum / t.shape[0];
  };
  const mean = (label) => (s == null ? `mean ${label}` : label);
  if (c === 0) {
    const where = layout.image ? `pixel (row ${Math.floor(k / layout.image[1])}, col ${k % layout.image[1]})`
      : `feature x${k + 1}`;
    return [`input · ${where}`, `value ${formatValue(pick(snapshot.probe?.x))}${scope}`];
  }
  const output = c === lastColumn(snapshot); // at the output, dL/dz = prob - one-hot is the telling gradient
  const source = (field) => columnSource(snapshot, c, field);
  return [output ? `output · class ${classNames?.[k] ?? String(k)} (neuron ${k})` : `${columnName(snapshot, c)} · neuron ${k}`,
    output ? `probability ${formatValue(pick(snapshot.probe?.prob))}${scope}`
      : `${mean(s == null ? '|activation|' : 'activation')} ${formatValue(pick(source('act'), s != null))}${scope}`,
    `${mean('pre-activation')} ${formatValue(pick(source('pre')))}`,
    `${mean(s == null ? '|gradient|' : 'gradient')} ${output ? 'dL/dz' : 'dL/da'} ` +
      formatValue(pick(source(output ? 'grad_pre' : 'grad_act'), s != null)),
    `bias ${formatValue(source('b')?.data?.[k])}`];
}

/** Lines for the edge from neuron i of column l to neuron j of column l + 1. */
export function edgeLines({ snapshot, layout }, l, i, j) {
  const k = i * layout.columns[l + 1].n + j;
  const end = (c, n) => (c === 0 && layout.image
    ? `pixel (${Math.floor(n / layout.image[1])}, ${n % layout.image[1]})` : `${columnName(snapshot, c)} #${n}`);
  return [`${end(l, i)} → ${end(l + 1, j)}`, `weight ${formatValue(snapshot.layers[l].W?.data?.[k])}`,
    `gradient dL/dw ${formatValue(snapshot.layers[l].dW?.data?.[k])}`];
}

/** Neurons of a hidden column counted active (|activation| above 1e-3) for the shown input or, for the mean, on average. */
function activeCount(snapshot, c, sample) {
  const t = columnSource(snapshot, c, 'act'), n = snapshot.layer_sizes[c];
  if (!t?.data || t.shape[0] === 0 || cols(t) !== n) return null;
  const rows = sample == null ? d3.range(t.shape[0]) : [sample];
  let active = 0;
  for (const i of rows) for (let k = 0; k < n; k++) if (Math.abs(t.data[i * n + k]) > 1e-3) active++;
  return Math.round(active / rows.length);
}

/**
 * The view's text alternative, one sentence of what is drawn now, e.g. "Network 64-32-10 (relu) at
 * step 40, brightness = activation for probe sample 0: hidden layer 1: 12 of 32 neurons active;
 * predicted 7 with 98 % (true label 7)." `shown` is the output probabilities drawn (per class);
 * `colouring` the legend's colouring item (an overlay's title replaces the brightness words).
 */
export function describeNetwork({ snapshot, sample, classNames, shown, gradient, colouring = null, marks = [], notes = [] }) {
  if (!snapshot) return 'Network view: waiting for the first snapshot.';
  const name = (k) => classNames?.[k] ?? String(k);
  const probeCount = snapshot.probe?.x?.shape?.[0] ?? 0;
  const top = argmax(shown);
  const who = sample == null ? `averaged over ${probeCount} probe samples` : `for probe sample ${sample}`;
  const L = lastColumn(snapshot);
  const layers = d3.range(1, L).map((c) => {
    const active = activeCount(snapshot, c, sample);
    return active == null ? null : `hidden layer ${c}: ${sample == null ? 'on average ' : ''}${active} of ${snapshot.layer_sizes[c]} neurons active`;
  }).filter(Boolean);
  const outcome = top < 0 ? '' : sample == null
    ? `mean output over ${probeCount} inputs highest for ${name(top)} (${fmtPercent(shown[top])}), not a prediction`
    : `predicted ${name(top)} with ${fmtPercent(shown[top])} (true label ${name(snapshot.probe.y?.data?.[sample])})`;
  const colours = colouring && !colouring.ramp ? `neuron colours show ${colouring.title}`
    : `brightness = ${gradient ? 'gradient size' : 'activation'} ${who}`;
  const marked = (marks.length ? `; marks: ${marks.join(', ')}` : '') + notes.map((n) => `; ${n}`).join('');
  return `Network ${snapshot.layer_sizes.join('-')} (${snapshot.activation ?? 'unknown'} activation) at step ${snapshot.step}, ` +
    `${colours}: ${[...layers, outcome].filter(Boolean).join('; ')}${marked}.`;
}
