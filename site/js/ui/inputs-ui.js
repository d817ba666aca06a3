// "Explore inputs" on the page: one panel with tabs Morph | Draw | Pour | Perturb | Hidden space,
// the Input plane panel (shown for 2-D datasets), the network view's layout switch (layered or
// force-directed), clicks on the network routed to Pour and Perturb, and the window.glassbox
// methods morph, pour, perturb, project, classify, draw, inputPlane, showTab.
// Installed from main.js: installInputs(app, {addPanel, network}).
//
// While a tab shows, its view follows training (its data source, app/sources/inputs.js, throttles
// the engine requests through the one scheduler);
// hidden tabs cost nothing. Choices that matter are URL keys (site/js/url-state.js): tab,
// morph_from, morph_to, morph_path, pour_a, pour_b, pour_n, proj_layer, layout, force_by.
import {createInputsSource} from '../app/sources/inputs.js';
import {createMorphView} from '../views/inputs/morph.js';
import {createDrawView} from '../views/inputs/draw-pad.js';
import {createPourView} from '../views/inputs/pour.js';
import {createPerturbView} from '../views/inputs/perturb.js';
import {createProjectionView} from '../views/inputs/projection.js';
import {createInputPlaneView} from '../views/inputs/input-plane.js';

const TABS = [['morph', 'Morph'], ['draw', 'Draw'], ['pour', 'Pour'], ['perturb', 'Perturb'], ['hidden', 'Hidden space']];

export function installInputs(app, {addPanel, network, provide} = {}) {
  const getNetwork = typeof network === 'function' ? network : () => network;
  const css = Object.assign(document.createElement('link'), {rel: 'stylesheet', href: new URL('../../css/inputs.css', import.meta.url).href});
  document.head.append(css);

  const planePanel = addPanel({id: 'input-plane', title: 'Input plane: what every neuron computes over (x1, x2)', view: () => plane, before: 'curves'});
  const panel = addPanel({id: 'inputs', title: 'Explore inputs', view: () => views[active]});
  planePanel.panel.hidden = true;

  let active = null;
  const source = createInputsSource(app);
  const ctx = {
    source,
    drawn: null,
    info: () => app.store.get().info,
    settings: () => app.store.get().settings,
    setDrawn(x) { ctx.drawn = x; },
    /** Save choices in the URL (only those that changed). */
    persist(partial) {
      const s = app.store.get().settings, changed = {};
      for (const [key, value] of Object.entries(partial)) if (JSON.stringify(s[key]) !== JSON.stringify(value)) changed[key] = value;
      if (Object.keys(changed).length) app.configure(changed).catch(() => {});
    },
    /** The active tab's colouring of the network view's neurons (null clears it). */
    overlay(tab, overlay) {
      if (tab !== active) return;
      getNetwork()?.setOverlay('inputs', overlay);
    },
  };

  // Tabs (WAI-ARIA tabs pattern: arrow keys move between tabs).
  const tablist = Object.assign(document.createElement('div'), {className: 'gbi-tabs'});
  tablist.setAttribute('role', 'tablist');
  tablist.setAttribute('aria-label', 'Explore inputs');
  const buttons = {}, hosts = {};
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
    morph: createMorphView(hosts.morph, ctx), draw: createDrawView(hosts.draw, ctx), pour: createPourView(hosts.pour, ctx),
    perturb: createPerturbView(hosts.perturb, ctx), hidden: createProjectionView(hosts.hidden, ctx),
  };
  const plane = createInputPlaneView(planePanel.host, ctx);

  const ready = () => Boolean(app.store.get().info) && app.store.get().status !== 'loading';

  function showTab(name) {
    if (!views[name]) throw new Error(`unknown tab "${name}"; use ${TABS.map(([n]) => n).join(', ')}`);
    if (active === name) return views[name];
    active = name;
    for (const [n] of TABS) {
      buttons[n].setAttribute('aria-selected', String(n === name));
      buttons[n].tabIndex = n === name ? 0 : -1;
      hosts[n].hidden = n !== name;
    }
    getNetwork()?.setOverlay('inputs', null);
    ctx.persist({tab: name});
    shown = null;
    ensureShown();
    return views[name];
  }

  let shown = null; // the tab whose view has been activated since the last model change
  function ensureShown() {
    if (!active || shown === active || !ready()) return;
    shown = active;
    views[active].activate();
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
    const s = app.store.get().settings;
    net.setOptions({layout: s.layout, forceBy: s.force_by});
    net.on('neuronclick', ({column, index}) => {
      if (column === 0) return;
      if (active === 'pour') views.pour.selectNeuron(column, index);
      else if (active === 'perturb') views.perturb.choose({column, index}).catch(() => {});
    });
    net.on('edgeclick', (edge) => { showTab('perturb'); views.perturb.choose(edge).catch(() => {}); });
  }

  function syncLayout(settings) {
    layoutSel.value = settings.layout === 'force' ? `force-${settings.force_by}` : 'layered';
    rearrange.hidden = settings.layout !== 'force';
    getNetwork()?.setOptions({layout: settings.layout, forceBy: settings.force_by});
  }

  let infoKey = null;
  app.store.subscribe((state, changed) => {
    if (changed.includes('settings')) {
      syncLayout(state.settings);
      if (state.settings.tab !== active && active) showTab(state.settings.tab);
    }
    if (changed.includes('info') && state.info) {
      const key = JSON.stringify([state.info.dataset, state.info.layer_sizes]);
      if (key !== infoKey) {
        infoKey = key;
        Object.values(views).forEach((v) => v.reset());
        plane.reset();
        const twoD = state.info.layer_sizes[0] === 2;
        planePanel.panel.hidden = !twoD;
        if (twoD && ready()) plane.activate();
        shown = null;
        ensureShown();
      }
    }
  });
  app.on('snapshot', () => {
    hookNetwork();
    requestAnimationFrame(hookNetwork); // main.js creates the network view in the frame after the first snapshot
    if (!active) { showTab(app.store.get().settings.tab); return; }
    const training = app.store.get().status === 'training';
    if (training && panel.isOnScreen()) views[active].refresh();
    if (planePanel.isOnScreen()) plane.refresh();
  });
  app.on('status', (status) => {
    ensureShown();
    if (status === 'paused' && active) { views[active].refresh(true); if (!planePanel.panel.hidden) plane.refresh(true); }
  });
  syncLayout(app.store.get().settings);

  const spec = (input) => (input == null ? {index: 0} : typeof input === 'number' ? {index: input}
    : ArrayBuffer.isView(input) || Array.isArray(input) ? {x: Array.from(input)}
      : input.x ? {...input, x: Array.from(input.x)} : input);
  provide('inputs', {
    /** Morph {from, to, steps, path}: ends are class numbers, {class, nth}, {index}, {x} or 'drawn'. */
    morph: (args = {}) => views.morph.run(args),
    /** Pour {a, b, n}: class numbers, lists of them or "1,7". Per-neuron selectivity and the saliency map. */
    pour: (args = {}) => views.pour.run(args),
    /** Perturb {target: {layer, kind: 'weight'|'bias', i, j}, value, silence, input}; value null = trained value. */
    perturb: (args = {}) => views.perturb.run(args),
    /** Project {layer (0 = input .. L = output), method: 'pca'|'tsne', n}. */
    project: (args = {}) => views.hidden.run(args),
    /** Classify one input: a validation index, an array of pixels, or an input spec. */
    classify: (input) => app.request('classify_input', {input: spec(input)}),
    /** Put pixels on the drawing pad (what the network sees) and classify them. */
    draw: (pixels) => views.draw.setPixels(Array.from(pixels)),
    /** The decision and every neuron's output over the input plane (2-D datasets). */
    inputPlane: (args = {}) => plane.run(args),
    /** Open a tab of the Explore inputs panel: morph, draw, pour, perturb or hidden. */
    showTab: (name) => { showTab(name); return name; },
    views,
  });
  return {views, plane, showTab};
}
