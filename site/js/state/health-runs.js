// The page's copy of each run's health: compact summaries (py/glassbox/history.py), current
// alerts, divergence, cost. Fed by app 'run' events (every training snapshot of every run) and
// by the answers of 'fork', 'rollback' and 'prune'; the run list follows app 'runs' events.
// Views read it; nothing here keeps full snapshots except the newest one per run.

export const MAX_SUMMARIES = 600; // the same thinning rule as py/glassbox/history.py
export const SETTLED_DRIFT = 0.01; // py/glassbox/runs.py

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

export function createHealthStore(app) {
  const runs = new Map();
  const listeners = new Set();
  let viewRun = 'main';
  let pending = false;

  function notify() {
    if (pending) return;
    pending = true;
    const flush = () => { pending = false; for (const fn of [...listeners]) { try { fn(); } catch (e) { console.error(e); } } };
    if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(flush); else setTimeout(flush, 0);
  }

  function ensure(id) {
    if (!runs.has(id)) {
      runs.set(id, {id, label: id === 'main' ? 'main run' : id, parent: null, start: null, changes: null, config: null,
        summaries: [], alerts: [], divergence: null, diverged: false, healthMs: [], snapshot: null, extra: null});
    }
    return runs.get(id);
  }

  function ingest(answer) {
    if (!answer) return;
    const id = answer.run || 'main';
    const run = ensure(id);
    const s = answer.summary && plainSummary(answer.summary);
    if (s) {
      const last = run.summaries[run.summaries.length - 1];
      if (last && s.step <= last.step) run.summaries = run.summaries.filter((x) => x.step < s.step); // roll-back or rebuild
      if (!run.summaries.length) run.healthMs = [];
      run.summaries.push(s);
      run.summaries = thin(run.summaries);
      run.diverged = !s.finite;
    }
    if (answer.alerts) run.alerts = answer.alerts;
    if ('divergence' in answer) run.divergence = answer.divergence;
    if (answer.diverged) run.diverged = true;
    if (Number.isFinite(answer.health_ms)) { run.healthMs.push(answer.health_ms); if (run.healthMs.length > 500) run.healthMs.shift(); }
    if (answer.snapshot) run.snapshot = answer.snapshot;
    if (answer.config) run.config = answer.config;
    notify();
  }

  app.on('run', ingest);
  app.on('runs', (ids) => {
    for (const id of [...runs.keys()]) if (!ids.includes(id)) runs.delete(id);
    if (!runs.has(viewRun)) viewRun = 'main';
    notify();
  });

  function attach(answer, label) {
    ingest(answer);
    const run = ensure(answer.run);
    Object.assign(run, {parent: answer.parent, start: answer.start, changes: answer.changes, label, extra: answer});
    return run;
  }

  const store = {
    get: (id = 'main') => runs.get(id) || null,
    ids: () => [...runs.keys()],
    list: () => [...runs.values()],
    alerts: (id = 'main') => (runs.get(id)?.alerts || []).map((a) => ({...a})),
    get viewRun() { return viewRun; },
    setViewRun(id) { if (runs.has(id)) { viewRun = id; notify(); } },
    subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    ingest,

    /** Fork `run` with `changes` (engine op 'fork'); by default both then train side by side. */
    async fork(changes, {start = null, run = 'main', play = true} = {}) {
      const answer = await app.request('fork', {run, changes, ...(start ? {start} : {})});
      const from = answer.start === 'beginning' ? 'from step 0' : `from step ${answer.step}`;
      attach(answer, `${answer.run}: ${describeChanges(answer.changes)} (${from})`);
      await app.setRuns([...app.runs(), answer.run]);
      if (play && app.state().status !== 'training') await app.play();
      return answer;
    },
    async drop(id) {
      await app.setRuns(app.runs().filter((r) => r !== id)); // stop training it first
      await app.request('drop_run', {run: id});
    },
    /** Prune inactive neurons of `run` into a new run (engine op 'prune'); it trains when Play is pressed. */
    async prune({run = 'main', tolerance = 0.01} = {}) {
      const answer = await app.request('prune', {run, tolerance});
      attach(answer, `${answer.run}: pruned to ${answer.sizes_after.join('-')}`);
      await app.setRuns([...app.runs(), answer.run]);
      return answer;
    },
    rollback(options = {}) { return app.rollback(options); },
    /** Mean and count of the engine's health cost per snapshot (ms), over the recent snapshots of all runs. */
    cost() {
      const all = [...runs.values()].flatMap((r) => r.healthMs);
      return {meanMs: all.length ? all.reduce((a, b) => a + b, 0) / all.length : null, count: all.length};
    },
  };
  return store;
}
