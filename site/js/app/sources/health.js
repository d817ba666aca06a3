// The health data source: every run's health (compact summaries, current alerts, divergence,
// cost of the checks) kept in ONE slice of the one store, `health`, and the actions on runs
// (fork, drop, prune, roll back). Built from the public app object (window.glassbox) alone, so
// the page's panels, a view mounted alone (app/mounts/health.js) and window.glassbox's health
// members all share it: healthSourceFor(app) makes one per app.
//
// The slice: {runs: {id: run record (state/health-runs.js)}, viewRun: the run the health views
// show, rules: the detectors' rules [{title, rule}]}. It is replaced, never mutated.
//
// Fed by app 'run' events (every training snapshot of every run) and by the answers of fork,
// rollback and prune; the run list follows app 'runs' events. A source made after training
// started first fetches what it missed (engine ops 'health_history' and 'health').
import {describeChanges, emptyRun, meanCost, withAnswer, withHistory} from '../../state/health-runs.js';

const sources = new WeakMap();

/** The one health source of `app`, made on first use. */
export function healthSourceFor(app) {
  if (!sources.has(app)) sources.set(app, createHealthSource(app));
  return sources.get(app);
}

/** @param app window.glassbox: on, request, runs, setRuns, play, state, rollback, ready, store */
export function createHealthSource(app) {
  const slice = () => app.store.get().health;
  const write = (partial) => app.store.set({health: {...slice(), ...partial}});
  /** Replace run `id`'s record with change(record) (a new record when the run is new). */
  const changeRun = (id, change) => {
    const runs = slice().runs;
    write({runs: {...runs, [id]: change(runs[id] || emptyRun(id))}});
  };
  app.store.set({health: {runs: {}, viewRun: 'main', rules: []}});

  app.on('run', (answer) => { if (answer) changeRun(answer.run || 'main', (run) => withAnswer(run, answer)); });
  app.on('runs', (ids) => {
    const {runs, viewRun} = slice();
    const kept = Object.fromEntries(Object.entries(runs).filter(([id]) => ids.includes(id)));
    write({runs: kept, viewRun: kept[viewRun] ? viewRun : 'main'});
  });

  /** What happened before this source existed: each run's history, alerts, divergence, the rules. */
  async function catchUp() {
    await app.ready;
    for (const id of app.runs()) {
      const newestBefore = newestStep(id);
      const [history, health] = await Promise.all([
        app.request('health_history', {run: id}), app.request('health', {run: id})]);
      if (!slice().runs[id] && !app.runs().includes(id)) continue; // dropped meanwhile
      if (history.summaries.length) changeRun(id, (run) => withHistory(run, history.summaries));
      // A snapshot that arrived meanwhile carries newer alerts than this answer.
      if (newestStep(id) === newestBefore) changeRun(id, (run) => ({...run, alerts: health.alerts, divergence: health.divergence}));
      if (!slice().rules.length) write({rules: health.rules || []});
    }
  }
  const newestStep = (id) => { const s = slice().runs[id]?.summaries; return s && s.length ? s[s.length - 1].step : null; };
  catchUp().catch((error) => console.warn('health: could not fetch the history so far:', error.message || error));

  /** A run made by fork or prune: its first answer, where it came from and how it is labelled. */
  function attach(answer, label) {
    changeRun(answer.run, (run) => ({...withAnswer(run, answer), parent: answer.parent, start: answer.start,
      changes: answer.changes, label, extra: answer}));
    return slice().runs[answer.run];
  }

  const source = {
    /** The run record of `id` (default 'main'), or null. */
    get: (id = 'main') => slice().runs[id] || null,
    ids: () => Object.keys(slice().runs),
    list: () => Object.values(slice().runs),
    /** A copy of the current alerts of run `id`. */
    alerts: (id = 'main') => (slice().runs[id]?.alerts || []).map((a) => ({...a})),
    get viewRun() { return slice().viewRun; },
    /** Show run `id` in the health views. */
    setViewRun(id) { if (slice().runs[id]) write({viewRun: id}); },
    /** fn(slice) after every change of the health slice; returns the unsubscribe function. */
    subscribe(fn) {
      return app.store.subscribe((state, changed) => { if (changed.includes('health')) fn(state.health); });
    },
    /** Mean and count of the engine's health cost per snapshot (ms), over the recent snapshots of all runs. */
    cost: () => meanCost(source.list()),
    /** Everything a health view draws: {run (the shown one), main, runs, viewRun, rules, cost, info}. */
    viewData() {
      const {runs, viewRun, rules} = slice();
      return {run: runs[viewRun] || null, main: runs.main || null, runs: Object.values(runs), viewRun, rules,
        cost: source.cost(), info: app.store.get().info};
    },

    /** Fork `run` with `changes` (engine op 'fork'); by default both then train side by side. */
    async fork(changes, {start = null, run = 'main', play = true} = {}) {
      const answer = await app.request('fork', {run, changes, ...(start ? {start} : {})});
      const from = answer.start === 'beginning' ? 'from step 0' : `from step ${answer.step}`;
      attach(answer, `${answer.run}: ${describeChanges(answer.changes)} (${from})`);
      await app.setRuns([...app.runs(), answer.run]);
      if (play && app.state().status !== 'training') await app.play();
      return answer;
    },
    /** Stop training run `id` and forget it (engine op 'drop_run'). */
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
    /** A diverged run back to a finite ({to: 'last_finite'}) or healthy ({to: 'healthy'}) state. */
    rollback: (options = {}) => app.rollback(options),
  };
  return source;
}

/** The health views' action options, each handed to `source` (views ignore those they do not report). */
export function viewActions(source) {
  return {
    onShowRun: async (id) => source.setViewRun(id),
    onDrop: (id) => source.drop(id),
    onFork: (changes, options) => source.fork(changes, options),
    onRollback: (options) => source.rollback(options),
    onPrune: (options) => source.prune(options),
  };
}
