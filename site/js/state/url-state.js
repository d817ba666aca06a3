// All UI state that matters lives in the URL hash, through this one schema table.
// Invalid or hostile values fall back to defaults with a note; nothing here throws on input.
// Pure (no DOM): the engine rows come from the tables the engine declares (dist/tables.json,
// py/glassbox/protocol/tables.py), so makeSchema(tables) runs the same in node and the page.

import {applyPreset} from './presets.js';

/** What can train (site/js/engine/accel.js): declared once, here, for the URL row and the worker. */
export const BACKENDS = ['auto', 'numpy', 'wasm', 'webgpu'];
/** The app page's modes (site/js/ui/modes.js draws them as tabs), in tab order. */
export const PAGES = ['train', 'inputs', 'health', 'modules', 'swarm'];
const KS = ['auto', '2', '3', '4', '5', '6', '7', '8', '9', '10', '12', '16'];

/** The page's own rows (not engine settings): how things are shown, feature choices. */
export function pageRows(tables) {
  const methods = tables.modules.methods;
  return [
    // What the student is doing: which mode's panels the app page shows (site/js/ui/modes.js).
    {key: 'page', type: 'enum', default: 'train', options: PAGES, label: 'Page mode'},
    {key: 'speed', type: 'int', default: 3, min: 1, max: 5, label: 'Speed'},
    // What trains (site/js/engine/accel.js): onnxruntime-web where it loads, else numpy.
    {key: 'backend', type: 'enum', default: 'auto', options: BACKENDS, label: 'Training engine'},
    {key: 'probe', type: 'probe', default: 0, min: 0, max: 63, label: 'Shown input'},
    {key: 'mode', type: 'enum', default: 'activation', options: ['activation', 'gradient'], label: 'Brightness'},
    {key: 'autoplay', type: 'bool', default: true, label: 'Train on load'},
    // Health (site/js/ui/health-ui.js): presets that break the network on purpose, and whether
    // gradient brightness is scaled per layer or across all layers.
    {key: 'preset', type: 'enum', default: 'none', options: ['none', ...Object.keys(tables.presets)], label: 'Preset'},
    {key: 'grad_scale', type: 'enum', default: 'layer', options: ['layer', 'global'], label: 'Gradient scale'},
    // Functional modules (site/js/ui/modules-ui.js): how neurons are grouped and how often.
    {key: 'modules_method', type: 'enum', default: methods[0], options: methods, label: 'Module algorithm'},
    {key: 'modules_k', type: 'enum', default: 'auto', options: KS, label: 'Modules per layer (k)'},
    {key: 'modules_layer', type: 'enum', default: 'all', options: ['all', '1', '2', '3', '4', '5', '6', '7', '8'], label: 'Module layer'},
    {key: 'modules_similarity', type: 'enum', default: tables.modules.similarities[0], options: tables.modules.similarities, label: 'Group neurons that'},
    {key: 'modules_split', type: 'enum', default: 'val', options: ['val', 'train'], label: 'Module probe set'},
    {key: 'modules_n', type: 'int', default: 1000, min: 10, max: tables.modules.max_probe, label: 'Module probe samples'},
    {key: 'modules_every', type: 'int', default: 10, min: 0, max: 1000, label: 'Recompute modules every K snapshots (0 = by hand)'},
    {key: 'modules_vs', type: 'enum', default: 'none', options: ['none', ...methods], label: 'Compare modules with'},
    {key: 'modules_vs_k', type: 'enum', default: 'auto', options: KS, label: 'Compared k'},
    // Explore inputs (site/js/ui/inputs-ui.js): the open tab, morph ends, pour sets, projected layer, layout.
    {key: 'tab', type: 'enum', default: 'morph', options: ['morph', 'draw', 'pour', 'perturb', 'hidden'], label: 'Explore tab'},
    {key: 'morph_from', type: 'int', default: 5, min: 0, max: 99, label: 'Morph from class'},
    {key: 'morph_to', type: 'int', default: 6, min: 0, max: 99, label: 'Morph to class'},
    {key: 'morph_path', type: 'enum', default: 'pixel', options: ['pixel', 'real'], label: 'Morph path'},
    {key: 'pour_a', type: 'intlist', default: [3], min: 0, max: 99, maxLength: 10, label: 'Pour A classes'},
    {key: 'pour_b', type: 'intlist', default: [8], min: 0, max: 99, maxLength: 10, label: 'Pour B classes'},
    {key: 'pour_n', type: 'int', default: 200, min: 1, max: 1000, label: 'Pour samples per set'},
    {key: 'proj_layer', type: 'int', default: 1, min: 0, max: 9, label: 'Hidden-space layer'},
    {key: 'layout', type: 'enum', default: 'layered', options: ['layered', 'force'], label: 'Network layout'},
    {key: 'force_by', type: 'enum', default: 'weight', options: ['weight', 'coactivation'], label: 'Force layout pulls by'},
    // Saved runs (site/js/app/sources/autosave.js): continue this saved run at start (read once).
    {key: 'resume', type: 'runid', default: '', label: 'Resume saved run'},
  ].map((row) => ({...row, engine: false}));
}

/**
 * The URL schema built from the engine's tables: {SCHEMA, presets, defaults, coerce, parseHash,
 * toHash, withPreset, engineConfig}. SCHEMA rows: key, type, default, limits, label, and whether
 * the engine uses it (engine rows are tables.config_fields, in their order, first).
 */
export function makeSchema(tables) {
  const SCHEMA = [...tables.config_fields.map((row) => ({...row, engine: true})), ...pageRows(tables)];
  // A Map, not a plain object: keys such as __proto__, constructor or toString are just unknown.
  const BY_KEY = new Map(SCHEMA.map((row) => [row.key, row]));
  const presets = tables.presets;
  const engineKeys = SCHEMA.filter((row) => row.engine).map((row) => row.key);
  const MAX_HASH_LENGTH = 2000;
  const MAX_SHOWN_VALUE = 40;

  function defaults() {
    return Object.fromEntries(SCHEMA.map((row) => [row.key, structuredClone(row.default)]));
  }

  function shown(value) {
    const text = String(value);
    return text.length > MAX_SHOWN_VALUE ? text.slice(0, MAX_SHOWN_VALUE) + '…' : text;
  }

  function rangeText(row) {
    return `${row.min} to ${row.max}`;
  }

  /** A value as text for a message: arrays show their holes ("64,,32"), long text is cut. */
  function got(raw) {
    if (Array.isArray(raw)) return shown('[' + Array.from({length: raw.length}, (_, i) => (i in raw ? String(raw[i]) : '')).join(',') + ']');
    if (typeof raw === 'string') return shown(JSON.stringify(raw));
    return shown(raw);
  }

  /** A number from the URL (text) or the API (a number); anything else (bool, null, object) is NaN. */
  function numberFrom(text) {
    if (typeof text === 'number') return text;
    return typeof text === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : NaN;
  }

  /** The entries of an intlist: text "64,32" from the URL or the form, or an array of whole
   *  numbers from the API (holes, strings, bools, NaN, ±Infinity refused, as the engine does). */
  function listFrom(text) {
    if (Array.isArray(text)) {
      // Index by index: .every/.map skip the holes of a sparse array such as [64,,32].
      const values = [];
      for (let i = 0; i < text.length; i++) {
        if (!(i in text)) return {error: `entry ${i + 1} is empty`};
        if (typeof text[i] !== 'number') return {error: `entry ${i + 1} is not a number`};
        values.push(text[i]);
      }
      return {values};
    }
    if (typeof text !== 'string') return {error: 'it is not a list'};
    const parts = text === '' ? [] : text.split(',');
    return {values: parts.map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : NaN))};
  }

  /** Check one value (a string from the URL, or any value from the API). Returns {value} or {error}.
   *  Accepts exactly what the engine's check_field (train/config.py) accepts for engine rows. */
  function coerce(key, raw) {
    const row = typeof key === 'string' ? BY_KEY.get(key) : undefined;
    if (!row) return {error: `unknown setting "${shown(key)}"`};
    const text = typeof raw === 'string' ? raw.trim() : raw;
    switch (row.type) {
      case 'enum':
        return row.options.includes(text) ? {value: text} : {error: `${row.label} must be one of ${row.options.join(', ')}, got ${got(raw)}`};
      case 'bool':
        if (text === true || text === 'true' || text === '1') return {value: true};
        if (text === false || text === 'false' || text === '0') return {value: false};
        return {error: `${row.label} must be true or false, got ${got(raw)}`};
      case 'int':
      case 'number': {
        const number = numberFrom(text);
        const whole = row.type === 'int' ? Number.isInteger(number) : true;
        if (!Number.isFinite(number) || !whole || number < row.min || number > row.max) {
          return {error: `${row.label} must be ${row.type === 'int' ? 'a whole number' : 'a number'} from ${rangeText(row)}, got ${got(raw)}`};
        }
        return {value: number};
      }
      case 'intlist': {
        const {values, error} = listFrom(text);
        const bad = error || (values.length > row.maxLength ? `${values.length} entries` : null) ||
          values.map((v, i) => (Number.isInteger(v) && v >= row.min && v <= row.max ? null : `entry ${i + 1} is out of range`)).find(Boolean);
        return bad ? {error: `${row.label} must be up to ${row.maxLength} comma-separated widths from ${rangeText(row)} (${bad}), got ${got(raw)}`}
          : {value: values};
      }
      case 'probe': {
        if (text === 'mean') return {value: 'mean'};
        const index = typeof text === 'number' ? text : (typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN);
        return Number.isInteger(index) && index >= row.min && index <= row.max
          ? {value: index} : {error: `${row.label} must be "mean" or a sample number from ${rangeText(row)}, got ${got(raw)}`};
      }
      case 'runid':  // a saved run's id (letters, digits, - and _), or '' for none
        return typeof text === 'string' && /^[A-Za-z0-9_-]{0,80}$/.test(text)
          ? {value: text} : {error: `${row.label} must be a saved run's id (letters, digits, - and _)`};
      default:
        return {error: `${row.label} has an unknown type`};
    }
  }

  /** Parse a location hash. Returns {state, notes}: state is complete, notes explain what was ignored. */
  function parseHash(hash) {
    const state = defaults();
    const notes = [];
    let text = String(hash || '').replace(/^#/, '');
    if (text.length > MAX_HASH_LENGTH) {
      notes.push(`The link's settings were too long (${text.length} characters) and were ignored.`);
      return {state, notes};
    }
    let params;
    try {
      params = new URLSearchParams(text);
    } catch (error) {
      notes.push('The link\'s settings could not be read and were ignored.');
      return {state, notes};
    }
    // A key given twice: the last one wins (as URLSearchParams.set would leave it), with a note.
    const last = new Map();
    for (const [key, raw] of params) {
      if (last.has(key) && !notes.some((note) => note.startsWith(`${shown(key)} was given`))) notes.push(`${shown(key)} was given more than once; the last value (${shown(params.getAll(key).pop())}) is used.`);
      last.delete(key);
      last.set(key, raw);
    }
    for (const [key, raw] of last) {
      const result = coerce(key, raw);
      if (result.error) notes.push(`Ignored ${shown(key)}=${shown(raw)}: ${result.error}; using the default.`);
      else state[key] = result.value;
    }
    return {state: withPreset(state, [...last.keys()], defaults()), notes};
  }

  /** Expand or clear the `preset` key (site/js/state/presets.js) given the keys just set. */
  function withPreset(state, givenKeys, defaultState) {
    return applyPreset(state, givenKeys, defaultState, engineKeys, presets);
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  /** Serialise state to a hash; only values that differ from the defaults are written. */
  function toHash(state) {
    const params = new URLSearchParams();
    for (const row of SCHEMA) {
      const value = state[row.key];
      if (value === undefined || same(value, row.default)) continue;
      params.set(row.key, Array.isArray(value) ? value.join(',') : String(value));
    }
    const text = params.toString().replace(/%2C/g, ',');
    return text ? '#' + text : '';
  }

  /** The subset of state the engine is configured with. */
  function engineConfig(state) {
    return Object.fromEntries(SCHEMA.filter((row) => row.engine).map((row) => [row.key, state[row.key]]));
  }

    return {SCHEMA, presets, engineKeys, defaults, coerce, parseHash, toHash, withPreset, engineConfig};
}
