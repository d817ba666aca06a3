// The training source: the main run's life cycle (configure, train, pause, reset, rollback, the
// runs trained side by side) and every snapshot into the store. api.js turns its methods into
// members of window.glassbox; nothing else calls the engine's 'train' stream.

/** speed setting -> steps per snapshot and pause between chunks (1 = watch every step). */
const SPEEDS = {1: {chunk: 1, delayMs: 250}, 2: {chunk: 2, delayMs: 60}, 3: {chunk: 10, delayMs: 0},
  4: {chunk: 25, delayMs: 0}, 5: {chunk: 100, delayMs: 0}};

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

  async function rebuild() {
    const config = engineConfig(store.get().settings);
    const result = await scheduler.request('configure', {config});
    configuredWith = JSON.stringify(config);
    store.set({info: result.info, error: null});
    setSlice({mainDiverged: false});
    setRunIds(['main']);  // configure drops every fork
    acceptSnapshot(result.snapshot, result);
    return result;
  }

  /** Validate a partial settings object; throws one Error naming every bad key. */
  function validated(partial) {
    const clean = {};
    const problems = [];
    for (const [key, value] of Object.entries(partial || {})) {
      const result = coerce(key, value);
      if (result.error) problems.push(`${key}: ${result.error}`);
      else clean[key] = result.value;
    }
    if (clean.dataset === USER.dataset && !userLoaded) problems.push(`dataset: ${USER.not_loaded}`);
    if (problems.length) throw new Error('Invalid settings — ' + problems.join('; '));
    return clean;
  }

  const api = {
    ready: null,

    /** Change settings (same keys as the URL hash). Rebuilds the model only when it must. */
    async configure(partial) {
      const clean = validated(partial);
      const settings = withPreset({...store.get().settings, ...clean}, Object.keys(clean), defaults());
      store.set({settings});
      onHashChange(toHash(settings));
      if (store.get().status === 'loading' || store.get().status === 'error') return api.state();
      if ('backend' in clean && (!store.get().backend || store.get().backend.requested !== settings.backend)) {
        const wasTraining = Boolean(run);
        await stopRun();
        await applyBackend();
        if (wasTraining) startRun(null);
      }
      const config = JSON.stringify(engineConfig(settings));
      if (config === configuredWith) return api.state();
      const previous = JSON.parse(configuredWith || '{}');
      const next = engineConfig(settings);
      const onlyLr = configuredWith && Object.keys(next).every((k) => k === 'lr' || JSON.stringify(previous[k]) === JSON.stringify(next[k]));
      if (onlyLr && store.get().status !== 'diverged' && !slice().mainDiverged) {
        await scheduler.request('set_lr', {lr: settings.lr});
        configuredWith = config;
        return api.state();
      }
      const wasTraining = Boolean(run);
      await stopRun();
      await rebuild();
      if (wasTraining) startRun(null);
      else setStatus('paused');
      return api.state();
    },

    /** Train `steps` steps (resolves when done), or until paused when steps is omitted. */
    async train({steps} = {}) {
      await api.ready;
      await stopRun();
      if (steps == null) { startRun(null); return api.state(); }
      await startRun(Math.max(1, Math.floor(steps)));
      return api.state();
    },
    play() { return api.train(); },
    async pause() { await stopRun(); return api.state(); },
    step() { return api.train({steps: 1}); },
    async reset() {
      await api.ready;
      const wasTraining = Boolean(run);
      await stopRun();
      await rebuild();
      if (wasTraining) startRun(null); else setStatus('paused');
      return api.state();
    },
    async restartEngine() {
      run = null;
      configuredWith = null;
      userLoaded = false;
      setStatus('loading', {error: null});
      api.ready = boot(engine.restart(), 'restart');
      return api.ready;
    },

    /** A plain summary; `layers` are the layer sizes, input first (index 0 = input layer). */
    state() {
      const s = store.get();
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
    },
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
    store.set({settings, info: result.info, error: null});
    if (settings.dataset === USER.dataset && op === 'load_run') userLoaded = true;  // the file carries its data
    onHashChange(toHash(settings));
    configuredWith = JSON.stringify(engineConfig(settings));
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

  async function boot(starting, reason = 'boot') {
    try {
      const runtime = await starting;
      phaseStarts.ready = performance.now();
      store.set({runtime, progress: null});
      withoutUserData();
      // Not awaited: numpy trains the first chunks while onnxruntime-web loads, and the worker
      // switches at a chunk boundary once it is up (the engine's run is the same either way).
      applyBackend().catch(fail);
      await rebuild();
      phaseStarts.firstSnapshot = performance.now();
      setStatus('paused');
      // A saved run replaces the fresh model: '#resume=<id>' at start, the last save after a
      // restart (app/sources/autosave.js); it stays paused. A failed restore keeps the fresh model.
      const restored = restore ? await restore(reason, (file) => adoptMain('load_run', {file}, undefined, (result) => result.runs)).catch(fail) : null;
      if (restored && userLoaded) {  // the save brought the user's data back: the fallback note is moot
        store.set({notes: store.get().notes.filter((note) => !note.startsWith(USER.not_loaded))});
      }
      if (store.get().settings.autoplay && !restored) startRun(null);
      return api.state();
    } catch (error) {
      setStatus('error', {error: String(error.message || error)});
      emit('error', String(error.message || error));
      throw error;
    }
  }

  api.start = () => {
    api.ready = boot(engine.start());
    api.ready.catch(() => {});  // failures are shown on the page; callers may still await it
    return api.ready;
  };
  api.onFatal = onFatal;
  return api;
}
