// The engine's heartbeat, on the page's side: is the worker still alive?
//
// The worker (worker.js) posts {type: 'beat'} every second from a JS timer, which only fires when
// its event loop is free (between chunks and requests), and {type: 'busy', op, allowS} just
// before a synchronous Python call that may take long (an engine op, a training chunk, package
// loading). Every message counts as a sign of life; 'busy' opens an allowance of `allowS`
// seconds, and any later message closes it (the call returned, or the worker could beat again).
//
// The engine is "not responding" when nothing came for longer than the limit that applies:
//   starting (before 'ready'): START_LIMIT_S (Pyodide and numpy load in long synchronous steps)
//   busy with an op:           the allowance the worker declared for it
//   otherwise:                 IDLE_LIMIT_S (beats come every second, even while training)
// While a declared op runs past SHOW_BUSY_AFTER_S, onBusy({op, seconds}) is called each second
// (the page shows "Engine busy with <op> for 12 s…"); onBusy(null) once it answers.
// Time the page itself was frozen (its timers could not run) is not counted against the worker:
// its messages were waiting in the page's queue.

export const IDLE_LIMIT_S = 5;
export const START_LIMIT_S = 120;
export const SHOW_BUSY_AFTER_S = 3;
const TICK_MS = 500;

/**
 * @param {{onStuck: (info: {silentS: number, op: string|null, starting: boolean}) => void,
 *          onBusy?: (busy: null | {op: string, seconds: number}) => void, now?: () => number}} options
 * @returns {{start(): void, running(): void, heard(message: object): void, stop(): void, check(): void}}
 */
export function createHeartbeat({onStuck, onBusy = () => {}, now = () => performance.now()}) {
  let timer = null;
  let lastHeard = 0;       // ms: the last message (minus the time the page was frozen)
  let lastTick = 0;
  let starting = true;
  let busy = null;         // {op, allowS, since} while a declared op runs
  let shown = false;

  function tick() {
    if (!timer) return;  // stopped: the worker was given up on, or replaced
    const t = now();
    const frozen = t - lastTick - TICK_MS;   // this tick came late: the page could not run
    if (frozen > 250) lastHeard += frozen;
    lastTick = t;
    const silentS = (t - lastHeard) / 1000;
    const limit = busy ? busy.allowS : starting ? START_LIMIT_S : IDLE_LIMIT_S;
    if (busy && silentS > SHOW_BUSY_AFTER_S) { shown = true; onBusy({op: busy.op, seconds: Math.round(silentS)}); }
    if (silentS > limit) {
      const op = busy ? busy.op : null;
      stop();
      onStuck({silentS: Math.round(silentS * 10) / 10, op, starting});
    }
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    busy = null;
    if (shown) { shown = false; onBusy(null); }
  }

  return {
    /** A worker was just started: expect a message within START_LIMIT_S. */
    start() {
      stop();
      starting = true;
      lastHeard = lastTick = now();
      timer = setInterval(tick, TICK_MS);
    },
    /** The worker said 'ready': from now on it beats every second. */
    running() { starting = false; },
    /** Any message from the worker. */
    heard(message) {
      lastHeard = now();
      if (message && message.type === 'busy') {
        busy = {op: String(message.op || 'a request'), allowS: Number(message.allowS) || 60, since: lastHeard};
      } else {
        busy = null;
        if (shown) { shown = false; onBusy(null); }
      }
    },
    stop,
    /** One check now (the timer calls it every TICK_MS; tests call it with their own clock). */
    check: tick,
  };
}
