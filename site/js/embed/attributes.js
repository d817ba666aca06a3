// What a <glassbox-view> (or embed.html's address) asks for, read and checked in one place. Pure:
// no DOM, no engine; the URL schema (state/url-state.js) decides what a setting may be.
//
// Attributes (and embed.html's URL keys) are the URL schema's keys plus the element's own:
//   view       which view to show (VIEW_NAMES below, or any name embed.js MOUNTABLE lists)
//   controls   show the minimal transport (Play/Pause, Step, Reset, "step N · loss x")
//   allow      embed.html only: origins whose postMessage requests are obeyed (embed/frame-bridge.js)
//   debug      embed.html only: show the message counts line
//   start-timeout  seconds Python may take to start before the element shows an error (5 to 600)
// Standard HTML attributes (id, class, style, title, lang, dir, slot, tabindex, role, aria-*,
// data-*) are the page's own and are ignored here. Anything else is named in a note.

/** The view names course pages use -> the mount that draws them (site/js/embed.js MOUNTABLE). */
export const VIEW_NAMES = {
  network: 'network', curves: 'curves', draw: 'draw', morph: 'morph', pour: 'pour', perturb: 'perturb',
  hidden: 'projection', health: 'health', modules: 'module-map', swarm: 'swarm-graph',
};

export const OWN_KEYS = ['view', 'controls', 'allow', 'debug', 'start-timeout'];
const HTML_KEYS = new Set(['id', 'class', 'style', 'title', 'lang', 'dir', 'slot', 'tabindex', 'role', 'part', 'is', 'nonce', 'translate', 'inert']);

/** Text cut to `n` characters for a note (hostile values can be long). */
export function clip(value, n = 40) {
  const text = String(value);
  return text.length > n ? text.slice(0, n) + '…' : text;
}

/**
 * The mount for view `name`: the short names above, or a MOUNTABLE name itself.
 * Returns {mount} or {error} naming the valid short names.
 */
export function resolveView(name, mountable) {
  const valid = Object.keys(VIEW_NAMES).join(', ');
  if (name == null || name === '') return {error: `no view was named; use view= one of ${valid}`};
  if (Object.hasOwn(VIEW_NAMES, name)) return {mount: VIEW_NAMES[name]};
  if (Object.hasOwn(mountable, name)) return {mount: name};
  return {error: `unknown view "${clip(name)}"; use one of ${valid}`};
}

/** A present boolean attribute: "", "controls", "true", "1" are on; "false", "0", "no", "off" off. */
export function flag(value) {
  if (value == null) return false;
  return !['false', '0', 'no', 'off'].includes(String(value).trim().toLowerCase());
}

/**
 * Read [name, value] pairs (attributes, or URL parameters) against `schema` (makeSchema(tables)).
 * Returns {view, controls, allow, debug, startTimeoutS, settings, notes}: settings holds only the checked values that
 * were given (URL keys -> values); each bad value or unknown name is one note, and is not used.
 */
export function readRequest(pairs, schema) {
  const out = {view: null, controls: false, allow: null, debug: false, startTimeoutS: null, settings: {}, notes: []};
  const keys = new Set(schema.SCHEMA.map((row) => row.key));
  for (const [rawName, value] of pairs) {
    const name = String(rawName).toLowerCase();
    if (name === 'view') out.view = String(value).trim();
    else if (name === 'controls') out.controls = flag(value);
    else if (name === 'allow') out.allow = String(value);
    else if (name === 'debug') out.debug = flag(value);
    else if (name === 'start-timeout') {
      const seconds = /^\s*\d+(\.\d+)?\s*$/.test(String(value)) ? Number(value) : NaN;
      if (seconds >= 5 && seconds <= 600) out.startTimeoutS = seconds;
      else out.notes.push(`Ignored start-timeout="${clip(value)}": it must be a number of seconds from 5 to 600; using the default.`);
    }
    else if (keys.has(name)) {
      const result = schema.coerce(name, value);
      if (result.error) out.notes.push(`Ignored ${name}="${clip(value)}": ${result.error}; using the default.`);
      else out.settings[name] = result.value;
    } else if (HTML_KEYS.has(name) || name.startsWith('aria-') || name.startsWith('data-') || name.startsWith('on')) {
      continue;  // the page's own attributes
    } else {
      out.notes.push(`Ignored unknown setting "${clip(name)}" (settings are the URL keys: ${[...keys].slice(0, 12).join(', ')}, …).`);
    }
  }
  return out;
}

/**
 * The settings of `asked` that differ from what the shared engine runs (`running`, the store's
 * settings), as notes: one engine per page, so the first element's settings are the page's.
 */
export function sharedNotes(asked, running) {
  const differ = Object.entries(asked).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(running[key]));
  if (!differ.length) return [];
  const shown = (v) => (Array.isArray(v) ? v.join(',') : String(v));
  return [`This view shares the page's one engine, which was started first with other settings: ` +
    differ.map(([key, value]) => `${key} is ${shown(running[key])} (asked ${shown(value)})`).join('; ') +
    '. Put the same settings on every <glassbox-view> of a page, or call element.app.configure().'];
}
