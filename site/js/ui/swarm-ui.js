// The Swarm section of the app page (index.html #swarm): the controls (start a population, pause,
// resume, stop, open a recorded stream, connect to a live one), a status line, the six swarm views
// (app/mounts/swarm.js) and the selected member with "Open in network view". Everything goes
// through window.glassbox.swarm and the swarm source (app/sources/swarm.js); nothing here calls
// the engine. Installed from main.js: installSwarm(app, {addPanel}).
import {swarmSource} from '../app/sources/swarm.js';
import {mountSwarmView} from '../app/mounts/swarm.js';
import {poolSize} from '../app/swarm/pool.js';
import {formatMetric} from '../state/swarm-state.js';
import {createSpaceEditor} from './swarm-space-form.js';

const VIEWS = [
  ['swarm-graph', 'Population: who came from whom, who is alike'],
  ['swarm-heatmap', 'Members × rounds'],
  ['swarm-trajectories', 'Trajectories over rounds'],
  ['swarm-pareto', 'Trade-offs: accuracy against cost'],
  ['swarm-allocation', 'Where the compute went'],
  ['swarm-events', 'What happened: events'],
];
// Short labels for the goal inputs (tables.json's swarm.goal_labels says what each one means).
const GOAL_SHORT = {accuracy: 'Accuracy', loss: 'Low loss', f1: 'Macro F1', gap: 'Small gap', speed: 'Speed',
  params: 'Few params', memory: 'Low memory'};
const STATUS_TEXT = {idle: 'No swarm yet', starting: 'Starting', running: 'Training', paused: 'Paused', stopped: 'Stopped',
  done: 'Finished', error: 'Error', 'playing-file': 'Showing a recorded stream', live: 'Live stream'};

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

/** A space with its keys in the editor's order and L2 as the editor reads it (for comparison). */
function normalised(space) {
  const {dataset, lr, depth, widths, batch_size: batchSize, l2, activation, init, optimizer} = space;
  return {dataset, lr, depth, widths, batch_size: batchSize, l2: [0, l2[1]], activation, init, optimizer};
}

function numberField(id, label, {value, min, max, step = 1, hint = ''}) {
  const input = el('input', {type: 'number', id, name: id, value: String(value), min: String(min), max: String(max), step: String(step)});
  return {input, row: el('div', {className: 'swarm-field'}, el('label', {htmlFor: id, textContent: label}), input,
    ...(hint ? [el('span', {className: 'hint', textContent: hint})] : []))};
}

export function installSwarm(app, {addPanel}) {
  const section = document.getElementById('swarm');
  if (!section) return null;
  const source = swarmSource(app);
  const tables = app.tables.swarm || {};
  const form = section.querySelector('#swarm-controls');
  const statusLine = section.querySelector('#swarm-status');
  const errorLine = section.querySelector('#swarm-error');
  const selection = section.querySelector('#swarm-selection');
  const grid = section.querySelector('#swarm-views');

  // ---- controls
  const size = numberField('swarm-size', 'Members', {value: 16, min: 2, max: 64, hint: '2–64 networks'});
  const rounds = numberField('swarm-rounds', 'Rounds', {value: 30, min: 1, max: 1000});
  const steps = numberField('swarm-steps', 'Steps per round', {value: 800, min: 2, max: 100000,
    hint: 'shared by the whole swarm each round: the promising members get more of them'});
  const space = el('select', {id: 'swarm-space', name: 'swarm-space'});
  const spaces = Object.keys(tables.spaces || {});
  for (const name of spaces) space.append(el('option', {value: name, textContent: `${name} (${tables.spaces[name].dataset})`}));
  space.value = tables.default_space || spaces[0];
  const editor = createSpaceEditor(app.tables.config_fields || []);
  if (spaces.length) editor.load(tables.spaces[space.value]);
  space.addEventListener('change', () => editor.load(tables.spaces[space.value]));
  const goals = el('fieldset', {className: 'swarm-goals'}, el('legend', {textContent: 'Goals (weights)'}));
  const goalInputs = {};
  for (const [name, weight] of Object.entries(tables.goals || {})) {
    const f = numberField('swarm-goal-' + name, GOAL_SHORT[name] || name, {value: weight, min: 0, max: 1000, step: 0.1});
    f.input.title = `Weight of ${tables.goal_labels?.[name] || name} in the fitness`;
    goalInputs[name] = f.input;
    goals.append(f.row);
  }
  const button = (text, props = {}) => el('button', {type: 'button', textContent: text, ...props});
  const startButton = el('button', {type: 'submit', className: 'primary', textContent: 'Start'});
  const pauseButton = button('Pause');
  const stopButton = button('Stop');
  const fileInput = el('input', {type: 'file', id: 'swarm-file', accept: '.jsonl,.json,.txt,application/json'});
  const urlInput = el('input', {type: 'text', inputMode: 'url', id: 'swarm-url', placeholder: 'e.g. /swarm/events', spellcheck: false});
  const connectButton = button('Connect');
  form.append(
    el('fieldset', {}, el('legend', {textContent: 'Population'}), size.row,
      el('div', {className: 'swarm-field'}, el('label', {htmlFor: 'swarm-space', textContent: 'Search space'}), space),
      editor.element, rounds.row, steps.row),
    goals,
    el('div', {className: 'transport swarm-transport'}, startButton, pauseButton, stopButton),
    el('p', {className: 'hint', textContent: `Runs on ${poolSize()} extra Python workers on this page (one per core, 2 to 4); the first start loads Python in each (about 20 s).`}),
    el('fieldset', {}, el('legend', {textContent: 'Recorded or live'}),
      el('div', {className: 'swarm-field'}, el('label', {htmlFor: 'swarm-file', textContent: 'Open a recorded stream (.jsonl, or drop it on this section)'}), fileInput),
      el('div', {className: 'swarm-field'}, el('label', {htmlFor: 'swarm-url', textContent: 'Connect to a live stream (Server-Sent Events URL)'}),
        el('div', {className: 'swarm-inline'}, urlInput, connectButton))),
  );

  const shown = (promise) => promise.catch((error) => source.fail(error));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const weights = Object.fromEntries(Object.entries(goalInputs).map(([k, input]) => [k, Number(input.value)]));
    const options = {size: Number(size.input.value), rounds: Number(rounds.input.value), stepsPerRound: Number(steps.input.value), goals: weights};
    try {
      // The preset's name while its fields are untouched (the stream's header then names it), else the edited space.
      const edited = spaces.length ? editor.value() : null;
      const same = edited && JSON.stringify(edited) === JSON.stringify(normalised(tables.spaces[space.value]));
      if (edited) options.space = same ? space.value : edited;
    } catch (error) {
      source.fail(new Error('Search space: ' + error.message));
      return;
    }
    shown(app.swarm.start(options));
  });
  pauseButton.addEventListener('click', () => (source.state().status === 'paused' ? app.swarm.resume() : app.swarm.pause()));
  stopButton.addEventListener('click', () => shown(app.swarm.stop()));
  const loadFile = (file) => file && file.text().then((text) => shown(app.swarm.load(text)));
  fileInput.addEventListener('change', () => { loadFile(fileInput.files[0]); fileInput.value = ''; });
  connectButton.addEventListener('click', () => urlInput.value.trim() && shown(app.swarm.connect(urlInput.value.trim())));
  section.addEventListener('dragover', (event) => { event.preventDefault(); section.classList.add('dropping'); });
  section.addEventListener('dragleave', (event) => { if (event.target === section) section.classList.remove('dropping'); });
  section.addEventListener('drop', (event) => {
    event.preventDefault();
    section.classList.remove('dropping');
    loadFile(event.dataTransfer?.files?.[0]);
  });

  // ---- views
  const views = {};
  for (const [name, title] of VIEWS) {
    const panel = addPanel({id: name, title, view: () => views[name]?.view, column: grid});
    panel.panel.classList.add('swarm-panel', name);
    mountSwarmView(name, panel.host, app, {demo: false}).then((mounted) => { views[name] = mounted; });
  }

  // ---- the selected member
  const selText = el('span', {className: 'swarm-selected-text'});
  const openButton = button('Open in network view', {className: 'primary'});
  const clearButton = button('Clear selection', {className: 'link'});
  const whyNot = el('span', {className: 'hint swarm-why-not'});
  selection.append(selText, openButton, clearButton, whyNot);
  openButton.addEventListener('click', async () => {
    const id = source.state().selected;
    openButton.disabled = true;
    selText.textContent = `Opening ${id} in the network view…`;
    try {
      const main = await app.swarm.select(id);
      const notes = app.store.get().notes.filter((n) => !n.startsWith('The network view shows swarm member'));
      app.store.set({notes: [...notes, `The network view shows swarm member ${id} (step ${main.step}): a copy of it, ` +
        'so training it here leaves the swarm alone; the swarm keeps its own.']});
      await app.configure({page: 'train'});  // the network view is the Train tab's
    } catch (error) {
      source.fail(error);
    } finally {
      render(source.state());
    }
  });
  clearButton.addEventListener('click', () => source.highlight(null));

  function memberLine(slice) {
    const m = slice.state?.members.find((x) => x.id === slice.selected);
    if (!m) return `Selected: ${slice.selected}`;
    const parts = [`fitness ${formatMetric('fitness', m.fitness)}`, `validation accuracy ${formatMetric('val_accuracy', m.metrics.val_accuracy)}`,
      `${formatMetric('steps', m.steps)} steps`];
    if (m.config?.sizes) parts.push(`layers ${m.config.sizes.join('–')}`);
    if (m.parents.length) parts.push(`from ${m.parents.join(' × ')}`);
    return `Selected ${m.id}${m.alive ? '' : ' (culled)'}: ${parts.join(' · ')}`;
  }

  function statusText(slice) {
    const {stats, status, workers} = slice;
    const header = slice.state?.header;
    const parts = [STATUS_TEXT[status] || status];
    if (status === 'starting' && slice.progress) parts.push(slice.progress);
    if (slice.state) {
      parts.push(`round ${stats.round}${header?.rounds ? ' of ' + header.rounds : ''}`, `${stats.members} members`,
        `${formatMetric('steps', stats.totalSteps)} steps in all`);
    }
    if (workers.length && !['playing-file', 'live'].includes(status)) {
      const down = workers.filter((w) => !w.alive).length;
      parts.push(`${workers.length} workers${down ? ` (${down} restarting)` : ''}`);
    }
    if (stats.stepsPerSecond && ['running', 'paused', 'done', 'stopped'].includes(status)) {
      parts.push(`${Math.round(stats.stepsPerSecond)} steps/s`, `${(stats.roundMs / 1000).toFixed(1)} s per round`);
    }
    return parts.join(' · ');
  }

  // The form shows the swarm on screen (started here, by glassbox.swarm.start, or from a stream),
  // so Start runs one like it.
  let formFrom = null;
  function syncForm(header) {
    if (!header || header === formFrom) return;
    formFrom = header;
    if (header.size) size.input.value = String(header.size);
    if (header.rounds) rounds.input.value = String(header.rounds);
    if (header.steps_per_round) steps.input.value = String(header.steps_per_round);
    for (const [name, input] of Object.entries(goalInputs)) if (header.goals && name in header.goals) input.value = String(header.goals[name]);
    const key = (o) => JSON.stringify(Object.entries(o || {}).sort(([a], [b]) => (a < b ? -1 : 1)));
    const named = spaces.find((n) => key(tables.spaces[n]) === key(header.space));
    if (named) space.value = named;
    if (header.space) editor.load(header.space);
  }

  function render(slice) {
    syncForm(slice.state?.header);
    statusLine.textContent = statusText(slice);
    statusLine.dataset.status = slice.status;
    errorLine.textContent = slice.error || '';
    errorLine.hidden = !slice.error;
    const running = ['starting', 'running', 'paused'].includes(slice.status);
    startButton.disabled = running;
    pauseButton.disabled = !['running', 'paused'].includes(slice.status);
    pauseButton.textContent = slice.status === 'paused' ? 'Resume' : 'Pause';
    stopButton.disabled = !running;
    selection.hidden = slice.selected == null;
    if (slice.selected != null) {
      selText.textContent = memberLine(slice);
      const alive = source.canOpen(slice.selected);
      openButton.disabled = !alive;
      openButton.title = alive ? 'Make the main run this member (same weights and step) and show it in the network view' : '';
      whyNot.textContent = alive ? '' : (['playing-file', 'live'].includes(slice.status)
        ? 'A stream carries no weights: only members of a swarm trained on this page open in the network view.'
        : 'This member is no longer on a worker (culled, or made after the last round).');
    }
  }
  source.subscribe(render);
  render(source.state());

  // ---- section navigation (buttons, so the address bar keeps holding only settings)
  for (const jump of document.querySelectorAll('[data-jump]')) {
    jump.addEventListener('click', () => document.getElementById(jump.dataset.jump)?.scrollIntoView({behavior: 'smooth', block: 'start'}));
  }
  return {views};
}
