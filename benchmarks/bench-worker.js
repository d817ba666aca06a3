/* Benchmark worker: trains ONE system on one workload and reports samples per second.
 *
 * page -> worker  {system, workload, reps, steps, warmupSteps, runtime}
 *   system:   'glassbox' | 'ort-wasm-<threads>' | 'ort-webgpu-1' | 'tfjs-cpu' | 'tfjs-wasm' | 'convnetjs'
 *   workload: {sizes, batch, lr, loss: 'softmax_cross_entropy', optimizer: 'sgd',
 *              X: Float32Array (N*D), y: Int32Array (N), W: [Float32Array], b: [Float32Array],
 *              order: Int32Array (steps*batch sample indices, the same for every system)}
 * worker -> page  {ok, system, config, samplesPerSec: [per rep], loss: [first, last], setupMs}
 *   `config` is read back from the model each system actually built, so a test can check
 *   that every system trained the same network the same way.
 * Every system starts from the same weights and sees the same minibatches in the same order.
 */
'use strict';

function batchOf(workload, step) {
  const {X, y, order, batch, sizes} = workload;
  const d = sizes[0];
  const xb = new Float32Array(batch * d);
  const yb = new Int32Array(batch);
  const steps = order.length / batch;
  const base = (step % steps) * batch;
  for (let r = 0; r < batch; r++) {
    const i = order[base + r];
    xb.set(X.subarray(i * d, (i + 1) * d), r * d);
    yb[r] = y[i];
  }
  return {xb, yb};
}

// ---------------------------------------------------------------- Glassbox (Pyodide numpy)
async function glassbox(workload, runtime) {
  const indexURL = new URL('../' + runtime.indexURL, self.location.href).href;
  let load;
  if (runtime.name === 'modern') load = (await import(indexURL + 'pyodide.mjs')).loadPyodide;
  else { importScripts(indexURL + 'pyodide.js'); load = self.loadPyodide; }
  const py = await load({indexURL, stdout: () => {}});
  await py.loadPackage(['numpy']);
  const zip = new Uint8Array(await (await fetch('../py/glassbox.zip')).arrayBuffer());
  py.runPython('def _install(blob):\n    import sys\n    open("/tmp/glassbox.zip", "wb").write(bytes(blob.to_py() if hasattr(blob, "to_py") else blob))\n' +
    '    sys.path.insert(0, "/tmp/glassbox.zip")\n_install')(zip);
  // The same loop the trainer runs per step: forward + backward (model.backward) and opt.step.
  const setup = py.runPython(`
import json, numpy as np, glassbox
from glassbox.nn import make_optimizer
def _array(blob, dtype):
    return np.frombuffer(bytes(blob.to_py() if hasattr(blob, 'to_py') else blob), dtype=dtype).copy()
def _setup(spec_json, X, y, order, *weights):
    global _run
    spec = json.loads(spec_json)
    sizes, batch = spec['sizes'], spec['batch']
    model = glassbox.MLP(sizes, activation='relu', init='he', seed=0)
    for l, layer in enumerate(model.layers):
        layer.params()['W'][...] = _array(weights[2 * l], np.float32).reshape(sizes[l], sizes[l + 1])
        layer.params()['b'][...] = _array(weights[2 * l + 1], np.float32)
    opt = make_optimizer('sgd', spec['lr'])
    params = [p for layer in model.layers for p in (layer.params()['W'], layer.params()['b'])]
    Xm = _array(X, np.float32).reshape(-1, sizes[0])
    ys = _array(y, np.int32)
    idx_all = _array(order, np.int32)
    steps = len(idx_all) // batch
    def run(first, count):
        loss = 0.0
        for s in range(first, first + count):
            idx = idx_all[(s % steps) * batch:(s % steps + 1) * batch]
            loss = model.backward(Xm[idx], ys[idx])
            opt.step(model.params(), model.grads())
        return float(loss)
    _run = run
    return json.dumps({'sizes': model.layer_sizes, 'batch': batch, 'lr': opt.lr, 'loss': 'softmax_cross_entropy',
                       'optimizer': type(opt).__name__.lower(), 'activation': 'relu', 'dtype': str(params[0].dtype)})
_setup`);
  const bytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const weights = [];
  workload.W.forEach((w, l) => weights.push(bytes(w), bytes(workload.b[l])));
  const {sizes, batch, lr} = workload;
  const config = JSON.parse(setup(JSON.stringify({sizes, batch, lr}), bytes(workload.X), bytes(workload.y), bytes(workload.order), ...weights));
  const run = py.globals.get('_run');
  return {config, step: (first, count) => run(first, count)};
}

// ---------------------------------------------------------------- onnxruntime-web (Glassbox's accelerated path)
// The training-step graph the app's worker runs (py/glassbox/interop/training_graph.py), written
// by run.py as workload-<name>-train<k>.onnx with its start state (ortFeeds: the same weights).
async function onnxruntime(workload, provider, threads) {
  const ort = await import(provider === 'webgpu' ? '../vendor/ort/ort.webgpu.min.mjs' : '../vendor/ort/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = new URL('../vendor/ort/', self.location.href).href;
  ort.env.wasm.numThreads = threads;
  const {sizes, batch, ortStepsPerCall: k, name} = workload;
  const bytes = new Uint8Array(await (await fetch(`workload-${name}-train${k}.onnx`)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {executionProviders: [provider], graphOptimizationLevel: 'all'});
  const state = {};
  for (const [key, array] of Object.entries(workload.ortFeeds)) state[key] = new ort.Tensor('float32', array.data, array.shape);
  const cycled = Object.keys(state).filter((key) => key !== 'hyper' && key !== 't0');
  const nIn = sizes[0], nOut = sizes[sizes.length - 1];
  const x = new Float32Array(k * batch * nIn);
  const y = new Float32Array(k * batch * nOut);
  // One call = k consecutive minibatches; `count` steps are rounded up to whole calls.
  const step = async (first, count) => {
    let last = 0;
    for (let s = first; s < first + count; s += k) {
      y.fill(0);
      for (let j = 0; j < k; j++) {
        const {xb, yb} = batchOf(workload, s + j);
        x.set(xb, j * batch * nIn);
        for (let r = 0; r < batch; r++) y[(j * batch + r) * nOut + yb[r]] = 1;
      }
      const out = await session.run({...state, x: new ort.Tensor('float32', x, [k, batch, nIn]),
        y: new ort.Tensor('float32', y, [k, batch, nOut])});
      for (const key of cycled) state[key] = out[key + '.next'];
      // The very first call reports its first step's loss, as the one-step systems do.
      last = out.loss.data[s === 0 ? 0 : k - 1];
    }
    return last;
  };
  return {
    config: {sizes, batch, lr: workload.lr, loss: 'softmax_cross_entropy', optimizer: 'sgd', activation: 'relu',
      dtype: state.W0.type, backend: `${provider} ${threads} thread${threads > 1 ? 's' : ''}`, stepsPerCall: k},
    step,
  };
}

// ---------------------------------------------------------------- TensorFlow.js
async function tfjs(workload, backend) {
  importScripts('../vendor/bench/tf.min.js', '../vendor/bench/tf-backend-wasm.min.js');
  if (backend === 'wasm') tf.wasm.setWasmPaths(new URL('../vendor/bench/', self.location.href).href);
  await tf.setBackend(backend);
  await tf.ready();
  const {sizes, batch, lr} = workload;
  const Ws = workload.W.map((w, l) => tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]])));
  const bs = workload.b.map((b) => tf.variable(tf.tensor1d(b)));
  const optimizer = tf.train.sgd(lr);
  const forward = (x) => {
    let a = x;
    for (let l = 0; l < Ws.length; l++) {
      const z = tf.add(tf.matMul(a, Ws[l]), bs[l]);
      a = l < Ws.length - 1 ? tf.relu(z) : z;
    }
    return a;
  };
  const step = (first, count) => {
    let last = 0;
    for (let s = first; s < first + count; s++) {
      const {xb, yb} = batchOf(workload, s);
      const lossTensor = tf.tidy(() => {
        const x = tf.tensor2d(xb, [batch, sizes[0]]);
        const labels = tf.oneHot(tf.tensor1d(yb, 'int32'), sizes[sizes.length - 1]);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(x)), true);
      });
      if (s === first + count - 1) last = lossTensor.dataSync()[0];
      lossTensor.dispose();
    }
    return last;
  };
  return {
    config: {sizes: [Ws[0].shape[0], ...Ws.map((w) => w.shape[1])], batch, lr, loss: 'softmax_cross_entropy',
      optimizer: 'sgd', activation: 'relu', dtype: Ws[0].dtype, backend: tf.getBackend()},
    step,
  };
}

// ---------------------------------------------------------------- ConvNetJS
async function convnet(workload) {
  self.window = self; // convnet.js attaches itself to `window`
  importScripts('../vendor/bench/convnet-min.js');
  const {sizes, batch, lr} = workload;
  const defs = [{type: 'input', out_sx: 1, out_sy: 1, out_depth: sizes[0]}];
  for (let l = 1; l < sizes.length - 1; l++) defs.push({type: 'fc', num_neurons: sizes[l], activation: 'relu'});
  defs.push({type: 'softmax', num_classes: sizes[sizes.length - 1]});
  const net = new convnetjs.Net();
  net.makeLayers(defs);
  const fcs = net.layers.filter((layer) => layer.layer_type === 'fc');
  fcs.forEach((layer, l) => { // filter j holds column j of our W (n_in x n_out)
    const W = workload.W[l], nOut = sizes[l + 1];
    layer.filters.forEach((filter, j) => { for (let i = 0; i < filter.w.length; i++) filter.w[i] = W[i * nOut + j]; });
    for (let j = 0; j < nOut; j++) layer.biases.w[j] = workload.b[l][j];
  });
  const trainer = new convnetjs.Trainer(net, {method: 'sgd', learning_rate: lr, batch_size: batch, momentum: 0, l2_decay: 0});
  const vol = new convnetjs.Vol(1, 1, sizes[0], 0);
  const step = (first, count) => {
    let lossSum = 0;
    for (let s = first; s < first + count; s++) {
      const {xb, yb} = batchOf(workload, s);
      lossSum = 0;
      for (let r = 0; r < batch; r++) {
        vol.w.set(xb.subarray(r * sizes[0], (r + 1) * sizes[0]));
        lossSum += trainer.train(vol, yb[r]).loss; // one update per `batch` samples, averaged
      }
    }
    return lossSum / batch;
  };
  return {
    config: {sizes: [sizes[0], ...fcs.map((layer) => layer.out_depth)], batch: trainer.batch_size, lr: trainer.learning_rate,
      loss: net.layers[net.layers.length - 1].layer_type === 'softmax' ? 'softmax_cross_entropy' : 'other',
      optimizer: trainer.method, activation: 'relu', dtype: vol.w.constructor.name === 'Float64Array' ? 'float64' : 'float32'},
    step,
  };
}

async function measure({system, workload, reps, steps, warmupSteps, runtime}) {
  const t0 = performance.now();
  const ort = system.match(/^ort-(wasm|webgpu)-(\d+)$/);
  const impl = system === 'glassbox' ? await glassbox(workload, runtime)
    : system === 'convnetjs' ? await convnet(workload)
    : ort ? await onnxruntime(workload, ort[1], Number(ort[2]))
    : await tfjs(workload, system.replace('tfjs-', ''));
  const setupMs = performance.now() - t0;
  // onnxruntime steps whole calls of k steps; everyone else steps one at a time (k = 1).
  const k = ort ? workload.ortStepsPerCall : 1;
  const firstLoss = await impl.step(0, k);
  await impl.step(k, warmupSteps);
  const samplesPerSec = [];
  let lastLoss = firstLoss;
  let done = k + warmupSteps;
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    lastLoss = await impl.step(done, steps);
    samplesPerSec.push((steps * workload.batch) / ((performance.now() - start) / 1000));
    done += steps;
  }
  return {ok: true, system, config: impl.config, samplesPerSec, loss: [firstLoss, lastLoss], stepsDone: done, setupMs};
}

self.onmessage = (event) => {
  measure(event.data).then(postMessage, (error) => postMessage({ok: false, system: event.data.system, error: String(error && error.stack || error)}));
};
