// The minimal transport an embedded view carries (attribute `controls`, embed.html always):
// Play/Pause, Step, Reset and one status line "step N · loss x". It drives the shared
// window.glassbox, so Play in one element trains what every element on the page shows.

const fmt = (x) => (x == null || !Number.isFinite(x) ? '–' : x < 0.01 ? x.toExponential(1) : x.toFixed(3));

/** The status line's text for glassbox.state() `s`. */
export function statusText(s) {
  if (s.status === 'loading') return 'starting…';
  const parts = [`step ${s.step}`, `loss ${fmt(s.loss)}`];
  if (s.accuracy != null) parts.push(`accuracy ${Math.round(s.accuracy * 100)} %`);
  if (s.status === 'diverged') parts.push('diverged');
  return parts.join(' · ');
}

/**
 * Put the transport in `parent`, driving `app` (window.glassbox). Returns {element, destroy()}.
 * Buttons are disabled until the engine is ready; errors of a call are shown, never thrown.
 */
export function createMiniControls(parent, app) {
  const doc = parent.ownerDocument;
  const bar = doc.createElement('div');
  bar.className = 'gb-embed-controls';
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', 'Training controls');
  const button = (label, text) => {
    const b = doc.createElement('button');
    b.type = 'button';
    b.dataset.action = label;
    b.textContent = text;
    b.disabled = true;
    bar.append(b);
    return b;
  };
  const play = button('play', 'Play');
  const step = button('step', 'Step');
  const reset = button('reset', 'Reset');
  const status = doc.createElement('span');
  status.className = 'gb-embed-status';
  status.setAttribute('aria-live', 'off');  // updates many times a second: not read aloud
  status.textContent = 'starting…';
  bar.append(status);
  parent.append(bar);

  const call = (fn) => Promise.resolve().then(fn).catch((error) => { status.textContent = String(error.message || error); });
  play.addEventListener('click', () => call(() => (app.store.get().status === 'training' ? app.pause() : app.play())));
  step.addEventListener('click', () => call(() => app.step()));
  reset.addEventListener('click', () => call(() => app.reset()));

  let frame = 0;
  const draw = () => {
    frame = 0;
    const s = app.state();
    const training = s.status === 'training';
    play.textContent = training ? 'Pause' : 'Play';
    play.setAttribute('aria-pressed', String(training));
    for (const b of [play, step, reset]) b.disabled = s.status === 'loading' || s.status === 'error';
    step.disabled = step.disabled || training;
    status.textContent = statusText(s);
  };
  const request = () => { if (!frame) frame = requestAnimationFrame(draw); };
  const off = app.store.subscribe((state, changed) => {
    if (changed.includes('status') || changed.includes('snapshot')) request();
  });
  draw();
  return {element: bar, destroy() { off(); if (frame) cancelAnimationFrame(frame); bar.remove(); }};
}
