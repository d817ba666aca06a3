// All UI state that matters lives in the URL hash, through this one schema table.
// Invalid or hostile values fall back to defaults with a note; nothing here throws on input.

import {PRESETS, applyPreset} from './presets.js';

const DATASETS = ['digits', 'mnist', 'circle', 'xor', 'gaussians', 'spiral'];

/** One row per setting: key, type, default, limits, label, and whether the engine uses it. */
export const SCHEMA = [
  {key: 'dataset', type: 'enum', default: 'digits', options: DATASETS, engine: true, label: 'Dataset'},
  {key: 'hidden', type: 'intlist', default: [32], min: 1, max: 1024, maxLength: 8, engine: true, label: 'Hidden layers'},
  {key: 'activation', type: 'enum', default: 'relu', options: ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear'], engine: true, label: 'Activation'},
  {key: 'init', type: 'enum', default: 'he', options: ['he', 'glorot', 'small_uniform', 'zeros'], engine: true, label: 'Initialiser'},
  {key: 'optimizer', type: 'enum', default: 'sgd', options: ['sgd', 'momentum', 'adam'], engine: true, label: 'Optimiser'},
  {key: 'lr', type: 'number', default: 0.1, min: 1e-6, max: 10, engine: true, label: 'Learning rate'},
  {key: 'batch_size', type: 'int', default: 32, min: 1, max: 4096, engine: true, label: 'Batch size'},
  {key: 'seed', type: 'int', default: 0, min: 0, max: 2147483647, engine: true, label: 'Seed'},
  {key: 'l2', type: 'number', default: 0, min: 0, max: 1, engine: true, label: 'L2'},
  {key: 'bias_init', type: 'number', default: 0, min: -10, max: 10, engine: true, label: 'Bias initialisation'},
  {key: 'speed', type: 'int', default: 3, min: 1, max: 5, engine: false, label: 'Speed'},
  {key: 'probe', type: 'probe', default: 'mean', min: 0, max: 63, engine: false, label: 'Shown input'},
  {key: 'mode', type: 'enum', default: 'activation', options: ['activation', 'gradient'], engine: false, label: 'Brightness'},
  {key: 'autoplay', type: 'bool', default: true, engine: false, label: 'Train on load'},
  // Health feature (site/js/health-feature.js): presets that break the network on purpose, and
  // whether gradient brightness is scaled per layer or across all layers.
  {key: 'preset', type: 'enum', default: 'none', options: ['none', ...Object.keys(PRESETS)], engine: false, label: 'Preset'},
  {key: 'grad_scale', type: 'enum', default: 'layer', options: ['layer', 'global'], engine: false, label: 'Gradient scale'},
  // Functional modules (site/js/modules-feature.js): how neurons are grouped and how often.
  {key: 'modules_method', type: 'enum', default: 'kmeans', options: ['kmeans', 'agglomerative', 'nmf'], engine: false, label: 'Module algorithm'},
  {key: 'modules_k', type: 'enum', default: 'auto', options: ['auto', '2', '3', '4', '5', '6', '7', '8', '9', '10', '12', '16'], engine: false, label: 'Modules per layer (k)'},
  {key: 'modules_layer', type: 'enum', default: 'all', options: ['all', '1', '2', '3', '4', '5', '6', '7', '8'], engine: false, label: 'Module layer'},
  {key: 'modules_similarity', type: 'enum', default: 'coactivation', options: ['coactivation', 'dependence'], engine: false, label: 'Group neurons that'},
  {key: 'modules_split', type: 'enum', default: 'val', options: ['val', 'train'], engine: false, label: 'Module probe set'},
  {key: 'modules_n', type: 'int', default: 1000, min: 10, max: 2000, engine: false, label: 'Module probe samples'},
  {key: 'modules_every', type: 'int', default: 10, min: 0, max: 1000, engine: false, label: 'Recompute modules every K snapshots (0 = by hand)'},
  {key: 'modules_vs', type: 'enum', default: 'none', options: ['none', 'kmeans', 'agglomerative', 'nmf'], engine: false, label: 'Compare modules with'},
  {key: 'modules_vs_k', type: 'enum', default: 'auto', options: ['auto', '2', '3', '4', '5', '6', '7', '8', '9', '10', '12', '16'], engine: false, label: 'Compared k'},
  // Explore inputs (site/js/inputs-feature.js): the open tab, morph ends, pour sets, projected layer, layout.
  {key: 'tab', type: 'enum', default: 'morph', options: ['morph', 'draw', 'pour', 'perturb', 'hidden'], engine: false, label: 'Explore tab'},
  {key: 'morph_from', type: 'int', default: 5, min: 0, max: 99, engine: false, label: 'Morph from class'},
  {key: 'morph_to', type: 'int', default: 6, min: 0, max: 99, engine: false, label: 'Morph to class'},
  {key: 'morph_path', type: 'enum', default: 'pixel', options: ['pixel', 'real'], engine: false, label: 'Morph path'},
  {key: 'pour_a', type: 'intlist', default: [3], min: 0, max: 99, maxLength: 10, engine: false, label: 'Pour A classes'},
  {key: 'pour_b', type: 'intlist', default: [8], min: 0, max: 99, maxLength: 10, engine: false, label: 'Pour B classes'},
  {key: 'pour_n', type: 'int', default: 200, min: 1, max: 1000, engine: false, label: 'Pour samples per set'},
  {key: 'proj_layer', type: 'int', default: 1, min: 0, max: 9, engine: false, label: 'Hidden-space layer'},
  {key: 'layout', type: 'enum', default: 'layered', options: ['layered', 'force'], engine: false, label: 'Network layout'},
  {key: 'force_by', type: 'enum', default: 'weight', options: ['weight', 'coactivation'], engine: false, label: 'Force layout pulls by'},
];

const BY_KEY = Object.fromEntries(SCHEMA.map((row) => [row.key, row]));
const MAX_HASH_LENGTH = 2000;
const MAX_SHOWN_VALUE = 40;

export function defaults() {
  return Object.fromEntries(SCHEMA.map((row) => [row.key, structuredClone(row.default)]));
}

function shown(value) {
  const text = String(value);
  return text.length > MAX_SHOWN_VALUE ? text.slice(0, MAX_SHOWN_VALUE) + '…' : text;
}

function rangeText(row) {
  return `${row.min} to ${row.max}`;
}

/** Check one value (a string from the URL, or any value from the API). Returns {value} or {error}. */
export function coerce(key, raw) {
  const row = BY_KEY[key];
  if (!row) return {error: `unknown setting "${shown(key)}"`};
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (row.type) {
    case 'enum':
      return row.options.includes(text) ? {value: text} : {error: `${row.label} must be one of ${row.options.join(', ')}`};
    case 'bool':
      if (text === true || text === 'true' || text === '1') return {value: true};
      if (text === false || text === 'false' || text === '0') return {value: false};
      return {error: `${row.label} must be true or false`};
    case 'int':
    case 'number': {
      const number = typeof text === 'number' ? text : (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : NaN);
      const whole = row.type === 'int' ? Number.isInteger(number) : true;
      if (!Number.isFinite(number) || !whole || number < row.min || number > row.max) {
        return {error: `${row.label} must be ${row.type === 'int' ? 'a whole number' : 'a number'} from ${rangeText(row)}`};
      }
      return {value: number};
    }
    case 'intlist': {
      const parts = Array.isArray(text) ? text : (text === '' ? [] : String(text).split(','));
      const values = parts.map((part) => (typeof part === 'number' ? part : (/^\s*\d+\s*$/.test(part) ? Number(part) : NaN)));
      const ok = values.length <= row.maxLength && values.every((v) => Number.isInteger(v) && v >= row.min && v <= row.max);
      return ok ? {value: values} : {error: `${row.label} must be up to ${row.maxLength} comma-separated widths from ${rangeText(row)}`};
    }
    case 'probe': {
      if (text === 'mean') return {value: 'mean'};
      const index = typeof text === 'number' ? text : (/^\d+$/.test(text) ? Number(text) : NaN);
      return Number.isInteger(index) && index >= row.min && index <= row.max
        ? {value: index} : {error: `${row.label} must be "mean" or a sample number from ${rangeText(row)}`};
    }
    default:
      return {error: `${row.label} has an unknown type`};
  }
}

/** Parse a location hash. Returns {state, notes}: state is complete, notes explain what was ignored. */
export function parseHash(hash) {
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
  for (const [key, raw] of params) {
    const result = coerce(key, raw);
    if (result.error) notes.push(`Ignored ${shown(key)}=${shown(raw)}: ${result.error}; using the default.`);
    else state[key] = result.value;
  }
  return {state: withPreset(state, [...params.keys()], defaults()), notes};
}

/** Expand or clear the `preset` key (site/js/presets.js) given the keys just set. */
export function withPreset(state, givenKeys, defaultState) {
  return applyPreset(state, givenKeys, defaultState, SCHEMA.filter((row) => row.engine).map((row) => row.key));
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Serialise state to a hash; only values that differ from the defaults are written. */
export function toHash(state) {
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
export function engineConfig(state) {
  return Object.fromEntries(SCHEMA.filter((row) => row.engine).map((row) => [row.key, state[row.key]]));
}
