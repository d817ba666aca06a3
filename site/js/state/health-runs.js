// Pure helpers for the health slice of the one store (app/sources/health.js owns the slice):
// one run's record and how an engine answer changes it, plus formatting of fork changes.
// Nothing here keeps state or talks to the engine, so every function can be tested alone.
//
// A run record: {id, label, parent, start, changes, config, summaries (compact history
// summaries, py/glassbox/monitor/history.py), alerts, divergence, diverged, healthMs (engine
// cost of the checks per snapshot), snapshot (the newest one only), extra (fork/prune answer)}.

export const MAX_SUMMARIES = 600; // the same thinning rule as py/glassbox/monitor/history.py
export const SETTLED_DRIFT = 0.01; // py/glassbox/monitor/watch.py: settled below 1 % drift per 100 steps
const MAX_COST_SAMPLES = 500;

/** history.py's rule: past the limit, drop every second summary of the older half. */
export function thin(items, limit = MAX_SUMMARIES) {
  if (items.length <= limit) return items;
  const half = Math.floor(items.length / 2);
  return items.slice(0, half).filter((_, i) => i % 2 === 0).concat(items.slice(half));
}

const CHANGE_NAMES = {lr: 'lr', optimizer: 'optimiser', activation: 'activation', init: 'init', bias_init: 'bias',
  l2: 'L2', batch_size: 'batch', hidden: 'layers'};

/** "lr 0.35, init he" */
export function describeChanges(changes) {
  return Object.entries(changes || {}).map(([k, v]) => `${CHANGE_NAMES[k] || k} ${Array.isArray(v) ? v.join(',') : v}`).join(', ');
}

/** "relu, he, lr 0.05": names only where a bare value would be unclear (curve legends). */
export function shortChanges(changes) {
  return Object.entries(changes || {}).map(([k, v]) => (['activation', 'init', 'optimizer'].includes(k) ? String(v)
    : `${CHANGE_NAMES[k] || k} ${Array.isArray(v) ? v.join(',') : v}`)).join(', ');
}

/** First step from which `values` (one per summary, NaN = unknown) stay below `limit`; null if not settled. */
export function settledSince(steps, values, limit = SETTLED_DRIFT) {
  let since = null;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    if (values[i] < limit) { if (since == null) since = steps[i]; } else since = null;
  }
  return since;
}

const data = (t) => (t && t.data && Array.isArray(t.shape) ? t.data : t);

/** A summary with its arrays as plain typed arrays (the wire gives {dtype, shape, data}). */
export function plainSummary(summary) {
  for (const layer of summary.layers || []) {
    for (const key of ['neuron_act', 'neuron_grad', 'neuron_active']) layer[key] = data(layer[key]);
    for (const h of Object.values(layer.hist || {})) h.counts = data(h.counts);
  }
  return summary;
}

/** A run nothing is known about yet. */
export function emptyRun(id) {
  return {id, label: id === 'main' ? 'main run' : id, parent: null, start: null, changes: null, config: null,
    summaries: [], alerts: [], divergence: null, diverged: false, healthMs: [], snapshot: null, extra: null};
}

/**
 * The record after one engine answer about it (a training snapshot's 'run' event, or the answer
 * of fork, rollback or prune): a new object; `run` is left as it was.
 */
export function withAnswer(run, answer) {
  const next = {...run};
  const s = answer.summary && plainSummary(answer.summary);
  if (s) {
    let summaries = run.summaries;
    const last = summaries[summaries.length - 1];
    // A step at or before the newest one means a roll-back or a rebuild: history restarts there.
    if (last && s.step <= last.step) summaries = summaries.filter((x) => x.step < s.step);
    if (!summaries.length) next.healthMs = [];
    next.summaries = thin([...summaries, s]);
    next.diverged = !s.finite;
  }
  if (answer.alerts) next.alerts = answer.alerts;
  if ('divergence' in answer) next.divergence = answer.divergence;
  if (answer.diverged) next.diverged = true;
  if (Number.isFinite(answer.health_ms)) next.healthMs = [...next.healthMs, answer.health_ms].slice(-MAX_COST_SAMPLES);
  if (answer.snapshot) next.snapshot = answer.snapshot;
  if (answer.config) next.config = answer.config;
  return next;
}

/** The record with summaries fetched later (engine op 'health_history') placed before the ones it has. */
export function withHistory(run, fetched) {
  const first = run.summaries.length ? run.summaries[0].step : Infinity;
  const older = fetched.map(plainSummary).filter((s) => s.step < first);
  if (!older.length) return run;
  const summaries = thin([...older, ...run.summaries]);
  return {...run, summaries, diverged: run.diverged || !summaries[summaries.length - 1].finite};
}

/** Mean and count of the engine's health cost per snapshot (ms), over the recent snapshots of `runs`. */
export function meanCost(runs) {
  const all = runs.flatMap((r) => r.healthMs);
  return {meanMs: all.length ? all.reduce((a, b) => a + b, 0) / all.length : null, count: all.length};
}
