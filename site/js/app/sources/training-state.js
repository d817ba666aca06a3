// Pure pieces of the training source (training.js): how fast chunks come, the settings check
// every configure goes through, and the plain summary `glassbox.state()` answers.

/** speed setting -> steps per snapshot and pause between chunks (1 = watch every step). */
export const SPEEDS = {1: {chunk: 1, delayMs: 250}, 2: {chunk: 2, delayMs: 60}, 3: {chunk: 10, delayMs: 0},
  4: {chunk: 25, delayMs: 0}, 5: {chunk: 100, delayMs: 0}};

/**
 * A partial settings object checked key by key with the URL schema's `coerce`; `extra(clean)` may
 * name one more problem (or null). Throws one Error naming every bad key; returns the clean values.
 */
export function checkSettings(partial, coerce, extra = () => null) {
  if (partial == null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new Error(`configure(settings): expected an object of settings such as {lr: 0.05}, got ${String(partial)}`);
  }
  const clean = {};
  const problems = [];
  for (const [key, value] of Object.entries(partial)) {
    const result = coerce(key, value);
    if (result.error) problems.push(`${key}: ${result.error}`);
    else clean[key] = result.value;
  }
  const more = extra(clean);
  if (more) problems.push(more);
  if (problems.length) throw new Error('Invalid settings — ' + problems.join('; '));
  return clean;
}

/** The store as `glassbox.state()` shows it; `layers` are the layer sizes, input first. */
export function stateSummary(s, phaseStarts) {
  const snap = s.snapshot;
  return {
    status: s.status, step: snap ? snap.step : 0, epoch: snap ? snap.epoch : 0,
    loss: snap ? snap.train.loss : null, accuracy: snap ? snap.train.accuracy : null,
    valLoss: snap ? snap.val.loss : null, valAccuracy: snap ? snap.val.accuracy : null,
    lr: s.settings.lr, layers: s.info ? s.info.layer_sizes.slice() : [],
    dataset: s.info ? s.info.dataset : s.settings.dataset, settings: {...s.settings},
    runtime: s.runtime, backend: s.backend, notes: s.notes.slice(), error: s.error,
    timing: {firstStepMs: s.firstStepAt == null ? null : s.firstStepAt - s.startedAt, appStartMs: s.startedAt,
      firstStepSinceNavigationMs: s.firstStepAt, phases: {...phaseStarts}},
  };
}
