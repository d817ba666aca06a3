// Argument checks of window.glassbox's members (app/api.js), in one place. Each check returns
// the clean value or throws an Error whose message names the member, the argument, what is
// allowed and what was given, so a course page's mistake is never a TypeError deep inside, a
// silent no-op, or an engine state the page does not know about. Settings themselves are
// checked by the URL schema (state/url-state.js), exactly as the engine checks them.

/** The most steps one `train({steps})` call may ask for (the engine trains them in chunks). */
export const MAX_API_STEPS = 1000000;

/** Engine ops that replace the main run: `request()` refuses them and names the member that
 *  does the same while keeping the settings, the address bar and every view in step. */
export const MAIN_RUN_OPS = {
  configure: 'configure({...})', load_model: 'loadModel(source)', adopt: 'swarm.select(id)',
  load_run: 'loadRun(file)', load_data: 'loadData(file)', undo_configure: 'undo()', set_lr: 'configure({lr})',
};

/** A value as text in a message (short; arrays and strings recognisable). */
export function shown(value) {
  let text;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'function') text = 'a function';
  else if (Array.isArray(value) || (value && typeof value === 'object')) {
    try { text = JSON.stringify(value); } catch (error) { text = String(value); }
  } else text = String(value);
  return text.length > 60 ? text.slice(0, 60) + '…' : text;
}

const isPlainObject = (v) => v != null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
const wholeIn = (v, lo, hi) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/**
 * train(options): `undefined` or `{}` or `{steps: null}` -> null (train until paused); a number
 * n or `{steps: n}` -> n, a whole number from 1 to MAX_API_STEPS. Anything else throws.
 */
export function trainSteps(options) {
  const range = `a whole number from 1 to ${MAX_API_STEPS.toLocaleString('en')} (omit it to train until paused)`;
  let steps;
  if (options === undefined) return null;
  if (typeof options === 'number') steps = options;
  else if (isPlainObject(options)) {
    const unknown = Object.keys(options).filter((key) => key !== 'steps');
    if (unknown.length) throw new Error(`train({steps}): unknown option ${unknown.map(shown).join(', ')}; the only option is steps, ${range}`);
    if (options.steps == null) return null;
    steps = options.steps;
  } else {
    throw new Error(`train({steps}): expected {steps: n} or a number n of steps, n ${range}; got ${shown(options)}`);
  }
  if (!wholeIn(steps, 1, MAX_API_STEPS)) throw new Error(`train({steps}): steps must be ${range}, got ${shown(steps)}`);
  return steps;
}

/** on(event, fn): fn must be a function (else every event would log an error later). */
export function listener(fn) {
  if (typeof fn !== 'function') throw new Error(`on(event, fn): fn must be a function, got ${shown(fn)}`);
  return fn;
}

/** request(op, args): a known op that does not replace the main run; args a plain object
 *  without `op` (the op is the first argument). Returns args ({} when omitted). */
export function requestArgs(op, args, ops) {
  if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(ops, op)) {
    throw new Error(`request(op, args): unknown op ${shown(op)}; tables.ops lists the ops`);
  }
  if (Object.prototype.hasOwnProperty.call(MAIN_RUN_OPS, op)) {
    throw new Error(`request('${op}') would change the main run behind the page's back (its settings, ` +
      `address bar and views would not follow): use glassbox.${MAIN_RUN_OPS[op]} instead`);
  }
  if (args === undefined) return {};
  if (!isPlainObject(args)) throw new Error(`request(op, args): args must be an object of the op's arguments, got ${shown(args)}`);
  if ('op' in args) throw new Error("request(op, args): args must not hold 'op' (the op is the first argument)");
  return args;
}

/** perturb({value}): a finite number, or null/undefined for the trained value (NaN would
 *  travel as null in JSON and silently mean "the trained value"). */
export function perturbArgs(args) {
  if (args === undefined) return {};
  if (!isPlainObject(args)) throw new Error(`perturb(options): expected an object, got ${shown(args)}`);
  const {value} = args;
  if (value != null && !(typeof value === 'number' && Number.isFinite(value))) {
    throw new Error(`perturb: value must be a finite number (or null for the trained value), got ${shown(value)}`);
  }
  return args;
}

/** project({layer}): a column of this network, 0 (the input) to L (the output). */
export function projectArgs(args, layers) {
  if (args === undefined) return {};
  if (!isPlainObject(args)) throw new Error(`project(options): expected an object, got ${shown(args)}`);
  const L = layers.length - 1;
  if (args.layer !== undefined && !wholeIn(args.layer, 0, L)) {
    throw new Error(`project: layer must be a whole number from 0 (the input) to ${L} (the output) for this ` +
      `network (layer sizes ${layers.join(', ')}), got ${shown(args.layer)}`);
  }
  return args;
}

/** morph({from, to}) / pour({a, b}): class numbers must exist in this dataset (0 to n-1). */
export function classArgs(member, args, keys, nClasses) {
  if (args === undefined) return {};
  if (!isPlainObject(args)) throw new Error(`${member}(options): expected an object, got ${shown(args)}`);
  for (const key of keys) {
    const value = args[key];
    const numbers = typeof value === 'number' ? [value] : Array.isArray(value) ? value
      : isPlainObject(value) && 'class' in value ? [value.class] : [];
    for (const c of numbers) {
      if (!wholeIn(c, 0, nClasses - 1)) {
        throw new Error(`${member}: ${key} must name classes from 0 to ${nClasses - 1} (this dataset has ${nClasses}), got ${shown(c)}`);
      }
    }
  }
  return args;
}
