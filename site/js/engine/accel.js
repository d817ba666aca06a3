// The onnxruntime-web training engine, inside the engine worker (loaded with import(), so the
// classic worker of the offline runtime can use it too).
//
// A chunk of training runs the run's training-step graph (py/glassbox/interop/training_graph.py,
// a spec encoded here with onnx-codec.js) in onnxruntime-web instead of numpy. The engine stays
// the one source of truth (py/glassbox/protocol/accel_ops.py): 'accel_plan' hands over the
// run's weights, optimiser buffers and the chunk's minibatches; the graph runs `steps_per_call`
// steps per session.run (a Loop inside the graph, so weights stay inside onnxruntime between
// those steps); 'accel_adopt' hands the new state back and answers with the snapshot exactly as
// a numpy chunk does. Every view, fork and health check therefore works whichever engine trains.

import {BACKENDS} from '../state/url-state.js';
import {encodeModel} from './onnx-codec.js';
import {pack, unpack} from './wire.js';

// Steps per session.run: enough to amortise the call, few enough that a chunk of 10 (speed 3)
// is one call plus the final single step.
const STEPS_PER_CALL = 9;

function tensorOf(ort, array) {
  return new ort.Tensor('float32', array.data, array.shape);
}

const ortModules = new Map();  // file -> Promise of the onnxruntime-web module, set up

function loadOrt(file, siteRoot) {
  if (!ortModules.has(file)) {
    ortModules.set(file, import(new URL('vendor/ort/' + file, siteRoot).href).then((ort) => {
      ort.env.wasm.wasmPaths = new URL('vendor/ort/', siteRoot).href;
      // Its warnings (e.g. that a WebGPU session runs a few shape nodes on the CPU, as intended)
      // go to console.error; real failures still reach us as exceptions.
      ort.env.logLevel = 'error';
      // Threads need SharedArrayBuffer, which needs cross-origin isolation (COOP/COEP headers);
      // one core is left to the page, which draws while the worker trains.
      const cores = navigator.hardwareConcurrency || 1;
      ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, cores - 1)) : 1;
      return ort;
    }));
  }
  return ortModules.get(file);
}

/** Why WebGPU cannot be used here, or '' when an adapter is available. */
async function webgpuProblem() {
  if (!self.navigator || !navigator.gpu) return 'this browser offers no WebGPU (navigator.gpu is missing)';
  try {
    const adapter = await navigator.gpu.requestAdapter();
    return adapter ? '' : 'this browser offers WebGPU but no adapter (no usable GPU)';
  } catch (error) {
    return 'WebGPU adapter request failed: ' + String(error.message || error);
  }
}

/**
 * Open a backend: resolves to {requested, name: 'numpy'|'wasm'|'webgpu', threads, note, trainChunk?}.
 * Anything unavailable falls back (webgpu -> wasm -> numpy) with `note` naming why.
 * @param {string} requested one of BACKENDS
 * @param {string} siteRoot the built site's root URL (vendor/ort/ lives there)
 * @param {(request: object, arrays?: ArrayBuffer) => ArrayBuffer} callEngine the engine's handle()
 */
export async function openBackend(requested, siteRoot, callEngine) {
  const notes = [];
  if (!BACKENDS.includes(requested)) {
    notes.push(`unknown backend "${String(requested).slice(0, 40)}" (known: ${BACKENDS.join(', ')})`);
    requested = 'auto';
  }
  if (requested === 'numpy') return {requested, name: 'numpy', threads: 1, note: ''};
  let name = requested === 'webgpu' ? 'webgpu' : 'wasm';
  if (name === 'webgpu') {
    const problem = await webgpuProblem();
    if (problem) { notes.push(`WebGPU unavailable: ${problem}; using wasm`); name = 'wasm'; }
  }
  if (typeof WebAssembly !== 'object') {
    notes.push('WebAssembly is unavailable; training with numpy');
    return {requested, name: 'numpy', threads: 1, note: notes.join('; ')};
  }
  try {
    const ort = await loadOrt(name === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs', siteRoot);
    // Instantiate the wasm now (a one-node session does it), while numpy still trains.
    const identity = {name: 'warm_up', opset: 17, inputs: [{name: 'x', dtype: 'float32', shape: [1]}],
      outputs: [{name: 'y', dtype: 'float32', shape: [1]}], initializers: [],
      nodes: [{op: 'Identity', inputs: ['x'], outputs: ['y'], name: 'y', attrs: {}}], metadata: {}};
    await ort.InferenceSession.create(encodeModel(identity), {executionProviders: [name], logSeverityLevel: 3});
    const threads = ort.env.wasm.numThreads;
    if (!self.crossOriginIsolated) notes.push('one thread: the page is not cross-origin isolated (no COOP/COEP headers)');
    return {requested, name, threads, note: notes.join('; '), trainChunk: makeTrainer(ort, name, callEngine)};
  } catch (error) {
    notes.push(`onnxruntime-web could not start (${String(error.message || error).slice(0, 200)}); training with numpy`);
    return {requested, name: 'numpy', threads: 1, note: notes.join('; ')};
  }
}

function makeTrainer(ort, provider, callEngine) {
  const sessions = new Map();   // graph key -> Promise<InferenceSession>
  let data = null;              // {key, X, y, nIn, nClasses}: the training set, once per data key
  const call = (request, arrays) => {
    const answer = unpack(callEngine(request, arrays));
    if (!answer.ok) throw new Error(answer.error);
    return answer.value;
  };

  function session(run, steps, key) {
    if (!sessions.has(key)) {
      const {spec} = call(steps === 'evaluate' ? {op: 'accel_graph', run, kind: 'evaluate'} : {op: 'accel_graph', run, steps});
      // logSeverityLevel 3 (errors): see ort.env.logLevel above.
      sessions.set(key, ort.InferenceSession.create(encodeModel(spec), {
        executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 3}));
    }
    return sessions.get(key);
  }

  function ensureData(run, key) {
    if (data && data.key === key) return data;
    const answer = call({op: 'accel_data', run});
    // Own copies: the answer's arrays are views on one transferred buffer.
    data = {key: answer.key, X: answer.X.data.slice(), y: answer.y.data.slice(), nIn: answer.X.shape[1],
      nClasses: answer.n_classes};
    // The snapshot's validation rows, as the evaluation graph's inputs.
    const rows = answer.y_val.data.length;
    const oneHot = new Float32Array(rows * data.nClasses);
    answer.y_val.data.forEach((label, i) => { oneHot[i * data.nClasses + label] = 1; });
    data.val = {x: new ort.Tensor('float32', answer.X_val.data.slice(), [rows, data.nIn]),
      y: new ort.Tensor('float32', oneHot, [rows, data.nClasses])};
    return data;
  }

  /** x (k, B, n_0) and one-hot y (k, B, classes) of the rows a call trains on. */
  function gather({steps: k, batch, rows}) {
    const {X, y, nIn, nClasses} = data;
    const x = new Float32Array(rows.data.length * nIn);
    const oneHot = new Float32Array(rows.data.length * nClasses);
    rows.data.forEach((row, i) => {
      x.set(X.subarray(row * nIn, (row + 1) * nIn), i * nIn);
      oneHot[i * nClasses + y[row]] = 1;
    });
    return {x: new ort.Tensor('float32', x, [k, batch, nIn]), y: new ort.Tensor('float32', oneHot, [k, batch, nClasses])};
  }

  /** Train `steps` steps of `run`; resolves to the engine's packed 'train' answer. */
  return async function trainChunk(run, steps) {
    let plan;
    try {
      plan = call({op: 'accel_plan', run, steps, steps_per_call: STEPS_PER_CALL});
    } catch (error) {  // e.g. a network the training graph cannot express: numpy trains this chunk
      error.fallbackAnswer = callEngine({op: 'train', steps, run});
      throw error;
    }
    const state = {};
    for (const [name, array] of Object.entries(plan.feeds)) state[name] = tensorOf(ort, array);
    const cycled = Object.keys(state).filter((name) => name !== 'hyper' && name !== 't0');
    const losses = [];
    const corrects = [];
    let wBefore = null;
    let val = null;
    try {
      ensureData(run, plan.data);
      for (let c = 0; c < plan.calls.length; c++) {
        const k = plan.calls[c].steps;
        const model = await session(run, k, plan.graphs[String(k)]);
        if (c === plan.calls.length - 1) {
          wBefore = cycled.filter((name) => /^W\d+$/.test(name)).map((name) => state[name].data.slice());
        }
        const out = await model.run({...state, ...gather(plan.calls[c])});
        for (const name of cycled) state[name] = out[name + '.next'];
        if (state.t0) state.t0 = new ort.Tensor('float32', Float32Array.of(state.t0.data[0] + k), []);
        losses.push(...out.loss.data);
        corrects.push(...out.correct.data);
      }
      // Validation metrics of the new weights, here rather than in Pyodide's numpy (where that
      // forward pass is most of a snapshot's cost).
      const evaluate = await session(run, 'evaluate', plan.graphs.evaluate);
      const params = Object.fromEntries(cycled.filter((name) => /^[Wb]\d+$/.test(name)).map((name) => [name, state[name]]));
      const scores = await evaluate.run({...params, ...data.val});
      val = {loss_sum: scores.loss_sum.data[0], correct: scores.correct.data[0]};
    } catch (error) {
      // numpy trains the planned batches instead; the caller switches backends and says why.
      const buffer = callEngine({op: 'accel_adopt', run, state: null});
      error.fallbackAnswer = buffer;
      throw error;
    }
    const arrays = Object.fromEntries(cycled.map((name) => [name, {dtype: 'float32', shape: state[name].dims, data: state[name].data}]));
    return callEngine(null, pack({op: 'accel_adopt', run, state: arrays, losses: Float32Array.from(losses),
      corrects: Float32Array.from(corrects), w_before: wBefore, val}));
  };
}
