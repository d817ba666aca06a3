// Runs that survive: when the main run is saved to IndexedDB, resuming a save (at start, by
// '#resume=<id>', from the list, after an engine restart) and one writer per saved run across tabs.
// The records themselves: state/saved-runs.js. What the page shows: ui/saved-runs-ui.js.
//
// A "lineage" is one main run as this tab trains it: a new one begins whenever the main run is
// replaced (the store's `info` changes: a rebuild, reset, new dataset, ONNX model, swarm member,
// run file, or a resumed save). Each lineage saves under its own id, so a fresh start (autoplay
// included) never overwrites an earlier save; resuming a save continues its id.
//
// When: while training, after SAVE_EVERY_SNAPSHOTS snapshots or SAVE_EVERY_MS, whichever first,
// but never sooner after the last save than (1 / MAX_SAVE_SHARE - 1) times what it took, so saving
// takes at most a tenth of the time (the engine writes the run file in the worker that trains: a
// large run's file, e.g. MNIST 784-128-64-10 with its replay history, takes seconds); on pause; when the tab is hidden or left (pagehide: best effort, the browser may end the page
// before the engine answers or the write commits -- the previous save then stays). Never more
// than one save in flight: a save asked for meanwhile runs once after it, if the run moved on.
//
// Two tabs: the tab training a saved run holds the Web Lock 'glassbox-run-<id>' for as long as
// that run is its main run; a tab that opens a save whose lock another tab holds continues a
// copy under a new id (the store slice's `problem` says so), so two tabs never write one record.
import {openSavedRuns, isQuotaError, formatBytes, hashOf} from '../../state/saved-runs.js';

export const SAVE_EVERY_MS = 10000;
export const SAVE_EVERY_SNAPSHOTS = 20;
export const MAX_SAVE_SHARE = 0.1;
const LOCK_PREFIX = 'glassbox-run-';

const newId = () => `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
/** A name a student recognises: dataset and layer sizes, e.g. "digits 64-32-10". */
export const defaultName = (state) => `${state.dataset} ${state.layers.join('-')}`;
/** The run file's bytes in a buffer of their own (a wire view shares the answer's buffer). */
const ownBytes = (file) => (file && file.data ? file.data : file).slice();

/**
 * @param {{glassbox, store, scheduler, schema, onHashChange, loadFile: (bytes) => Promise,
 *   auto?: boolean, db?, now?: () => number}} deps
 *   loadFile: the main run becomes a run file (engine op 'load_run'), once the engine is ready;
 *   auto: save by itself and
 *   offer a save at start (the app page), else only saveNow(), open() and restarts; db: openSavedRuns().
 * @returns {{api, restore(reason, load)}}  api: window.glassbox.savedRuns; restore: the training
 *   source's hook at start-up ('boot') and after restartEngine() ('restart').
 */
export function createAutosave({glassbox, store, scheduler, schema, onHashChange, loadFile,
  auto = true, db = openSavedRuns(), now = () => Date.now()}) {
  const slice = () => store.get().saved;
  const setSlice = (partial) => store.set({saved: {...slice(), ...partial}});
  store.set({saved: {available: null, reason: null, current: null, lastSave: null, saving: false,
    problem: null, offer: null, restored: null}});

  let enabled = auto;        // autosave on (a test hook turns it off to measure its cost)
  let available = false;
  let lineage = 0;            // bumps when the main run is replaced
  let current = null;         // {id, name, forkedFrom}: what this tab's main run saves as
  let adopting = null;        // the lineage the next replacement of the main run continues
  let beforeRestart = null;   // the lineage that was current when the engine went down
  let saved = null;           // {id, step, hash}: this tab's last save (or the save it resumed)
  let snapshotsSince = 0;
  let lastSaveAt = now();    // when the last save ended (or the lineage began)
  let lastCostMs = 0;         // what the last save took (engine and IndexedDB)
  let inFlight = null;
  let again = false;
  let lastDeleted = null;
  const held = new Map();     // run id -> release() of its Web Lock

  // --- one writer per run: Web Locks --------------------------------------------------------
  function acquire(id) {
    if (held.has(id)) return Promise.resolve(true);
    if (!globalThis.navigator || !navigator.locks) return Promise.resolve(true);  // no Web Locks: not enforced
    return new Promise((resolve) => {
      navigator.locks.request(LOCK_PREFIX + id, {ifAvailable: true}, (lock) => {
        if (!lock) { resolve(false); return undefined; }
        resolve(true);
        return new Promise((release) => held.set(id, release));  // held until release(id)
      }).catch(() => resolve(true));
    });
  }
  function release(id) {
    const done = held.get(id);
    held.delete(id);
    if (done) done();
  }

  // --- lineages -------------------------------------------------------------------------------
  function newLineage() {
    lineage += 1;
    const next = adopting || {id: newId(), name: null, forkedFrom: null};
    adopting = null;
    if (current && current.id !== next.id) release(current.id);
    current = next;
    acquire(current.id);
    snapshotsSince = 0;
    lastSaveAt = now();
    setSlice({current: {...current}});
  }

  let lastStatus = store.get().status;
  store.subscribe((state, changed) => {
    if (changed.includes('info') && state.info) newLineage();
    if (changed.includes('status')) {
      const was = lastStatus;
      lastStatus = state.status;
      if (state.status === 'loading' && current) beforeRestart = beforeRestart || current;
      if (was === 'training' && state.status === 'paused') save('pause').catch(() => {});
    }
    if (changed.includes('snapshot') && state.status === 'training' && state.snapshot) {
      snapshotsSince += 1;
      const since = now() - lastSaveAt;
      const due = snapshotsSince >= SAVE_EVERY_SNAPSHOTS || since >= SAVE_EVERY_MS;
      if (due && since >= lastCostMs * (1 / MAX_SAVE_SHARE - 1)) save('interval').catch(() => {});
    }
  });
  const onHidden = () => { if (document.visibilityState === 'hidden') save('hidden').catch(() => {}); };
  if (globalThis.document) {
    document.addEventListener('visibilitychange', onHidden);
    window.addEventListener('pagehide', () => save('pagehide').catch(() => {}));
  }

  // --- saving -----------------------------------------------------------------------------------
  const settingsOf = (state) => schema.engineConfig(state.settings);

  /** Save the main run now unless it is saved already; resolves the metadata written, or null. */
  async function save(reason, {force = false} = {}) {
    if (!available || (!enabled && !force)) return null;
    if (inFlight) {
      // A pause or a hidden tab while a save is in flight saves once more after it; the interval
      // does not (it would skip the wait that keeps saving under a tenth of the time).
      if (!force) { if (reason !== 'interval') again = true; return inFlight; }
      await inFlight.catch(() => {});
      return save(reason, {force});
    }
    const state = glassbox.state();
    if (!current || state.status === 'loading' || state.status === 'error') return null;
    if (state.step <= 0 && !force) return null;
    const hash = hashOf(settingsOf(state));
    if (!force && saved && saved.id === current.id && saved.step === state.step && saved.hash === hash) return null;
    const started = now();
    inFlight = write(current, lineage, state, hash, reason).finally(() => {
      lastCostMs = now() - started;
      lastSaveAt = now();
      inFlight = null;
      setSlice({saving: false});
      if (again) { again = false; save('again').catch(() => {}); }
    });
    return inFlight;
  }

  async function write(target, myLineage, state, hash, reason) {
    snapshotsSince = 0;
    setSlice({saving: true});
    if (!(await acquire(target.id))) {
      // Another tab took this run's lock (it can only be one that opened it after us): go on as a copy.
      if (target === current) {
        current = {id: newId(), name: target.name && `${target.name} (copy)`, forkedFrom: target.id};
        acquire(current.id);
        setSlice({current: {...current}});
      }
      return null;
    }
    const t0 = performance.now();
    const answer = await scheduler.request('save_run', {}, {key: 'save_run'});
    if (lineage !== myLineage) return null;  // the main run was replaced while the engine wrote
    const file = ownBytes(answer.file);
    const t1 = performance.now();
    target.name = target.name || defaultName(state);
    const meta = {id: target.id, name: target.name, dataset: state.dataset, layers: state.layers,
      step: answer.step != null ? answer.step : state.step, runs: answer.runs, settings: settingsOf(state),
      settingsHash: hash, forkedFrom: target.forkedFrom || null, savedAt: now()};
    try {
      await db.write(meta, file);
    } catch (error) {
      const message = isQuotaError(error)
        ? `Storage is full: this run (${formatBytes(file.byteLength)}) could not be saved. Delete old saved runs or download a run file.`
        : `This run could not be saved (${error.name || 'Error'}: ${error.message}). The previous save is unchanged.`;
      setSlice({problem: {kind: isQuotaError(error) ? 'quota' : 'write', message, bytes: file.byteLength}});
      const named = new Error(message);
      named.name = isQuotaError(error) ? 'QuotaExceededError' : 'SaveError';
      throw named;
    }
    saved = {id: target.id, step: meta.step, hash};
    const lastSave = {...meta, bytes: file.byteLength, reason, engineMs: t1 - t0, writeMs: performance.now() - t1};
    const problem = slice().problem && ['quota', 'write'].includes(slice().problem.kind) ? null : slice().problem;
    setSlice({lastSave, problem});
    return lastSave;
  }

  // --- resuming ---------------------------------------------------------------------------------
  /** The main run becomes saved run `id` through `load(file)`; this tab continues that id when it
   *  can take its lock, else a copy under a new id (and says so). */
  async function resume(id, load) {
    const {meta, file} = await db.read(id);
    const mine = await acquire(id);
    adopting = mine ? {id, name: meta.name, forkedFrom: null}
      : {id: newId(), name: `${meta.name} (copy)`, forkedFrom: id};
    try {
      await load(file);
    } catch (error) {
      adopting = null;
      if (mine && !(current && current.id === id)) release(id);
      throw new Error(`Could not open the saved run “${meta.name}”: ${error.message || error}. The save is unchanged.`);
    }
    saved = mine ? {id, step: meta.step, hash: meta.settingsHash} : null;
    setSlice({offer: null, problem: mine ? null : {kind: 'fork', message:
      `“${meta.name}” is open in another tab, which keeps saving it. This tab continues a copy from step ` +
      `${meta.step.toLocaleString('en')}, saved as a new run.`}});
    return meta;
  }

  /** The training source's hook: what replaces a fresh model at start-up or after a restart. */
  async function restore(reason, load) {
    if (!(await db.ready).ok) return null;
    if (reason === 'restart') {
      const previous = beforeRestart;
      beforeRestart = null;
      if (!previous || !saved || saved.id !== previous.id) return null;  // nothing of that run saved
      const meta = await resume(previous.id, load);
      const note = `Restored from the save at step ${meta.step.toLocaleString('en')}.`;
      store.set({notes: [...store.get().notes, note]});
      setSlice({restored: {step: meta.step, id: meta.id}});
      return meta;
    }
    beforeRestart = null;
    const id = store.get().settings.resume;
    if (!id) return null;
    const settings = {...store.get().settings, resume: ''};  // read once: the address keeps the run's settings
    store.set({settings});
    onHashChange(schema.toHash(settings));
    try {
      return await resume(id, load);
    } catch (error) {
      const text = String(error.message).replace(/([^.!?])$/, '$1.');
      setSlice({problem: {kind: 'resume', message: `${text.startsWith('Could not') ? '' : 'Could not resume: '}${text} A new run started instead.`}});
      return null;
    }
  }

  // --- start: is storage there, and is there a run to offer? ------------------------------------
  db.ready.then(async (status) => {
    available = status.ok;
    setSlice({available: status.ok, reason: status.reason});
    if (!status.ok || !auto || store.get().settings.resume) return;
    const newest = (await db.list()).find((meta) => meta.step > 0 && (!current || meta.id !== current.id));
    if (newest && !slice().current?.forkedFrom) setSlice({offer: newest});
  }).catch(() => {});

  const requireAvailable = async () => {
    const status = await db.ready;
    if (!status.ok) throw new Error(`Runs are not saved in this browser (storage unavailable: ${status.reason}).`);
  };

  const api = {
    /** Every saved run, newest first: [{id, name, dataset, layers, step, savedAt, bytes, current}]. */
    async list() {
      await requireAvailable();
      return (await db.list()).map((meta) => ({id: meta.id, name: meta.name, dataset: meta.dataset,
        layers: meta.layers, step: meta.step, savedAt: meta.savedAt, bytes: meta.bytes,
        forkedFrom: meta.forkedFrom || null, current: Boolean(current && meta.id === current.id)}));
    },
    /** Continue saved run `id` in this tab (training paused); resolves glassbox.state(). */
    async open(id) {
      await requireAvailable();
      await glassbox.ready;
      await resume(id, loadFile);
      return glassbox.state();
    },
    async rename(id, name) {
      await requireAvailable();
      const meta = await db.rename(id, name);
      if (current && current.id === id) { current.name = meta.name; setSlice({current: {...current}}); }
      if (slice().offer && slice().offer.id === id) setSlice({offer: meta});
      return meta;
    },
    /** Delete a save (undoDelete() puts the last one back); resolves its metadata. */
    async delete(id) {
      await requireAvailable();
      const records = await db.remove(id);
      if (!records) throw new Error(`there is no saved run "${id}"`);
      lastDeleted = records;
      if (saved && saved.id === id) saved = null;  // this tab saves it again when it trains on
      if (slice().offer && slice().offer.id === id) setSlice({offer: null});
      return records.meta;
    },
    async undoDelete() {
      if (!lastDeleted) throw new Error('nothing was deleted');
      const meta = await db.restore(lastDeleted);
      lastDeleted = null;
      return meta;
    },
    /** Save the main run now (also at step 0); resolves the save's metadata with `engineMs` (the
     *  engine writing the run file) and `writeMs` (IndexedDB); rejects naming a full storage. */
    async saveNow() {
      await requireAvailable();
      await glassbox.ready;
      return save('now', {force: true});
    },
    /** {available, reason, current: {id, name, forkedFrom}, lastSave, saving, problem: {kind, message}, offer, restored}. */
    status() { return {...slice(), autosave: enabled}; },
    /** Forget the resume offer ("Start fresh"): the save stays in the list. */
    dismissOffer() { setSlice({offer: null}); },
    /** The main run as a run file (glassbox.exportRun when the page has it, else engine op 'save_run'). */
    async runFile() {
      await glassbox.ready;
      if (typeof glassbox.exportRun === 'function') return glassbox.exportRun();
      return ownBytes((await scheduler.request('save_run', {})).file);
    },
    estimate: () => db.estimate(),
    /** Test hooks: failWrites(name) makes every IndexedDB write throw a DOMException of that name
     *  (null: stop); autosave(on) turns autosave off and on (to measure what it costs). A dead
     *  worker for restart tests: glassbox.debug.killEngine(). */
    testHooks: Object.freeze({
      failWrites: (name) => db.failWrites(name),
      autosave: (on) => { enabled = Boolean(on); return enabled; },
    }),
  };
  return {api, restore};
}
