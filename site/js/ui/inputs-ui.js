// "Explore inputs" on the page: one panel with tabs Morph | Draw | Pour | Perturb | Hidden space,
// the Input plane panel (shown for 2-D datasets), the network view's layout switch (layered or
// force-directed), clicks on the network routed to Pour and Perturb, and the window.glassbox
// methods morph, pour, perturb, project, classify, draw, inputPlane, showTab.
// Installed from main.js: installInputs(app, {addPanel, network, provide}).
//
// The data source (app/sources/inputs.js) decides what each view shows and when to ask the engine:
// the open tab (the store's inputs.tab) follows training while the panel is on screen; hidden tabs
// cost nothing. This file only builds the panel, wires the network view and the API members. Choices that matter are URL keys (site/js/url-state.js): tab,
// morph_from, morph_to, morph_path, pour_a, pour_b, pour_n, proj_layer, layout, force_by.
import {inputsSource} from '../app/sources/inputs.js';
import {create as createMorphView} from '../views/inputs/morph.js';
import {create as createDrawView} from '../views/inputs/draw-pad.js';
import {create as createPourView} from '../views/inputs/pour.js';
import {create as createPerturbView} from '../views/inputs/perturb.js';
import {create as createProjectionView} from '../views/inputs/projection.js';
import {create as createInputPlaneView} from '../views/inputs/input-plane.js';

const TABS = [['morph', 'Morph'], ['draw', 'Draw'], ['pour', 'Pour'], ['perturb', 'Perturb'], ['hidden', 'Hidden space']];

export function installInputs(app, {addPanel, network, provide} = {}) {
  const getNetwork = typeof network === 'function' ? network : () => network;
  const css = Object.assign(document.createElement('link'), {rel: 'stylesheet', href: new URL('../../css/inputs.css', import.meta.url).href});
  document.head.append(css);

  const planePanel = addPanel({id: 'input-plane', title: 'Input plane: what every neuron computes over (x1, x2)', view: () => plane, before: 'curves'});
  const panel = addPanel({id: 'inputs', title: 'Explore inputs', view: () => views[active()]});
  planePanel.panel.hidden = true;

  const source = inputsSource(app);
  const active = () => app.store.get().inputs.tab;
  // The page's mode (settings.page); an absent page (no modes) counts as this one.
  const inMode = () => (app.store.get().settings.page ?? 'inputs') === 'inputs';

  // Tabs (WAI-ARIA tabs pattern: arrow keys move between tabs).
  const tablist = Object.assign(document.createElement('div'), {className: 'gbi-tabs'});
  tablist.setAttribute('role', 'tablist');
  tablist.setAttribute('aria-label', 'Explore inputs');
  const buttons = {}, hosts = {}, lastOverlay = {};
  for (const [name, label] of TABS) {
    const button = Object.assign(document.createElement('button'), {type: 'button', textContent: label, id: `gbi-tab-${name}`});
    button.setAttribute('role', 'tab');
    button.dataset.tab = name;
    button.addEventListener('click', () => showTab(name));
    button.addEventListener('keydown', (event) => {
      const i = TABS.findIndex(([n]) => n === name), step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
      if (!step) return;
      event.preventDefault();
      const next = TABS[(i + step + TABS.length) % TABS.length][0];
      showTab(next);
      buttons[next].focus();
    });
    tablist.append(button);
    buttons[name] = button;
    const host = Object.assign(document.createElement('div'), {className: 'gbi-tabpanel', id: `gbi-panel-${name}`, hidden: true});
    host.setAttribute('role', 'tabpanel');
    host.setAttribute('aria-labelledby', button.id);
    hosts[name] = host;
  }
  panel.host.append(tablist, ...Object.values(hosts));
  const views = {
    morph: createMorphView(hosts.morph), draw: createDrawView(hosts.draw), pour: createPourView(hosts.pour),
    perturb: createPerturbView(hosts.perturb), hidden: createProjectionView(hosts.hidden),
  };
  const plane = createInputPlaneView(planePanel.host);
  for (const [name, view] of Object.entries(views)) {
    source.attach(name, view, {active: () => active() === name, onScreen: panel.isOnScreen});
    // The open tab colours the network view's neurons (morph, draw, pour) or rings a parameter (perturb).
    view.on('overlay', (overlay) => {
      lastOverlay[name] = overlay;  // kept, so coming back to the mode shows it again without a new request
      if (active() === name && inMode()) getNetwork()?.setOverlay('inputs', overlay);
    });
  }
  source.attach('plane', plane, {active: () => !planePanel.panel.hidden, onScreen: planePanel.isOnScreen});

  let shownTab = null;
  function showTab(name) {
    if (!views[name]) throw new Error(`unknown tab "${name}"; use ${TABS.map(([n]) => n).join(', ')}`);
    if (shownTab === name) return views[name];
    shownTab = name;
    for (const [n] of TABS) {
      buttons[n].setAttribute('aria-selected', String(n === name));
      buttons[n].tabIndex = n === name ? 0 : -1;
      hosts[n].hidden = n !== name;
    }
    getNetwork()?.setOverlay('inputs', null);
    delete lastOverlay[name];
    source.show(name);
    return views[name];
  }

  // Network view: layout switch in its panel head, clicks routed here.
  const netHead = document.querySelector('[data-panel="network"] .panel-actions');
  const layoutBox = document.createElement('span');
  layoutBox.className = 'gbi-layout-switch';
  const layoutSel = document.createElement('select');
  layoutSel.id = 'gbi-layout';
  layoutSel.setAttribute('aria-label', 'Network layout');
  layoutSel.title = 'Layered: one column per layer. Force-directed: neurons pulled together by their connections or co-activation.';
  for (const [value, text] of [['layered', 'layered'], ['force-weight', 'force: by |weight|'], ['force-coactivation', 'force: by co-activation']]) {
    layoutSel.append(Object.assign(document.createElement('option'), {value, textContent: `layout: ${text}`}));
  }
  const rearrange = Object.assign(document.createElement('button'), {type: 'button', textContent: 'Re-arrange', id: 'gbi-rearrange'});
  rearrange.title = 'Run the force layout again with the current weights and activations';
  layoutBox.append(layoutSel, rearrange);
  if (netHead) netHead.prepend(layoutBox);
  layoutSel.addEventListener('change', () => {
    const [layout, by] = layoutSel.value.split('-');
    app.configure(layout === 'force' ? {layout, force_by: by} : {layout}).catch(() => {});
  });
  rearrange.addEventListener('click', () => {
    const net = getNetwork(), s = app.store.get().settings;
    if (!net) return;
    net.setOptions({layout: 'layered'});
    net.setOptions({layout: s.layout, forceBy: s.force_by});
  });

  let hooked = null;
  function hookNetwork() {
    const net = getNetwork();
    if (!net || hooked === net) return;
    hooked = net;
    wasInMode = null;
    syncMode();
    const s = app.store.get().settings;
    net.setOptions({layout: s.layout, forceBy: s.force_by});
    // In Explore inputs a click on a neuron does one thing: make its bias the Perturb target.
    net.on('neuronclick', ({column, index}) => {
      if (column === 0 || !inMode()) return;
      showTab('perturb');
      source.run('perturb', {target: {layer: column - 1, kind: 'bias', j: index}}).catch(() => {});
    });
    net.on('edgeclick', ({layer, from, to}) => {
      if (!inMode()) return;
      showTab('perturb');
      source.run('perturb', {target: {layer, kind: 'weight', i: from, j: to}}).catch(() => {});
    });
  }

  // Leaving the mode takes the inputs' colours off the network; coming back shows the open tab's again.
  let wasInMode = null;
  function syncMode() {
    const now = inMode(), net = getNetwork();
    net?.setOverlay('inputs-click', now ? {click: "perturb its bias (Perturb tab)"} : null);
    if (now === wasInMode) return;
    wasInMode = now;
    if (!now) net?.setOverlay('inputs', null);
    else if (shownTab && lastOverlay[shownTab]) net?.setOverlay('inputs', lastOverlay[shownTab]);
  }

  function syncLayout(settings) {
    layoutSel.value = settings.layout === 'force' ? `force-${settings.force_by}` : 'layered';
    rearrange.hidden = settings.layout !== 'force';
    getNetwork()?.setOptions({layout: settings.layout, forceBy: settings.force_by});
  }

  app.store.subscribe((state, changed) => {
    if (changed.includes('settings')) {
      syncLayout(state.settings);
      syncMode();
      if (state.settings.tab !== shownTab && shownTab) showTab(state.settings.tab);
    }
    if (changed.includes('info') && state.info) {
      const twoD = state.info.layer_sizes[0] === 2;
      if (planePanel.panel.hidden === twoD) { planePanel.panel.hidden = !twoD; source.wake('plane'); }
    }
  });
  app.on('snapshot', () => {
    hookNetwork();
    requestAnimationFrame(hookNetwork); // main.js creates the network view in the frame after the first snapshot
  });
  showTab(app.store.get().settings.tab);
  syncLayout(app.store.get().settings);

  provide('inputs', {views, showTab});
  return {views, plane, showTab};
}