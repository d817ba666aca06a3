// Presets: named settings that reliably show one pathology each. The table is declared once, in
// the engine (py/glassbox/presets.py), and reaches the page in dist/tables.json ('presets':
// {name: {label, settings, detectors, within_steps, story}}). The URL key `preset` applies one;
// changing a setting the preset fixed clears the key. This file keeps only that logic.

/** Every key a preset fixes: the engine settings (defaults plus the preset's own). */
export function presetSettings(presets, name, defaults, engineKeys) {
  const preset = presets[name];
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
export function applyPreset(state, givenKeys, defaults, engineKeys, presets) {
  const name = state.preset;
  if (!name || name === 'none' || !presets[name]) return state;
  const fixed = presetSettings(presets, name, defaults, engineKeys);
  const out = {...state};
  if (givenKeys.includes('preset')) {
    for (const [key, value] of Object.entries(fixed)) if (!givenKeys.includes(key)) out[key] = value;
  }
  const holds = Object.entries(fixed).every(([key, value]) => JSON.stringify(out[key]) === JSON.stringify(value));
  if (!holds) out.preset = 'none';
  return out;
}

/**
 * What applying a preset changed besides the preset itself: [{key, from, to}] for each of `keys`
 * (the engine settings) whose value differs between `before` and `after`, in `keys` order. The
 * page names them, so a preset never switches the dataset silently.
 */
export function presetChanges(before, after, keys) {
  return keys.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => ({key, from: before[key], to: after[key]}));
}
