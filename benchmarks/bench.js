// Runs every (workload, system) pair in its own worker, one after another, so they never compete
// for the CPU, and leaves the results in window.benchResults for benchmarks/run.py.
import {unpack} from '../js/engine/wire.js';

const params = new URLSearchParams(location.search);
const workloads = (params.get('workloads') || 'digits,mnist').split(',');
const systems = (params.get('systems') || 'glassbox,ort-wasm-1,ort-wasm-2,tfjs-wasm,tfjs-cpu,convnetjs').split(',');
const reps = Number(params.get('reps') || 5);
const log = (text) => { document.getElementById('log').textContent += text + '\n'; };

function toArrays(packed) {
  // wire arrays are views on one buffer; give each worker its own compact copies
  const copy = (t) => t.data.slice();
  return {sizes: packed.sizes, batch: packed.batch, lr: packed.lr, steps: packed.steps, warmup: packed.warmup,
    loss: packed.loss, optimizer: packed.optimizer, X: copy(packed.X), y: copy(packed.y), order: copy(packed.order),
    W: packed.W.map(copy), b: packed.b.map(copy), name: packed.name, ortStepsPerCall: packed.ortStepsPerCall,
    ortFeeds: Object.fromEntries(Object.entries(packed.ortFeeds).map(([k, t]) => [k, {shape: t.shape, data: copy(t)}]))};
}

function runOne(system, workload, runtime) {
  const modern = system === 'glassbox' && runtime.name === 'modern';
  const worker = new Worker('bench-worker.js', {type: modern ? 'module' : 'classic'});
  return new Promise((resolve) => {
    worker.onmessage = (event) => { worker.terminate(); resolve(event.data); };
    worker.onerror = (event) => { worker.terminate(); resolve({ok: false, system, error: event.message}); };
    worker.postMessage({system, workload, reps, steps: workload.steps, warmupSteps: workload.warmup, runtime});
  });
}

async function main() {
  const runtime = await (await fetch('../runtime.json')).json();
  const results = {runtime, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, runs: []};
  for (const name of workloads) {
    const packed = unpack(await (await fetch(`workload-${name}.bin`)).arrayBuffer());
    for (const system of systems) {
      log(`${name}: ${system}…`);
      const result = await runOne(system, toArrays(packed), runtime);
      results.runs.push({workload: name, ...result});
      log(result.ok ? `  ${Math.round(Math.max(...result.samplesPerSec))} samples/s` : `  failed: ${result.error}`);
    }
  }
  window.benchResults = results;
  log('done');
}

main().catch((error) => { window.benchResults = {error: String(error && error.stack || error)}; });
