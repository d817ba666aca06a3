// The swarm data source: a population of networks trained side by side (the in-page executor,
// app/swarm/executor.js, over a pool of engine workers, app/swarm/pool.js), or a swarm's recorded
// stream (a JSON-lines file) or live stream (Server-Sent Events) -- the same records either way
// (py/glassbox/swarm/stream.py). It keeps ONE slice of the one store, `swarm`:
//
//   {status,    'idle' | 'starting' | 'running' | 'paused' | 'stopped' | 'done' | 'error' |
//               'playing-file' (a recorded stream is shown) | 'live' (a live stream is connected)
//    state,     the views' swarm state (state/swarm-state.js: emptySwarm/addRecords/parseStream);
//               grown in place as records arrive, so `version` counts its changes
//    version,   +1 on every change of `state` (views redraw when it moves)
//    selected,  the member highlighted in every swarm view (null: none)
//    error,     the last problem, named (a bad stream line, a lost connection, a crashed worker)
//    workers,   [{name, alive, members}] of the page's pool ([] before the first start)
//    stats,     {round, members, totalSteps, stepsPerSecond, roundMs}
//    progress,  a line while the pool starts, else ''
//    log}       the executor's own notes (crashed workers, recreated members), newest last
//
// One source per app (swarmSource(app)), made on first use: the page's Swarm section, swarm views
// mounted alone and window.glassbox.swarm share it. The executor is the only caller of the pool.
import {createExecutor} from '../swarm/executor.js';
import {createPool} from '../swarm/pool.js';
import {summarise, countsOf} from '../swarm/summary.js';
import {emptySwarm, addRecords, parseStream} from '../../state/swarm-state.js';

export const EMPTY_SWARM_SLICE = Object.freeze({status: 'idle', state: null, version: 0, selected: null, error: null, workers: [],
  stats: {round: 0, members: 0, totalSteps: 0, stepsPerSecond: null, roundMs: null}, progress: '', log: []});
const START_KEYS = ['size', 'space', 'goals', 'rounds', 'stepsPerRound', 'seed', 'dataset', 'options'];
const LOG_MAX = 200;

const sources = new WeakMap();
const adopters = new WeakMap();

/** The one swarm source of `app` (window.glassbox), created on first use. */
export function swarmSource(app) {
  if (!sources.has(app)) sources.set(app, createSwarmSource(app));
  return sources.get(app);
}

/** api.js hands over how the main run becomes a member: fn(state, config) -> main's state(). */
export function provideAdopt(app, fn) { adopters.set(app, fn); }

/** Text that is a URL (one line, no record in it) rather than a stream; empty text is a (bad)
 *  stream, not the page's own address. */
const looksLikeUrl = (text) => text.trim() !== '' && !/[\n{]/.test(text.trim());

function createSwarmSource(app) {
  const store = app.store;
  const slice = () => store.get().swarm || EMPTY_SWARM_SLICE;
  const patch = (partial) => store.set({swarm: {...slice(), ...partial}});
  let executor = null, pool = null, live = null, pending = [], flushTimer = null;
  const defaults = {size: 16, goals: null};
  const log = (line) => patch({log: [...slice().log, line].slice(-LOG_MAX)});

  /** Show `state` (a new swarm), or grow the one shown by `batch` (a 'swarm' header starts anew). */
  function show(state) {
    patch({state, version: slice().version + 1, selected: null, stats: {...slice().stats, ...countsOf(state)}});
  }
  function accept(batch) {
    if (!batch.length) return;
    const at = batch.map((r) => r.type).lastIndexOf('swarm');
    let state = slice().state;
    if (at >= 0 || !state) { state = emptySwarm(); batch = batch.slice(Math.max(0, at)); }
    addRecords(state, batch);
    const fresh = state !== slice().state;
    patch({state, version: slice().version + 1, ...(fresh ? {selected: null} : {}), stats: {...slice().stats, ...countsOf(state)}});
  }

  function ensureExecutor() {
    if (executor) return executor;
    pool = createPool({
      onProgress: (line) => patch({progress: line}),
      onCrash: (worker, error) => { executor.recover(worker, error).catch((e) => patch({error: e.message})); },
    });
    executor = createExecutor({
      pool,
      onRecords: (batch) => {
        try { accept(batch); } catch (error) { patch({error: `The swarm sent a record this page cannot read: ${error.message}`}); }
      },
      onStatus: ({status, round, stepsPerSecond, roundMs, error, workers}) => {
        if (live || slice().status === 'playing-file') return;  // a stream is shown: keep its status
        patch({status, workers, error: error ?? slice().error, progress: status === 'starting' ? slice().progress : '',
          stats: {...slice().stats, round, stepsPerSecond, roundMs}});
      },
      onLog: log,
    });
    return executor;
  }

  function disconnect() {
    if (live) { live.close(); live = null; }
    clearTimeout(flushTimer);
    pending = [];
  }

  /** swarm.start options -> the controller's swarm_start arguments. `dataset` overrides the space's. */
  function startArgs(options) {
    const unknown = Object.keys(options).filter((k) => !START_KEYS.includes(k));
    if (unknown.length) throw new Error(`swarm.start: unknown option(s) ${unknown.join(', ')}; use ${START_KEYS.join(', ')}`);
    const tables = app.tables.swarm || {};
    let space = options.space ?? null;
    if (typeof space === 'string') {
      if (!tables.spaces || !Object.hasOwn(tables.spaces, space)) {
        throw new Error(`swarm.start: unknown search space "${space}"; use ${Object.keys(tables.spaces || {}).join(', ') || 'none (tables.json has no swarm spaces)'}`);
      }
      space = tables.spaces[space];
    }
    if (options.dataset) space = {...(space || tables.spaces?.[tables.default_space] || {}), dataset: options.dataset};
    const size = options.size ?? defaults.size;
    const max = tables.max_size || 64;
    if (!Number.isInteger(size) || size < 2 || size > max) throw new Error(`swarm.start: size must be a whole number from 2 to ${max}, got ${size}`);
    const args = {size, space};
    const goals = options.goals ?? defaults.goals;
    if (goals) args.goals = goals;
    if (options.rounds != null) args.rounds = options.rounds;
    if (options.stepsPerRound != null) args.steps_per_round = options.stepsPerRound;
    if (options.seed != null) args.seed = options.seed;
    if (options.options) args.options = options.options;
    return args;
  }

  const source = {
    /** The store slice (EMPTY_SWARM_SLICE until the first change). */
    state: slice,
    /** fn(slice) on every change of the slice; returns the unsubscribe function. */
    subscribe: (fn) => store.subscribe((state, changed) => { if (changed.includes('swarm')) fn(slice()); }),
    /** A plain summary for window.glassbox.swarm.state(): round, members, events, rounds, status. */
    summary() {
      const s = summarise(slice().state, (id) => executor?.config(id) ?? null);
      return {status: slice().status, error: slice().error, selected: slice().selected, workers: slice().workers,
        stats: slice().stats, log: slice().log.slice(), ...s};
    },

    /** Start a swarm in this page (size, space, goals, rounds, stepsPerRound, seed). */
    async start(options = {}) {
      const args = startArgs(options);
      await app.ready;
      disconnect();
      if (slice().status === 'playing-file') patch({status: 'idle'});
      patch({error: null, log: []});
      show(emptySwarm());
      await ensureExecutor().start(args);
      return source.summary();
    },
    pause() { executor?.pause(); return source.summary(); },
    resume() { executor?.resume(); return source.summary(); },
    async stop() { if (executor) await executor.stop(); return source.summary(); },
    /** Change the goals and the population size of the running swarm (a resize breeds members
     *  in or culls them out between rounds), and of the next one. Resolves {goals, options, size}. */
    async configure({goals, size, options} = {}) {
      if (size != null) {
        const max = app.tables.swarm?.max_size || 64;
        if (!Number.isInteger(size) || size < 2 || size > max) throw new Error(`swarm.configure: size must be a whole number from 2 to ${max}, got ${size}`);
        defaults.size = size;
      }
      if (goals) defaults.goals = {...(defaults.goals || {}), ...goals};
      const running = executor && ['running', 'paused'].includes(executor.status);
      if (!running) return {goals: defaults.goals, options: options || null, size: defaults.size};
      const args = {...(goals ? {goals} : {}), ...(options ? {options} : {}), ...(size != null ? {size} : {})};
      const {actions, ...answer} = await executor.configure(args);
      return answer;
    },
    /** True when member `id` lives in this page's swarm (so select() can open it). */
    canOpen: (id) => Boolean(executor?.has(id)) && !live && slice().status !== 'playing-file',
    /** Show a problem in the swarm's error line (the section's controls use it). */
    fail(error) { patch({error: String(error?.message || error)}); },
    /** Highlight a member in every swarm view (null: none). */
    highlight(id) { patch({selected: id ?? null}); },
    /** Open member `id` in the main views: its state from its worker, 'adopt' on the main engine. */
    async select(id) {
      source.highlight(id);
      if (!source.canOpen(id)) {
        throw new Error(`swarm member "${id}" is not alive in this page's swarm` +
          (slice().status === 'playing-file' || live ? ' (a recorded or live stream describes members but has no weights to open)' : ''));
      }
      const adopt = adopters.get(app);
      if (!adopt) throw new Error('this page cannot open a swarm member in its main views');
      const {state, config, dataSeed} = await executor.member(id);
      return adopt(state, config, dataSeed);
    },

    /** Show a recorded stream: its text, or a URL to fetch. Errors name the problem; what was
     *  shown stays. */
    async load(textOrUrl) {
      let text = String(textOrUrl ?? '');
      let what = 'the stream';
      try {
        if (looksLikeUrl(text)) {
          what = text;
          const response = await fetch(new URL(text, document.baseURI).href);
          if (!response.ok) throw new Error(`could not load ${text}: HTTP ${response.status}`);
          text = await response.text();
        }
        const state = parseStream(text);
        if (!state.members.length && !state.rounds.length) throw new Error('it holds no member or round records');
        if (executor && ['running', 'paused', 'starting'].includes(executor.status)) await executor.stop();
        disconnect();
        show(state);
        patch({status: 'playing-file', error: null});
        return source.summary();
      } catch (error) {
        const message = `Could not show ${what}: ${error.message}`;
        patch({error: message});
        throw new Error(message);
      }
    },

    /** Follow a live stream (Server-Sent Events; each message's data is one record). */
    connect(url) {
      disconnect();
      return new Promise((resolve, reject) => {
        let opened = false;
        try {
          live = new EventSource(new URL(url, document.baseURI).href);
        } catch (error) {
          const message = `Could not connect to ${url}: ${error.message}`;
          patch({error: message});
          reject(new Error(message));
          return;
        }
        const stream = live;
        let line = 0;
        stream.onopen = () => {
          if (!opened) { opened = true; patch({status: 'live', error: null}); show(emptySwarm()); resolve(source.summary()); }
        };
        stream.onmessage = (event) => {
          line++;
          let record;
          try {
            record = JSON.parse(event.data);
            if (!record || !['swarm', 'member', 'round', 'end'].includes(record.type)) throw new Error('not a swarm record (type must be swarm, member, round or end)');
          } catch (error) {
            patch({error: `live stream ${url}, message ${line}: ${error.message}`});
            return;
          }
          pending.push(record);
          flushTimer = flushTimer || setTimeout(() => {
            flushTimer = null;
            const batch = pending; pending = [];
            try { accept(batch); } catch (error) { patch({error: `live stream ${url}: ${error.message}`}); }
          }, 50);
        };
        stream.onerror = () => {
          if (stream !== live) return;
          if (slice().state?.ended || pending.some((r) => r.type === 'end')) {
            // The server closes the stream after its 'end' record: the swarm is over, nothing failed.
            stream.close();
            live = null;
            patch({status: 'done', error: null});
            return;
          }
          const closed = stream.readyState === EventSource.CLOSED;
          const message = closed ? `The live stream ${url} could not be reached or closed` : `The live stream ${url} dropped; reconnecting…`;
          patch({error: message, status: closed ? 'stopped' : 'live'});
          if (closed) { live = null; if (!opened) reject(new Error(message)); }
        };
      });
    },
    disconnect() { disconnect(); if (slice().status === 'live') patch({status: 'stopped'}); },
  };
  return source;
}
