// Run files: download the whole session (every run, with what it needs to continue exactly) and
// open one. Everything goes through window.glassbox (exportRun, loadRun); what the last one did is
// the store's `runFile` slice, shown here as text (file names, run ids and the engine's messages
// may hold markup: never innerHTML).
import {download} from '../views/common/export-image.js';
import {runFileName} from '../app/sources/run-file.js';

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);

const save = (bytes, name) => download(new Blob([bytes], {type: 'application/zip'}), name);

/**
 * @param app window.glassbox
 * @param {{controls: HTMLElement}} where  the controls column: a "Run file" group goes under the
 *   "Model file (ONNX)" group (or under the model settings).
 */
export function installRunFile(app, {controls}) {
  const fieldset = el('fieldset', {className: 'model-file run-file'});
  fieldset.append(el('legend', {textContent: 'Run file'}));
  const buttons = el('div', {className: 'model-file-buttons'});
  const download = el('button', {type: 'button', id: 'run-download', textContent: 'Download run',
    title: 'Save the whole run (weights, optimiser, data order, forks, curves and replay history) as one file to continue later, here, in another browser or in Python'});
  const open = el('button', {type: 'button', id: 'run-load', textContent: 'Open run…',
    title: 'Continue a run saved with "Download run" exactly where it stopped'});
  const picker = el('input', {type: 'file', id: 'run-file-input', accept: '.zip,application/zip', hidden: true});
  picker.setAttribute('aria-label', 'Run file to open');
  const hint = el('div', {className: 'hint', id: 'run-file-hint',
    textContent: 'A .glassbox-run.zip file; in Python: glassbox.load_run(path).'});
  open.setAttribute('aria-describedby', hint.id);
  const box = el('div', {className: 'model-file-message'});
  const message = el('span', {id: 'run-file-message'});
  message.setAttribute('role', 'status');
  message.setAttribute('aria-live', 'polite');
  const dismiss = el('button', {type: 'button', className: 'link', textContent: 'Dismiss'});
  box.append(message, dismiss);
  buttons.append(download, open);
  fieldset.append(buttons, picker, hint, box);
  const after = controls.querySelector('.model-file') || controls.querySelector('#setting-hidden')?.closest('fieldset');
  controls.insertBefore(fieldset, after ? after.nextSibling : null);

  function show(state) {
    const file = state.runFile;
    let text = '';
    let kind = 'info';
    if (file.status === 'loading') text = `Opening ${file.name}…`;
    else if (file.status === 'error') { text = `Could not open ${file.name}: ${file.message}. The current run is unchanged.`; kind = 'error'; }
    else if (file.status === 'loaded') text = `Opened ${file.name}: ${file.message}. Training is paused; Play continues it.`;
    else if (file.status === 'saved') text = `Saved ${file.name} (${file.message}).`;
    else if (file.status === 'failed') { text = `Could not save the run: ${file.message}`; kind = 'error'; }
    message.textContent = text;
    box.hidden = !text;
    box.dataset.kind = kind;
    message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    const busy = state.status === 'loading' || state.status === 'error' || file.status === 'loading';
    download.disabled = busy;
    open.disabled = busy;
  }

  async function exportFile() {
    download.disabled = true;
    try {
      const bytes = await app.exportRun();
      const name = runFileName(app.state());
      save(bytes, name);
      app.store.set({runFile: {status: 'saved', name, message: `${Math.max(1, Math.round(bytes.length / 1024))} kB`}});
    } catch (error) {
      app.store.set({runFile: {status: 'failed', name: null, message: String(error.message || error)}});
    }
  }

  dismiss.addEventListener('click', () => app.store.set({runFile: {status: 'idle', name: null, message: null}}));
  download.addEventListener('click', exportFile);
  open.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    const [file] = picker.files;
    picker.value = '';  // choosing the same file again still opens it
    if (file) app.loadRun(file).catch(() => {});  // the outcome arrives through the store's runFile slice
  });

  app.store.subscribe((state, changed) => {
    if (changed.some((key) => ['runFile', 'status'].includes(key))) show(state);
  });
  show(app.store.get());
  return {download, open, picker, message};
}
