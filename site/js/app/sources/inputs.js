// The inputs data source: decides what the Explore-inputs views (morph, draw, pour, perturb,
// hidden space, input plane) show and when to fetch it, asks the engine through the page's one
// scheduler, keeps the answers in the store's `inputs` slice and pushes them into the views with
// update(). Views never fetch: they report the user's choices as events ('request', 'draw',
// 'load', 'select', 'position') and the source turns those into requests.
//
// When it fetches: a tab's default content when the tab is first shown for a model; a user
// choice at once (it replaces a stale queued request of the same tab); while training, shown
// tabs follow each snapshot at most every FOLLOW_MS (joining a request already queued); when
// training pauses, one last forced refresh. A rebuilt model clears every answer.
//
// Built from the public app object alone (window.glassbox: scheduler, store, on, configure,
// request). The slice (app.store.get().inputs):
//   {tab,                                   the open Explore-inputs tab
//    drawn,                                 the drawn pixels (Float32Array) or null
//    morph|draw|pour|perturb|hidden|plane: {request, result, error, ...}}   see each tab below

/** Per engine call: the op and how often a view that follows training may ask (ms). */
export const INPUT_OPS = {
  morph: {op: 'morph', followMs: 1000},
  pour: {op: 'pour', followMs: 4000},
  perturb: {op: 'perturb', followMs: 1000},
  project: {op: 'project', followMs: 1000},
  plane: {op: 'input_plane', followMs: 150},
  classify: {op: 'classify_input', followMs: 0},
  getInput: {op: 'get_input', followMs: 0},
};

/** Tab (the store slice's key) -> its engine call in INPUT_OPS. */
export const TAB_CALLS = {morph: 'morph', draw: 'classify', pour: 'pour', perturb: 'perturb', hidden: 'project', plane: 'plane'};
const EMPTY_TABS = Object.fromEntries(Object.keys(TAB_CALLS).map((tab) => [tab, {}]));

const sources = new WeakMap();

/** The one inputs source of `app` (the page's panel and mounted views share it and its slice). */
export function inputsSource(app) {
  if (!sources.has(app)) sources.set(app, createInputsSource(app));
  return sources.get(app);
}

/** @param {object} app  window.glassbox (scheduler, store, on, configure, request). */
export function createInputsSource(app) {
  const {store, scheduler} = app;
  const attached = Object.fromEntries(Object.keys(TAB_CALLS).map((tab) => [tab, new Set()]));
  let generation = 0;              // bumped when the model changes: older answers are dropped
  let started = new Set();         // tabs whose default content was asked for (this model)
  const keyOf = (info) => (info ? JSON.stringify([info.dataset, info.layer_sizes]) : null);
  let modelKey = keyOf(store.get().info);

  const slice = () => store.get().inputs;
  const setSlice = (partial) => store.set({inputs: {...slice(), ...partial}});
  const setTab = (tab, partial) => setSlice({[tab]: {...slice()[tab], ...partial}});
  setSlice({tab: store.get().settings.tab, drawn: null, ...EMPTY_TABS});

  const ready = () => Boolean(store.get().info) && store.get().status !== 'loading';
  const twoD = () => store.get().info?.layer_sizes?.[0] === 2;
  const context = () => ({info: store.get().info, settings: store.get().settings, snapshot: store.get().snapshot,
    drawn: slice().drawn, previous: slice()});

  function call(name, args, {follow = false, force = false} = {}) {
    const {op, followMs} = INPUT_OPS[name];
    return scheduler.request(op, args, {key: 'inputs:' + name, throttleMs: follow ? followMs : 0,
      force: force || !follow, replace: !follow});
  }

  /** What a view of `tab` draws: its slice entry plus the model description it needs. */
  function dataFor(tab) {
    const {info, snapshot, progress} = store.get();
    const data = {...slice()[tab], info, snapshot, drawn: Boolean(slice().drawn)};
    if (tab === 'hidden') data.progress = progress;
    if (tab === 'plane' && info && !twoD()) {
      data.unavailable = `The input plane needs a dataset with 2 input features (circle, xor, gaussians, spiral); ` +
        `${info.dataset} has ${info.layer_sizes[0]}.`;
    }
    return data;
  }

  function push(tab) {
    if (!attached[tab].size) return;
    const data = dataFor(tab);
    for (const {view} of attached[tab]) view.update(data);
  }

  function persist(partial) {
    const settings = store.get().settings, changed = {};
    for (const [key, value] of Object.entries(partial)) {
      if (JSON.stringify(settings[key]) !== JSON.stringify(value)) changed[key] = value;
    }
    if (Object.keys(changed).length) app.configure(changed).catch(() => {});
  }

  /**
   * Fetch `tab`'s content for `args` merged into its latest request (missing parts keep it;
   * the first request of a model starts from the defaults). Resolves with the engine's answer.
   */
  async function run(tab, args = {}, how = {}) {
    const ctx = context(), base = slice()[tab].request || defaultRequest(tab, ctx);
    const request = mergeRequest(tab, base, args, ctx);
    // The default target is the strongest weight into the answer, known only once answered.
    const guessed = tab === 'perturb' && !request.target && request.value == null && !request.silence;
    if (guessed) request.target = strongestTarget(ctx);
    const wire = wireRequest(tab, request, ctx);
    const mine = generation;
    started.add(tab);
    setTab(tab, {request, ...(tab === 'hidden' && request.method === 'tsne' ? {pending: {...request, since: performance.now()}} : {})});
    if (tab === 'hidden') push(tab);
    try {
      const result = await call(TAB_CALLS[tab], wire, how);
      if (mine === generation) accept(tab, request, wire, result);
      if (guessed && mine === generation && result.original.pred !== request.target.j) return run(tab, {target: 'strongest'}, how);
      return result;
    } catch (error) {
      if (mine === generation && !error.cancelled) { setTab(tab, {error: String(error.message || error), pending: null}); push(tab); }
      throw error;
    }
  }

  function accept(tab, request, wire, result) {
    const extra = {};
    if (tab === 'pour') {
      const old = slice().pour, same = old.result && old.result.a.join() === result.a.join() && old.result.b.join() === result.b.join();
      const kept = same && old.selected && old.selected.column <= result.layers.length ? old.selected : null;
      extra.selected = kept || bestNeuron(result);
    }
    if (tab === 'hidden') {
      if (result.inputs) { extra.inputs = result.inputs; extra.inputsKey = inputsKey(store.get().info, request); }
      extra.step = store.get().snapshot?.step ?? 0;
      extra.seconds = slice().hidden.pending ? (performance.now() - slice().hidden.pending.since) / 1000 : null;
      extra.pending = null;
    }
    setTab(tab, {result, error: null, ...extra});
    persist(persistedSettings(tab, request, result));
    push(tab);
  }

  /** The drawn pixels are what the network sees: remember them and classify them. */
  async function classifyDrawn(pixels, how = {}, pad = undefined) {
    const mine = generation;
    setSlice({drawn: pixels});
    setTab('draw', {pixels, ...(pad ? {pad} : {}), note: pad ? slice().draw.note : null});
    push('draw');
    try {
      const result = await call('classify', {input: {x: Array.from(pixels)}}, how);
      if (mine === generation && slice().drawn === pixels) { setTab('draw', {result, error: null}); push('draw'); }
      return result;
    } catch (error) {
      if (mine === generation && !error.cancelled) { setTab('draw', {error: String(error.message || error)}); push('draw'); }
      throw error;
    }
  }

  /** Put pixels on the drawing pad (as they are: what the network sees) and classify them. */
  function draw(values, note = null) {
    const shape = store.get().info?.image_shape;
    if (!shape) return Promise.reject(new Error('drawing needs an image dataset'));
    const n = shape[0] * shape[1];
    if (!values || values.length !== n) return Promise.reject(new Error(`draw needs ${n} pixel values, got ${values ? values.length : 0}`));
    const pixels = Float32Array.from(values, (v) => Math.min(1, Math.max(0, Number(v) || 0)));
    setTab('draw', {note});
    return classifyDrawn(pixels, {}, pixels);
  }

  async function load({class: label, nth = 0}) {
    try {
      const got = await call('getInput', {input: {class: label, nth}});
      const names = store.get().info?.class_names ?? [];
      await draw(got.x.data, `Loaded validation sample #${got.input.index} (a ${names[got.input.label] ?? got.input.label}); paint or erase to edit it.`);
    } catch (error) {
      if (!error.cancelled) { setTab('draw', {error: String(error.message || error)}); push('draw'); }
    }
  }

  /** Choose the neuron the pour view details (a click in the view or on the network). */
  function select(column, index) {
    const result = slice().pour.result;
    if (!result || column < 1 || column > result.layers.length) return;
    setTab('pour', {selected: {column, index}});
    push('pour');
  }

  /** Refresh one tab with its latest request (no request yet: nothing to follow). */
  function refresh(tab, how) {
    const entry = slice()[tab];
    if (tab === 'draw') { if (entry.pixels) classifyDrawn(entry.pixels, how).catch(() => {}); return; }
    if (tab === 'plane' && !twoD()) return;
    if (!entry.request) return;
    if (tab === 'hidden' && entry.request.method !== 'pca') return;  // t-SNE runs on demand only
    run(tab, {}, how).catch(() => {});
  }

  /** A tab is shown: draw what there is, or ask for its default content once per model. */
  function wake(tab) {
    if (!ready()) return;
    const entry = slice()[tab];
    if (!entry.result && !started.has(tab) && tab !== 'draw' && (tab !== 'plane' || twoD())) {
      run(tab).catch(() => {});
    }
    push(tab);
  }

  const shown = (tab) => [...attached[tab]].some((a) => a.active());
  const following = (tab) => [...attached[tab]].some((a) => a.active() && a.onScreen());
  const wakeShown = () => Object.keys(attached).forEach((tab) => shown(tab) && wake(tab));

  function reset() {
    generation++;
    started = new Set();
    setSlice({drawn: null, ...EMPTY_TABS});
  }

  store.subscribe((state, changed) => {
    if (changed.includes('info') && state.info) {
      const key = keyOf(state.info);
      if (key !== modelKey) { if (modelKey !== null) reset(); modelKey = key; }
    }
    if (changed.includes('info') || changed.includes('status')) wakeShown();
  });
  app.on('snapshot', () => {
    const training = store.get().status === 'training';
    for (const tab of Object.keys(attached)) {
      if ((training || tab === 'plane') && following(tab)) refresh(tab, {follow: true});
    }
  });
  app.on('status', (status) => {
    if (status !== 'paused') return;
    for (const tab of Object.keys(attached)) if (shown(tab)) refresh(tab, {follow: true, force: true});
  });
  store.subscribe((state, changed) => {  // t-SNE's progress line follows the package loading
    if (changed.includes('progress') && slice().hidden.pending) push('hidden');
  });

  return {
    run, draw, select, refresh,
    /** Classify one input: a validation index, an array of pixels, or an input spec. */
    classify: (input) => app.request('classify_input', {input: inputSpec(input)}),
    /** Open `tab` (the page's Explore-inputs panel keeps one open). */
    show(tab) { setSlice({tab}); persist({tab}); wake(tab); },
    /**
     * Feed `view` (the view contract, plus on(event, fn)) with `tab`'s data. active(): it is
     * shown (gets its default content, a last refresh on pause); onScreen(): it follows training.
     * Returns detach().
     */
    attach(tab, view, {active = () => true, onScreen = () => true} = {}) {
      const entry = {view, active, onScreen};
      attached[tab].add(entry);
      const offs = [
        view.on('request', (args) => run(tab, args).catch(() => {})),
        view.on('draw', (pixels) => classifyDrawn(pixels).catch(() => {})),
        view.on('load', (which) => load(which)),
        view.on('select', ({column, index}) => select(column, index)),
        view.on('position', (position) => setTab(tab, {position})),
      ];
      if (active()) wake(tab);
      return () => { attached[tab].delete(entry); offs.forEach((off) => off()); };
    },
    wake,
  };
}

const inputSpec = (input) => (input == null ? {index: 0} : typeof input === 'number' ? {index: input}
  : ArrayBuffer.isView(input) || Array.isArray(input) ? {x: Array.from(input)}
    : input.x ? {...input, x: Array.from(input.x)} : input);

// ---- Requests: each tab's defaults (from the URL settings), how a choice merges into the
// latest request, what goes over the wire, and which choices are saved in the URL.

const POINTS = {pca: 1000, tsne: 500};   // hidden space: validation samples per method

/** The default request of `tab` for the current model and URL settings. */
function defaultRequest(tab, {info, settings: s, snapshot}) {
  const n = info?.class_names?.length ?? 10, L = (info?.layer_sizes?.length ?? 2) - 1;
  const classes = (list, fallback) => { const valid = (list || []).filter((k) => k < n); return valid.length ? valid : [fallback]; };
  switch (tab) {
    case 'morph': return {from: {class: s.morph_from < n ? s.morph_from : 0, nth: 0},
      to: {class: s.morph_to < n ? s.morph_to : Math.min(1, n - 1), nth: 0}, steps: 50, path: s.morph_path};
    case 'pour': return {a: classes(s.pour_a, 0), b: classes(s.pour_b, Math.min(1, n - 1)), n: s.pour_n};
    case 'perturb': {
      // The input: the network view's probe sample when one is chosen, else validation #0.
      const probe = s.probe, index = typeof probe === 'number' && snapshot?.probe?.index ? snapshot.probe.index.data[probe] ?? 0 : 0;
      return {target: null, value: null, silence: false, input: {index}};
    }
    case 'hidden': return {layer: Math.min(s.proj_layer, L), method: 'pca', n: POINTS.pca};
    case 'plane': return {grid: 64, neuron_grid: 24, points: 400};
    default: return {};
  }
}

/** An endpoint or input as the engine reads it: a class number, 'drawn', or an input spec. */
const asSpec = (v) => (typeof v === 'number' ? {class: v} : v && v.x && !Array.isArray(v.x) ? {...v, x: Array.from(v.x)} : v);

/** `args` (a user's choice or an API call) over the latest request `base`. */
function mergeRequest(tab, base, args, ctx) {
  switch (tab) {
    case 'morph': return {from: asSpec(args.from ?? base.from), to: asSpec(args.to ?? base.to),
      steps: args.steps ?? base.steps, path: args.path ?? base.path};
    case 'pour': return {a: args.a ?? base.a, b: args.b ?? base.b, n: args.n ?? base.n};
    case 'perturb': {
      const next = {...base};
      if (args.target) {   // a new target starts from its trained value
        next.target = args.target === 'strongest' ? strongestTarget(ctx) : {...args.target};
        next.value = null;
        next.silence = false;
      }
      if (args.value !== undefined) next.value = args.value;
      if (args.silence !== undefined) next.silence = Boolean(args.silence);
      if (args.input !== undefined) next.input = args.input;
      return next;
    }
    case 'hidden': {
      const method = args.method ?? base.method;
      return {layer: args.layer ?? base.layer, method, n: args.n ?? POINTS[method] ?? base.n};
    }
    case 'plane': return {grid: args.grid ?? base.grid, neuron_grid: args.neuron_grid ?? base.neuron_grid, points: args.points ?? base.points};
    default: return {...base, ...args};
  }
}

/** The strongest weight into the current answer (the perturb tab's default target). */
function strongestTarget({snapshot, previous}) {
  const layers = snapshot?.layers;
  if (!layers?.length) return {layer: 0, kind: 'bias', j: 0};
  const L = layers.length, W = layers[L - 1].W, [nIn, nOut] = W.shape;
  const j = previous.perturb.result ? previous.perturb.result.perturbed.pred : 0;
  let best = 0;
  for (let i = 0; i < nIn; i++) if (Math.abs(W.data[i * nOut + j]) > Math.abs(W.data[best * nOut + j])) best = i;
  return {layer: L - 1, kind: 'weight', i: best, j};
}

/** The pour tab's first detailed neuron: the most selective one of the first hidden layer. */
function bestNeuron(result) {
  const sel = result.layers[0].selectivity.data;
  let best = 0;
  for (let k = 1; k < sel.length; k++) if (Math.abs(sel[k]) > Math.abs(sel[best])) best = k;
  return {column: 1, index: best};
}

const inputsKey = (info, request) => `${info?.dataset}:${request.n}`;

/** The engine call's arguments for `request` ('drawn' becomes the drawn pixels). */
function wireRequest(tab, request, {drawn, info, previous}) {
  const pixels = () => ({x: Array.from(drawn || [])});
  if (tab === 'morph') return {...request, from: request.from === 'drawn' ? pixels() : request.from, to: request.to === 'drawn' ? pixels() : request.to};
  if (tab === 'perturb') return {...request, input: request.input === 'drawn' ? pixels() : request.input};
  if (tab === 'hidden') {
    // The inputs (for the hover thumbnails) travel once per dataset and sample count.
    const wire = {...request, with_inputs: previous.hidden.inputsKey !== inputsKey(info, request)};
    if (request.method === 'tsne') wire.packages = ['scikit-learn'];
    return wire;
  }
  return request;
}

/** The choices of `tab` that live in the URL. */
function persistedSettings(tab, request, result) {
  if (tab === 'morph') {
    const saved = {morph_path: request.path};
    if (request.from?.class != null) saved.morph_from = request.from.class;
    if (request.to?.class != null) saved.morph_to = request.to.class;
    return saved;
  }
  if (tab === 'pour') return {pour_a: result.a, pour_b: result.b, pour_n: Math.min(1000, request.n)};
  if (tab === 'hidden') return {proj_layer: Math.min(9, request.layer)};
  return {};
}
