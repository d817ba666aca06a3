// The Train mode's "Prediction" panel: the shown input (the `probe` setting: one of the 64
// validation samples every snapshot carries), what the network predicts for it with its three most
// likely classes, and buttons to show the previous or next sample. It reads the snapshot the store
// already holds (snapshot.probe: x [64, inputs], y [64], prob [64, classes]); it never asks the
// engine for anything. When the probe is 'mean' (the network view averages all 64 inputs) it says
// so and offers one input, because an average of mixed digits predicts nothing.
import {row} from '../views/common/tensor.js';

const pct = (p) => `${Math.round(100 * p)} %`;

/** The panel's sentence and numbers for `snapshot` with probe `probe` (pure; exported for tests). */
export function predictionFor(snapshot, probe, classNames) {
  const probeSet = snapshot?.probe;
  const n = probeSet?.prob?.shape?.[0] ?? 0;
  if (!n) return null;
  const name = (k) => (classNames && classNames[k] !== undefined ? String(classNames[k]) : String(k));
  const right = Array.from(probeSet.pred?.data ?? [], (p, i) => p === probeSet.y.data[i]).filter(Boolean).length;
  if (probe === 'mean' || probe == null) {
    return {index: null, n, right, text: `The network view shows the mean over ${n} inputs, which predicts nothing; ` +
      `it gets ${right} of these ${n} right. Pick one input to see its prediction.`};
  }
  const index = Math.min(Math.max(0, Math.trunc(Number(probe))), n - 1);
  const prob = row(probeSet.prob, index);
  const ranked = Array.from(prob, (p, k) => [k, p]).sort((a, b) => b[1] - a[1]).slice(0, 3);
  const truth = probeSet.y.data[index], [best, bestP] = ranked[0];
  const verdict = best === truth ? 'right' : `wrong: it is a ${name(truth)}`;
  return {index, n, right, truth, best, ranked: ranked.map(([k, p]) => ({name: name(k), p, truth: k === truth})),
    text: `Input ${index} (a ${name(truth)}): predicted ${name(best)} with ${pct(bestP)}, ${verdict}.`};
}

export function installPrediction(app, {addPanel}) {
  const panel = addPanel({id: 'prediction', title: 'Prediction', exports: false});
  const box = Object.assign(document.createElement('div'), {className: 'prediction'});
  const thumb = Object.assign(document.createElement('canvas'), {className: 'prediction-thumb', width: 8, height: 8});
  thumb.setAttribute('aria-hidden', 'true');
  const text = Object.assign(document.createElement('p'), {className: 'prediction-text', id: 'prediction-text'});
  const bars = Object.assign(document.createElement('ol'), {className: 'prediction-bars'});
  bars.setAttribute('aria-label', 'Three most likely classes');
  const nav = Object.assign(document.createElement('div'), {className: 'prediction-nav'});
  const button = (label, title, delta) => {
    const b = Object.assign(document.createElement('button'), {type: 'button', textContent: label, title});
    b.addEventListener('click', () => {
      const {settings, snapshot} = app.store.get(), n = snapshot?.probe?.prob?.shape?.[0] || 64;
      const at = settings.probe === 'mean' ? (delta > 0 ? -1 : 0) : Number(settings.probe);
      app.configure({probe: delta === 0 ? 0 : (at + delta + n) % n}).catch(() => {});
    });
    return b;
  };
  const prev = button('◀ Previous', 'Show the previous validation input', -1);
  const next = button('Next ▶', 'Show the next validation input', 1);
  const one = button('Show one input', 'Show validation input 0 instead of the mean of all', 0);
  nav.append(prev, next, one);
  box.append(thumb, text, bars, nav);
  panel.host.append(box);

  function paintThumb(snapshot, index, shape) {
    thumb.hidden = !shape || index == null;
    if (thumb.hidden) return;
    const [h, w] = shape, values = row(snapshot.probe.x, index);
    if (values.length !== h * w) { thumb.hidden = true; return; }
    Object.assign(thumb, thumb.width === w && thumb.height === h ? {} : {width: w, height: h});
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const ctx = thumb.getContext('2d'), pixels = ctx.createImageData(w, h);
    for (let k = 0; k < w * h; k++) {  // larger values darker, as in the network view's input image
      const t = hi > lo ? (values[k] - lo) / (hi - lo) : 0;
      pixels.data.set([255 - t * 240, 255 - t * 232, 255 - t * 213, 255], k * 4);
    }
    ctx.putImageData(pixels, 0, 0);
  }

  let drawn = null;
  function render(state) {
    const {snapshot, settings, info} = state;
    const key = snapshot && [snapshot.step, settings.probe, snapshot.layer_sizes.join()].join('|');
    if (!snapshot || key === drawn) return;
    drawn = key;
    const result = predictionFor(snapshot, settings.probe, info?.class_names);
    text.textContent = result ? result.text : 'No prediction yet.';
    bars.replaceChildren(...(result?.ranked || []).map((r) => {
      const item = document.createElement('li');
      item.className = r.truth ? 'truth' : '';
      const label = Object.assign(document.createElement('span'), {className: 'prediction-class', textContent: r.name});
      const bar = Object.assign(document.createElement('span'), {className: 'prediction-bar'});
      bar.style.width = `${Math.max(1, Math.round(100 * r.p))}%`;
      const value = Object.assign(document.createElement('span'), {className: 'prediction-p', textContent: pct(r.p) + (r.truth ? ' ✓' : '')});
      const track = Object.assign(document.createElement('span'), {className: 'prediction-track'});
      track.append(bar);
      item.append(label, track, value);
      return item;
    }));
    const mean = !result || result.index == null;
    prev.hidden = next.hidden = mean;
    one.hidden = !mean;
    paintThumb(snapshot, result?.index, info?.image_shape);
    box.classList.toggle('no-thumb', thumb.hidden);
  }
  app.store.subscribe((state, changed) => {
    if (changed.includes('snapshot') || changed.includes('settings') || changed.includes('info')) render(state);
  });
  render(app.store.get());
  return {panel, render};
}
