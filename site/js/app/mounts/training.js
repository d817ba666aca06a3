// Mountable views fed by the training source (the newest snapshot, drawn once per frame).
// Each entry: name -> async (element, app, viewOptions) => {view, destroy()}; see embed.js.

/** Feed `view` every new snapshot of the main run; returns the unsubscribe function. */
export function followTraining(app, view, optionsFor, options) {
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

function trainingMount(load, optionsFor = null) {
  return async (element, app, options) => {
    const module = await load();
    const view = module.create(element, options);
    const stop = followTraining(app, view, optionsFor, options);
    return {view, destroy() { stop(); view.destroy(); }};
  };
}

export const MOUNTS = {
  network: trainingMount(() => import('../../views/network/network.js'), (info, settings) => ({
    imageShape: info.image_shape, classNames: info.class_names, probe: settings.probe, mode: settings.mode})),
  curves: trainingMount(() => import('../../views/training/curves.js')),
};
