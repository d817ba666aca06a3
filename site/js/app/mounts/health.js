// Mountable views of the health feature, each with its data source (app/sources/health.js: one
// per app, shared by every health view on the page). A view mounted alone draws the run's history
// at once (the source fetches what happened before it existed) and follows training after that.
// Each entry: name -> async (element, app, viewOptions) => {view, destroy()}; see embed.js.
// The names are the app page's panel ids (data-panel="…").
import {healthSourceFor, viewActions} from '../sources/health.js';

/** Draw source.viewData() into `view` now and after every change of the health slice, once per frame. */
export function followHealth(source, view) {
  let frame = false;
  const draw = () => { frame = false; view.update(source.viewData()); };
  const request = () => {
    if (frame) return;
    frame = true;
    if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(draw); else setTimeout(draw, 0);
  };
  const off = source.subscribe(request);
  request();
  return off;
}

/** The feature's stylesheet, once per document (the views stack a canvas under an SVG with it). */
export function ensureHealthStyles(doc = document) {
  const href = new URL('../../../css/health.css', import.meta.url).href;
  if ([...doc.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href)) return;
  doc.head.append(Object.assign(doc.createElement('link'), {rel: 'stylesheet', href}));
}

function healthMount(load) {
  return async (element, app, viewOptions = {}) => {
    ensureHealthStyles();
    const module = await load();
    const source = healthSourceFor(app);
    const view = module.create(element, {...viewActions(source), ...viewOptions});
    const stop = followHealth(source, view);
    return {view, destroy() { stop(); view.destroy(); }};
  };
}

export const MOUNTS = {
  health: healthMount(() => import('../../views/health/health-panel.js')),
  gradflow: healthMount(() => import('../../views/health/layer-bars.js')),
  distributions: healthMount(() => import('../../views/health/distributions.js')),
  updates: healthMount(() => import('../../views/health/update-ratios.js')),
  raster: healthMount(() => import('../../views/health/raster.js')),
  pruning: healthMount(() => import('../../views/health/pruning-panel.js')),
};
