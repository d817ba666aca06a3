// Helpers for the array objects the worker sends: {dtype, shape, data} with
// row-major typed-array data. Views call these on every snapshot, so they
// avoid allocation where a caller can pass an `out` buffer.

export function tensor(shape, data, dtype) {
  const size = shape.reduce((a, b) => a * b, 1);
  const buffer = data ?? new Float32Array(size);
  return { dtype: dtype ?? (buffer instanceof Int32Array ? 'int32' : 'float32'), shape: [...shape], data: buffer };
}

export function isTensor(value) {
  return value != null && Array.isArray(value.shape) && value.data != null && typeof value.data.length === 'number';
}

export const rows = (t) => t.shape[0];
export const cols = (t) => (t.shape.length > 1 ? t.shape[t.shape.length - 1] : 1);

/** Row i of a 2-D tensor as a zero-copy view. */
export function row(t, i) {
  const n = cols(t);
  return t.data.subarray ? t.data.subarray(i * n, (i + 1) * n) : t.data.slice(i * n, (i + 1) * n);
}

export function at(t, i, j = 0) {
  return t.data[i * cols(t) + j];
}

/** Column j of a 2-D tensor, copied (columns are strided). */
export function column(t, j, out) {
  const n = rows(t), m = cols(t);
  const result = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) result[i] = t.data[i * m + j];
  return result;
}

function reduceAxis0(t, out, useAbs) {
  const n = rows(t), m = cols(t), d = t.data;
  const result = out ?? new Float32Array(m);
  result.fill(0);
  if (n === 0) return result;
  for (let i = 0; i < n; i++) {
    const base = i * m;
    if (useAbs) for (let j = 0; j < m; j++) result[j] += Math.abs(d[base + j]);
    else for (let j = 0; j < m; j++) result[j] += d[base + j];
  }
  for (let j = 0; j < m; j++) result[j] /= n;
  return result;
}

/** Mean over the batch axis: (P, n) -> (n). */
export const meanAxis0 = (t, out) => reduceAxis0(t, out, false);
/** Mean of absolute values over the batch axis: (P, n) -> (n). */
export const meanAbsAxis0 = (t, out) => reduceAxis0(t, out, true);

/** Largest finite |x| in a tensor or typed array (0 when empty or all non-finite). */
export function absmax(values) {
  const d = isTensor(values) ? values.data : values;
  let best = 0;
  for (let i = 0; i < d.length; i++) {
    const a = Math.abs(d[i]);
    if (a > best && a !== Infinity) best = a;
  }
  return best;
}

/** [min, max] over finite entries; [0, 0] when there are none. */
export function finiteExtent(values) {
  const d = isTensor(values) ? values.data : values;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

export function argmax(values) {
  let best = -1, bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > bestValue) { bestValue = values[i]; best = i; }
  return best;
}

/**
 * Indices of the k entries with the largest |value|, strongest first.
 * A histogram finds the cut-off in two linear passes, so picking 300 of the
 * 100k weights of a 784x128 layer costs well under a millisecond per update;
 * only the few candidates near the cut-off get sorted.
 */
export function topKAbsIndices(values, k, bins = 2048) {
  const n = values.length;
  if (k <= 0 || n === 0) return new Int32Array(0);
  const max = absmax(values);
  if (max === 0) return new Int32Array(0); // all-zero (or all-NaN) weights: no edge carries signal
  let threshold = 0;
  if (n > k) {
    const counts = new Uint32Array(bins);
    const scale = (bins - 1) / max;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(values[i]);
      if (a <= max) counts[(a * scale) | 0]++;
    }
    let seen = 0, bin = bins - 1;
    for (; bin > 0; bin--) { seen += counts[bin]; if (seen >= k) break; }
    threshold = bin / scale;
  }
  const candidates = [];
  for (let i = 0; i < n; i++) {
    const a = Math.abs(values[i]);
    if (a >= threshold && a <= max) candidates.push(i);
  }
  candidates.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]));
  return Int32Array.from(candidates.length > k ? candidates.slice(0, k) : candidates);
}

/**
 * |values| mapped onto 0..1 relative to the largest finite |value|. With `log`, the scale runs in
 * powers of ten from the smallest nonzero |value| (at most `decades` below the max) to the max:
 * gradients span orders of magnitude, and a linear scale would show one bright neuron.
 */
export function scaleToUnit(values, { log = false, decades = 3 } = {}) {
  const out = new Float32Array(values.length), max = absmax(values);
  if (max === 0) return out;
  let low = max;
  if (log) for (let k = 0; k < values.length; k++) { const a = Math.abs(values[k]); if (a > 0 && a < low) low = a; }
  const logLow = Math.log10(Math.max(low, max * 10 ** -decades)), logSpan = Math.log10(max) - logLow;
  for (let k = 0; k < values.length; k++) {
    const a = Math.abs(values[k]);
    if (!(a > 0)) out[k] = 0;
    else if (!log) out[k] = Math.min(1, a / max);
    else out[k] = logSpan > 0 ? Math.min(1, Math.max(0.04, (Math.log10(a) - logLow) / logSpan)) : 1;
  }
  return out;
}
