// Mountable views of the swarm, each with its data source (app/sources/swarm.js).
// Each entry: name -> async (element, app, viewOptions) => {view, destroy()}; see embed.js.
//
// Mounted alone with no swarm shown yet, a swarm view loads the recorded demo stream
// (swarm-demo.jsonl at the site root, written by the build), so a course page draws a real swarm
// without starting one. Views mounted on one page share the source: clicking a member in one
// highlights it in all of them.
import {swarmSource} from '../sources/swarm.js';
import {SITE_ROOT} from '../../engine/boot.js';

export const SWARM_VIEWS = ['swarm-graph', 'swarm-heatmap', 'swarm-trajectories', 'swarm-pareto', 'swarm-allocation', 'swarm-events'];
export const DEMO_STREAM = 'swarm-demo.jsonl';

const createView = async (name, element, options) => (await import(`../../views/swarm/${name}.js`)).create(element, options);

/** The demo stream, once per source, when nothing is shown yet. A missing file is named. */
const demoLoads = new WeakMap();
export function loadDemo(source) {
  if (!demoLoads.has(source)) {
    const url = new URL(DEMO_STREAM, SITE_ROOT).href;
    demoLoads.set(source, source.load(url).catch((error) => {
      demoLoads.delete(source);
      throw new Error(`No swarm is running and the recorded demo stream could not be shown (${error.message}). ` +
        'Start a swarm, or open a recorded stream.');
    }));
  }
  return demoLoads.get(source);
}

/**
 * Mount swarm view `name` in `element`, drawn from the source's slice on every change.
 * options: {demo: load the demo stream when nothing is shown (default true), view: the view's options}.
 */
export async function mountSwarmView(name, element, app, {demo = true, view: viewOptions = {}} = {}) {
  const source = swarmSource(app);
  const view = await createView(name, element, viewOptions);
  const message = Object.assign(document.createElement('p'), {className: 'gb-swarm-message'});
  message.hidden = true;
  element.append(message);
  let drawnVersion, drawnSelected;
  const draw = (slice) => {
    if (slice.state && slice.version !== drawnVersion) { drawnVersion = slice.version; view.update(slice.state); }
    if (slice.selected !== drawnSelected) {
      drawnSelected = slice.selected;
      if (view.select) view.select(slice.selected); else view.setOptions({selected: slice.selected});
    }
  };
  const off = source.subscribe(draw);
  const offSelect = typeof view.on === 'function' ? view.on('select', (id) => source.highlight(id)) : () => {};
  draw(source.state());
  if (demo && !source.state().state && source.state().status === 'idle') {
    loadDemo(source).catch((error) => { message.textContent = error.message; message.hidden = false; });
  }
  return {view, destroy() { off(); offSelect?.(); message.remove(); view.destroy(); }};
}

export const MOUNTS = Object.fromEntries(SWARM_VIEWS.map((name) => [name, (element, app, options) => mountSwarmView(name, element, app, {view: options})]));
