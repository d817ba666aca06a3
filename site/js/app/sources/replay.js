// Replay: the main run as it was at a recorded step (engine op 'replay'; the engine keeps a thinned
// history of weights per run: py/glassbox/monitor/replay.py). Showing a past step pauses training;
// the store's `replay` slice is what the page draws instead of the live snapshot while `active`:
//   {active: bool, step: the step shown, steps: every recorded step, snapshot: that step's full
//    snapshot, liveStep: the live run's step, error: a message or null}
// The network view and the replay bar follow it; analyses (inputs, modules, health) stay on the
// live network, which is what the engine's other ops read.

const IDLE = {active: false, step: null, steps: [], snapshot: null, liveStep: null, error: null};

/**
 * @param {{store, scheduler, pause: () => Promise, ready: () => Promise}} deps
 */
export function createReplaySource({store, scheduler, pause, ready}) {
  store.set({replay: {...IDLE}});
  const slice = () => store.get().replay;
  const write = (partial) => store.set({replay: {...slice(), ...partial}});

  // Training again (or a new model) means live again.
  store.subscribe((state, changed) => {
    if (!state.replay.active) return;
    if (changed.includes('status') && state.status === 'training') live();
    else if (changed.includes('info')) live();
  });

  function live() {
    if (slice().active || slice().snapshot) store.set({replay: {...IDLE, steps: slice().steps}});
  }

  /** Show the main run at `step` (the newest recorded step at or before it); 'live' or null goes back. */
  async function show(step) {
    if (step === 'live' || step === null) { live(); return {step: null, steps: slice().steps, live: true}; }
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      throw new Error(`replay(step): step must be a step number or 'live', got ${JSON.stringify(step)}`);
    }
    await ready();
    if (store.get().status === 'training') await pause();
    const liveStep = store.get().snapshot ? store.get().snapshot.step : 0;
    let answer;
    try {
      // One key: a drag asks for many steps; only the newest queued one is computed.
      answer = await scheduler.request('replay', {step: Math.floor(step)}, {key: 'replay'});
    } catch (error) {
      if (error.cancelled) return {step: slice().step, steps: slice().steps, cancelled: true};
      write({error: String(error.message || error)});
      throw error;
    }
    if (store.get().status === 'training') return {step: answer.step, steps: answer.steps, live: true};
    store.set({replay: {active: true, step: answer.step, steps: answer.steps, snapshot: answer.snapshot, liveStep, error: null}});
    return {step: answer.step, steps: answer.steps};
  }

  return {show, live, get state() { return slice(); }};
}
