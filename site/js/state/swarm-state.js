// The swarm stream read into one plain state object, and the few derived quantities the swarm
// views share. Pure: no DOM, no engine, no D3, so node and the page read a stream the same way.
// The records themselves are defined once in py/glassbox/swarm/stream.py.
//
// State (what emptySwarm() returns and addRecord() grows):
//   {id, header: the 'swarm' record or null, round, time, ended: the 'end' record or null,
//    notes: [things worth saying about the stream, e.g. that it had no header],
//    members: [{id, parents, alive, culledRound, round, time, config: {...architecture, ...hyperparameters},
//               fitness, raw_fitness, share, steps, allocated, metrics, resources, flags, layers, loss,
//               history: [{round, time, step, steps, allocated, fitness, share, metrics, resources, loss, layers, config}]}],
//    rounds: [{round, time, allocation, shares, diversity, best, total_steps, similarity, events}],
//    events: [every round record's events, in stream order]}
// Members keep the order in which they first appeared, so colours and rows stay put.
// Events are read from round records only: member records repeat their own events, and taking
// both would count each event twice.

const RECORD_TYPES = ['swarm', 'member', 'round', 'end'];
export const EVENT_KINDS = ['created', 'exploited', 'explored', 'bred', 'culled', 'flagged'];
export const SIMILARITY_KINDS = ['architecture', 'hyperparameters', 'function', 'combined'];
export const STREAM_VERSION = 1;

// Members are found by id on every record; a Map that JSON and structuredClone skip keeps it O(1).
const INDEX = Symbol('members by id');

export function emptySwarm() {
  const state = {id: null, header: null, round: null, time: null, ended: null, notes: [], members: [], rounds: [], events: []};
  Object.defineProperty(state, INDEX, {value: new Map(), enumerable: false});
  return state;
}

function indexOf(state) {
  if (!state[INDEX]) {
    Object.defineProperty(state, INDEX, {value: new Map(state.members.map((m) => [m.id, m])), enumerable: false});
  }
  return state[INDEX];
}

function newMember(id) {
  return {id, parents: [], alive: true, culledRound: null, round: null, time: null, config: {},
    fitness: null, raw_fitness: null, share: null, steps: null, allocated: null, metrics: {}, resources: {},
    flags: [], layers: [], loss: null, history: []};
}

/** The member with this id, created (alive, no data yet) when the stream has not named it before. */
export function memberOf(state, id) {
  const index = indexOf(state);
  let member = index.get(id);
  if (!member) {
    member = newMember(id);
    index.set(id, member);
    state.members.push(member);
  }
  return member;
}

export const memberById = (state, id) => indexOf(state).get(id) ?? null;

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const arr = (v) => (Array.isArray(v) ? v : []);

function advance(state, record) {
  const round = num(record.round), time = num(record.time);
  if (round != null && (state.round == null || round > state.round)) state.round = round;
  if (time != null && (state.time == null || time > state.time)) state.time = time;
}

/** Replace the entry for `round` if the list already ends with it (a resent record), else append. */
function putRound(list, entry) {
  const last = list[list.length - 1];
  if (last && last.round === entry.round && entry.round != null) list[list.length - 1] = entry;
  else list.push(entry);
}

function addMember(state, r) {
  if (r.member == null) throw new Error("a 'member' record needs 'member' (its id)");
  const m = memberOf(state, String(r.member));
  const round = num(r.round);
  if (!m.alive && m.culledRound != null && round != null && round > m.culledRound) { m.alive = true; m.culledRound = null; }
  if (Array.isArray(r.parents) && (r.parents.length || !m.parents.length)) m.parents = r.parents.map(String);
  m.round = round; m.time = num(r.time);
  m.config = {...obj(r.architecture), ...obj(r.hyperparameters)};
  m.fitness = num(r.fitness); m.raw_fitness = num(r.raw_fitness); m.share = num(r.share);
  m.steps = num(r.step); m.allocated = num(r.allocated);
  m.metrics = obj(r.metrics); m.resources = obj(r.resources);
  m.flags = arr(r.flags); m.layers = arr(r.layers); m.loss = r.loss && typeof r.loss === 'object' ? r.loss : null;
  putRound(m.history, {round, time: m.time, step: m.steps, steps: m.steps, allocated: m.allocated, fitness: m.fitness,
    share: m.share, metrics: m.metrics, resources: m.resources, loss: m.loss, layers: m.layers, config: m.config});
}

function addRound(state, r) {
  const events = arr(r.events).filter((e) => e && typeof e === 'object');
  putRound(state.rounds, {round: num(r.round), time: num(r.time), allocation: obj(r.allocation), shares: obj(r.shares),
    diversity: num(r.diversity), best: r.best ?? null, total_steps: num(r.total_steps), similarity: obj(r.similarity), events});
  // The round's allocation may name members whose records went missing: they still exist.
  for (const id of Object.keys(obj(r.allocation))) memberOf(state, id);
  for (const e of events) {
    const event = {...e, round: num(e.round) ?? num(r.round), from: arr(e.from).map(String)};
    if (event.member != null) event.member = String(event.member);
    state.events.push(event);
    if (event.member == null) continue;
    const m = memberOf(state, event.member);
    if (event.kind === 'culled') { m.alive = false; m.culledRound = event.round; }
    if ((event.kind === 'bred' || event.kind === 'created') && event.from.length && !m.parents.length) m.parents = event.from;
  }
}

/** Read one record into `state` (mutated and returned). Throws on a record that is not one. */
export function addRecord(state, record) {
  if (!record || typeof record !== 'object' || Array.isArray(record)) throw new Error('a swarm record must be a JSON object');
  if (!RECORD_TYPES.includes(record.type)) {
    throw new Error(`unknown record type ${JSON.stringify(record.type ?? null)} (expected one of ${RECORD_TYPES.join(', ')})`);
  }
  if (record.v != null && record.v > STREAM_VERSION && !state.notes.some((n) => n.startsWith('stream version'))) {
    state.notes.push(`stream version ${record.v} is newer than this reader's (${STREAM_VERSION}): unknown fields are ignored`);
  }
  if (record.type === 'swarm') { state.header = record; state.id = record.id ?? null; return state; }
  advance(state, record);
  if (record.type === 'member') addMember(state, record);
  else if (record.type === 'round') addRound(state, record);
  else state.ended = record;
  return state;
}

export function addRecords(state, records) {
  for (const record of records) addRecord(state, record);
  return state;
}

/** A whole stream's text (JSON lines) as state; Error('swarm stream line N: …') names the first bad line. */
export function parseStream(text) {
  if (typeof text !== 'string' || !text.trim()) throw new Error('the swarm stream is empty');
  const state = emptySwarm();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    let record;
    try { record = JSON.parse(lines[i]); } catch (err) { throw new Error(`swarm stream line ${i + 1}: not JSON (${err.message})`); }
    try { addRecord(state, record); } catch (err) { throw new Error(`swarm stream line ${i + 1}: ${err.message}`); }
  }
  if (!state.header) state.notes.push("the stream has no 'swarm' header line: dataset, goals and options are unknown");
  return state;
}

// ---------------------------------------------------------------- metrics the views share

const pct = (v) => `${(100 * v).toFixed(1)} %`;
const fixed = (digits) => (v) => v.toFixed(digits);
const general = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(+v.toPrecision(3)));
const integer = (v) => Math.round(v).toLocaleString('en-US');
const bytes = (v) => (v >= 1048576 ? `${(v / 1048576).toFixed(1)} MB` : v >= 1024 ? `${(v / 1024).toFixed(1)} kB` : `${Math.round(v)} B`);
const points = (v) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)} pts`;

// accessor(record): record is a member (its latest record) or one of its history entries.
export const METRICS = [
  {key: 'val_accuracy', label: 'validation accuracy', short: 'val acc', accessor: (r) => r.metrics?.val_accuracy, format: pct, higherIsBetter: true},
  {key: 'val_loss', label: 'validation loss', short: 'val loss', accessor: (r) => r.metrics?.val_loss, format: general, higherIsBetter: false},
  {key: 'macro_f1', label: 'macro F1', short: 'macro F1', accessor: (r) => r.metrics?.macro_f1, format: fixed(3), higherIsBetter: true},
  {key: 'train_accuracy', label: 'training accuracy', short: 'train acc', accessor: (r) => r.metrics?.train_accuracy, format: pct, higherIsBetter: true},
  {key: 'gap', label: 'train − validation accuracy gap', short: 'gap', accessor: (r) => r.metrics?.gap, format: points, higherIsBetter: false},
  {key: 'fitness', label: 'fitness', short: 'fitness', accessor: (r) => r.fitness, format: fixed(3), higherIsBetter: true},
  {key: 'raw_fitness', label: 'fitness before the diversity penalty', short: 'raw fitness', accessor: (r) => r.raw_fitness, format: fixed(3), higherIsBetter: true},
  {key: 'share', label: 'share of compute', short: 'share', accessor: (r) => r.share, format: pct, higherIsBetter: true},
  {key: 'allocated', label: 'steps allocated this round', short: 'allocated', accessor: (r) => r.allocated, format: integer, higherIsBetter: true},
  {key: 'steps', label: 'optimiser steps so far', short: 'steps', accessor: (r) => r.steps ?? r.step, format: integer, higherIsBetter: true},
  {key: 'loss', label: 'last minibatch loss', short: 'loss', accessor: (r) => r.loss?.last, format: general, higherIsBetter: false},
  {key: 'ms_per_step', label: 'milliseconds per step', short: 'ms/step', accessor: (r) => r.resources?.ms_per_step, format: (v) => `${general(v)} ms`, higherIsBetter: false},
  {key: 'samples_per_s', label: 'samples per second', short: 'samples/s', accessor: (r) => r.resources?.samples_per_s, format: integer, higherIsBetter: true},
  {key: 'params', label: 'parameters', short: 'params', accessor: (r) => r.resources?.params ?? r.config?.params, format: integer, higherIsBetter: false},
  {key: 'bytes', label: 'memory (parameters + optimiser state)', short: 'memory', accessor: (r) => r.resources?.bytes, format: bytes, higherIsBetter: false},
];
const METRIC_BY_KEY = new Map(METRICS.map((m) => [m.key, m]));
export const metricInfo = (key) => METRIC_BY_KEY.get(key) ?? null;

const LAYER_STATS = {w_norm: 'weight norm', w_mean: 'mean weight', w_std: 'weight std', w_absmax: 'max |weight|', b_norm: 'bias norm'};

/** How to read a series from a record: a METRICS key, 'w_norm:0' (a layer summary) or 'w:0:5'
 *  (layer 0's weight 5, present only for layers small enough to carry their values). */
export function seriesInfo(series) {
  const metric = metricInfo(series);
  if (metric) return {...metric, value: (r) => num(metric.accessor(r))};
  const parts = String(series).split(':');
  const layerOf = (r, l) => arr(r.layers).find((x) => x && x.layer === l);
  if (parts[0] === 'w' && parts.length === 3) {
    const l = +parts[1], i = +parts[2];
    return {key: series, label: `layer ${l} weight #${i}`, short: `w[${l}][${i}]`, format: general, higherIsBetter: null,
      value: (r) => num(arr(layerOf(r, l)?.values)[i])};
  }
  if (LAYER_STATS[parts[0]] && parts.length === 2) {
    const l = +parts[1];
    return {key: series, label: `layer ${l} ${LAYER_STATS[parts[0]]}`, short: `${parts[0]} L${l}`, format: general, higherIsBetter: null,
      value: (r) => num(layerOf(r, l)?.[parts[0]])};
  }
  return null;
}

/** Series keys that the members' latest records can answer: metrics then per-layer summaries. */
export function availableSeries(state) {
  const layers = new Set();
  for (const m of state.members) for (const l of m.layers) if (l && Number.isInteger(l.layer)) layers.add(l.layer);
  const out = METRICS.map((m) => m.key);
  for (const l of [...layers].sort((a, b) => a - b)) for (const stat of Object.keys(LAYER_STATS)) out.push(`${stat}:${l}`);
  return out;
}

/** The value of metric `key` on a record, or null when it is missing or not finite. */
export const metricValue = (key, record) => (record ? seriesInfo(key)?.value(record) ?? null : null);

export function formatMetric(key, value) {
  if (value == null || !Number.isFinite(value)) return '—';
  return (seriesInfo(key)?.format ?? general)(value);
}

/** Ids of the non-dominated points: lower cost `x` and higher `y` are better. `x`, `y`: a field
 *  name or an accessor; points with a missing or non-finite coordinate take no part. */
export function paretoFront(points, {x, y}) {
  const get = (f) => (typeof f === 'function' ? f : (p) => p[f]);
  const gx = get(x), gy = get(y);
  const ok = points.map((p) => ({id: p.id, x: num(gx(p)), y: num(gy(p))})).filter((p) => p.x != null && p.y != null);
  ok.sort((a, b) => a.x - b.x || b.y - a.y);
  const front = [];
  let bestY = -Infinity, lastX = null;
  for (const p of ok) {
    // Equal points dominate nobody: keep ties (same x, same y as the current best) on the front.
    if (p.y > bestY || (p.y === bestY && p.x === lastX)) { front.push(p.id); bestY = p.y; lastX = p.x; }
  }
  return front;
}

/** Pairs at or above `threshold` of the latest round that reports `metric`: [{source, target, value}]. */
export function latestSimilarity(state, metric = 'combined', threshold = 0.8) {
  for (let i = state.rounds.length - 1; i >= 0; i--) {
    const pairs = state.rounds[i].similarity?.[metric];
    if (!Array.isArray(pairs)) continue;
    return pairs.filter((p) => Array.isArray(p) && p.length >= 3 && num(p[2]) != null && p[2] >= threshold && p[0] !== p[1])
      .map(([a, b, v]) => ({source: String(a), target: String(b), value: v, round: state.rounds[i].round}));
  }
  return [];
}

/** Lineage arrows parent -> child: 'bred' (each parent), 'exploited' (source -> target), from the events;
 *  members whose records name parents no event explains get 'parent' arrows. Newest round per pair. */
export function lineage(state) {
  const edges = new Map();
  const put = (source, target, kind, round) => {
    if (source == null || target == null || source === target) return;
    edges.set(`${kind}:${source}>${target}`, {source: String(source), target: String(target), kind, round});
  };
  for (const e of state.events) {
    if (e.kind === 'bred') e.from.forEach((p) => put(p, e.member, 'bred', e.round));
    else if (e.kind === 'exploited') e.from.slice(0, 1).forEach((p) => put(p, e.member, 'exploited', e.round));
  }
  const explained = new Set([...edges.values()].map((e) => `${e.source}>${e.target}`));
  for (const m of state.members) {
    for (const p of m.parents) if (!explained.has(`${p}>${m.id}`)) put(p, m.id, 'parent', m.history[0]?.round ?? null);
  }
  return [...edges.values()];
}

/** The `n` members with the highest fitness (alive first), best first. */
export function bestMembers(state, n = 3) {
  const f = (m) => m.fitness ?? -Infinity;
  return [...state.members].sort((a, b) => (b.alive - a.alive) || f(b) - f(a)).slice(0, n);
}
