// The inputs data source: every engine call of the Explore-inputs views (morph, pour, perturb,
// hidden space, drawing pad, input plane) goes through here and the page's one scheduler. The
// views ask for data and draw what comes back; they never talk to the engine.
//
// A user action (force) runs as soon as the queue allows and replaces a stale queued request
// of the same view; a view that follows training (follow) asks at most every FOLLOW_MS and
// joins a request already queued instead of replacing it.

/** Per view: the engine op and how often a view that follows training may ask (ms). */
export const INPUT_OPS = {
  morph: {op: 'morph', followMs: 1000},
  pour: {op: 'pour', followMs: 4000},
  perturb: {op: 'perturb', followMs: 1000},
  project: {op: 'project', followMs: 1000},
  plane: {op: 'input_plane', followMs: 150},
  classify: {op: 'classify_input', followMs: 0},
  getInput: {op: 'get_input', followMs: 0},
};

/** @param {{scheduler, store}} app  window.glassbox (its scheduler and store). */
export function createInputsSource(app) {
  const source = {
    info: () => app.store.get().info,
    settings: () => app.store.get().settings,
    snapshot: () => app.store.get().snapshot,
    progress: () => app.store.get().progress,
    busy: (name) => app.scheduler.busy('inputs:' + name),
  };
  for (const [name, {op, followMs}] of Object.entries(INPUT_OPS)) {
    /** source[name](args, {follow, force}) -> the engine's answer */
    source[name] = (args, {follow = false, force = false} = {}) => app.scheduler.request(op, args,
      {key: 'inputs:' + name, throttleMs: follow ? followMs : 0, force: force || !follow, replace: !follow});
  }
  return source;
}
