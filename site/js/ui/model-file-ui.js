// Model files: save the network as .onnx, open an .onnx model (button, or a file dropped anywhere
// on the page). Everything goes through window.glassbox (exportModel, loadModel); what the last load
// did is the store's `modelFile` slice, shown here as text (file names and the engine's messages
// may hold markup: never innerHTML).

import {download} from '../views/common/export-image.js';
import {fileGroup} from './file-group.js';
const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);

/** The file name a download gets: what it learnt, its layer sizes and step, e.g.
 *  glassbox-digits-64-32-10-step120.onnx. */
function fileName(state) {
  const safe = (text) => String(text).replace(/[^A-Za-z0-9_-]+/g, '_');
  return `glassbox-${safe(state.dataset)}-${state.layers.join('-')}-step${state.step}.onnx`;
}

const save = (bytes, name) => download(new Blob([bytes], {type: 'application/octet-stream'}), name);

/**
 * @param app window.glassbox
 * @param {{controls: HTMLElement, networkPanel?: {panel: HTMLElement}}} where  the controls column
 *   (a "Model file" group goes under the "Model" settings) and the Network panel (an ONNX button
 *   beside its SVG/PNG exports).
 */
export function installModelFile(app, {controls, networkPanel}) {
  const {fieldset, download, open: load, picker, message, dismiss, say} = fileGroup({
    className: 'model-file', legend: 'Model file (ONNX)', messageId: 'model-file-message',
    download: {id: 'model-download', text: 'Download .onnx',
      title: 'Save this network with its current weights as an ONNX model (runs in onnxruntime, opens in Netron)'},
    open: {id: 'model-load', text: 'Load ONNX…',
      title: 'Replace this network by an .onnx model: a multi-layer perceptron whose input fits one of the datasets'},
    picker: {id: 'model-file-input', accept: '.onnx,application/octet-stream', label: 'ONNX model file to load'},
    hint: {id: 'model-file-hint', text: 'Or drop an .onnx file anywhere on the page.'},
    onOpen: (file) => open(file),
  });
  const modelGroup = controls.querySelector('#setting-hidden')?.closest('fieldset');
  controls.insertBefore(fieldset, modelGroup ? modelGroup.nextSibling : null);

  let note = null;         // a message of this panel's own (a finished download), until the next load
  let loadedInfo = null;   // the store's `info` the last successful load produced

  function show(state) {
    const file = state.modelFile;
    if (file.status === 'loading') { note = null; loadedInfo = null; }  // (also loads through the API)
    if (file.status === 'loaded' && loadedInfo === null) loadedInfo = state.info;
    let text = note || '';
    let kind = 'info';
    if (file.status === 'loading') text = `Loading ${file.name}…`;
    else if (file.status === 'error') { text = `Could not load ${file.name}: ${file.message}`; kind = 'error'; }
    else if (file.status === 'loaded' && state.info === loadedInfo && !note) {
      // The engine's notes say what it dropped or assumed (e.g. a final Softmax).
      const notes = (state.info.onnx && state.info.onnx.notes) || [];
      text = `Loaded ${file.name}: layers ${state.info.layer_sizes.join(' → ')} on ${state.info.dataset}. ` +
        'Training is paused; Play trains it further.' + notes.map((line) => '\n• ' + line).join('');
    }
    say(text, kind);
    const busy = state.status === 'loading' || state.status === 'error' || file.status === 'loading';
    download.disabled = busy;
    load.disabled = busy;
  }

  async function open(source) {
    // The outcome (and any message naming the problem) arrives through the store's modelFile slice.
    await app.loadModel(source).catch(() => {});
  }

  async function exportFile() {
    download.disabled = true;
    try {
      const bytes = await app.exportModel('onnx');
      const name = fileName(app.state());
      save(bytes, name);
      note = `Saved ${name} (${Math.max(1, Math.round(bytes.length / 1024))} kB).`;
      app.store.set({modelFile: {status: 'idle', name: null, message: null}});
    } catch (error) {
      note = `Could not export the network: ${error.message || error}`;
    }
    show(app.store.get());
  }

  dismiss.addEventListener('click', () => {
    note = null;
    app.store.set({modelFile: {status: 'idle', name: null, message: null}});
    show(app.store.get());
  });
  download.addEventListener('click', exportFile);

  if (networkPanel) {
    const actions = networkPanel.panel.querySelector('.panel-actions');
    const onnx = el('button', {type: 'button', textContent: 'ONNX', title: 'Download this network as an ONNX model (.onnx)'});
    onnx.dataset.export = 'network';
    onnx.dataset.format = 'onnx';
    onnx.addEventListener('click', exportFile);
    actions.append(onnx);
  }

  // Drag and drop: a hint covers the page while a file is dragged over it.
  const overlay = el('div', {className: 'drop-hint', hidden: true});
  overlay.append(el('div', {textContent: 'Drop the .onnx file to load it into the network, or your data: a CSV, images (a zip or a folder), IDX files'}));
  document.body.append(overlay);
  let depth = 0;  // dragenter/dragleave fire for every child element crossed
  const carriesFiles = (event) => Array.from(event.dataTransfer?.types || []).includes('Files');
  document.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();  // allows the drop
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();  // the browser would otherwise open the file in place of the page
    depth = 0;
    overlay.hidden = true;
    const files = [...event.dataTransfer.files];
    if (files.length && files.every((file) => /\.onnx$/i.test(file.name))) { open(files[0]); return; }
    // Anything else is the student's data (ui/user-data-ui.js). Folders come as entries, which
    // can only be taken during the drop event itself.
    const entries = [...(event.dataTransfer.items || [])].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
    if (files.length) document.dispatchEvent(new CustomEvent('glassbox:data-drop', {detail: {files, entries}}));
  });

  app.store.subscribe((state, changed) => {
    if (changed.some((key) => ['modelFile', 'info', 'status'].includes(key))) show(state);
  });
  show(app.store.get());
  return {download, load, picker, message, overlay};
}
