// Run files: download the whole session (every run, with what it needs to continue exactly) and
// open one. Everything goes through window.glassbox (exportRun, loadRun); what the last one did is
// the store's `runFile` slice, shown here as text (file names, run ids and the engine's messages
// may hold markup: never innerHTML).
import {download} from '../views/common/export-image.js';
import {runFileName} from '../app/sources/run-file.js';
import {fileGroup} from './file-group.js';

const save = (bytes, name) => download(new Blob([bytes], {type: 'application/zip'}), name);

/**
 * @param app window.glassbox
 * @param {{controls: HTMLElement}} where  the controls column: a "Run file" group goes under the
 *   "Model file (ONNX)" group (or under the model settings).
 */
export function installRunFile(app, {controls}) {
  const {fieldset, download, open, picker, message, dismiss, say} = fileGroup({
    className: 'model-file run-file', legend: 'Run file', messageId: 'run-file-message',
    download: {id: 'run-download', text: 'Download run',
      title: 'Save the whole run (weights, optimiser, data order, forks, curves and replay history) as one file to continue later, here, in another browser or in Python'},
    open: {id: 'run-load', text: 'Open run…', title: 'Continue a run saved with "Download run" exactly where it stopped'},
    picker: {id: 'run-file-input', accept: '.zip,application/zip', label: 'Run file to open'},
    hint: {id: 'run-file-hint', text: 'A .glassbox-run.zip file; in Python: glassbox.load_run(path).'},
    onOpen: (file) => app.loadRun(file).catch(() => {}),  // the outcome arrives through the store's runFile slice
  });
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
    say(text, kind);
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

  app.store.subscribe((state, changed) => {
    if (changed.some((key) => ['runFile', 'status'].includes(key))) show(state);
  });
  show(app.store.get());
  return {download, open, picker, message};
}
