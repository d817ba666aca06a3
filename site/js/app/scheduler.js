// The one request path to the engine: every engine call the page makes (views' data sources,
// features, window.glassbox.request) goes through this queue.
//
//  - Queue: calls run one at a time, in order (the worker is single-threaded anyway; queuing here
//    keeps a slow analysis from hiding behind a newer, cheaper one and gives one busy state).
//  - Keys: a call may carry a `key` (e.g. 'morph'). A newer call with the same key replaces an
//    older one that has not started yet (coalescing): both callers get the newer call's answer.
//  - Throttle: `throttleMs` per key; a followed view (refresh while training) asks at most that
//    often. `force: true` skips the wait (e.g. the last refresh when training pauses).
//  - Busy: busy(key) is true while a call of that key is queued or running; onBusy(fn) hears
//    every change ({key, busy}).
//  - Cancel: cancel(key) drops that key's queued calls (their promises reject with a
//    `cancelled` error); clear() drops every queued call (the model was rebuilt).

export class CancelledError extends Error {
  constructor(key) {
    super(`request "${key}" was cancelled`);
    this.cancelled = true;
  }
}

/**
 * @param {{send: (op: string, args: object) => Promise<any>, now?: () => number}} options
 *   send performs one engine call (engine client's request).
 */
export function createScheduler({send, now = () => performance.now()}) {
  const queue = [];        // [{key, op, args, waiters: [{resolve, reject}], force, throttleMs}]
  const lastStart = {};    // key -> time its last call started
  const running = new Map(); // key -> number of calls of that key in flight
  const listeners = new Set();
  let active = null;       // the job in flight
  let timer = null;

  const isBusy = (key) => Boolean(running.get(key)) || queue.some((job) => job.key === key);
  function notify(key) {
    const busy = isBusy(key);
    for (const fn of [...listeners]) { try { fn({key, busy}); } catch (error) { console.error(error); } }
  }

  function readyAt(job) {
    if (job.force || !job.throttleMs || job.key == null || lastStart[job.key] == null) return 0;
    return lastStart[job.key] + job.throttleMs;
  }

  function pump() {
    if (active || timer || !queue.length) return;
    // The first job whose throttle allows it runs now; otherwise wait for the earliest one.
    const t = now();
    let index = queue.findIndex((job) => readyAt(job) <= t);
    if (index < 0) {
      const wait = Math.min(...queue.map(readyAt)) - t;
      timer = setTimeout(() => { timer = null; pump(); }, Math.max(0, wait));
      return;
    }
    const job = queue.splice(index, 1)[0];
    active = job;
    if (job.key != null) { lastStart[job.key] = t; running.set(job.key, (running.get(job.key) || 0) + 1); }
    Promise.resolve().then(() => send(job.op, job.args)).then(
      (value) => job.waiters.forEach((w) => w.resolve(value)),
      (error) => job.waiters.forEach((w) => w.reject(error)),
    ).finally(() => {
      active = null;
      if (job.key != null) running.set(job.key, running.get(job.key) - 1);
      if (job.key != null) notify(job.key);
      pump();
    });
  }

  return {
    /**
     * Queue one engine call. Options: key (coalesce + throttle + busy), throttleMs, force,
     * replace (default true: this call's args replace a queued call of the same key; false:
     * join it as it is). Resolves with the engine's answer (for a coalesced call: the answer to
     * the arguments that ran).
     */
    request(op, args = {}, {key = null, throttleMs = 0, force = false, replace = true} = {}) {
      return new Promise((resolve, reject) => {
        const waiter = {resolve, reject};
        const queued = key == null ? null : queue.find((job) => job.key === key && job.op === op);
        if (queued) {
          if (replace) queued.args = args;   // the newer request replaces the stale one
          queued.force = queued.force || force;
          queued.waiters.push(waiter);
        } else {
          queue.push({key, op, args, waiters: [waiter], force, throttleMs});
          if (key != null) notify(key);
        }
        if (force && timer) { clearTimeout(timer); timer = null; }
        pump();
      });
    },
    busy: (key) => (key == null ? Boolean(active) || queue.length > 0 : isBusy(key)),
    onBusy(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    cancel(key) {
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i].key !== key) continue;
        const [job] = queue.splice(i, 1);
        job.waiters.forEach((w) => w.reject(new CancelledError(key)));
      }
      notify(key);
    },
    clear() {
      const keys = new Set(queue.map((job) => job.key));
      for (const job of queue.splice(0)) job.waiters.forEach((w) => w.reject(new CancelledError(job.key)));
      keys.forEach((key) => key != null && notify(key));
    },
  };
}
