// Controls panel: transport buttons plus one form field per URL-schema row, generated from
// the schema table so a new setting needs no new wiring. Drives the app through its API.
// Reset and rebuilding settings changes made here are undoable for a while (ui/undo-ui.js).
import {createUndoToast} from './undo-ui.js';

const GROUPS = [
  {title: 'Experiment', keys: ['preset']},
  {title: 'Data', keys: ['dataset']},
  {title: 'Model', keys: ['hidden', 'activation', 'init', 'bias_init']},
  {title: 'Training', keys: ['optimizer', 'lr', 'batch_size', 'l2', 'seed', 'backend']},
  {title: 'View', keys: ['speed', 'probe', 'mode', 'grad_scale']},
];

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
  preset: 'Break the network on purpose; the Health panel names the problem',
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

export function createControls(container, app) {
  const transport = document.createElement('div');
  transport.className = 'transport';
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
  container.append(transport);
  const undoToast = createUndoToast(container, app);

  // Choices the engine declares (tables.json) are labelled from the same tables: presets, datasets.
  const presets = app.tables.presets, datasets = app.tables.datasets;
  const labelFor = (option) => OPTION_LABELS[option] || presets[option]?.label || datasets[option]?.label || option;
  const inputs = {};
  const messages = {};
  for (const group of GROUPS) {
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = group.title;
    fieldset.append(legend);
    for (const key of group.keys) {
      const row = app.schema.find((r) => r.key === key);
      const label = document.createElement('label');
      label.htmlFor = 'setting-' + key;
      label.textContent = row.label;
      const input = fieldFor(row, labelFor);
      const hint = document.createElement('div');
      hint.className = 'hint';
      hint.textContent = HINTS[key] || '';
      const message = document.createElement('div');
      message.className = 'field-error';
      message.setAttribute('aria-live', 'polite');
      fieldset.append(label, input, hint, message);
      inputs[key] = input;
      messages[key] = message;
      input.addEventListener('change', async () => {
        message.textContent = '';
        try {
          await undoToast.after(() => app.configure({[key]: input.value}));
        } catch (error) {
          // Keep what the student typed visible next to the reason, and the old model running.
          message.textContent = String(error.message || error).replace(/^Invalid settings — \w+: /, '');
        }
      });
    }
    container.append(fieldset);
  }

  buttons.play.addEventListener('click', () => togglePlay());
  buttons.step.addEventListener('click', () => app.step().catch(() => {}));
  buttons.reset.addEventListener('click', () => undoToast.after(() => app.reset()).catch(() => {}));

  function togglePlay() {
    const status = app.store.get().status;
    if (status === 'training') app.pause();
    else if (status === 'paused') app.play().catch(() => {});
  }

  document.addEventListener('keydown', (event) => {
    const target = event.target && event.target.nodeType === 1 ? event.target : null;
    const tag = (target && target.tagName) || '';
    if (/INPUT|SELECT|TEXTAREA|BUTTON/.test(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    // Widgets with keys of their own (the draw pad: role application; canvases; editable text).
    if (target && (target.isContentEditable || target.closest('[role="application"], canvas, [contenteditable="true"]'))) return;
    if (event.key === ' ') { event.preventDefault(); togglePlay(); }
    else if (event.key === 's' || event.key === 'S') app.step().catch(() => {});
    else if (event.key === 'r' || event.key === 'R') undoToast.after(() => app.reset()).catch(() => {});
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

  function update(state) {
    if (state.snapshot && state.info && state.status !== 'training') labelProbeOptions(state.snapshot, state.info.class_names);
    for (const [key, input] of Object.entries(inputs)) {
      const value = display(null, state.settings[key]);
      if (document.activeElement !== input && input.value !== value) input.value = value;
    }
    const busy = state.status === 'loading' || state.status === 'error';
    buttons.play.textContent = state.status === 'training' ? 'Pause' : 'Play';
    buttons.play.setAttribute('aria-pressed', String(state.status === 'training'));
    buttons.play.disabled = busy || state.status === 'diverged';
    buttons.step.disabled = busy || state.status === 'training' || state.status === 'diverged';
    buttons.reset.disabled = busy;
  }

  return {update};
}
