// The page's side of the worker protocol (written down in site/js/engine/worker.js).
// Turns messages into promises; a crashed worker is reported and can be restarted.
import {hasArrays, pack, unpack} from './wire.js';
import {SITE_ROOT, dataFiles, loadRuntime, loadTables} from './boot.js';
import {createHeartbeat} from './heartbeat.js';

export class EngineError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind || 'EngineError';
  }
}

// Resolved against this module, not the page, so pages in other folders (embeds, benchmarks) work.
const WORKER_URL = new URL('./worker.js', import.meta.url).href;

/**
 * A Worker running the script at `url`. A page may only start a worker from its own origin: a
 * course page that loads Glassbox from another site, or a sandboxed iframe (origin null, every URL
 * is cross-origin), gets a SecurityError from new Worker(url). There the worker starts from a
 * blob: URL made here whose only line loads the script by its absolute URL (importScripts for a
 * classic worker, import for a module one), so the script's own relative URLs still resolve
 * against the site. The server must allow that load (CORS: Access-Control-Allow-Origin, see
 * build.py Handler).
 */
export function startWorker(url, type = 'classic') {
  // self.origin, not location.origin: a sandboxed document's location keeps its http URL, but
  // its origin is opaque ('null').
  const here = typeof globalThis.origin === 'string' ? globalThis.origin : 'null';
  if (new URL(url).origin === here && here !== 'null') return new Worker(url, {type});
  const line = type === 'module' ? `import ${JSON.stringify(url)};` : `importScripts(${JSON.stringify(url)});`;
  const blobUrl = URL.createObjectURL(new Blob([line + '\n'], {type: 'text/javascript'}));
  try {
    return new Worker(blobUrl, {type});
  } finally {
    // The worker holds its script once it started loading; the URL is not needed after this turn.
    setTimeout(() => URL.revokeObjectURL(blobUrl), 60000);
  }
}

export function createEngineClient({onProgress, onFatal, onBackend, onBusy, workerUrl = WORKER_URL} = {}) {
  let worker = null;
  let nextId = 1;
  const pending = new Map();       // id -> {resolve, reject, onSnapshot}
  let readyPromise = null;
  let generation = 0;              // which spawn is current (a restart makes older ones stale)
  let failStart = null;            // rejects the current spawn's promise while it is pending
  let dead = null;                 // the error that stopped the current worker, once it stopped

  /** The worker stopped answering (engine/heartbeat.js): it is thrown away, everything waiting is told. */
  const heartbeat = createHeartbeat({
    onBusy: (busy) => onBusy && onBusy(busy),
    onStuck({silentS, op, starting}) {
      const doing = op ? `while busy with ${op}` : starting ? 'while starting' : 'while idle or training';
      stopWorker(new EngineError(`The engine stopped responding (no word from it for ${silentS} s ${doing}). ` +
        'Press "Restart engine" to start it again; your settings are kept.', 'NotResponding'));
    },
  });

  /** Stop the current worker for good with `error`: every pending call and the start reject. */
  function stopWorker(error) {
    heartbeat.stop();
    if (worker) worker.terminate();
    dead = error;
    if (failStart) failStart(error);
    rejectAll(error);
    if (onFatal) onFatal(error, 'stuck');
  }

  function rejectAll(error) {
    for (const {reject} of pending.values()) reject(error);
    pending.clear();
  }

  function spawn() {
    const mine = ++generation;
    dead = null;
    readyPromise = Promise.all([loadRuntime().catch((e) => { throw new EngineError(e.message, 'Fatal'); }), loadTables()])
      .then(([runtimeFile, tables]) => new Promise((resolve, reject) => {
      if (mine !== generation) throw new EngineError('The engine was restarted', 'Restarted');
      failStart = reject;
      // Pyodide 314 needs a module worker, Pyodide 0.17 a classic one (see worker.js).
      const runtime = {...runtimeFile};
      worker = startWorker(workerUrl, runtime.name === 'modern' ? 'module' : 'classic');
      heartbeat.start();
      worker.onmessage = (event) => {
        const message = event.data;
        heartbeat.heard(message);
        if (message.type === 'beat' || message.type === 'busy') {
          // signs of life only (engine/heartbeat.js)
        } else if (message.type === 'progress') {
          if (onProgress) onProgress(message);
        } else if (message.type === 'ready') {
          failStart = null;
          heartbeat.running();
          resolve(message.runtime);
        } else if (message.type === 'fatal') {
          heartbeat.stop();
          const error = new EngineError(message.message, 'Fatal');
          reject(error);
          rejectAll(error);
          if (onFatal) onFatal(error, message.phase);
        } else if (message.type === 'backend') {
          if (onBackend) onBackend(message.status);
        } else if (message.type === 'snapshot') {
          const entry = pending.get(message.id);
          const decoded = unpack(message.buffer);
          if (entry && entry.onSnapshot && decoded.ok) entry.onSnapshot(decoded.value.snapshot, {run: message.run || 'main', ...decoded.value});
        } else if (message.type === 'response') {
          const entry = pending.get(message.id);
          if (!entry) return;
          pending.delete(message.id);
          const decoded = unpack(message.buffer);
          if (decoded.ok) entry.resolve(decoded.value);
          else entry.reject(new EngineError(decoded.error, decoded.kind));
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        heartbeat.stop();
        const error = new EngineError('The engine worker crashed: ' + (event.message || 'unknown error'), 'Fatal');
        reject(error);
        rejectAll(error);
        if (onFatal) onFatal(error, 'crash');
      };
      worker.postMessage({type: 'init', runtime, siteRoot: SITE_ROOT, dataFiles: dataFiles(tables)});
    }));
    return readyPromise;
  }

  function send(message, onSnapshot, transfer = []) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (dead || !worker) {
        reject(dead || new EngineError('the engine is still loading', 'NotReady'));
        return;
      }
      pending.set(id, {resolve, reject, onSnapshot});
      worker.postMessage({...message, id}, transfer);
    });
  }

  return {
    start: spawn,
    get ready() { return readyPromise; },
    /** One engine call (ops: py/glassbox/protocol; tables.json 'ops' lists them). */
    request(op, args = {}) {
      // Arrays cannot cross as JSON: such a request travels packed, as one transferred buffer.
      // The arguments travel nested (`args`), so none of them (type, id, op) can clobber the
      // message's own fields; `packages` steers the worker and is not an engine argument.
      const {packages, ...rest} = args || {};
      if (!hasArrays(rest)) return send({type: 'request', op, packages, args: rest});
      const blob = pack({...rest, op});
      return send({type: 'request', op, packages, blob}, undefined, [blob]);
    },
    /** Train `runs` (default ['main']); onSnapshot(snapshot, answer) gets each snapshot and the
     *  engine's whole answer ({run, summary, alerts, ...}); resolves {step, stopped, runs}. */
    train({steps = null, chunk = 10, delayMs = 0, runs = ['main']} = {}, onSnapshot) {
      return send({type: 'train', steps, chunk, delayMs, runs}, onSnapshot);
    },
    pause() { if (worker) worker.postMessage({type: 'pause'}); },
    /** Choose what trains: 'auto' | 'numpy' | 'wasm' | 'webgpu'; resolves {requested, name, threads, note}. */
    setBackend(backend) { return send({type: 'backend', backend}); },
    /** Throw the worker away and start a fresh one (after a crash). */
    restart() {
      heartbeat.stop();
      if (worker) worker.terminate();
      worker = null;
      const error = new EngineError('The engine was restarted', 'Restarted');
      if (failStart) failStart(error);
      failStart = null;
      rejectAll(error);
      return spawn();
    },
    /** Test hook: the worker dies silently (terminated, no error event), as a crashed tab
     *  process or a killed worker would; only the heartbeat can notice. */
    kill() { if (worker) worker.terminate(); },
  };
}
