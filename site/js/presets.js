// Presets: named settings that reliably show one pathology each. The table is a copy of
// py/glassbox/presets.py (tests/test_health.py checks they agree); `detectors` are the health
// alerts each trips and `withinSteps` how soon (at the default speed, 10 steps per snapshot).
// The URL key `preset` applies one; changing a setting the preset fixed clears the key.

export const PRESETS = {
  healthy: {label: 'Healthy: the default network', settings: {}, detectors: [], withinSteps: 0,
    story: 'ReLU with He initialisation and a moderate learning rate: no alert should fire.'},
  vanishing: {label: 'Vanishing gradients: deep sigmoid net, tiny weights',
    settings: {hidden: [32, 32, 32, 32, 32], activation: 'sigmoid', init: 'small_uniform'},
    detectors: ['vanishing_gradients'], withinSteps: 30,
    story: 'Each sigmoid layer multiplies the backward signal by at most 0.25 times tiny weights.'},
  exploding: {label: 'Exploding gradients: learning rate 3.5',
    settings: {hidden: [32, 32], activation: 'leaky_relu', lr: 3.5},
    detectors: ['exploding_gradients', 'diverged'], withinSteps: 30,
    story: 'Every step overshoots further; the gradients grow until the numbers overflow.'},
  dead_relu: {label: 'Dead ReLUs: bias initialised at -3', settings: {bias_init: -3.0},
    detectors: ['dead_relu'], withinSteps: 30,
    story: 'A strongly negative bias keeps every ReLU below zero: no output, no gradient.'},
  saturated: {label: 'Saturated tanh: learning rate 5', settings: {activation: 'tanh', init: 'glorot', lr: 5.0},
    detectors: ['saturation', 'lr_too_high'], withinSteps: 40,
    story: 'Huge steps push tanh units to +-1, where their slope and gradient are ~0.'},
  oscillation: {label: 'Oscillating loss: learning rate 2.5', settings: {activation: 'leaky_relu', lr: 2.5},
    detectors: ['oscillation'], withinSteps: 250,
    story: 'Steps overshoot the minimum back and forth; the loss jumps instead of falling.'},
  plateau: {label: 'Plateau: small net on the spiral', settings: {dataset: 'spiral', hidden: [16, 16]},
    detectors: ['plateau'], withinSteps: 200,
    story: 'Plain SGD gets stuck on a flat stretch of the loss surface.'},
  lr_too_low: {label: 'Learning rate too low: 0.0001', settings: {lr: 0.0001},
    detectors: ['lr_too_low'], withinSteps: 150,
    story: 'Each step moves the weights by a hundred-thousandth of their size.'},
};

/** Every key a preset fixes: the engine settings (defaults plus the preset's own). */
export function presetSettings(name, defaults, engineKeys) {
  const preset = PRESETS[name];
  if (!preset) return null;
  const out = {};
  for (const key of engineKeys) out[key] = structuredClone(key in preset.settings ? preset.settings[key] : defaults[key]);
  return out;
}

/**
 * Apply the `preset` key: when it is among `givenKeys`, its settings replace the engine settings,
 * except keys given explicitly alongside it; otherwise a preset whose settings no longer hold
 * is cleared (so a link never claims a preset its settings contradict).
 */
export function applyPreset(state, givenKeys, defaults, engineKeys) {
  const name = state.preset;
  if (!name || name === 'none' || !PRESETS[name]) return state;
  const fixed = presetSettings(name, defaults, engineKeys);
  const out = {...state};
  if (givenKeys.includes('preset')) {
    for (const [key, value] of Object.entries(fixed)) if (!givenKeys.includes(key)) out[key] = value;
  }
  const holds = Object.entries(fixed).every(([key, value]) => JSON.stringify(out[key]) === JSON.stringify(value));
  if (!holds) out.preset = 'none';
  return out;
}
