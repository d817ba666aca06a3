// The replay bar under the loss curves: a scrubber over the main run's recorded steps (engine op
// 'replay' through window.glassbox.replay). Moving it pauses training and the network view shows
// the network as it was; "Live" (or Escape, or Play) goes back. Keyboard: the slider takes the
// arrow keys, Page Up/Down, Home and End like any range input. Text is set with textContent only.

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);
const CSS = `
.replay-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.6rem; padding: 0.4rem 0.6rem 0.5rem;
  border-top: 1px solid #e2e8f0; font-size: 0.85rem; }
.replay-bar .replay-title { font-weight: 600; }
.replay-bar input[type=range] { flex: 1 1 12rem; min-width: 8rem; }
.replay-bar .replay-step { font-variant-numeric: tabular-nums; flex: 2 1 18rem; }
.replay-bar[data-active=true] { background: #fff7ed; }
.replay-bar[data-active=true] .replay-title::after { content: ' (paused)'; font-weight: 400; color: #9a3412; }
.replay-bar .replay-note { flex-basis: 100%; margin: 0; }
`;
const fmt = (v, digits = 3) => (v == null ? '—' : Number.isFinite(v) ? Number(v).toPrecision(digits) : String(v));
const pct = (v) => (v == null ? '—' : `${(100 * v).toFixed(1)}%`);

/**
 * @param app window.glassbox
 * @param {{curvesPanel: {panel: HTMLElement}}} where  the bar goes at the bottom of the curves panel
 */
export function installReplay(app, {curvesPanel}) {
  const bar = el('div', {className: 'replay-bar', id: 'replay-bar'});
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', 'Replay the training');
  const title = el('span', {className: 'replay-title', textContent: 'Replay'});
  const slider = el('input', {type: 'range', id: 'replay-slider', min: '0', max: '1', step: '1', value: '1'});
  slider.setAttribute('aria-label', 'Training step shown');
  const label = el('output', {id: 'replay-step', className: 'replay-step'});
  label.setAttribute('for', slider.id);
  label.setAttribute('aria-live', 'polite');
  const live = el('button', {type: 'button', id: 'replay-live', textContent: 'Live',
    title: 'Back to the network as it is now (Escape)'});
  const note = el('div', {className: 'hint replay-note', id: 'replay-note'});
  bar.append(title, slider, label, live, note);
  curvesPanel.panel.append(bar);
  if (!document.getElementById('replay-style')) document.head.append(el('style', {id: 'replay-style', textContent: CSS}));

  let steps = [];
  let entering = null;  // the first request of a scrub (fetches the recorded steps)

  /** Start replaying at the live step: the slider learns the recorded steps. */
  function enter() {
    const state = app.store.get();
    if (state.replay.active || entering || !state.snapshot) return entering;
    entering = app.replay(state.snapshot.step).catch((error) => console.warn('replay:', error.message || error))
      .finally(() => { entering = null; });
    return entering;
  }

  function show(state) {
    const r = state.replay;
    const liveStep = state.snapshot ? state.snapshot.step : 0;
    if (r.steps && r.steps.length) steps = r.steps;
    const ready = state.status !== 'loading' && state.status !== 'error' && Boolean(state.snapshot);
    slider.disabled = !ready;
    live.disabled = !r.active;
    bar.dataset.active = String(Boolean(r.active));
    if (r.active && r.snapshot) {
      const index = Math.max(0, steps.indexOf(r.step));
      slider.max = String(Math.max(1, steps.length - 1));
      slider.value = String(index);
      slider.setAttribute('aria-valuetext', `step ${r.step}`);
      const s = r.snapshot;
      label.textContent = `Step ${r.step} of ${r.liveStep} · loss ${fmt(s.train.loss)} (val ${fmt(s.val.loss)}) · accuracy ${pct(s.train.accuracy)} (val ${pct(s.val.accuracy)})`;
      note.textContent = `${steps.length} steps are recorded (older ones more thinly). The Network view shows step ${r.step} ` +
        '(a dashed line marks it on the curves); Explore inputs, Modules and Health stay on the live network. Live or Play goes back.';
    } else {
      slider.max = '1';
      slider.value = '1';
      slider.setAttribute('aria-valuetext', `live, step ${liveStep}`);
      label.textContent = `Live · step ${liveStep}`;
      note.textContent = r.error ? `Replay failed: ${r.error}` : 'Drag to see the network at an earlier step (training pauses).';
    }
  }

  slider.addEventListener('pointerdown', () => { enter(); });
  slider.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { app.replay('live'); return; }
    if (!app.store.get().replay.active) {
      // The first key press enters replay at the newest step; the next ones move through it.
      event.preventDefault();
      enter();
    }
  });
  slider.addEventListener('input', async () => {
    await enter();
    const index = Math.min(steps.length - 1, Math.max(0, Number(slider.value)));
    if (steps.length) app.replay(steps[index]).catch((error) => console.warn('replay:', error.message || error));
  });
  live.addEventListener('click', () => { app.replay('live'); slider.focus(); });

  app.store.subscribe((state, changed) => {
    if (changed.some((key) => ['replay', 'snapshot', 'status'].includes(key))) show(state);
  });
  show(app.store.get());
  return {bar, slider, label, live, note};
}
