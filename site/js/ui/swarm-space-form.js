// "Edit the search space": the fields of one swarm search space (py/glassbox/swarm/space.py), filled
// from a preset and read back as the space object swarm.start() sends. The engine checks the
// space again and names a bad key; here a field that does not parse is named before anything starts.
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function field(id, label, input) {
  input.id = id;
  input.name = id;
  return el('div', {className: 'swarm-field'}, el('label', {htmlFor: id, textContent: label}), input);
}

const numberInput = (props) => el('input', {type: 'number', step: 'any', ...props});
const textInput = () => el('input', {type: 'text', spellcheck: false});

/** "8, 16, 32" -> [8, 16, 32]; an Error naming `what` when an entry is not a whole number in range. */
function wholeNumbers(text, what, lo, hi) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.length) throw new Error(`${what}: give at least one whole number`);
  return parts.map((part) => {
    const n = Number(part);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${what}: "${part}" is not a whole number from ${lo} to ${hi}`);
    return n;
  });
}

function numberOf(input, what) {
  const n = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(n)) throw new Error(`${what}: "${input.value}" is not a number`);
  return n;
}

/**
 * @param {object} configFields tables.json's config_fields rows (the choices of each setting)
 * @returns {{element: HTMLElement, load(space: object): void, value(): object}}
 */
export function createSpaceEditor(configFields) {
  const choices = Object.fromEntries(configFields.filter((row) => row.type === 'enum').map((row) => [row.key, row.options]));
  const lrFrom = numberInput({min: '0', title: 'Learning rates are drawn log-uniformly between these two'});
  const lrTo = numberInput({min: '0'});
  const depthFrom = numberInput({min: '1', max: '8', step: '1'});
  const depthTo = numberInput({min: '1', max: '8', step: '1'});
  const widths = textInput();
  const batches = textInput();
  const l2 = numberInput({min: '0', max: '1', title: 'L2 is 0 half the time, else drawn log-uniformly up to this (0: never)'});
  const groups = {};
  const checkGroup = (key, legend) => {
    const box = el('fieldset', {className: 'swarm-checks'}, el('legend', {textContent: legend}));
    groups[key] = (choices[key] || []).map((option) => {
      const input = el('input', {type: 'checkbox', value: option, id: `swarm-space-${key}-${option}`});
      box.append(el('label', {htmlFor: input.id}, input, ` ${option}`));
      return input;
    });
    return box;
  };
  let dataset = 'digits';
  const element = el('details', {className: 'swarm-space-editor'},
    el('summary', {textContent: 'Edit the search space'}),
    el('div', {className: 'swarm-pair'}, field('swarm-space-lr-from', 'Learning rate from', lrFrom), field('swarm-space-lr-to', 'to', lrTo)),
    el('div', {className: 'swarm-pair'}, field('swarm-space-depth-from', 'Hidden layers from', depthFrom), field('swarm-space-depth-to', 'to', depthTo)),
    field('swarm-space-widths', 'Layer widths to choose from', widths),
    field('swarm-space-batches', 'Batch sizes to choose from', batches),
    field('swarm-space-l2', 'L2 up to', l2),
    checkGroup('activation', 'Activations'), checkGroup('init', 'Initialisers'), checkGroup('optimizer', 'Optimisers'));

  return {
    element,
    /** Fill the fields from `space`; keys it lacks (a stream from elsewhere) leave their field as it was. */
    load(space) {
      const pair = (value, a, b) => { if (Array.isArray(value) && value.length === 2) [a.value, b.value] = value.map(String); };
      const list = (value, input) => { if (Array.isArray(value)) input.value = value.join(', '); };
      if (typeof space?.dataset === 'string') dataset = space.dataset;
      pair(space?.lr, lrFrom, lrTo);
      pair(space?.depth, depthFrom, depthTo);
      list(space?.widths, widths);
      list(space?.batch_size, batches);
      if (Array.isArray(space?.l2)) l2.value = String(space.l2[1]);
      for (const [key, inputs] of Object.entries(groups)) {
        if (Array.isArray(space?.[key])) for (const input of inputs) input.checked = space[key].includes(input.value);
      }
    },
    value() {
      const picked = (key, what) => {
        const values = groups[key].filter((input) => input.checked).map((input) => input.value);
        if (!values.length) throw new Error(`${what}: tick at least one`);
        return values;
      };
      return {
        dataset,
        lr: [numberOf(lrFrom, 'Learning rate from'), numberOf(lrTo, 'Learning rate to')],
        depth: [numberOf(depthFrom, 'Hidden layers from'), numberOf(depthTo, 'Hidden layers to')],
        widths: wholeNumbers(widths.value, 'Layer widths', 1, 1024),
        batch_size: wholeNumbers(batches.value, 'Batch sizes', 1, 4096),
        l2: [0, numberOf(l2, 'L2 up to')],
        activation: picked('activation', 'Activations'),
        init: picked('init', 'Initialisers'),
        optimizer: picked('optimizer', 'Optimisers'),
      };
    },
  };
}
