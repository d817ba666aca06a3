// Mountable views of the inputs feature, each with its data source (app/sources/inputs.js).
// Each entry: name -> async (element, app, viewOptions) => {view, destroy()}; see embed.js.
//
// Mounted alone, a view shows its default content as soon as the engine is ready (morph: the URL's
// classes, a 5 into a 6 by default; pour: the URL's class sets; perturb: the strongest weight into
// the answer; projection: PCA of the first hidden layer; draw: an empty pad that classifies what
// is drawn; input-plane: the plane of a 2-D dataset, or why the dataset has none) and follows
// training while it is on screen.
import {inputsSource} from '../sources/inputs.js';

/** The inputs views' stylesheet, once per page (the app page links it from ui/inputs-ui.js). */
function ensureStyles() {
  const href = new URL('../../../css/inputs.css', import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === href)) return;
  document.head.append(Object.assign(document.createElement('link'), {rel: 'stylesheet', href}));
}

/** Follow training only while the element can be seen (as the app page's panels do). */
function visibility(element) {
  let onScreen = true;
  const observer = typeof IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => { onScreen = entries[entries.length - 1].isIntersecting; }) : null;
  observer?.observe(element);
  return {onScreen: () => onScreen, stop: () => observer?.disconnect()};
}

function inputsMount(tab, load) {
  return async (element, app, options = {}) => {
    ensureStyles();
    const module = await load();
    const view = module.create(element, options);
    const seen = visibility(element);
    const detach = inputsSource(app).attach(tab, view, {onScreen: seen.onScreen});
    return {view, destroy() { detach(); seen.stop(); view.destroy(); }};
  };
}

export const MOUNTS = {
  morph: inputsMount('morph', () => import('../../views/inputs/morph.js')),
  draw: inputsMount('draw', () => import('../../views/inputs/draw-pad.js')),
  pour: inputsMount('pour', () => import('../../views/inputs/pour.js')),
  perturb: inputsMount('perturb', () => import('../../views/inputs/perturb.js')),
  projection: inputsMount('hidden', () => import('../../views/inputs/projection.js')),
  'input-plane': inputsMount('plane', () => import('../../views/inputs/input-plane.js')),
};
