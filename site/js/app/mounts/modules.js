// Mountable views of the modules feature, each with its data source (app/sources/modules.js).
// Each entry: name -> async (element, app, viewOptions) => {view, destroy()}; see embed.js.
//
// A mounted module view starts the source at once (on a course page nobody scrolls a panel on
// screen first), so it draws the top-ranked module's content without any user action. Views
// mounted on one page share the source: clicking a module in a mounted map shows it in a
// mounted detail or zoom.
import {modulesSource} from '../sources/modules.js';

/** Mount `load()`'s view, redraw it whenever the store's modules slice changes. `dataOf(slice,
 *  app)` picks the view's data; `wire(view, source)` hooks its events; both optional. */
function modulesMount(load, dataOf, wire = () => () => {}) {
  return async (element, app, options) => {
    const module = await load();
    const source = modulesSource(app);
    const view = module.create(element, options);
    let last;
    const draw = (slice) => {
      const data = dataOf(slice, app);
      if (data !== last) { last = data; view.update(data); }
    };
    const unwire = wire(view, source);
    const off = source.subscribe(draw);
    draw(source.state());
    source.activate();
    return {view, destroy() { off(); unwire(); view.destroy(); }};
  };
}

/** The same object while the inputs are the same, so a redraw happens only when needed. */
function memo(make) {
  let key = null, value = null;
  return (...inputs) => {
    if (!key || inputs.some((input, i) => input !== key[i])) { key = inputs; value = make(...inputs); }
    return value;
  };
}

export const MOUNTS = {
  'module-map': modulesMount(() => import('../../views/modules/module-map.js'), (slice) => slice.result, (view, source) => {
    // As in the app's panel: a module is highlighted once someone opened it, not by default.
    let selected;
    const highlight = (slice) => (slice.zoomed ? slice.selected : null);
    const off = source.subscribe((slice) => { if (highlight(slice) !== selected) view.select(selected = highlight(slice)); });
    const offSelect = view.on('select', (id) => source.select(id, true));
    return () => { off(); offSelect(); };
  }),
  'module-zoom': (element, app, options) => {
    const data = memo((result, id) => ({result, id, snapshot: app.store.get().snapshot}));
    return modulesMount(() => import('../../views/modules/module-zoom.js'), (slice) => data(slice.result, slice.selected),
      // Alone there is no map to go back to: the zoom shows the selected module.
      (view) => { view.setOptions({backButton: false}); return () => {}; })(element, app, options);
  },
  'module-detail': (element, app, options) => {
    const data = memo((result, id) => ({result, id}));
    return modulesMount(() => import('../../views/modules/module-detail.js'), (slice) => data(slice.result, slice.selected))(element, app, options);
  },
  // Mounted alone the comparison shows the modules_vs setting, or the first other algorithm.
  'module-compare': modulesMount(() => import('../../views/modules/module-compare.js'), (slice) => slice.comparison,
    (view, source) => source.wantComparison()),
};
