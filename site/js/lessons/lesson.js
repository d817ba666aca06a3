// A lesson page's glue (pages written by lessons/render.py): the live views, the training bar,
// the setting buttons and the "try this" tasks. Every view on the page shares ONE engine
// (window.glassbox), so the bar, the buttons and the tasks all act on the network the views draw.
import {parseCondition} from './tasks.js';
import {makeSchema} from '../state/url-state.js';

const ACTIONS = {
  play: (app) => app.play(),
  pause: (app) => app.pause(),
  step: (app) => app.train({steps: 10}),
  reset: (app) => app.reset(),
  // A small swarm: a few quick rounds fit a lesson (the page's pool of 2–4 engine workers trains it).
  // The 'digits' search space is the one lessons/07-swarms.md describes.
  swarm: (app) => app.swarm.start({size: 8, space: 'digits', rounds: 6, stepsPerRound: 200}),
};

/** A <glassbox-view>'s settings: its attributes other than `view` (URL keys, as text). */
function viewSettings(element) {
  return Object.fromEntries([...element.attributes].filter((a) => !['view', 'controls', 'class'].includes(a.name))
    .map((a) => [a.name, a.value]));
}

/** The page's glassbox: the <glassbox-view> element (site/js/glassbox-embed.js) starts it; where
 *  that element is not available, each view is mounted here with mountView (site/js/embed.js). */
async function startViews(elements) {
  try {
    await import('../glassbox-embed.js');
  } catch (error) {
    console.warn('lessons: <glassbox-view> is not available, mounting views directly:', error.message);
    const {mountView} = await import('../embed.js');
    for (const element of elements) {
      const box = element.appendChild(document.createElement('div'));
      box.className = 'lesson-mount';
      mountView(box, element.getAttribute('view'), {settings: viewSettings(element)})
        .catch((failure) => { box.textContent = `This view could not start: ${failure.message}`; });
    }
  }
  // The element (or mountView) sets window.glassbox once the engine starts: wait for it, unless an
  // element reports that it could not start (its own box shows why; the bar says so too).
  let failed = null;
  for (const element of elements) {
    element.addEventListener('glassbox-error', (event) => { failed = failed || new Error(event.detail?.message || 'the view could not start'); });
  }
  while (!window.glassbox) {
    if (failed) throw failed;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await window.glassbox.ready;
  return window.glassbox;
}

function percent(x) { return Number.isFinite(x) ? `${Math.round(x * 100)} %` : '–'; }

/** The bar above the lesson: Play/Pause, Step ×10, Reset and the run's step, loss and accuracy. */
function wireBar(bar, app) {
  const play = bar.querySelector('[data-act="play"]'), text = bar.querySelector('.lesson-state');
  const show = () => {
    const s = app.state(), training = s.status === 'training';
    play.textContent = training ? 'Pause' : 'Play';
    play.setAttribute('aria-pressed', String(training));
    text.textContent = s.status === 'loading' ? 'Starting the engine…' :
      `step ${s.step ?? 0} · loss ${Number.isFinite(s.valLoss) ? s.valLoss.toFixed(3) : '–'} · accuracy ${percent(s.valAccuracy)}` +
      (s.status === 'diverged' ? ' · diverged' : '');
  };
  play.addEventListener('click', () => (app.state().status === 'training' ? app.pause() : app.play()));
  bar.querySelector('[data-act="step"]').addEventListener('click', () => app.train({steps: 10}).catch(report));
  bar.querySelector('[data-act="reset"]').addEventListener('click', () => app.reset().catch(report));
  app.store.subscribe(show);
  show();
}

function report(error) { console.warn('lessons:', error.message || error); }

// Explore-inputs settings go to their view's member (the source writes them to the settings once
// it has the answer), so the mounted Pour or Morph view shows the new choice at once.
const EXPLORE = {
  pour: {pour_a: 'a', pour_b: 'b', pour_n: 'n'},
  morph: {morph_from: 'from', morph_to: 'to', morph_path: 'path'},
};

/** Apply a button's settings (already checked values): configure, then pour / morph. */
async function applySettings(app, values) {
  const rest = {...values}, calls = [];
  for (const [member, keys] of Object.entries(EXPLORE)) {
    const args = {};
    for (const [key, arg] of Object.entries(keys)) if (key in rest) { args[arg] = rest[key]; delete rest[key]; }
    if (Object.keys(args).length) calls.push([member, args]);
  }
  if (Object.keys(rest).length) await app.configure(rest);
  for (const [member, args] of calls) await app[member](args);
}

/** Setting buttons: ```button blocks (render.py) carry {action} or {settings} (URL text). */
function wireButtons(app, schema) {
  for (const button of document.querySelectorAll('.lesson-button')) {
    const what = JSON.parse(button.dataset.do);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        if (what.action) await ACTIONS[what.action](app);
        else await applySettings(app, Object.fromEntries(Object.entries(what.settings).map(([k, v]) => [k, schema.coerce(k, v).value])));
      } catch (error) {
        report(error);
      } finally {
        button.disabled = false;
      }
    });
  }
}

/** Each task box ticks (sticky) once its condition holds while the settings match its `when`. */
function wireTasks(app, schema) {
  const tasks = [...document.querySelectorAll('.lesson-task')].map((box) => {
    const condition = parseCondition(box.dataset.condition, app.tables);
    const when = Object.entries(JSON.parse(box.dataset.when || '{}')).map(([k, v]) => [k, JSON.stringify(schema.coerce(k, v).value)]);
    return {box, condition, when, done: false};
  });
  if (!tasks.length) return;
  const needs = new Set(tasks.flatMap((task) => task.condition.needs || []));
  if (needs.has('health')) app.health('main');  // makes the health source, so alerts are followed from now on
  let queued = false;
  const check = () => {
    queued = false;
    const store = app.store.get();
    const ctx = {state: app.state(), store, runs: app.runs(),
      alerts: needs.has('health') ? app.health('main') : [], swarm: needs.has('swarm') ? app.swarm.state() : null};
    for (const task of tasks) {
      if (task.done || task.condition.error) continue;
      const matches = task.when.every(([k, v]) => JSON.stringify(store.settings[k]) === v);
      if (matches && task.condition.check(ctx)) markDone(task);
    }
  };
  app.store.subscribe(() => { if (!queued) { queued = true; requestAnimationFrame(check); } });
  check();
}

function markDone(task) {
  task.done = true;
  task.box.classList.add('done');
  task.box.querySelector('.task-mark').textContent = '✓';
  task.box.querySelector('.task-status').textContent = `Done — ${task.box.dataset.done}`;
}

async function main() {
  const elements = [...document.querySelectorAll('glassbox-view')];
  if (!elements.length) return;
  const app = await startViews(elements);
  const schema = makeSchema(app.tables);
  const bar = document.querySelector('.lesson-bar');
  if (bar) wireBar(bar, app);
  wireButtons(app, schema);
  wireTasks(app, schema);
  document.body.dataset.lessonReady = 'true';  // tests and course pages: the glue is wired
  // A student who starts with a lesson gets the whole site offline too (dist/sw.js precaches it all).
  import('../offline.js').then(({registerOffline}) => registerOffline({place: document.querySelector('.lesson-top')}))
    .catch(() => {});
}

main().catch((error) => {
  const bar = document.querySelector('.lesson-state');
  if (bar) bar.textContent = `The engine could not start: ${error.message || error}`;
  report(error);
});
