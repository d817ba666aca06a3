// Page modes: what the student is doing (Train, Explore inputs, Health, Modules, Swarm). The mode
// is the URL key `page` (state/url-state.js), so it lives in the store's settings and a link keeps
// it; glassbox.configure({page}) switches it as the tabs do.
//
// One table (PLACEMENT) says where every panel of the app page goes and in which modes it shows,
// so the layout is read in one place instead of in each feature's file. A panel of another mode
// is not removed: it gets the class `off-mode` (display: none), which its IntersectionObserver
// reads as "off screen", so its view stops asking the engine for work. The `hidden` attribute
// stays free for the features themselves (e.g. the input plane hides itself on image datasets).
import {PAGES} from '../state/url-state.js';

/** The modes in tab order: id (the `page` value), tab label, and the "what you are seeing" line
 *  for each brightness mode of the network view (settings.mode: activation | gradient). */
export const MODES = [
  {id: 'train', label: 'Train', seeing: {
    activation: 'Each circle is a neuron; brightness is how strongly it fires for the shown input; lines are weights (blue positive, orange negative). The curves show the loss falling as it learns.',
    gradient: 'Each circle is a neuron; brightness is how strongly the loss would change if that neuron changed (its gradient); lines are the weights\' gradients. The curves show the loss falling as it learns.'}},
  {id: 'inputs', label: 'Explore inputs', seeing: {
    activation: 'Feed the network inputs of your own: morph one digit into another, draw, pour two classes through it or nudge one weight, and watch the network\'s neurons light up in response.',
    gradient: 'Feed the network inputs of your own and watch the network\'s neurons: brightness now shows each neuron\'s gradient for the shown input, not how strongly it fires.'}},
  {id: 'health', label: 'Health', seeing: {
    activation: 'Is training healthy? The alerts name problems (vanishing or exploding gradients, dead neurons) and mark them on the network; pick a preset to break it on purpose, then try the fixes.',
    gradient: 'Is training healthy? Brightness is each neuron\'s gradient: a dark layer gets almost no learning signal (vanishing gradients). The alerts name the problem and offer fixes.'}},
  {id: 'modules', label: 'Modules', seeing: {
    activation: 'Neurons that work together form modules: each module has its own colour on the network; click a module to see what drives it and what breaks when it is switched off.',
    gradient: 'Neurons that work together form modules, coloured on the network; brightness now shows each neuron\'s gradient. Click a module to see what drives it.'}},
  {id: 'swarm', label: 'Swarm', seeing: {
    activation: 'Many networks with different shapes and settings train side by side; the swarm gives more steps to the promising ones and copies and breeds the best.',
    gradient: 'Many networks with different shapes and settings train side by side; the swarm gives more steps to the promising ones and copies and breeds the best.'}},
];
export const MODE_IDS = MODES.map((m) => m.id);
if (MODE_IDS.join() !== PAGES.join()) throw new Error('modes.js MODES and url-state.js PAGES differ');

const NETWORK_MODES = ['train', 'inputs', 'health', 'modules'];
/**
 * Every panel of the app page: the modes it shows in, and its slot: 'main' (the network column),
 * 'side' (beside the network: what this mode changes on it), 'lead' (above the settings, left of
 * the network) or 'below' (full width, under both).
 * `order` sorts panels inside a slot. A panel missing here shows in every mode, below.
 */
export const PLACEMENT = {
  network: {modes: NETWORK_MODES, slot: 'main'},
  health: {modes: ['health'], slot: 'side', order: 0},
  curves: {modes: ['train', 'health'], slot: 'side', order: 1},
  prediction: {modes: ['train'], slot: 'lead', order: 2},
  inputs: {modes: ['inputs'], slot: 'side', order: 3},
  modules: {modes: ['modules'], slot: 'side', order: 4},
  'input-plane': {modes: ['inputs'], slot: 'below', order: 0},
  gradflow: {modes: ['health'], slot: 'below', order: 1},
  distributions: {modes: ['health'], slot: 'below', order: 2},
  updates: {modes: ['health'], slot: 'below', order: 3},
  raster: {modes: ['health'], slot: 'below', order: 4},
  pruning: {modes: ['health'], slot: 'below', order: 5},
  'module-detail': {modes: ['modules'], slot: 'below', order: 6},
  'module-compare': {modes: ['modules'], slot: 'below', order: 7},
};
const SLOTS = {main: '.views', side: '#side', lead: '#lead', below: '#below'};

/** The container a panel goes into (panels.js asks), or null when the table does not place it. */
export function slotFor(id) {
  const place = PLACEMENT[id];
  return place ? document.querySelector(SLOTS[place.slot]) : null;
}

/** Show the panels of `page`, hide the others (also panels added later: see placePanel). */
function showPanels(page) {
  for (const panel of document.querySelectorAll('#layout [data-panel]')) {
    const place = PLACEMENT[panel.dataset.panel];
    panel.classList.toggle('off-mode', !!place && !place.modes.includes(page));
  }
}

/** Keep a panel's order inside its slot and hide it when the current mode does not show it. */
export function placePanel(panel) {
  const place = PLACEMENT[panel.dataset.panel];
  if (!place) return;
  panel.style.order = String(place.order ?? 0);
  const page = document.body.dataset.page;
  if (page) panel.classList.toggle('off-mode', !place.modes.includes(page));
}

/**
 * The mode tabs (WAI-ARIA tabs: Left/Right/Home/End move and select, the selected tab alone is
 * in the tab order) and the "what you are seeing" line. Mode changes go through app.configure,
 * so the URL and the store follow; the page follows the store.
 */
export function installModes(app, {tablist, seeing, layout, swarm}) {
  tablist.setAttribute('role', 'tablist');
  tablist.setAttribute('aria-label', 'What to do');
  const tabs = {};
  for (const mode of MODES) {
    const tab = Object.assign(document.createElement('button'), {type: 'button', id: 'mode-' + mode.id, textContent: mode.label});
    tab.setAttribute('role', 'tab');
    tab.dataset.page = mode.id;
    tab.setAttribute('aria-controls', mode.id === 'swarm' ? swarm.id : layout.id);
    tab.addEventListener('click', () => choose(mode.id));
    tab.addEventListener('keydown', (event) => {
      const i = MODE_IDS.indexOf(mode.id);
      const next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: MODE_IDS.length - 1}[event.key];
      if (next === undefined) return;
      event.preventDefault();
      const id = MODE_IDS[(next + MODE_IDS.length) % MODE_IDS.length];
      tabs[id].focus();
      choose(id);
    });
    tablist.append(tab);
    tabs[mode.id] = tab;
  }
  layout.setAttribute('role', 'tabpanel');
  swarm.setAttribute('role', 'tabpanel');

  function choose(page) {
    if (app.store.get().settings.page === page) return;
    app.configure({page}).catch((error) => app.store.set({error: error.message}));
  }

  let shown = null, shownSeeing = null;
  function render(settings) {
    const page = MODE_IDS.includes(settings.page) ? settings.page : 'train';
    const mode = MODES.find((m) => m.id === page);
    const text = mode.seeing[settings.mode] || mode.seeing.activation;
    if (text !== shownSeeing) { seeing.textContent = text; shownSeeing = text; }
    if (page === shown) return;
    shown = page;
    document.body.dataset.page = page;
    for (const [id, tab] of Object.entries(tabs)) {
      tab.setAttribute('aria-selected', String(id === page));
      tab.tabIndex = id === page ? 0 : -1;
    }
    layout.hidden = page === 'swarm';
    swarm.hidden = page !== 'swarm';
    layout.setAttribute('aria-labelledby', tabs[page === 'swarm' ? 'train' : page].id);
    showPanels(page);
    // The selected tab stays in view when the tab row scrolls sideways (narrow screens).
    if (tablist.scrollWidth > tablist.clientWidth) tabs[page].scrollIntoView({block: 'nearest', inline: 'nearest'});
  }

  app.store.subscribe((state, changed) => { if (changed.includes('settings')) render(state.settings); });
  render(app.store.get().settings);
  return {tabs, render};
}
