// Controls: the transport (Play/Pause, Step, Reset: in the sticky bar, so always on screen) and
// one form field per URL-schema row, generated from the schema table so a new setting needs no
// new wiring. Each mode shows only the essentials it needs (FIELD_MODES); expert settings sit
// behind an "Advanced settings" disclosure. Drives the app through its API.
// Reset and rebuilding settings changes made here are undoable for a while (ui/undo-ui.js).
import {createUndoToast} from './undo-ui.js';
import {installKeyboard} from './keyboard.js';
import {presetChanges} from '../state/presets.js';

const NETWORK_MODES = ['train', 'inputs', 'health', 'modules'];
// The essentials, grouped; `modes` limits a group or field to some modes (default: every mode
// that shows the network). ADVANCED: behind the disclosure, in every network mode.
const GROUPS = [
  {title: 'Experiment', keys: ['preset'], modes: ['health']},
  {title: 'Data', keys: ['dataset']},
  {title: 'Model', keys: ['hidden', 'activation']},
  {title: 'Training', keys: ['optimizer', 'lr', 'speed']},
  {title: 'View', keys: ['mode', 'probe']},
];
const ADVANCED = ['init', 'bias_init', 'l2', 'seed', 'batch_size', 'backend', 'grad_scale'];
const FIELD_MODES = {probe: ['train', 'inputs', 'health']};

const OPTION_LABELS = {
  digits: 'Digits 8×8 (1,797)', mnist: 'MNIST 28×28 (10,000)', circle: 'Circle (2-D)', xor: 'XOR (2-D)',
  gaussians: 'Two Gaussians (2-D)', spiral: 'Spiral (2-D)', relu: 'ReLU', leaky_relu: 'Leaky ReLU',
  tanh: 'tanh', sigmoid: 'sigmoid', linear: 'linear (none)', he: 'He (normal)', glorot: 'Glorot (uniform)',
  small_uniform: 'tiny uniform ±0.01 (bad)', zeros: 'zeros (bad)', sgd: 'SGD', momentum: 'SGD + momentum',
  adam: 'Adam', activation: 'activation', gradient: 'gradient magnitude',
  layer: 'per layer', global: 'one scale for all layers',
  auto: 'auto (fastest available)', numpy: 'numpy (Python)', wasm: 'onnxruntime-web · wasm', webgpu: 'onnxruntime-web · WebGPU',
};
const HINTS = {
  preset: 'Break the network on purpose; the alerts name the problem',
  grad_scale: 'For gradient brightness: one scale shows vanishing layers',
  hidden: 'Widths, comma-separated, e.g. 128,64',
  lr: 'Changes apply while training',
  speed: '1 = every step, slowly · 5 = fastest',
  probe: 'Which validation input lights up the neurons',
};

function fieldFor(row, labelFor) {
  let input;
  if (row.type === 'enum') {
    input = document.createElement('select');
    for (const option of row.options) {
      const el = document.createElement('option');
      el.value = option;
      el.textContent = labelFor(option);
      input.append(el);
    }
  } else if (row.type === 'probe') {
    input = document.createElement('select');
    const values = ['mean'];
    for (let i = row.min; i <= row.max; i++) values.push(String(i));
    for (const value of values) {
      const el = document.createElement('option');
      el.value = value;
      el.textContent = value === 'mean' ? 'mean of all 64 samples' : 'sample ' + value;
      input.append(el);
    }
  } else if (row.key === 'speed') {
    input = Object.assign(document.createElement('input'), {type: 'range', min: row.min, max: row.max, step: 1});
  } else {
    input = document.createElement('input');
    input.type = row.type === 'int' || row.type === 'number' ? 'number' : 'text';
    if (row.type === 'number') input.step = 'any';
    if (row.type === 'int' || row.type === 'number') { input.min = row.min; input.max = row.max; }
    input.spellcheck = false;
  }
  input.id = 'setting-' + row.key;
  input.name = row.key;
  return input;
}

function display(row, value) {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * @param {HTMLElement} container the settings column
 * @param {object} app window.glassbox
 * @param {{transport: HTMLElement}} where the sticky bar's transport box
 * @returns {{update(state): void, files: HTMLElement}} files: where the ONNX and run file groups go
 */
export function createControls(container, app, {transport} = {}) {
  const buttons = {};
  for (const [name, label, title] of [
    ['play', 'Play', 'Train continuously (Space)'], ['step', 'Step', 'Train one step (S)'],
    ['reset', 'Reset', 'New random weights, same settings (R)']]) {
    const button = Object.assign(document.createElement('button'), {type: 'button', textContent: label, title});
    button.dataset.action = name;
    button.className = name === 'play' ? 'primary' : '';
    transport.append(button);
    buttons[name] = button;
  }
  const undoToast = createUndoToast(transport, app);

  // Choices the engine declares (tables.json) are labelled from the same tables: presets, datasets.
  const presets = app.tables.presets, datasets = app.tables.datasets;
  const labelFor = (option) => OPTION_LABELS[option] || presets[option]?.label || datasets[option]?.label || option;
  const inputs = {};
  const messages = {};
  const moded = [];  // [element, modes]: shown only in those modes
  const advanced = Object.assign(document.createElement('details'), {className: 'advanced', id: 'advanced-settings'});
  advanced.append(Object.assign(document.createElement('summary'), {textContent: 'Advanced settings'}));
  const presetNote = Object.assign(document.createElement('div'), {className: 'preset-note', id: 'preset-note'});
  presetNote.setAttribute('role', 'status');

  function addField(fieldset, key) {
    const row = app.schema.find((r) => r.key === key);
    const label = document.createElement('label');
    label.htmlFor = 'setting-' + key;
    label.textContent = row.label;
    const input = fieldFor(row, labelFor);
    const hint = document.createElement('div');
    hint.className = 'hint';
    hint.id = 'hint-' + key;
    hint.textContent = HINTS[key] || '';
    if (hint.textContent) input.setAttribute('aria-describedby', hint.id);
    const message = document.createElement('div');
    message.className = 'field-error';
    message.setAttribute('aria-live', 'polite');
    fieldset.append(label, input, hint, message);
    if (FIELD_MODES[key]) moded.push(...[label, input, hint, message].map((el) => [el, FIELD_MODES[key]]));
    inputs[key] = input;
    messages[key] = message;
    input.addEventListener('change', async () => {
      message.textContent = '';
      const before = app.store.get().settings;
      try {
        await undoToast.after(() => app.configure({[key]: input.value}));
        if (key === 'preset') sayPresetChanges(input.value, before, app.store.get().settings);
      } catch (error) {
        // Keep what the student typed visible next to the reason, and the old model running.
        message.textContent = String(error.message || error).replace(/^Invalid settings — \w+: /, '');
      }
    });
  }

  const shownValues = {};
  for (const group of GROUPS) {
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = group.title;
    fieldset.append(legend);
    for (const key of group.keys) addField(fieldset, key);
    if (group.keys.includes('preset')) fieldset.append(presetNote);
    moded.push([fieldset, group.modes || NETWORK_MODES]);
    container.append(fieldset);
  }
  const expert = document.createElement('fieldset');
  expert.append(Object.assign(document.createElement('legend'), {className: 'sr-only', textContent: 'Advanced settings'}));
  for (const key of ADVANCED) addField(expert, key);
  advanced.append(expert);
  container.append(advanced);
  moded.push([advanced, NETWORK_MODES]);
  // The ONNX and run file groups (model-file-ui.js, run-file-ui.js) go here: Train mode only.
  const files = Object.assign(document.createElement('div'), {className: 'file-groups'});
  container.append(files);
  moded.push([files, ['train']]);

  /** "Preset 'Vanishing gradients' switched the dataset to Digits 8×8 and the activation to sigmoid." */
  function sayPresetChanges(name, before, after) {
    const changes = presetChanges(before, after, app.schema.filter((r) => r.engine).map((r) => r.key));
    const short = (value) => (Array.isArray(value) ? value.join(',') : labelFor(String(value)).replace(/ \([\d,]+\)$/, ''));
    const parts = changes.map(({key, to}) => `${app.schema.find((r) => r.key === key).label.toLowerCase()} to ${short(to)}`);
    const named = `Preset “${presets[name]?.label.split(':')[0] || name}”`;
    presetNote.textContent = !parts.length || name === 'none' ? '' : `${named} switched the ${parts.length > 1
      ? parts.slice(0, -1).join(', the ') + ' and the ' + parts[parts.length - 1] : parts[0]}.`;
  }

  buttons.play.addEventListener('click', () => togglePlay());
  buttons.step.addEventListener('click', () => app.step().catch(() => {}));
  buttons.reset.addEventListener('click', () => undoToast.after(() => app.reset()).catch(() => {}));

  function togglePlay() {
    const status = app.store.get().status;
    if (status === 'training') app.pause();
    else if (status === 'paused') app.play().catch(() => {});
  }

  installKeyboard({
    togglePlay,
    step: () => app.step().catch(() => {}),
    reset: () => undoToast.after(() => app.reset()).catch(() => {}),
  });

  let probeLabelsFor = null;
  /** Name each probe sample by its true class and the network's current guess. */
  function labelProbeOptions(snapshot, classNames) {
    const key = snapshot.step + ':' + snapshot.probe.y.data.length;
    if (key === probeLabelsFor) return;
    probeLabelsFor = key;
    const {y, pred} = snapshot.probe;
    for (const option of inputs.probe.options) {
      if (option.value === 'mean') continue;
      const i = Number(option.value);
      if (i >= y.data.length) { option.disabled = true; continue; }
      const name = (k) => (classNames && classNames[k] !== undefined ? classNames[k] : String(k));
      option.textContent = `sample ${i}: a ${name(y.data[i])}, guessed ${name(pred.data[i])}`;
    }
  }

  let shownPage = null;
  function update(state) {
    if (state.settings.page !== shownPage) {
      shownPage = state.settings.page;
      for (const [element, modes] of moded) element.classList.toggle('off-mode', !modes.includes(shownPage));
    }
    // A preset cleared by a later change (or replaced by a link) no longer explains the settings.
    if (state.settings.preset === 'none') presetNote.textContent = '';
    if (state.snapshot && state.info && state.status !== 'training') labelProbeOptions(state.snapshot, state.info.class_names);
    for (const [key, input] of Object.entries(inputs)) {
      const value = display(null, state.settings[key]);
      if (document.activeElement !== input && input.value !== value) input.value = value;
      // A setting changed by other means (reset, link, API) makes an earlier refusal stale.
      if (shownValues[key] !== undefined && shownValues[key] !== value) messages[key].textContent = '';
      shownValues[key] = value;
    }
    const busy = state.status === 'loading' || state.status === 'error';
    buttons.play.textContent = state.status === 'training' ? 'Pause' : 'Play';
    buttons.play.setAttribute('aria-pressed', String(state.status === 'training'));
    buttons.play.disabled = busy || state.status === 'diverged';
    buttons.step.disabled = busy || state.status === 'training' || state.status === 'diverged';
    buttons.reset.disabled = busy;
  }

  return {update, files};
}
