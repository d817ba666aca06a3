// "Try this" tasks of the lessons: a condition id -> a check on what the page's glassbox holds.
// Pure (no DOM): the lesson page (lesson.js) calls the check on every store change, and the build
// (lessons/validate.mjs, in node) calls parseCondition on every task so an unknown id fails it.
//
// Condition ids (lessons/README.md lists them with examples):
//   METRIC OP NUMBER    steps, loss, accuracy (validation: the dashed curves), train_loss,
//                       train_accuracy; OP one of >= <= > <        e.g. accuracy>=0.9, steps>=200
//   alert:KIND          the health monitor raises alert KIND on the main run (a detector kind, e.g.
//                       vanishing_gradients, dead_relu; the kinds the presets trip, from tables.json)
//   fork:made           a second run trains beside the main one (a health fix, or fork())
//   pour:done           the Pour view has a result for the current network
//   pour:selective      ... and some hidden neuron separates the two sets almost perfectly (|s| >= 0.95)
//   morph:flip          the morph starts at its "from" class, ends at its "to" class, and flips between
//   modules:found       a hidden layer splits into at least two functional modules
//   swarm:round         a swarm trains in this page and has finished a round
//   swarm:selected      a member of this page's swarm was opened in the main views
//   A & B               both (e.g. modules:found & steps>=300: modules of a trained network)

const METRICS = {
  steps: (state) => state.step,
  loss: (state) => state.valLoss,
  accuracy: (state) => state.valAccuracy,
  train_loss: (state) => state.loss,
  train_accuracy: (state) => state.accuracy,
};
const OPS = {'>=': (a, b) => a >= b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '<': (a, b) => a < b};
const SELECTIVE = 0.95;  // a random digits net reaches ~0.77 in its hidden layer, a trained one ~0.98

/** Typed arrays arrive as {dtype, shape, data} or plain arrays. */
const values = (v) => (v && v.data ? Array.from(v.data) : Array.isArray(v) ? v : []);

/** The Pour result, when it is for the class sets the settings name (a result arrives before the
 *  settings follow it, and a settings change before its new result). */
function pourResult(ctx) {
  const result = ctx.store.inputs?.pour?.result, settings = ctx.store.settings;
  if (!result || !settings?.pour_a) return result || null;
  const same = (x, y) => JSON.stringify(Array.from(x || [])) === JSON.stringify(Array.from(y || []));
  return same(result.a, settings.pour_a) && same(result.b, settings.pour_b) ? result : null;
}

const EVENTS = {
  'fork:made': (ctx) => ctx.runs.length >= 2,
  'pour:done': (ctx) => Boolean(pourResult(ctx)),
  'pour:selective': (ctx) => (pourResult(ctx)?.layers || []).slice(0, -1)  // hidden layers only
    .some((layer) => values(layer.selectivity).some((s) => Math.abs(s) >= SELECTIVE)),
  'morph:flip': (ctx) => {
    const {result, request} = ctx.store.inputs?.morph || {};
    const pred = values(result?.pred);
    if (!result || !pred.length || !(result.flips || []).length) return false;
    const from = request?.from?.class, to = request?.to?.class;
    return (from === undefined || pred[0] === from) && (to === undefined || pred[pred.length - 1] === to);
  },
  'modules:found': (ctx) => (ctx.store.modules?.result?.layers || [])
    .some((layer) => (layer.modules || []).length >= 2),
  'swarm:round': (ctx) => ['running', 'paused', 'stopped'].includes(ctx.swarm?.status) && (ctx.swarm?.round ?? 0) >= 1,
  'swarm:selected': (ctx) => ctx.swarm?.selected != null && ctx.swarm?.status !== 'playing-file',
};

/** The detector kinds an `alert:` condition may name: every kind some preset trips. */
export function alertKinds(tables) {
  return [...new Set(Object.values(tables.presets || {}).flatMap((preset) => preset.detectors || []))].sort();
}

/**
 * parseCondition(id, tables) -> {check(ctx) -> boolean, needs: [what the check reads: 'health',
 * 'pour', 'morph', 'modules', 'swarm']} or {error}. ctx: {state: glassbox.state(), store:
 * store.get(), alerts: glassbox.health('main'), runs: glassbox.runs(), swarm: glassbox.swarm.state()}.
 */
export function parseCondition(id, tables) {
  if (typeof id !== 'string' || !id.trim()) return {error: 'a task needs a condition id'};
  const parts = id.split('&').map((part) => part.trim());
  if (parts.length > 1) {
    const parsed = parts.map((part) => parseOne(part, tables));
    const bad = parsed.find((p) => p.error);
    if (bad) return bad;
    return {needs: parsed.flatMap((p) => p.needs), check: (ctx) => parsed.every((p) => p.check(ctx))};
  }
  return parseOne(id.trim(), tables);
}

function parseOne(id, tables) {
  if (!id) return {error: 'an empty part in a condition joined by &'};
  const metric = /^([a-z_]+)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)$/.exec(id);
  if (metric) {
    const [, name, op, number] = metric;
    const read = METRICS[name];
    if (!read) return {error: `unknown metric "${name}" in condition "${id}"; use ${Object.keys(METRICS).join(', ')}`};
    const limit = Number(number);
    return {needs: [], check: (ctx) => Number.isFinite(read(ctx.state)) && OPS[op](read(ctx.state), limit)};
  }
  if (id.startsWith('alert:')) {
    const kind = id.slice('alert:'.length), kinds = alertKinds(tables);
    if (!kinds.includes(kind)) return {error: `unknown alert "${kind}" in condition "${id}"; use alert:${kinds.join(', alert:')}`};
    return {needs: ['health'], check: (ctx) => (ctx.alerts || []).some((alert) => alert.kind === kind)};
  }
  if (Object.hasOwn(EVENTS, id)) return {needs: [id.split(':')[0].replace('fork', 'health')], check: EVENTS[id]};
  return {error: `unknown condition "${id}"; use METRIC>=NUMBER (${Object.keys(METRICS).join(', ')}), ` +
    `alert:KIND or one of ${Object.keys(EVENTS).join(', ')} (join two with &)`};
}
