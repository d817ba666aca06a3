// Mount ONE view with its data source on any page: mountView(element, name, options).
// It starts the engine itself when the page has none yet (and then sets window.glassbox), so a
// course page needs only this module and an element:
//
//   import {mountView} from '<site>/js/embed.js';
//   const mounted = await mountView(document.querySelector('#curves'), 'curves', {settings: {hidden: [16]}});
//   await mounted.app.train({steps: 50});
//
// Views follow the view contract (create(element, options) -> {update, setOptions, destroy,
// exportSVG, exportPNG}); the data source feeds them (here: the training source's snapshots).
import {createGlassbox} from './app/api.js';
import {loadTables} from './engine/boot.js';

/** Views that mount alone: name -> [module loader, data source, options from the model (or null)]. */
export const MOUNTABLE = {
  network: [() => import('./views/network/network.js'), 'training', (info, settings) => ({imageShape: info.image_shape,
    classNames: info.class_names, probe: settings.probe, mode: settings.mode})],
  curves: [() => import('./views/training/curves.js'), 'training', null],
};

let starting = null;

/** The page's window.glassbox, started here when the page has none. `settings` use the URL keys. */
export function startEngine(settings = {}) {
  if (globalThis.window && window.glassbox) return Promise.resolve(window.glassbox);
  starting = starting || loadTables().then((tables) => {
    const params = new URLSearchParams(Object.entries(settings).map(([key, value]) =>
      [key, Array.isArray(value) ? value.join(',') : String(value)]));
    const {glassbox} = createGlassbox({tables, hash: '#' + params.toString()});
    window.glassbox = glassbox;
    return glassbox;
  });
  return starting;
}

/** The training source for a single view: the newest snapshot, drawn once per frame. */
function followTraining(app, view, optionsFor, options) {
  let frame = false, architecture = null;
  const draw = () => {
    frame = false;
    const {snapshot, info, settings} = app.store.get();
    if (!snapshot || !info) return;
    const key = JSON.stringify([info.layer_sizes, info.image_shape, info.class_names]);
    if (key !== architecture) {
      if (optionsFor) view.setOptions({...optionsFor(info, settings), ...options});
      architecture = key;
    }
    view.update(snapshot);
  };
  const request = () => { if (!frame) { frame = true; requestAnimationFrame(draw); } };
  const off = app.store.subscribe((state, changed) => {
    if (changed.includes('snapshot') || changed.includes('info')) request();
  });
  request();
  return off;
}

/**
 * Mount view `name` (see MOUNTABLE) in `element`. options: {settings (URL keys, used when this
 * call starts the engine), view (the view's own options)}. Resolves {view, app, destroy()}.
 */
export async function mountView(element, name, {settings = {}, view: viewOptions = {}} = {}) {
  const entry = MOUNTABLE[name];
  if (!entry) throw new Error(`mountView: unknown view "${name}"; use ${Object.keys(MOUNTABLE).join(', ')}`);
  const [load, , optionsFor] = entry;
  const [app, module] = await Promise.all([startEngine(settings), load()]);
  const view = module.create(element, viewOptions);
  const stop = followTraining(app, view, optionsFor, viewOptions);
  return {view, app, destroy() { stop(); view.destroy(); }};
}
