// The undo toast: after a destructive action from the page (Reset, the R key, a new dataset,
// architecture or preset from the form) replaced a run that had trained, "Reset at step 1,510.
// [Undo]" shows for UNDO_SHOWN_MS; Undo brings the run back exactly (glassbox.undo(): the engine
// kept it). The API's reset()/configure() show nothing but are undoable the same way.
// The toast sits in the controls, right after the transport buttons, so Tab reaches its button
// straight after Reset; it is announced (role status) and drawn fixed at the bottom of the window.

export const UNDO_SHOWN_MS = 10000;

/**
 * @param {HTMLElement} host where the toast goes in the tab order (after the transport buttons)
 * @param {object} app window.glassbox
 * @returns {{after(action: () => Promise<any>): Promise<any>, hide(): void, element: HTMLElement}}
 */
export function createUndoToast(host, app) {
  const toast = document.createElement('div');
  toast.className = 'undo-toast';
  toast.id = 'undo-toast';
  toast.setAttribute('role', 'status');
  toast.hidden = true;
  Object.assign(toast.style, {
    position: 'fixed', left: '50%', bottom: '1.2rem', transform: 'translateX(-50%)', zIndex: 50,
    display: 'flex', gap: '0.9rem', alignItems: 'center', padding: '0.6rem 0.9rem', borderRadius: '6px',
    background: '#1f2937', color: '#fff', boxShadow: '0 4px 14px rgba(0,0,0,0.25)', fontSize: '0.95rem',
  });
  const text = document.createElement('span');
  const button = Object.assign(document.createElement('button'), {type: 'button', textContent: 'Undo'});
  button.id = 'undo-button';
  Object.assign(button.style, {background: '#fff', color: '#1f2937', border: 'none', borderRadius: '4px',
    padding: '0.25rem 0.8rem', fontWeight: '600', cursor: 'pointer'});
  const close = Object.assign(document.createElement('button'), {type: 'button', textContent: '×', title: 'Dismiss'});
  close.setAttribute('aria-label', 'Dismiss');
  Object.assign(close.style, {background: 'none', color: '#fff', border: 'none', fontSize: '1.1rem', cursor: 'pointer'});
  toast.append(text, button, close);
  host.append(toast);

  let timer = null;
  let shownId = null;
  function hide() {
    clearTimeout(timer);
    timer = null;
    toast.hidden = true;
    shownId = null;
  }
  function show(undo) {
    shownId = undo.id;
    text.textContent = `${undo.what} at step ${undo.step.toLocaleString('en')}.`;
    toast.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(hide, UNDO_SHOWN_MS);
  }

  button.addEventListener('click', () => {
    hide();
    app.undo().catch((error) => app.store.set({error: String(error.message || error)}));
  });
  close.addEventListener('click', hide);
  // Whatever replaces the run again (another reset, a loaded model) makes this undo stale.
  app.store.subscribe((state, changed) => {
    if (changed.includes('undo') && shownId != null && (!state.undo || state.undo.id !== shownId)) hide();
  });

  return {
    /** Run a page action; if it replaced a trained run, offer to undo it. */
    async after(action) {
      const before = app.store.get().undo?.id;
      const result = await action();
      const undo = app.store.get().undo;
      if (undo && undo.id !== before) show(undo);
      return result;
    },
    hide,
    element: toast,
  };
}
