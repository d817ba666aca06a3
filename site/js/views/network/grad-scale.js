// Gradient-flow brightness on one scale for every layer (the network view's `gradScale: 'global'`).
// Per layer, each layer's largest gradient is full brightness, which hides vanishing gradients;
// on the global scale brightness is log10(|g|) between (global max / 10^6) and the global max,
// so a layer whose gradients are a millionth of the output layer's goes dark.
import { absmax } from '../common/tensor.js';

export const GLOBAL_DECADES = 6;
const MIN_LEVEL = 0.04; // any nonzero gradient stays faintly visible

/** Largest finite |value| over several arrays (0 when none). */
export function globalMax(arrays) {
  let max = 0;
  for (const values of arrays) if (values) max = Math.max(max, absmax(values));
  return max;
}

/** log10 of the lowest magnitude shown on a scale whose top is `max`. */
export function logFloor(max, decades = GLOBAL_DECADES) {
  return Math.log10(max) - decades;
}

/** 0..1 brightness per entry: log scale from max * 10^-decades to max (0 for exact zeros). */
export function logLevels(values, max, decades = GLOBAL_DECADES) {
  const out = new Float32Array(values.length);
  if (!(max > 0)) return out;
  const low = logFloor(max, decades);
  for (let k = 0; k < values.length; k++) {
    const a = Math.abs(values[k]);
    out[k] = a > 0 ? Math.min(1, Math.max(MIN_LEVEL, (Math.log10(a) - low) / decades)) : 0;
  }
  return out;
}

/** Brightness per neuron column on the shared scale; null for column 0 (the input shows data). */
export function globalIntensities(values) {
  const max = globalMax(values.slice(1));
  return values.map((v, c) => (c === 0 ? null : logLevels(v, max)));
}
