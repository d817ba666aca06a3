// window.glassbox, built in ONE place. The page's controls, embedded views, course pages and
// tests all drive this same object. Every member is listed in API_MEMBERS below (README.md's
// "window.glassbox" table is written from it, and tests/test_page_structure.py checks that they
// agree). Members that belong to a feature (health, inputs, modules) go to that feature's data
// source (app/sources/*.js: one per app, made on first use), so they work on any page, with or
// without the feature's panels; the panels (ui/*-ui.js) and mounted views share the same source.
import {createEngineClient} from '../engine/client.js';
import {createScheduler} from './scheduler.js';
import {createTrainingSource} from './sources/training.js';
import {healthSourceFor} from './sources/health.js';
import {inputsSource} from './sources/inputs.js';
import {modulesSource} from './sources/modules.js';
import {swarmSource, provideAdopt} from './sources/swarm.js';
import {createRunFiles} from './sources/run-file.js';
import {createReplaySource} from './sources/replay.js';
import {createAutosave} from './sources/autosave.js';
import {createStore} from '../state/store.js';
import {makeSchema} from '../state/url-state.js';
import {MAX_API_STEPS, classArgs, listener, perturbArgs, projectArgs, requestArgs} from './guard.js';

/** Every member of window.glassbox: [name, signature, one-line description]. */
export const API_MEMBERS = [
  ['ready', 'ready', 'promise: resolves once the runtime is loaded and the first model is built'],
  ['configure', 'configure({...})', 'change settings; keys and limits are the URL keys (`schema` lists them; engine rows come from `tables.json`). Rebuilds the model only when needed; a new `lr` applies mid-training. Rejects with a message naming each bad key'],
  ['train', 'train({steps})', `train \`steps\` steps (a whole number from 1 to ${MAX_API_STEPS.toLocaleString('en')}; \`train(100)\` is the same as \`train({steps: 100})\`); resolves with \`state()\` when done. Without \`steps\` (\`train()\`, \`train({})\`): train until paused. Anything else (\`null\`, \`'x'\`, \`NaN\`, \`-1\`, an unknown option) rejects naming \`steps\` and its range`],
  ['play', 'play()', 'train until paused'],
  ['pause', 'pause()', 'stop training after the current chunk; resolves with `state()`'],
  ['step', 'step()', 'train one step'],
  ['reset', 'reset()', 'rebuild the model with fresh weights (same settings); undoable with `undo()`'],
  ['undo', 'undo()', "bring back the trained main run the last `reset()` or rebuilding `configure()` replaced (the page's Reset, R key and settings form offer it for 10 s): its exact weights, optimiser state, step and settings; resolves with `state()`. Store `undo`: `{what, step, id}` while one is possible"],
  ['exportModel', "exportModel('onnx', {run})", "the current network (or run `run`) as the bytes of an ONNX model file (a `Uint8Array`; input `input` [batch, inputs], output `logits`); the page's \"Download .onnx\" button saves the same bytes"],
  ['loadModel', 'loadModel(source, {dataset})', "replace the network by an ONNX model: its bytes (`Uint8Array`, `ArrayBuffer`), a `File`/`Blob`, or a URL on this site. The engine checks it is an MLP it can train on one of the datasets (`dataset`, else the one its input and output sizes fit), then the settings, address bar and every view follow it (training paused); resolves with `state()`. A file it cannot use rejects with a message naming the problem (also shown on the page: store `modelFile`), and the current network stays"],
  ['exportRun', 'exportRun()', 'the whole session (every run with its optimiser state, data order, random state, health and replay history) as the bytes of a run file (a `Uint8Array`, a zip: README "Run files"); the "Download run" button saves the same bytes'],
  ['loadRun', 'loadRun(source)', "replace the session by a run file: its bytes (`Uint8Array`, `ArrayBuffer`), a `File`/`Blob`, or a URL on this site. The whole file is checked first (format, version, members, shapes, data fingerprint, sizes: a zip bomb is refused before it is inflated); then training is paused, the main run and its forks continue exactly where they were saved, and settings, address bar and views follow; resolves with `state()`. A bad file rejects with a message naming the problem (also on the page: store `runFile`) and the current run stays"],
  ['replay', 'replay(step)', "show the main run as it was at a recorded step (the newest one at or before `step`; pauses training): the network view and the replay bar under the curves draw it; resolves `{step, steps}` (every recorded step). `replay('live')` goes back to the live run (so does training). Store `replay`: `{active, step, steps, snapshot, liveStep, error}`"],
  ['loadData', 'loadData(source, {label, oneHot, standardize, size, seed, valFraction, name})', "train on the student's own data: a CSV `File` (label column `label`, default the last; numeric columns are features, others skipped or one-hot encoded with `oneHot`; `standardize` by the training split, default on), a zip, the files of a folder (`<input webkitdirectory>`) or `[{path, file}]` of PNG/JPEG images in one sub-folder per class (converted to `size`×`size` grayscale, 8 or 28), two IDX files (images and labels, gzip or not), a URL on this site, or arrays `{X, y, classNames, featureNames, imageShape}`. `seed` splits the data (stratified; `valFraction` default 0.2). The main run is rebuilt on it with the current settings (dataset `user`); resolves with `state()`. A bad file rejects with a message naming the file, row and column (also on the page: store `dataFile`) and the current run stays. Limits: `tables.limits.user_data`"],
  ['restartEngine', 'restartEngine()', "start a fresh worker after a crash (or while one is stuck or still loading) and rebuild the current settings; `ready` settles with it. The page calls the engine stuck when it sends nothing for 5 s (it beats every second), or past the allowance of a long call it announced (store `engineBusy`: `{op, seconds}`); everything waiting then rejects with \"The engine stopped responding…\""],
  ['state', 'state()', '`{status, step, epoch, loss, accuracy, valLoss, valAccuracy, lr, layers, dataset, settings, runtime, backend, notes, error, timing}`; `layers` are the layer sizes, input first (index 0 is the input layer); `backend`: what trains (`{requested, name: numpy | wasm | webgpu, threads, note}`; choose with `configure({backend})`); `timing`: first step and start-up phases, ms since navigation'],
  ['snapshot', 'snapshot()', 'the latest snapshot (arrays are `{dtype, shape, data}` with typed-array `data`)'],
  ['on', 'on(event, fn)', "subscribe to `'snapshot'`, `'status'`, `'error'`, `'run'` (each run's engine answer) or `'runs'`; returns an unsubscribe function"],
  ['request', 'request(op, args)', "call any engine op (`tables.json` 'ops' lists them) through the page's one scheduler; `args.packages` loads e.g. `['scikit-learn']` first. Ops that replace the main run (`configure`, `load_model`, `adopt`, `load_run`, `load_data`, `undo_configure`, `set_lr`) are refused, naming the member to use instead"],
  ['runs', 'runs()', "run ids trained side by side (`'main'` first)"],
  ['setRuns', 'setRuns(ids)', 'train these runs from now on (main is always kept)'],
  ['rollback', 'rollback({run, to})', "a diverged run back to its last finite state (`to: 'last_finite'`) or to before the trouble (`'healthy'`)"],
  ['health', 'health(run?)', "the current alerts of a run (default `'main'`): `{kind, title, severity, layer, columns, neurons, step, since, message, recommendation, rule, fix}`"],
  ['fork', 'fork(changes, {start, run, play})', "train a copy with changed settings beside the original (`start`: `'now'`, `'beginning'` or `'last_finite'`)"],
  ['dropRun', 'dropRun(id)', 'stop training a forked run and forget it'],
  ['prune', 'prune({tolerance})', 'a new run without the neurons that stay constant; reports validation accuracy before and after'],
  ['morph', 'morph({from, to, steps, path})', "ends: a class number, `{class, nth}`, `{index}`, `{x}` or `'drawn'`; `path` `'pixel'` or `'real'`; returns `t`, `x`, `probs`, `pred`, per-layer `acts`, `flips`"],
  ['pour', 'pour({a, b, n})', 'class numbers, lists or `"1,7"`; per layer `selectivity` (2·AUC − 1), `level_a/b`, `category`, histograms, and the `saliency` map'],
  ['perturb', 'perturb({target: {layer, kind, i, j}, value, silence, input})', 'outputs and validation accuracy with one weight/bias changed (never written to the model), `robustness` {lo, hi, method}'],
  ['project', 'project({layer, method, n})', '2-D PCA/t-SNE of a layer (0 = input … L = output)'],
  ['inputPlane', 'inputPlane()', "the 2-D datasets' decision and neuron grids"],
  ['classify', 'classify(input)', 'classify one input: a validation index, an array of pixels, or an input spec'],
  ['draw', 'draw(pixels)', 'put pixels on the drawing pad (what the network sees) and classify them'],
  ['showTab', 'showTab(name)', 'open an Explore-inputs tab: morph, draw, pour, perturb or hidden'],
  ['modules', 'modules({layer, method, k, similarity, split, n, metrics, heatmaps})', 'functional modules (groups of hidden neurons) with ids, members, scores, ablation and read-out metrics, alerts; `layer` indexes `state().layers` (omit for every hidden layer)'],
  ['compareModules', 'compareModules({layer, a: {method, k}, b: {method, k}})', 'adjusted Rand index and contingency table of two decompositions of one layer'],
  ['moduleView', 'moduleView', "the module panel's state and actions: `{result, selected, zoomed, select(id), back(), recompute()}`"],
  ['swarm', 'swarm.start({size, space, goals, rounds, stepsPerRound, seed})', "train a population of networks side by side on this page's swarm workers (`max(2, min(cores, 4))` Pyodide workers), compute moved to the promising ones; `size` 2–64 (default 16), `space` a name of `tables.swarm.spaces` or a space, `goals` weights of `tables.swarm.goals`; resolves once the first members exist"],
  ['swarm', 'swarm.state()', '`{status, round, totalSteps, members: [{id, parents, config, fitness, steps, metrics, resources, flags}] (alive and measured), pending (ids not measured yet), events, rounds: [{round, allocation, shares, best, diversity, totalSteps}], header, end, workers, stats, selected, error, log}`'],
  ['swarm', 'swarm.pause() / swarm.resume() / swarm.stop()', 'pause after the round in progress / go on / stop (resolves once the end record is out)'],
  ['swarm', 'swarm.select(id)', "open member `id` in the main views (network, health, inputs, modules): its exact state (weights, optimiser, step) becomes the main run ('adopt') and the settings follow its config; resolves with `state()` once the views have its snapshot. The swarm keeps training"],
  ['swarm', 'swarm.highlight(id)', 'highlight a member in every swarm view (null: none)'],
  ['swarm', 'swarm.load(textOrUrl)', "show a recorded swarm stream (JSON lines): its text or a URL; an error names the bad line and what was shown stays"],
  ['swarm', 'swarm.connect(url)', "follow a live stream (Server-Sent Events, one record per message); status `'live'`"],
  ['swarm', 'swarm.configure({goals, size})', "change the goals' weights and the population size of the running swarm between two rounds (a larger one breeds members in, a smaller one culls the weakest), and of the next one"],
  ['savedRuns', 'savedRuns.list() / open(id) / rename(id, name) / delete(id) / undoDelete() / saveNow() / status()', "runs saved in this browser (IndexedDB; the README's \"Saved runs\"): `list()` resolves `[{id, name, dataset, layers, step, savedAt, bytes, current}]` newest first; `open(id)` continues a save (paused; a copy under a new id when another tab trains it); `rename`, `delete` (`undoDelete()` puts it back); `saveNow()` resolves the save's metadata (`bytes`, `engineMs`, `writeMs`) or rejects naming a full storage; `status()` `{available, reason, current, lastSave, saving, problem, offer, restored}` (store key `saved`); `testHooks.failWrites(name)`, `autosave(on)` for tests"],
  ['store', 'store', 'the one store: `get()`, `set(partial)`, `subscribe(fn)`; keys `settings`, `status`, `snapshot`, `info`, `runtime`, `progress`, `notes`, `error`, `modelFile` (the last `loadModel`: `{status, name, message}`), `dataFile` (the last `loadData`: `{status, name, message, kind}`), `runFile` (the last `loadRun` or run download: `{status, name, message}`), `replay` (see `replay`), and one slice per data source: `training` (`runs` trained side by side, `mainDiverged`), `health` (every run\'s summaries, alerts, divergence), `inputs` (open tab, each tab\'s request and result), `modules` (result, comparison, selection), `swarm` (status, state, selected, error, workers, stats)'],
  ['schema', 'schema', 'the URL schema rows `{key, type, default, options | min, max, label, engine}`'],
  ['tables', 'tables', "the engine's shared tables (`dist/tables.json`): config fields, datasets, presets, module choices, limits, ops"],
  ['scheduler', 'scheduler', 'the one engine request queue: `request(op, args, {key, throttleMs, force})`, `busy(key)`, `onBusy(fn)`, `cancel(key)`'],
  ['healthStore', 'healthStore', "every run's health (summaries, alerts, divergence, cost) as the health views read it"],
  ['healthViews', 'healthViews', 'the health panels (test hook)'],
  ['debug', 'debug.killEngine()', 'test hook: the engine worker dies silently (terminated, no error event), as a crashed worker would; the heartbeat names it within about 5 s'],
  ['inputsViews', 'inputsViews', 'the Explore-inputs tab views (test hook)'],
];

const EVENTS = ['snapshot', 'status', 'error', 'run', 'runs'];

/**
 * Build window.glassbox. Starts the engine worker at once (Python takes seconds to load).
 * @param {{tables: object, hash?: string, onHashChange?: (hash: string) => void, saveRuns?: boolean}} options
 *   saveRuns: autosave the main run and offer to resume (the app page); elsewhere savedRuns only
 *   saves when asked.
 */
export function createGlassbox({tables, hash = '', onHashChange = () => {}, saveRuns = false}) {
  const schema = makeSchema(tables);
  const parsed = schema.parseHash(hash);
  const store = createStore({
    settings: parsed.state, notes: parsed.notes, status: 'loading', progress: null,
    runtime: null, info: null, snapshot: null, error: null, startedAt: performance.now(),
    firstStepAt: null, training: {runs: ['main'], mainDiverged: false}, backend: null,
    modelFile: {status: 'idle', name: null, message: null},
    runFile: {status: 'idle', name: null, message: null},
    dataFile: {status: 'idle', name: null, message: null, kind: null},
    undo: null, engineBusy: null,
  });
  // Values the link could not use were replaced by defaults (see notes): the address bar says
  // what runs, so copying it reproduces this page.
  if (parsed.notes.length) onHashChange(schema.toHash(parsed.state));
  const listeners = Object.fromEntries(EVENTS.map((event) => [event, new Set()]));
  const emit = (event, value) => listeners[event].forEach((fn) => { try { fn(value); } catch (e) { console.error(e); } });
  const phaseStarts = {};  // start-up phase -> ms since navigation (core, numpy, engine, data, ...)
  let training = null;
  const engine = createEngineClient({
    onProgress: (progress) => {
      // When each start-up phase began, in ms since navigation (benchmarks read these).
      if (!(progress.phase in phaseStarts)) phaseStarts[progress.phase] = performance.now();
      store.set({progress});
    },
    onFatal: (error) => training.onFatal(error),
    onBackend: (status) => store.set({backend: status}),
    onBusy: (engineBusy) => store.set({engineBusy}),
  });
  const scheduler = createScheduler({send: (op, args) => engine.request(op, args)});
  let autosave = null;  // saved runs (app/sources/autosave.js): made once glassbox exists
  const restore = (reason, load) => (autosave ? autosave.restore(reason, load) : null);
  training = createTrainingSource({store, engine, scheduler, schema, emit, onHashChange, phaseStarts,
    userData: tables.limits.user_data, restore});

  // Test hooks that only exist once the app page's panels are built (ui/*-ui.js provide them).
  const panels = {};
  const inputs = () => inputsSource(glassbox);
  const afterReady = (fn) => async (...args) => { await glassbox.ready; return fn(...args); };
  const swarm = () => swarmSource(glassbox);
  // ONNX files: the codec (and onnx-proto) load on first use, so the page starts without them.
  const codec = () => import('../engine/onnx-codec.js');
  async function loadModel(source, {dataset} = {}) {
    const name = typeof source === 'string' ? source : (source && source.name) || 'the model bytes';
    store.set({modelFile: {status: 'loading', name, message: null}});
    try {
      const {readModelBytes, decodeModel} = await codec();
      await training.loadSpec(decodeModel(await readModelBytes(source)), dataset);
    } catch (error) {
      store.set({modelFile: {status: 'error', name, message: String(error.message || error)}});
      throw error;
    }
    store.set({modelFile: {status: 'loaded', name, message: null}});
    await frames(2);
    return glassbox.state();
  }
  const runFiles = createRunFiles({store, scheduler, training, ready: () => training.ready});
  const replay = createReplaySource({store, scheduler, pause: () => training.pause(), ready: () => training.ready});
  // The user's own data: read in the page (site/js/data/load.js, on first use), trained by 'load_data'.
  async function loadData(source, options = {}) {
    const name = typeof source === 'string' ? source : (source && (source.name || source[0]?.name)) || 'your data';
    store.set({dataFile: {status: 'loading', name, message: null, kind: null}});
    let result;
    try {
      const {readData} = await import('../data/load.js');
      const {args} = await readData(source, options, tables.limits.user_data);
      result = await training.loadData(args);
    } catch (error) {
      store.set({dataFile: {status: 'error', name, message: String(error.message || error), kind: null}});
      throw error;
    }
    store.set({dataFile: {status: 'loaded', name, message: null, kind: result.info.user?.source || null}});
    await frames(2);
    return glassbox.state();
  }
  const frames = (n) => new Promise((done) => { const f = (k) => (k ? requestAnimationFrame(() => f(k - 1)) : done()); f(n); });

  const glassbox = {
    get ready() { return training.ready; },
    configure: (partial) => training.configure(partial),
    train: (options) => training.train(options),
    play: () => training.play(),
    pause: () => training.pause(),
    step: () => training.step(),
    reset: () => training.reset(),
    undo: () => training.undo(),
    exportModel: afterReady(async (format = 'onnx', {run = 'main'} = {}) => {
      if (format !== 'onnx') throw new Error(`unknown model format "${format}"; use 'onnx'`);
      const [{encodeModel}, {spec}] = await Promise.all([codec(), scheduler.request('export_model', {run})]);
      return encodeModel(spec);
    }),
    loadModel: afterReady(loadModel),
    exportRun: afterReady(() => runFiles.exportRun()),
    loadRun: afterReady(async (source) => { await runFiles.loadRun(source); await frames(2); return glassbox.state(); }),
    replay: (step) => replay.show(step),
    loadData: afterReady(loadData),
    restartEngine: () => { scheduler.clear(); return training.restartEngine(); },
    state: () => training.state(),
    snapshot: () => training.snapshot(),
    on(event, fn) {
      if (!Object.prototype.hasOwnProperty.call(listeners, event)) throw new Error(`unknown event "${event}"; use snapshot, status, error, run or runs`);
      listeners[event].add(listener(fn));
      return () => listeners[event].delete(fn);
    },
    async request(op, args) { const checked = requestArgs(op, args, tables.ops); await training.ready; return scheduler.request(op, checked); },
    runs: () => training.runs(),
    setRuns: (ids) => training.setRuns(ids),
    rollback: (options) => training.rollback(options),
    // health (app/sources/health.js: one source per app, made on first use; ui/health-ui.js shows it)
    health: (run = 'main') => healthSourceFor(glassbox).alerts(run),
    fork: async (changes, options) => { await glassbox.ready; return healthSourceFor(glassbox).fork(changes, options); },
    dropRun: async (id) => { await glassbox.ready; return healthSourceFor(glassbox).drop(id); },
    prune: async (options) => { await glassbox.ready; return healthSourceFor(glassbox).prune(options); },
    // inputs (app/sources/inputs.js; ui/inputs-ui.js shows it)
    morph: afterReady((args) => inputs().run('morph', classArgs('morph', args, ['from', 'to'], nClasses()))),
    pour: afterReady((args) => inputs().run('pour', classArgs('pour', args, ['a', 'b'], nClasses()))),
    perturb: afterReady((args) => inputs().run('perturb', perturbArgs(args))),
    project: afterReady((args) => inputs().run('hidden', projectArgs(args, glassbox.state().layers))),
    inputPlane: afterReady((args = {}) => inputs().run('plane', args)),
    classify: afterReady((input) => inputs().classify(input)),
    draw: afterReady((pixels) => inputs().draw(Array.from(pixels))),
    showTab(name) {
      const tabs = schema.SCHEMA.find((row) => row.key === 'tab').options;
      if (!tabs.includes(name)) throw new Error(`unknown tab "${name}"; use ${tabs.join(', ')}`);
      if (panels.inputs) panels.inputs.showTab(name); else inputs().show(name);
      return name;
    },
    // modules (app/sources/modules.js; ui/modules-ui.js shows it)
    modules: afterReady((options) => modulesSource(glassbox).modules(options)),
    compareModules: afterReady((options) => modulesSource(glassbox).compareModules(options)),
    get moduleView() { return modulesSource(glassbox).view; },
    // swarm (app/sources/swarm.js: executor and pool in app/swarm/; ui/swarm-ui.js shows it)
    swarm: Object.freeze({
      start: afterReady((options) => swarm().start(options)),
      state: () => swarm().summary(),
      pause: () => swarm().pause(),
      resume: () => swarm().resume(),
      stop: () => swarm().stop(),
      select: afterReady(async (id) => { await swarm().select(id); await frames(2); return glassbox.state(); }),
      highlight: (id) => swarm().highlight(id),
      load: (textOrUrl) => swarm().load(textOrUrl),
      connect: (url) => swarm().connect(url),
      configure: (options) => swarm().configure(options),
    }),
    get savedRuns() { return autosave.api; },
    store,
    schema: schema.SCHEMA,
    tables,
    scheduler,
    get healthStore() { return healthSourceFor(glassbox); },
    get healthViews() { return panels.health?.views; },
    get inputsViews() { return panels.inputs?.views; },
    debug: Object.freeze({killEngine: () => engine.kill()}),
  };
  const nClasses = () => (store.get().info?.class_names?.length ?? glassbox.state().layers.slice(-1)[0]);

  /** Page-internal wiring (not part of window.glassbox): what features and views need. */
  const internals = {
    schema, emit, engine,
    /** The app page's panels of a feature are built: {views (a test hook), showTab?}. */
    provide(name, built) { panels[name] = built; },
  };
  provideAdopt(glassbox, (state, config, dataSeed) => training.adopt(state, config, dataSeed));
  autosave = createAutosave({glassbox, store, scheduler, schema, onHashChange, auto: saveRuns,
    loadFile: (file) => training.loadRunFile(file)});
  training.start();
  return {glassbox, internals};
}
