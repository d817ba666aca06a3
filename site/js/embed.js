// Mount ONE view with its data source on any page: mountView(element, name, options).
// It starts the engine itself when the page has none yet (and then sets window.glassbox), so a
// course page needs only this module and an element:
//
//   import {mountView} from '<site>/js/embed.js';
//   const mounted = await mountView(document.querySelector('#curves'), 'curves', {settings: {hidden: [16]}});
//   await mounted.app.train({steps: 50});
//
// The <glassbox-view> element (glassbox-embed.js, embed/element.js) and embed.html (embed/page.js)
// are built on mountView and startEngine.
//
// Views follow the view contract (create(element, options) -> {update, setOptions, destroy,
// exportSVG, exportPNG}); each area's data source feeds them (app/mounts/*.js).
import {createGlassbox} from './app/api.js';
import {loadTables} from './engine/boot.js';
import {MOUNTS as TRAINING} from './app/mounts/training.js';
import {MOUNTS as HEALTH} from './app/mounts/health.js';
import {MOUNTS as INPUTS} from './app/mounts/inputs.js';
import {MOUNTS as MODULES} from './app/mounts/modules.js';
import {MOUNTS as SWARM} from './app/mounts/swarm.js';
import {VIEW_NAMES} from './embed/attributes.js';

/** Views that mount alone: name -> async (element, app, viewOptions) => {view, destroy()}. */
export const MOUNTABLE = {...TRAINING, ...HEALTH, ...INPUTS, ...MODULES, ...SWARM};

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

/**
 * Mount view `name` (see MOUNTABLE; the short names of <glassbox-view>, embed/attributes.js
 * VIEW_NAMES, such as 'hidden', 'modules' and 'swarm', work too) in `element`. options: {settings (URL keys, used when this
 * call starts the engine), view (the view's own options)}. Resolves {view, app, destroy()}.
 */
export async function mountView(element, name, {settings = {}, view: viewOptions = {}} = {}) {
  const key = Object.hasOwn(MOUNTABLE, name) ? name : Object.hasOwn(VIEW_NAMES, name) ? VIEW_NAMES[name] : null;
  const mount = key ? MOUNTABLE[key] : null;
  if (!mount) throw new Error(`mountView: unknown view "${name}"; use ${Object.keys(MOUNTABLE).join(', ')}`);
  const app = await startEngine(settings);
  const mounted = await mount(element, app, viewOptions);
  return {...mounted, app};
}
