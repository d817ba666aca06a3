// THE EMBED MESSAGE PROTOCOL, written down once: how a page drives embed.html in an iframe
// (any origin, sandboxed or not) with window.postMessage. README "Embedding Glassbox in a course
// page" summarises it.
//
// Who may talk: the frame obeys only messages whose event.origin is on its allow-list, set by the
// author in the iframe's URL: `embed.html?view=curves&allow=https://course.example,https://b.example`
// (origins, comma-separated), or `allow=*` (any origin: an explicit opt-in). Without `allow`: only
// the origin that serves embed.html. A sandboxed parent's origin is the text "null"; allow it
// with `allow=null`.
//
// parent -> frame   a plain object {type, id, ...arguments}; `id` (a string of up to 100
//                   characters or a finite number) is echoed in the reply:
//   {type: 'hello'}                      -> {version, view, status}
//   {type: 'configure', settings: {...}} -> state   settings are URL keys, checked as
//                                                   window.glassbox.configure checks them
//   {type: 'play'}                       -> state   train until paused (answers once started)
//   {type: 'pause'}                      -> state   after the chunk in progress
//   {type: 'train', steps: N}            -> state   once N steps are trained (1 to the API's limit)
//   {type: 'step'}                       -> state
//   {type: 'reset'}                      -> state   fresh weights, same settings
//   {type: 'state'}                      -> state
//   {type: 'subscribe', every: ms}       -> {subscribed: true, every}: from now on the frame
//        posts {type: 'snapshot', summary} to the subscriber for each new snapshot, at most one
//        per `every` ms (0 to 10000, default 100); a second subscribe from the same window
//        replaces the first
//   {type: 'unsubscribe'}                -> {subscribed: false}
//   {type: 'stats'}                      -> stats (below)
// frame -> parent
//   {type: 'reply', id, ok: true, result} or {type: 'reply', id, ok: false, error}  one per request
//   {type: 'ready', view, state}         once the engine is ready, to window.parent (when its
//                                        origin can be named: not for allow=* or a null origin)
//   {type: 'snapshot', summary}          to subscribers
// state and summary: {status, step, epoch, loss, accuracy, valLoss, valAccuracy, lr, dataset, layers}
//
// Never executed, only counted (stats): a message from an origin not allowed (no reply: the
// sender learns nothing), one that is not a plain object with a string `type` and a valid or
// absent `id` or is larger than MAX_MESSAGE_CHARS (malformed), and one of a type not listed
// above (unknown). Malformed and unknown messages from an allowed origin get an error reply when
// their id can be read. stats: {obeyed, ignored: {origin, malformed, unknown}, last: why the last
// one was ignored}; embed.html shows them in a line with `debug` in its URL.

export const VERSION = 1;
export const MAX_MESSAGE_CHARS = 20000;
const SUMMARY_KEYS = ['status', 'step', 'epoch', 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'dataset', 'layers'];

/**
 * The allow-list from the URL's `allow` value: {any: true} for '*', else {origins: Set}.
 * `home` (the origin serving embed.html) is the default. Entries that are not origins are notes.
 */
export function parseAllow(value, home) {
  if (value == null || value === '') return {any: false, origins: new Set([home]), notes: []};
  const notes = [];
  const origins = new Set();
  for (const part of String(value).split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part === '*') return {any: true, origins: new Set(), notes};
    if (part === 'null') { origins.add('null'); continue; }
    try {
      const url = new URL(part);
      if (!['http:', 'https:'].includes(url.protocol) || url.origin === 'null') throw new Error('not http(s)');
      origins.add(url.origin);
    } catch (_) {
      notes.push(`Ignored allow entry "${String(part).slice(0, 60)}": not an origin such as https://course.example`);
    }
  }
  return {any: false, origins, notes};
}

const isPlain = (x) => x !== null && typeof x === 'object' && !Array.isArray(x)
  && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);
const validId = (id) => id === undefined || (typeof id === 'string' && id.length <= 100) || (typeof id === 'number' && Number.isFinite(id));

/** How big a message is, roughly (a cyclic or unclonable one counts as too big). */
function size(data) {
  try { return JSON.stringify(data).length; } catch (_) { return Infinity; }
}

/** glassbox.state() cut to what crosses to the parent. */
export function summary(state) {
  return Object.fromEntries(SUMMARY_KEYS.map((key) => [key, state[key] ?? null]));
}

/**
 * Listen on `win` for the protocol above. `getApp()` resolves window.glassbox once the view is
 * mounted; `view` is the shown view's name. Returns {stats(), onChange(fn), destroy()}.
 */
export function createFrameBridge({win = window, allow, getApp, view}) {
  const counts = {obeyed: 0, ignored: {origin: 0, malformed: 0, unknown: 0}, last: null};
  const watchers = new Set();
  const changed = () => watchers.forEach((fn) => fn(stats()));
  const stats = () => ({obeyed: counts.obeyed, ignored: {...counts.ignored}, last: counts.last});
  const subscribers = new Map();   // source window -> {origin, every, last, timer}
  let offSnapshot = null;

  const allowed = (origin) => allow.any || allow.origins.has(origin);
  const target = (origin) => (origin === 'null' ? '*' : origin);   // a null origin cannot be named
  const reply = (source, origin, id, body) => {
    try { source.postMessage({type: 'reply', id, ...body}, target(origin)); } catch (_) { /* gone */ }
  };
  const ignore = (kind, why) => { counts.ignored[kind] += 1; counts.last = why; changed(); };

  const HANDLERS = {
    hello: async (app) => ({version: VERSION, view, status: app ? app.state().status : 'loading'}),
    configure: async (app, data) => {
      if (!isPlain(data.settings)) throw new Error('configure needs settings: an object of URL keys, e.g. {lr: 0.05}');
      await app.configure(data.settings);
      return summary(app.state());
    },
    play: async (app) => { await app.ready; app.play(); return summary(app.state()); },
    pause: async (app) => summary(await app.pause()),
    train: async (app, data) => {
      if (data.steps === undefined) throw new Error('train needs steps: a whole number of steps, e.g. {type: "train", steps: 50}');
      return summary(await app.train({steps: data.steps}));
    },
    step: async (app) => { await app.step(); return summary(app.state()); },
    reset: async (app) => { await app.reset(); return summary(app.state()); },
    state: async (app) => summary(app.state()),
    subscribe: async (app, data, source, origin) => {
      const every = data.every === undefined ? 100 : data.every;
      if (typeof every !== 'number' || !Number.isFinite(every) || every < 0 || every > 10000) {
        throw new Error(`subscribe: every must be a number of ms from 0 to 10000, got ${String(every).slice(0, 40)}`);
      }
      subscribers.set(source, {origin, every, last: 0, timer: null});
      follow(app);
      return {subscribed: true, every};
    },
    unsubscribe: async (app, data, source) => {
      const sub = subscribers.get(source);
      if (sub) clearTimeout(sub.timer);
      subscribers.delete(source);
      return {subscribed: false};
    },
    stats: async () => stats(),
  };
  const NEEDS_APP = new Set(['configure', 'play', 'pause', 'train', 'step', 'reset', 'state', 'subscribe']);

  /** Send each subscriber the newest summary, at most one per its `every` ms. */
  function follow(app) {
    if (offSnapshot) return;
    offSnapshot = app.on('snapshot', () => {
      for (const [source, sub] of subscribers) {
        if (sub.timer) continue;
        const wait = Math.max(0, sub.last + sub.every - performance.now());
        sub.timer = setTimeout(() => {
          sub.timer = null;
          sub.last = performance.now();
          try { source.postMessage({type: 'snapshot', summary: summary(app.state())}, target(sub.origin)); } catch (_) { subscribers.delete(source); }
        }, wait);
      }
    });
  }

  async function onMessage(event) {
    const {data, origin, source} = event;
    if (!allowed(origin)) { ignore('origin', `a message from ${String(origin).slice(0, 80)}, which is not allowed`); return; }
    if (!source || typeof source.postMessage !== 'function') { ignore('malformed', 'a message without a window to answer'); return; }
    const id = isPlain(data) && validId(data.id) ? data.id : undefined;
    if (!isPlain(data) || typeof data.type !== 'string' || !validId(data.id) || size(data) > MAX_MESSAGE_CHARS) {
      ignore('malformed', 'a message that is not {type, id, ...} (a plain object, type a string, id a string or number, under 20000 characters)');
      if (id !== undefined) reply(source, origin, id, {ok: false, error: 'malformed message: expected {type, id, ...arguments}'});
      return;
    }
    if (!Object.hasOwn(HANDLERS, data.type)) {
      ignore('unknown', `a message of unknown type "${data.type.slice(0, 40)}"`);
      reply(source, origin, id, {ok: false, error: `unknown type "${data.type.slice(0, 40)}"; use ${Object.keys(HANDLERS).join(', ')}`});
      return;
    }
    counts.obeyed += 1;
    changed();
    try {
      const app = NEEDS_APP.has(data.type) ? await getApp() : await Promise.race([getApp(), Promise.resolve(null)]);
      reply(source, origin, id, {ok: true, result: await HANDLERS[data.type](app, data, source, origin)});
    } catch (error) {
      reply(source, origin, id, {ok: false, error: String(error && error.message || error)});
    }
  }

  const listener = (event) => { onMessage(event); };
  win.addEventListener('message', listener);

  /** Tell the parent the view is ready, where its origin can be named (never to an unknown one). */
  async function announce() {
    const app = await getApp();
    await app.ready;
    if (win.parent === win) return;
    const named = [...allow.origins].filter((o) => o !== 'null');
    for (const origin of named) {
      try { win.parent.postMessage({type: 'ready', view, state: summary(app.state())}, origin); } catch (_) { /* gone */ }
    }
  }
  announce().catch(() => {});

  return {
    stats,
    onChange(fn) { watchers.add(fn); return () => watchers.delete(fn); },
    destroy() {
      win.removeEventListener('message', listener);
      if (offSnapshot) offSnapshot();
      for (const sub of subscribers.values()) clearTimeout(sub.timer);
      subscribers.clear();
    },
  };
}
