// The training source: the main run's life cycle (configure, train, pause, reset, rollback, the
// runs trained side by side) and every snapshot into the store. api.js turns its methods into
// members of window.glassbox; nothing else calls the engine's 'train' stream.

import {trainSteps} from '../guard.js';
import {SPEEDS, checkSettings, stateSummary} from './training-state.js';

/**
 * @param {{store, engine, scheduler, schema, emit: (event, value) => void, onHashChange}} deps
 *   engine: the engine client (its 'train' stream and 'pause'); every other engine call goes
 *   through `scheduler`; schema: makeSchema(tables); userData: tables.limits.user_data.
 */
export function createTrainingSource({store, engine, scheduler, schema, emit, onHashChange = () => {}, phaseStarts, userData, restore = null}) {
  const {coerce, defaults, engineConfig, toHash, withPreset} = schema;
  let run = null;            // promise of the training run in progress
  // The store's `training` slice: {runs: ids trained side by side ('main' first; forks come from
  // the health source), mainDiverged: the main run hit NaN/Inf and waits for a roll-back or reset}.
  const slice = () => store.get().training;
  const setSlice = (partial) => store.set({training: {...slice(), ...partial}});
  const setRunIds = (ids) => { setSlice({runs: ids}); emit('runs', ids.slice()); };
  let configuredWith = null; // engine config the current model was built from
  // The user's own data lives in the worker only ('load_data'): a fresh worker (a reload, a
  // restart) does not have it, so settings naming it fall back to the default dataset, with a note.
  const USER = userData;  // tables.json limits.user_data: {dataset: 'user', not_loaded: message, ...}
  let userLoaded = false;
  function withoutUserData() {
    const settings = store.get().settings;
    if (settings.dataset !== USER.dataset || userLoaded) return;
    const fallback = defaults().dataset;
    const next = {...settings, dataset: fallback};
    store.set({settings: next, notes: [...store.get().notes, `${USER.not_loaded}. Showing ${fallback} instead; your other settings are kept.`]});
    onHashChange(toHash(next));
  }
  let accepted = null;       // the settings the engine last accepted: a refused configure returns to them
  // The main run the last rebuild replaced, kept by the engine (op 'undo_configure'):
  // {what, step, settings}; null when there is nothing worth undoing (it was at step 0).
  let undoable = null;
  let undoCount = 0;

  function setStatus(status, extra = {}) {
    store.set({status, ...extra});
    emit('status', status);
  }

  function fail(error) {
    const message = String(error && error.message || error);
    store.set({error: message});
    emit('error', message);
  }

  /** The engine worker stopped for good (start-up failed or it crashed). */
  function onFatal(error) { run = null; setStatus('error', {error: error.message}); emit('error', error.message); }

  /** Every run's snapshot goes to 'run' listeners with the engine's answer; main's also to the store. */
  function acceptSnapshot(snapshot, answer = {}) {
    const which = answer.run || 'main';
    emit('run', {...answer, run: which, snapshot});
    if (which !== 'main') return;
    if (answer.diverged && !slice().mainDiverged) {
      setSlice({mainDiverged: true});
      const d = answer.divergence;
      fail(d ? `Training diverged at step ${d.step}: NaN/Inf first appeared in the ${d.what} of ` +
        `${d.layer === (snapshot.layer_sizes || []).length - 1 ? 'the output layer' : `hidden layer ${d.layer}`}. ` +
        'Roll back in the Health panel, or lower the learning rate and press Reset.'
        : `Training diverged at step ${snapshot.step}: the loss is no longer a finite number.`);
    }
    const s = store.get();
    const firstStepAt = s.firstStepAt == null && snapshot.step > 0 ? performance.now() : s.firstStepAt;
    store.set({snapshot, firstStepAt});
    emit('snapshot', snapshot);
  }

  function startRun(steps) {
    const {chunk, delayMs} = SPEEDS[store.get().settings.speed];
    const {runs: ids, mainDiverged} = slice();
    const runs = ids.filter((r) => r !== 'main' || !mainDiverged);
    if (!runs.length) { setStatus('diverged'); return Promise.resolve({step: api.state().step, stopped: 'diverged', runs: {}}); }
    setStatus('training', {error: mainDiverged ? store.get().error : null});
    const thisRun = engine.train({steps, chunk, delayMs, runs}, acceptSnapshot).then((result) => {
      if (run === thisRun) {
        run = null;
        if (result.stopped === 'diverged') { // every run trained here diverged
          setStatus('diverged', {error: store.get().error || `Training diverged at step ${result.step}: the loss is no longer a finite number. Lower the learning rate and press Reset.`});
        } else if (result.stopped !== 'replaced') {
          setStatus('paused');
        }
      }
      return result;
    }, (error) => {
      if (run === thisRun) { run = null; setStatus('paused'); }
      fail(error);
      throw error;
    });
    run = thisRun;
    return thisRun;
  }

  async function stopRun() {
    if (!run) return;
    const current = run;
    engine.pause();
    await current.catch(() => {});
  }

  /** Tell the worker what trains (settings.backend); the answer names what it could use and why. */
  async function applyBackend() {
    const status = await engine.setBackend(store.get().settings.backend);
    store.set({backend: status});
    return status;
  }

  /** Build the main run from `settings`; `what` names the action for its undo ('Reset', ...). */
  async function rebuild(settings = store.get().settings, what = null) {
    const config = engineConfig(settings);
    const step = store.get().snapshot && store.get().info ? store.get().snapshot.step : 0;
    const previous = accepted;
    const result = await scheduler.request('configure', {config});
    configuredWith = JSON.stringify(config);
    accepted = settings;
    // The engine keeps the run it just replaced: worth an undo when it had trained.
    undoable = what && previous && step > 0 ? {what, step, settings: previous} : null;
    store.set({info: result.info, error: null, undo: undoable && {what, step, id: ++undoCount}});
    setSlice({mainDiverged: false});
    setRunIds(['main']);  // configure drops every fork
    acceptSnapshot(result.snapshot, result);
    return result;
  }

  /** Validate a partial settings object; throws one Error naming every bad key. */
  const validated = (partial) => checkSettings(partial, coerce,
    (clean) => (clean.dataset === USER.dataset && !userLoaded ? `dataset: ${USER.not_loaded}` : null));

  // Engine syncs run one at a time; a call that finds a newer one already covering it joins it.
  let syncChain = Promise.resolve();
  let asked = 0, covered = 0, lastSync = null;
  let backendAsked = false;  // a configure named `backend` since the last sync
  function syncEngine() {
    const ticket = ++asked;
    const mine = syncChain.then(() => {
      if (covered >= ticket) return lastSync;
      covered = asked;
      lastSync = syncOnce(store.get().settings);
      return lastSync;
    });
    syncChain = mine.catch(() => {});
    return mine;
  }

  /** Bring the engine to `settings` (backend, lr alone, or a rebuild). */
  async function syncOnce(settings) {
    const wasTraining = Boolean(run);
    try {
      const newBackend = backendAsked && (!store.get().backend || store.get().backend.requested !== settings.backend);
      backendAsked = false;
      if (newBackend) {
        await stopRun();
        await applyBackend();
        if (wasTraining && !run) startRun(null);
      }
      const config = JSON.stringify(engineConfig(settings));
      if (config === configuredWith) { accepted = settings; return; }
      const previous = JSON.parse(configuredWith || '{}');
      const next = engineConfig(settings);
      const onlyLr = configuredWith && Object.keys(next).every((k) => k === 'lr' || JSON.stringify(previous[k]) === JSON.stringify(next[k]));
      if (onlyLr && store.get().status !== 'diverged' && !slice().mainDiverged) {
        await scheduler.request('set_lr', {lr: settings.lr});
        configuredWith = config;
        accepted = settings;
        return;
      }
      const what = previous.dataset !== next.dataset ? 'Switched the dataset'
        : JSON.stringify(previous.hidden) !== JSON.stringify(next.hidden) ? 'Changed the architecture' : 'Rebuilt with new settings';
      await stopRun();
      await rebuild(settings, what);
      if (wasTraining) startRun(null);
      else setStatus('paused');
    } catch (error) {
      // Refused: the store, address bar and form go back to what the engine runs; so does training.
      if (accepted) {
        store.set({settings: {...accepted}});
        onHashChange(toHash(accepted));
      }
      if (wasTraining && !run && store.get().status !== 'error') startRun(null);
      throw error;
    }
  }

  const api = {
    ready: null,

    /** Change settings (same keys as the URL hash). Rebuilds the model only when it must.
     *  Calls made before the engine caught up merge: the last value of each key wins, and the
     *  engine is brought up to date once. If the engine refuses, the store, address bar and form
     *  go back to the settings it last accepted (and the current run goes on). */
    async configure(partial) {
      const clean = validated(partial);
      const settings = withPreset({...store.get().settings, ...clean}, Object.keys(clean), defaults());
      store.set({settings});
      onHashChange(toHash(settings));
      if ('backend' in clean) backendAsked = true;
      if (store.get().status === 'loading' || store.get().status === 'error') return api.state();
      await syncEngine();
      return api.state();
    },

    /** Train `steps` steps (resolves when done), or until paused when steps is omitted. */
    async train(options) {
      const steps = trainSteps(options);
      await api.ready;
      await syncChain;  // settings just changed (e.g. lr) reach the engine before training does
      await stopRun();
      if (steps == null) { startRun(null); return api.state(); }
      await startRun(steps);
      return api.state();
    },
    play() { return api.train(); },
    async pause() { await stopRun(); return api.state(); },
    step() { return api.train({steps: 1}); },
    async reset() {
      await api.ready;
      const wasTraining = Boolean(run);
      await stopRun();
      await rebuild(store.get().settings, 'Reset');
      if (wasTraining) startRun(null); else setStatus('paused');
      return api.state();
    },
    /** A fresh worker, then the current settings rebuilt (at step 0). `glassbox.ready` stays
     *  the same promise when a restart comes while it is still pending (it settles with this boot). */
    restartEngine() {
      run = null;
      configuredWith = null;
      userLoaded = false;
      setStatus('loading', {error: null});
      return startBoot(engine.restart(), 'restart');
    },

    /** Bring back the main run the last Reset or settings change replaced (engine op
     *  'undo_configure'): its exact state, step and settings. */
    async undo() {
      await api.ready;
      if (!undoable) throw new Error('undo(): nothing to undo (no trained run was replaced since the last undo)');
      const entry = undoable;
      const wasTraining = Boolean(run);
      await stopRun();
      const result = await scheduler.request('undo_configure', {});
      undoable = null;
      const settings = {...store.get().settings, ...engineConfig(entry.settings), preset: entry.settings.preset};
      store.set({settings, info: result.info, error: null, undo: null});
      onHashChange(toHash(settings));
      configuredWith = JSON.stringify(engineConfig(settings));
      accepted = settings;
      setSlice({mainDiverged: false});
      setRunIds(['main']);
      acceptSnapshot(result.snapshot, result);
      if (wasTraining) startRun(null); else setStatus('paused');
      return api.state();
    },

    /** A plain summary; `layers` are the layer sizes, input first (index 0 = input layer). */
    state() { return stateSummary(store.get(), phaseStarts); },
    snapshot() { return store.get().snapshot; },
    /** Run ids trained side by side ('main' first). */
    runs() { return slice().runs.slice(); },
    /** Train these runs from now on (main is always kept); restarts a running training loop. */
    async setRuns(ids) {
      const wasTraining = Boolean(run);
      await stopRun(); // first, so no snapshot of a removed run arrives after 'runs'
      setRunIds(['main', ...[...new Set(ids)].filter((r) => r !== 'main')]);
      if (wasTraining) startRun(null);
      return slice().runs.slice();
    },
    /** Send a diverged run back ({run, to: 'last_finite' | 'healthy'}, engine op 'rollback'). */
    async rollback(options = {}) {
      await api.ready;
      const wasTraining = Boolean(run);
      await stopRun();
      const result = await scheduler.request('rollback', options);
      if (result.run === 'main') { setSlice({mainDiverged: false}); store.set({error: null}); }
      acceptSnapshot(result.snapshot, result);
      if (wasTraining) startRun(null); else setStatus('paused');
      return result;
    },
  };

  /** The main run becomes a network made elsewhere: engine op `op` ('adopt' {state, config,
   *  data_seed}: a swarm member; 'load_model' {spec}: an ONNX file) answers as 'configure' does
   *  ({config, info, snapshot, ...}). The settings (and the address bar) follow `config(answer)`.
   *  Leaves training paused; on failure the old model stays and training goes on as it was. */
  async function replaceMain(op, args, config = (result) => result.config, runIds = null) {
    await api.ready;
    return adoptMain(op, args, config, runIds);
  }
  /** replaceMain without waiting for start-up (boot's `restore` hook runs inside it). */
  async function adoptMain(op, args, config = (result) => result.config, runIds = null) {
    const wasTraining = Boolean(run);
    await stopRun();
    let result;
    try {
      result = await scheduler.request(op, args);
    } catch (error) {
      if (wasTraining) startRun(null);
      throw error;
    }
    const engineKeys = new Set(schema.SCHEMA.filter((row) => row.engine).map((row) => row.key));
    const fromRun = Object.fromEntries(Object.entries(config(result) || {}).filter(([key]) => engineKeys.has(key)));
    const settings = {...store.get().settings, ...fromRun, ...('preset' in store.get().settings ? {preset: 'none'} : {})};
    undoable = null;  // the engine's kept run is now the one this replaced, not the one an undo names
    store.set({settings, info: result.info, error: null, undo: null});
    if (settings.dataset === USER.dataset && op === 'load_run') userLoaded = true;  // the file carries its data
    onHashChange(toHash(settings));
    configuredWith = JSON.stringify(engineConfig(settings));
    accepted = settings;
    setSlice({mainDiverged: false});
    if (runIds) setRunIds([]);  // a fresh record per restored run (the old runs' histories end here)
    setRunIds(runIds ? runIds(result) : ['main']);
    acceptSnapshot(result.snapshot, result);
    setStatus('paused');
    return result;
  }

  /** A swarm member's exact state; its settings' seed is the swarm's data seed (as the engine does). */
  api.adopt = async (state, config, dataSeed = 0) => {
    await replaceMain('adopt', {state, config, data_seed: dataSeed}, () => ({...config, seed: dataSeed}));
    return api.state();
  };
  /** An ONNX model decoded into a spec (engine op 'load_model'; `dataset` optional: else the one
   *  its sizes fit); resolves with the engine's answer. */
  api.loadSpec = (spec, dataset) => replaceMain('load_model', dataset == null ? {spec} : {spec, dataset});
  /** A run file's bytes (engine op 'load_run'): the whole session, forks included, trained side by side. */
  api.loadRunFile = (file) => replaceMain('load_run', {file}, undefined, (result) => result.runs);
  /** The user's own data (engine op 'load_data', arguments from site/js/data/load.js): the main run
   *  trains on it with the current settings; the settings' dataset becomes 'user'. */
  api.loadData = async (args) => {
    const result = await replaceMain('load_data', args);
    userLoaded = true;
    return result;
  };

  /** The engine refused the settings it was asked for (not a crash): a named ValueError or MemoryError. */
  const refused = (error) => error && /^(ValueError|MemoryError|OutOfMemory)$/.test(error.kind || '');

  async function boot(starting, mine, reason = 'boot') {
    const stale = () => mine !== bootGeneration;
    try {
      const runtime = await starting;
      if (stale()) return undefined;
      phaseStarts.ready = performance.now();
      store.set({runtime, progress: null});
      withoutUserData();
      // Not awaited: numpy trains the first chunks while onnxruntime-web loads, and the worker
      // switches at a chunk boundary once it is up (the engine's run is the same either way).
      applyBackend().catch(fail);
      try {
        await rebuild(store.get().settings);
      } catch (error) {
        if (stale() || !refused(error)) throw error;
        // The link's settings are refused by the engine: say why, fall back to the last accepted
        // (or the default) engine settings, fix the address bar, and go on.
        const s = store.get().settings;
        const fallback = accepted || {...s, ...engineConfig(defaults()), ...('preset' in s ? {preset: 'none'} : {})};
        store.set({settings: fallback, notes: [...store.get().notes,
          `The engine refused these settings: ${String(error.message || error).replace(/([^.!?])$/, '$1.')} ` +
          `${accepted ? 'The last accepted settings' : 'The default model settings'} are used instead.`]});
        onHashChange(toHash(fallback));
        await rebuild(fallback);
      }
      if (stale()) return undefined;
      phaseStarts.firstSnapshot = performance.now();
      setStatus('paused');
      // A saved run replaces the fresh model: '#resume=<id>' at start, the last save after a
      // restart (app/sources/autosave.js); it stays paused. A failed restore keeps the fresh model.
      const restored = restore ? await restore(reason, (file) => adoptMain('load_run', {file}, undefined, (result) => result.runs)).catch(fail) : null;
      if (stale()) return undefined;
      if (restored && userLoaded) {  // the save brought the user's data back: the fallback note is moot
        store.set({notes: store.get().notes.filter((note) => !note.startsWith(USER.not_loaded))});
      }
      if (store.get().settings.autoplay && !restored) startRun(null);
      return api.state();
    } catch (error) {
      if (stale()) return undefined;
      setStatus('error', {error: String(error.message || error)});
      emit('error', String(error.message || error));
      throw error;
    }
  }

  // glassbox.ready: one promise per start; a restart while it is pending settles it instead.
  let bootGeneration = 0;
  let settleReady = null;
  function startBoot(starting, reason = 'boot') {
    const mine = ++bootGeneration;
    if (!settleReady) {
      api.ready = new Promise((resolve, reject) => { settleReady = {resolve, reject}; });
      api.ready.catch(() => {});  // failures are shown on the page; callers may still await it
    }
    const settle = settleReady;
    boot(starting, mine, reason).then(
      (value) => { if (mine === bootGeneration) { settleReady = null; settle.resolve(value); } },
      (error) => { if (mine === bootGeneration) { settleReady = null; settle.reject(error); } });
    return api.ready;
  }

  api.start = () => startBoot(engine.start());
  api.onFatal = onFatal;
  return api;
}
