/* Glassbox worker: owns Pyodide and the engine. Started as a classic worker for the offline
 * runtime (Pyodide 0.17's loader needs importScripts) and as a module worker for the modern one
 * (Pyodide 314 refuses classic workers), so this file uses no static import/export.
 * THE WORKER PROTOCOL, written down once:
 *
 * page -> worker   (the page's side: site/js/engine/client.js; every request is queued by
 *                    site/js/app/scheduler.js)
 *   {type: 'init', runtime, siteRoot, dataFiles}    start Pyodide, numpy and the engine; runtime
 *        is dist/runtime.json as written by build.py; siteRoot the built site's root URL (the
 *        engine zip, data/ and the Pyodide folder are resolved against it); dataFiles
 *        {dataset: packed file name} from dist/tables.json 'datasets' (the engine declares them)
 *   {type: 'request', id, op, packages?, args}       one engine call, answered by 'response';
 *        args: the op's arguments, nested so that none of them (type, id, op) can clobber the
 *        message's own fields (the engine gets {...args, op}).
 *   {type: 'request', id, op, packages?, blob}       the same call when its arguments hold arrays
 *        (typed arrays or {dtype, shape, data}, e.g. 'load_model' {spec}): blob is an ArrayBuffer,
 *        transferred, holding the whole request {op, ...args} in the glassbox.wire layout (packed by
 *        site/js/engine/wire.js; the engine reads it with protocol.handle(request_json, blob)).
 *        op: any op of the engine's ops table (glassbox.protocol; dist/tables.json 'ops' lists
 *            them with one line each): 'runtime', 'configure' {config}, 'set_lr' {lr}, 'snapshot',
 *            'evaluate', the analyses' ops, and for runs side by side 'fork' {run, changes,
 *            start}, 'rollback' {run, to}, 'drop_run', 'runs', 'health', 'health_history',
 *            'prune'; the swarm's ops (controller: 'swarm_start', 'swarm_plan', 'swarm_report',
 *            'swarm_configure', 'swarm_stop'; member host: 'member_create', 'member_train',
 *            'member_state', 'member_load', 'member_breed', 'member_drop'; 'adopt'). Every op
 *            takes an optional `run` (default 'main'). An op carrying `config.dataset` (or
 *            `dataset`) gets that dataset's packed file registered before it runs; 'load_model'
 *            gets every packed file (the engine picks the dataset from the model's input size),
 *            and so does 'load_run' {file} (a run file names its dataset inside the zip).
 *        packages: Pyodide packages the op needs (e.g. ['scikit-learn']), loaded on first use
 *            with 'progress' messages (phase 'packages'), so start-up never waits for them.
 *   {type: 'train', id, steps, chunk, delayMs, runs?}   train `steps` steps (null = until paused)
 *        in chunks of `chunk` steps, one snapshot per chunk, `delayMs` pause between chunks;
 *        answered by 'snapshot' messages, then one 'response' {step, stopped: 'done' |
 *        'paused' | 'diverged' | 'replaced', runs: {id: {step, stopped}}}.
 *        runs: run ids to train side by side (default ['main']; forks come from the 'fork' op);
 *        each gets `steps` steps; the next chunk always goes to the live run with the fewest
 *        steps so far. A run that diverges stops, the others go on; stopped is 'diverged'
 *        only when every run diverged. `step` is main's step (or the first run's).
 *   {type: 'pause'}                                 stop a running 'train' after its chunk
 *   {type: 'backend', id, backend}                  what trains the 'train' chunks: 'numpy' (the
 *        engine's 'train' op), 'wasm' or 'webgpu' (onnxruntime-web, engine/accel.js: the engine's
 *        'accel_*' ops hand each chunk's state and batches over and take the result back), or
 *        'auto' (wasm where it loads). Answered by 'response' {requested, name, threads, note}:
 *        note says why a request fell back (no WebGPU adapter, no cross-origin isolation, ...).
 *
 * worker -> page
 *   {type: 'progress', phase, label, fraction}      start-up steps: runtime, core, numpy,
 *        engine, data (fraction 0..1 of the whole start-up)
 *   {type: 'ready', runtime: {name, pyodide, python, numpy, reason}}
 *   {type: 'response', id, ok: true, buffer}        buffer: ArrayBuffer in glassbox.wire format
 *        (decode with site/js/engine/wire.js); its value is {ok, value} or {ok: false, error, kind}
 *   {type: 'snapshot', id, run, buffer}             one snapshot of run `run` during 'train'
 *        (same format; its value is the engine's 'train' answer: {step, diverged, snapshot, run,
 *        summary, alerts, divergence, health_ms})
 *   {type: 'backend', status}                       the backend changed by itself (onnxruntime
 *        failed mid-chunk: numpy trained that chunk and trains from now on; status.note says why)
 *   {type: 'fatal', message, phase}                 start-up failed or the runtime crashed;
 *        the page may terminate this worker and start a new one
 *   {type: 'beat'}                                  every second, from a JS timer: it fires only
 *        while the event loop is free (between chunks and requests), so silence means stuck or dead
 *   {type: 'busy', op, allowS}                      sent just before a synchronous call that may
 *        take long (an engine op, a training chunk, package loading): no beat comes until it
 *        returns; allowS is how long it may take before the page calls the engine stuck (60 s
 *        for an op, 300 s for t-SNE and package loading, a training chunk max(5 s, 3x the last
 *        chunk)). The page's side: site/js/engine/heartbeat.js (5 s of silence otherwise).
 * Every buffer is transferred, never copied; no Python proxy leaves this file.
 */
'use strict';

// The heartbeat (see the protocol above and site/js/engine/heartbeat.js).
setInterval(() => postMessage({type: 'beat'}), 1000);
const OP_ALLOW_S = 60;
const LONG_ALLOW_S = 300;     // t-SNE, package loading
let inChunk = false;          // a training chunk runs (set before it starts: its first call is synchronous)
let lastChunkMs = null;       // how long the last training chunk took (null: unknown, e.g. a new model)
const busy = (op, allowS) => postMessage({type: 'busy', op, allowS});
const chunkAllowS = () => (lastChunkMs == null ? OP_ALLOW_S : Math.max(5, Math.ceil(3 * lastChunkMs / 1000)));

let pyodide = null;
let handlePy = null;          // glassbox.protocol.handle(request_json, blob?) -> packed uint8 array
let registerDataPy = null;    // glassbox.protocol.register_data(file_name, bytes)
let runtime = null;
const registeredData = new Set();
let training = null;          // {id, stop: null | reason} while a 'train' runs
let inFlight = null;          // the chunk being trained (a promise), while one is

let dataFiles = {};            // dataset -> packed file name, from 'init' (tables.json 'datasets')
let siteRoot = null;          // the built site's root URL, from 'init'

function progress(phase, label, fraction) {
  postMessage({type: 'progress', phase, label, fraction});
}

async function fetchOk(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what} is missing from this build (${url}: HTTP ${response.status})`);
  return response;
}

async function start({runtime: runtimeSettings, siteRoot: root, dataFiles: files}) {
  runtime = runtimeSettings;
  siteRoot = root || new URL('../../', self.location.href).href;
  dataFiles = files || {};
  const indexURL = new URL(runtime.indexURL, siteRoot).href;
  if (runtime.missingWheels && runtime.missingWheels.length) {
    throw new Error(`This build selected the modern runtime (Pyodide ${runtime.pyodide}) but its ` +
      `package wheels are missing: ${runtime.missingWheels.join(', ')}. Rebuild where they can ` +
      `be downloaded, or run "python build.py build --runtime offline".`);
  }
  progress('core', `Loading Python (Pyodide ${runtime.pyodide})`, 0.05);
  let load;
  if (runtime.name === 'modern') {
    load = (await import(indexURL + 'pyodide.mjs')).loadPyodide;
  } else {
    importScripts(indexURL + 'pyodide.js');
    load = self.loadPyodide;
  }
  pyodide = await load({indexURL, stdout: () => {}, stderr: (t) => console.warn(t)});
  progress('numpy', 'Loading numpy', 0.55);
  await pyodide.loadPackage(['numpy']);
  // loadPackage logs failures instead of throwing; make a missing numpy a clear error.
  try {
    pyodide.runPython('import numpy');
  } catch (error) {
    throw new Error(`numpy could not be loaded from ${indexURL} (Pyodide ${runtime.pyodide}): its package ` +
      `is missing or broken in this build. Rebuild, or run "python build.py build --runtime offline".`);
  }
  progress('engine', 'Loading the Glassbox engine', 0.8);
  const zip = new Uint8Array(await (await fetchOk(new URL('py/glassbox.zip', siteRoot).href, 'the engine')).arrayBuffer());
  const install = pyodide.runPython(
    'def _install(blob):\n' +
    '    import sys\n' +
    '    data = bytes(blob.to_py() if hasattr(blob, "to_py") else blob)\n' +
    '    with open("/tmp/glassbox.zip", "wb") as f:\n' +
    '        f.write(data)\n' +
    '    sys.path.insert(0, "/tmp/glassbox.zip")\n' +
    '    import glassbox.protocol\n' +
    '    return glassbox.protocol\n' +
    '_install');
  const protocol = install(zip);
  install.destroy();
  handlePy = protocol.handle;
  registerDataPy = protocol.register_data;
  const info = JSON.parse(pyodide.runPython(
    'import json, sys, numpy\njson.dumps({"python": sys.version.split()[0], "numpy": numpy.__version__})'));
  Object.assign(runtime, info);
  postMessage({type: 'ready', runtime});
}

async function ensureData(dataset) {
  const file = dataFiles[dataset];
  if (!file || registeredData.has(file)) return;
  progress('data', `Loading the ${dataset} dataset`, 0.9);
  const blob = new Uint8Array(await (await fetchOk(new URL('data/' + file, siteRoot).href, `the ${dataset} dataset`)).arrayBuffer());
  busy(`loading the ${dataset} dataset`, OP_ALLOW_S);
  registerDataPy(file, blob);
  registeredData.add(file);
}

// Imports that warm up a package in steps: Pyodide 0.17 in a worker can hit RecursionError
// importing scikit-learn in one go; importing these first, in separate calls, avoids it.
const WARM_UP_IMPORTS = {
  'scikit-learn': ['scipy.sparse', 'scipy.sparse.linalg', 'scipy.optimize', 'scipy.stats', 'sklearn'],
};
const loadedPackages = new Set(['numpy']);

async function ensurePackages(names) {
  const missing = (names || []).filter((name) => !loadedPackages.has(name));
  if (!missing.length) return;
  progress('packages', `Loading ${missing.join(', ')} (first use only)`, 0.5);
  busy('loading ' + missing.join(', '), LONG_ALLOW_S);
  await pyodide.loadPackage(missing);
  for (const name of missing) {
    busy('loading ' + name, LONG_ALLOW_S);
    for (const module of WARM_UP_IMPORTS[name] || []) pyodide.runPython('import ' + module);
    loadedPackages.add(name);
  }
  progress('packages', `Loaded ${missing.join(', ')}`, 1);
}

/** Call the engine; returns the packed response as a transferable ArrayBuffer. `blob`: the
 *  request packed by the page (then `request` only steers this worker and is not sent). */
function callEngine(request, blob, allowS) {
  // No beat can come until it returns. Inside a training chunk (onnxruntime's accel_* calls
  // included) the chunk's allowance applies, else an op's.
  busy((request && request.op) || 'a packed request', allowS || (inChunk ? chunkAllowS() : OP_ALLOW_S));
  const packed = blob ? handlePy('', new Uint8Array(blob)) : handlePy(JSON.stringify(request));
  const view = packed.getBuffer();
  try {
    return view.data.slice().buffer;
  } finally {
    view.release();
    packed.destroy();
  }
}

/** Read just the JSON header of a packed buffer (full decoding lives in engine/wire.js). */
function peekHeader(buffer) {
  const length = new DataView(buffer).getUint32(0, true);
  return JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function train({id, steps, chunk, delayMs, runs}) {
  if (training) training.stop = 'replaced';
  const run = {id, stop: null};
  training = run;
  const ids = Array.isArray(runs) && runs.length ? runs.map(String) : ['main'];
  const progress = Object.fromEntries(ids.map((r) => [r, {done: 0, step: -1, stopped: null}]));
  let stopped = 'done';
  for (;;) {
    // Yield first so 'pause' / 'set_lr' messages are handled between chunks.
    await sleep(delayMs || 0);
    if (run.stop) { stopped = run.stop; break; }
    // Next: the live run that is furthest behind, so a fork restarted at step 0 catches up first.
    const live = ids.filter((r) => !progress[r].stopped && (steps == null || progress[r].done < steps));
    if (!live.length) break;
    const next = live.reduce((a, b) => (progress[b].step < progress[a].step ? b : a));
    const n = Math.max(1, Math.min(chunk || 10, steps == null ? Infinity : steps - progress[next].done));
    // Requests arriving while onnxruntime trains wait for the chunk's end (see request()), as
    // they wait for a numpy chunk, so none sees or changes a run halfway through a chunk.
    busy('train', chunkAllowS());  // onnxruntime's chunks block the event loop too
    const chunkStart = performance.now();
    inChunk = true;
    inFlight = trainChunk(next, n);
    let buffer;
    try { buffer = await inFlight; } finally { inFlight = null; inChunk = false; }
    lastChunkMs = performance.now() - chunkStart;
    const header = peekHeader(buffer);
    if (!header.ok) {
      postMessage({type: 'response', id, buffer}, [buffer]);
      if (training === run) training = null;
      return;
    }
    progress[next].done += n;
    progress[next].step = header.value.step;
    postMessage({type: 'snapshot', id, run: next, buffer}, [buffer]);
    if (header.value.diverged) progress[next].stopped = 'diverged';
  }
  if (stopped === 'done' && ids.every((r) => progress[r].stopped === 'diverged')) stopped = 'diverged';
  if (training === run) training = null;
  const first = progress[ids.includes('main') ? 'main' : ids[0]];
  const perRun = Object.fromEntries(ids.map((r) => [r, {step: progress[r].step, stopped: progress[r].stopped || stopped}]));
  const summary = new TextEncoder().encode(JSON.stringify({ok: true, value: {step: Math.max(0, first.step), stopped, runs: perRun}}));
  postMessage({type: 'response', id, buffer: packJson(summary)}, []);
}

// The training engine for 'train' chunks: numpy (the engine's own 'train' op) or onnxruntime-web
// (engine/accel.js), chosen by a 'backend' message; anything unavailable falls back with a note.
// Chunks train with numpy until the chosen backend is open; a chunk boundary is the switch.
let backend = {requested: 'numpy', name: 'numpy', threads: 1, note: ''};

async function setBackend({id, backend: requested}) {
  const {openBackend} = await import('./accel.js');
  backend = await openBackend(requested, siteRoot, callEngine);
  const {trainChunk: _, ...status} = backend;
  postMessage({type: 'response', id, buffer: packJson(new TextEncoder().encode(JSON.stringify({ok: true, value: status})))});
}

async function trainChunk(run, steps) {
  if (!backend.trainChunk) return callEngine({op: 'train', steps, run});
  try {
    return await backend.trainChunk(run, steps);
  } catch (error) {
    if (!error.fallbackAnswer) throw error;
    // The chunk was trained by numpy instead; numpy trains from now on, and the page is told why.
    backend = {requested: backend.requested, name: 'numpy', threads: 1,
      note: `onnxruntime-web (${backend.name}) failed and numpy took over: ${String(error.message || error).slice(0, 300)}`};
    postMessage({type: 'backend', status: backend});
    return error.fallbackAnswer;
  }
}

/** Wrap a UTF-8 JSON body in the wire layout (header only, no arrays). */
function packJson(body) {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out.buffer;
}

async function request(message) {
  const {id, blob, packages, op} = message;
  try {
    // A packed request's header holds its op and settings (arrays appear as placeholders).
    const args = blob ? peekHeader(blob) : {...(message.args || {}), op};
    if (args.op === 'configure' && training) training.stop = 'replaced';
    // Any op that builds a trainer names its dataset: 'configure' {config}, the swarm's member
    // ops {config} and 'swarm_start' {dataset}; its packed file is registered first.
    const datasets = args.op === 'load_model' || args.op === 'load_run' ? Object.keys(dataFiles) : [(args.config && args.config.dataset) || args.dataset];
    for (const dataset of datasets) await ensureData(dataset);
    if (packages) await ensurePackages(packages);
    while (inFlight) await inFlight.catch(() => {});
    if (/^(configure|adopt|load_model|load_run|load_data|undo_configure)$/.test(args.op)) lastChunkMs = null;
    const buffer = callEngine(args, blob, args.method === 'tsne' ? LONG_ALLOW_S : OP_ALLOW_S);
    postMessage({type: 'response', id, buffer}, [buffer]);
  } catch (error) {
    const body = new TextEncoder().encode(JSON.stringify({ok: false, error: String(error.message || error), kind: 'WorkerError'}));
    postMessage({type: 'response', id, buffer: packJson(body)});
  }
}

self.onmessage = (event) => {
  const message = event.data || {};
  if (message.type === 'init') {
    start(message).catch((error) => postMessage({type: 'fatal', message: String(error.message || error), phase: 'start'}));
  } else if (message.type === 'request') {
    request(message);
  } else if (message.type === 'train') {
    train(message).catch((error) => postMessage({type: 'fatal', message: String(error.message || error), phase: 'train'}));
  } else if (message.type === 'backend') {
    setBackend(message).catch((error) => postMessage({type: 'response', id: message.id,
      buffer: packJson(new TextEncoder().encode(JSON.stringify({ok: false, error: String(error.message || error), kind: 'WorkerError'})))}));
  } else if (message.type === 'pause') {
    if (training) training.stop = 'paused';
  }
};
