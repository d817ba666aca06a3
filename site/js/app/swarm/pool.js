// The swarm's pool of engine workers: each one a full Pyodide worker (engine/client.js), each
// with its own request queue (app/scheduler.js), so the executor (app/swarm/executor.js) is the
// only one that talks to them and every worker has one request path.
//
// Size: max(2, min(navigator.hardwareConcurrency || 2, 4)) -- at least two so the controller
// and members spread, at most four because each worker holds its own Python (about 60 MB) and
// the page's own worker and the drawing need a core too.
//
// Data: every op that builds a trainer carries its dataset (member ops: config.dataset), and the
// worker registers that dataset's packed file (tables.json 'datasets') before the op runs
// (engine/worker.js) -- so a worker fetches the swarm's dataset with its first member.
import {createEngineClient} from '../../engine/client.js';
import {createScheduler} from '../scheduler.js';

/** How many workers a swarm gets on this machine (see the header). */
export function poolSize(cores = globalThis.navigator?.hardwareConcurrency) {
  return Math.max(2, Math.min(cores || 2, 4));
}

/**
 * @param {{size?: number, onProgress?: (text: string) => void, onCrash?: (worker, error) => void,
 *          makeClient?: (hooks) => client}} options
 *   onProgress: one line for the status ("Starting swarm workers: 2 of 4 ready"); onCrash: a
 *   worker died after start-up (its pending requests were rejected); makeClient: for tests.
 */
export function createPool({size = poolSize(), onProgress = () => {}, onCrash = () => {}, makeClient = createEngineClient} = {}) {
  const workers = [];
  let starting = null;

  for (let i = 0; i < size; i++) {
    const worker = {index: i, name: `swarm worker ${i + 1}`, alive: false, members: new Set(), phase: ''};
    worker.client = makeClient({
      onProgress: (p) => { worker.phase = p.label; report(); },
      onFatal: (error) => {
        const wasAlive = worker.alive;
        worker.alive = false;
        if (wasAlive) onCrash(worker, error);
      },
    });
    worker.queue = createScheduler({send: (op, args) => worker.client.request(op, args)});
    workers.push(worker);
  }

  function report() {
    const ready = workers.filter((w) => w.alive).length;
    if (ready === workers.length) return;
    const busy = workers.find((w) => !w.alive && w.phase);
    onProgress(`Starting swarm workers: ${ready} of ${workers.length} ready` + (busy ? ` (${busy.phase})` : ''));
  }

  async function boot(worker) {
    await worker.client.start();
    worker.alive = true;
    worker.phase = '';
    report();
  }

  const pool = {
    workers,
    get size() { return workers.length; },
    /** Start every worker (in parallel); resolves when all are up. */
    start() {
      starting = starting || (report(), Promise.all(workers.map(boot)));
      return starting;
    },
    /** One engine call on worker `index` (queued behind that worker's earlier calls). */
    request(index, op, args = {}) { return workers[index].queue.request(op, args); },
    /** The live worker hosting the fewest members (ties: the lowest index). */
    leastLoaded() {
      const live = workers.filter((w) => w.alive);
      if (!live.length) throw new Error('every swarm worker has stopped');
      return live.reduce((a, b) => (b.members.size < a.members.size ? b : a));
    },
    /** Throw a crashed worker away and start a fresh one (its members are gone with it). */
    async restart(worker) {
      worker.queue.clear();
      worker.members.clear();
      worker.alive = false;
      await worker.client.restart();
      worker.alive = true;
      return worker;
    },
    /** Per worker: {name, alive, members} for the status line and the store. */
    describe: () => workers.map((w) => ({name: w.name, alive: w.alive, members: [...w.members]})),
  };
  return pool;
}
