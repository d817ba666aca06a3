// "Your data…": the student's own CSV, images (a zip or a folder, one sub-folder per class) or IDX
// files. A dialog reads them (site/js/data/load.js), previews what the network will see (the
// first rows and the columns of a CSV; some converted images of each class), lets the student
// choose the label, one-hot encoding, standardisation, image size and split seed, then trains
// through window.glassbox.loadData. Files dropped on the page arrive here too (model-file-ui.js
// routes every drop that is not an .onnx model as a 'glassbox:data-drop' event). Everything read
// from files is shown as text (textContent), never as HTML.
import {buildData, prepareData} from '../data/load.js';

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const fmt = (n) => Number(n).toLocaleString('en');
const PREVIEW_ROWS = 5;
const PREVIEW_IMAGES = 8;

/** A dropped folder's entries -> [{path, file}] (FileSystemEntry API; paths keep the folder's name). */
async function filesOfEntries(entries) {
  const out = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({path: entry.fullPath.replace(/^\/+/, ''), file});
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {  // readEntries answers in batches until an empty one
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return out;
}

/** Pixels (n*n in [0, 1]) drawn on a small canvas, white on black as the network sees them. */
function pixelCanvas(pixels, n, title) {
  const canvas = el('canvas', {width: n, height: n, title});
  canvas.className = 'user-data-pixels';
  const context = canvas.getContext('2d');
  const image = context.createImageData(n, n);
  for (let i = 0; i < n * n; i += 1) {
    const v = Math.round(255 * pixels[i]);
    image.data.set([v, v, v, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/**
 * @param app window.glassbox
 * @param {{controls: HTMLElement}} where  the controls column: the button goes in the "Data" group
 */
export function installUserData(app, {controls}) {
  const limits = app.tables.limits.user_data;
  const open = el('button', {type: 'button', id: 'data-open', textContent: 'Your data…',
    title: 'Train on your own data: a CSV table, images in one folder per class (zip or folder), or IDX files'});
  const dataGroup = controls.querySelector('#setting-dataset')?.closest('fieldset') || controls;
  const hint = dataGroup.querySelector('#setting-dataset ~ .hint');
  dataGroup.insertBefore(open, hint ? hint.nextSibling : null);
  // What the last load did (also through glassbox.loadData, without the dialog), as text.
  const status = el('div', {id: 'data-status', className: 'hint user-data-status'});
  dataGroup.insertBefore(status, open.nextSibling);
  const userOption = controls.querySelector(`#setting-dataset option[value="${limits.dataset}"]`);
  if (userOption) {
    userOption.textContent = 'Your data';
    userOption.title = 'Load it with “Your data…”; it stays in this tab until the page is closed or reloaded';
  }

  const dialog = el('dialog', {id: 'data-dialog', className: 'user-data'});
  dialog.setAttribute('aria-labelledby', 'data-title');
  const pickFiles = el('input', {type: 'file', id: 'data-files', multiple: true, hidden: true,
    accept: '.csv,.tsv,.txt,.zip,.gz,.png,.jpg,.jpeg,.idx,.idx1-ubyte,.idx3-ubyte,application/octet-stream'});
  const pickFolder = el('input', {type: 'file', id: 'data-folder', hidden: true});
  pickFolder.webkitdirectory = true;
  const message = el('p', {id: 'data-message', className: 'user-data-message'});
  const preview = el('div', {className: 'user-data-preview', id: 'data-preview'});
  const options = el('div', {className: 'user-data-options', id: 'data-options'});
  const seed = el('input', {type: 'number', id: 'data-seed', min: 0, max: 2 ** 31 - 1, step: 1, value: 0});
  const valShare = el('input', {type: 'number', id: 'data-val', min: 0.05, max: 0.5, step: 0.05, value: 0.2});
  const train = el('button', {type: 'button', id: 'data-train', className: 'primary', textContent: 'Train on this data', disabled: true});
  const cancel = el('button', {type: 'button', id: 'data-cancel', textContent: 'Close'});
  dialog.append(
    el('h2', {id: 'data-title', textContent: 'Train on your own data'}),
    el('p', {className: 'hint', textContent: 'A CSV table (one row per example, one column holds its label), PNG or JPEG images ' +
      'in one sub-folder per class (a zip or a folder), or the two IDX files of MNIST or Fashion-MNIST (images and labels). ' +
      'You can also drop them anywhere on the page. Nothing leaves this computer.'}),
    el('div', {className: 'user-data-pick'},
      el('button', {type: 'button', id: 'data-pick-files', textContent: 'Choose files…', onclick: () => pickFiles.click()}),
      el('button', {type: 'button', id: 'data-pick-folder', textContent: 'Choose a folder…', onclick: () => pickFolder.click()}),
      pickFiles, pickFolder),
    el('p', {className: 'hint', id: 'data-limits', textContent: `Limits: ${fmt(limits.max_rows)} rows, ${fmt(limits.max_features)} ` +
      `features, ${fmt(limits.max_images)} images, ${limits.min_classes}–${limits.max_classes} classes; CSV up to ` +
      `${fmt(limits.max_csv_bytes / 1e6)} MB, zip up to ${fmt(limits.max_zip_bytes / 1e6)} MB, IDX up to ${fmt(limits.max_idx_bytes / 1e6)} MB.`}),
    message, preview, options,
    el('div', {className: 'user-data-split'},
      el('label', {htmlFor: 'data-seed', textContent: 'Split seed'}), seed,
      el('label', {htmlFor: 'data-val', textContent: 'Validation share'}), valShare,
      el('span', {className: 'hint', textContent: 'Each class gives this share of its examples to validation (a stratified split).'})),
    el('div', {className: 'user-data-buttons'}, train, cancel));
  document.body.append(dialog);

  let prepared = null;   // what prepareData read
  let built = null;      // what buildData made of it with the current choices
  let choices = {};      // label, oneHot, standardize, size
  let busy = false;

  function say(text, kind = 'info') {
    message.textContent = text;
    message.dataset.kind = kind;
    message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  function csvOptions(table, result) {
    const head = el('tr', {}, ...table.header.map((name) => el('th', {textContent: name})));
    const rows = table.rows.slice(0, PREVIEW_ROWS).map((row) => el('tr', {}, ...row.map((value) => el('td', {textContent: value}))));
    preview.replaceChildren(el('p', {className: 'hint', textContent: `${table.fileName}: ${fmt(table.rows.length)} rows, ` +
      `${table.header.length} columns. The first ${Math.min(PREVIEW_ROWS, table.rows.length)}:`}),
    el('div', {className: 'user-data-table'}, el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows))));
    const label = el('select', {id: 'data-label'});
    for (const name of table.header) label.append(el('option', {value: name, textContent: name}));
    label.value = choices.label ?? table.header[table.header.length - 1];
    label.addEventListener('change', () => { choices.label = label.value; rebuild(); });
    const oneHot = el('input', {type: 'checkbox', id: 'data-onehot', checked: Boolean(choices.oneHot)});
    oneHot.addEventListener('change', () => { choices.oneHot = oneHot.checked; rebuild(); });
    const standardize = el('input', {type: 'checkbox', id: 'data-standardize', checked: choices.standardize ?? true});
    standardize.addEventListener('change', () => { choices.standardize = standardize.checked; });
    const lines = [];
    if (result) {
      lines.push(el('p', {id: 'data-features', textContent: `Features (${result.featureNames.length}): ${result.featureNames.join(', ')}`}));
      lines.push(el('p', {id: 'data-classes', textContent: `Classes (${result.classNames.length}): ` +
        result.classNames.map((name, c) => `${name} (${fmt(result.counts[c])})`).join(', ')}));
      if (result.skipped.length) {
        lines.push(el('p', {id: 'data-skipped', className: 'user-data-skipped',
          textContent: `Not numbers, skipped: ${result.skipped.join(', ')}.`}));
      }
      if (result.d === 2) lines.push(el('p', {className: 'hint', textContent: 'Two features: the Explore-inputs panel will show the input plane.'}));
    }
    options.replaceChildren(
      el('div', {className: 'user-data-row'}, el('label', {htmlFor: 'data-label', textContent: 'Label column'}), label),
      ...lines,
      el('div', {className: 'user-data-row'}, oneHot, el('label', {htmlFor: 'data-onehot',
        textContent: `One-hot encode the columns that are not numbers (one 0/1 feature per value, at most ${limits.max_categories} values)`})),
      el('div', {className: 'user-data-row'}, standardize, el('label', {htmlFor: 'data-standardize',
        textContent: 'Standardise each feature (subtract its mean, divide by its standard deviation; both from the training split only, so the validation data stays unseen)'})));
  }

  function imageOptions(result) {
    const size = el('select', {id: 'data-size'});
    for (const n of limits.image_sizes) size.append(el('option', {value: String(n), textContent: `${n} × ${n} pixels`}));
    size.value = String(choices.size ?? 28);
    size.addEventListener('change', () => { choices.size = Number(size.value); rebuild(); });
    options.replaceChildren(el('div', {className: 'user-data-row'}, el('label', {htmlFor: 'data-size', textContent: 'Convert to'}), size,
      el('span', {className: 'hint', textContent: 'grayscale, white ink on black like MNIST (light paper is inverted), the brightest pixel 1'})));
    if (!result) return;
    const n = result.imageShape[0];
    const groups = result.classNames.map((name, c) => {
      const cells = [];
      for (let i = 0; i < result.y.length && cells.length < PREVIEW_IMAGES; i += 1) {
        if (result.y[i] === c) cells.push(pixelCanvas(result.X.subarray(i * n * n, (i + 1) * n * n), n, result.paths[i]));
      }
      return el('div', {className: 'user-data-class'}, el('div', {className: 'user-data-class-name', textContent: `${name} (${fmt(result.counts[c])})`}), ...cells);
    });
    const sizes = Object.entries(result.sizes).map(([s, k]) => `${s} (${fmt(k)})`).join(', ');
    preview.replaceChildren(el('p', {className: 'hint', id: 'data-images-summary', textContent: `${fmt(result.y.length)} images in ` +
      `${result.classNames.length} classes, as the network will see them. Sizes found: ${sizes}` +
      (Object.keys(result.sizes).length > 1 ? ' — each is resized on its own (padded to a square).' : '.') +
      (result.inverted ? ` ${fmt(result.inverted)} had dark ink on light paper and were inverted.` : '')}),
    el('div', {className: 'user-data-grid', id: 'data-grid'}, ...groups));
  }

  async function rebuild() {
    if (!prepared) return;
    built = null;
    train.disabled = true;
    const kind = prepared.kind;
    try {
      if (kind === 'images') { imageOptions(null); say(`Converting the images of ${prepared.name}…`); }
      const result = await buildData(prepared, {...choices, onProgress: (done, total) => say(`Converting images: ${fmt(done)} of ${fmt(total)}…`)}, limits);
      built = result;
      if (kind === 'csv') csvOptions(prepared.table, result.preview);
      else if (kind === 'images') imageOptions(result.preview);
      else if (kind === 'idx') {
        const s = result.preview;
        preview.replaceChildren(el('p', {id: 'data-idx-summary', textContent: `${prepared.args.idx_files.join(' and ')}: ` +
          `${fmt(s.n)} images of ${s.height} × ${s.width} pixels with their labels.`}));
        options.replaceChildren();
      }
      say(prepared.table?.notes?.join(' ') || 'Ready: press “Train on this data”. The current network is replaced; its settings stay.');
      train.disabled = false;
      if (app.store.get().dataFile.status === 'error') app.store.set({dataFile: {status: 'idle', name: null, message: null, kind: null}});
    } catch (error) {
      if (kind === 'csv') csvOptions(prepared.table, null);
      failed(error);
    }
  }

  let sourceName = null;  // the file or folder being read, for the status line
  /** A file the dialog cannot use: named in the dialog and on the page (store dataFile). */
  function failed(error) {
    const text = String(error.message || error);
    say(text, 'error');
    app.store.set({dataFile: {status: 'error', name: sourceName, message: text, kind: null}});
  }

  async function read(source, extra = {}) {
    const first = Array.isArray(source) ? source[0] : source;
    const path = first ? String(first.webkitRelativePath || first.path || first.name || '') : '';
    sourceName = (extra.folderContainer ? path.split('/')[0] : first && first.name) || null;  // the folder, or the file
    if (!dialog.open) dialog.showModal();
    prepared = null; built = null; choices = {};
    train.disabled = true;
    preview.replaceChildren();
    options.replaceChildren();
    say('Reading…');
    try {
      prepared = await prepareData(source, limits, extra);
      prepared.source = source;  // IDX files are handed to loadData as they came
    } catch (error) {
      failed(error);
      return;
    }
    await rebuild();
  }

  async function start() {
    if (!built || busy) return;
    busy = true;
    train.disabled = true;
    say('Training the network on it…');
    const args = built.args;
    const source = prepared.kind === 'idx' ? prepared.source
      : {X: args.X.data, y: args.y, classNames: args.class_names, featureNames: args.feature_names,
        imageShape: args.image_shape, name: args.name, source: args.source};
    try {
      await app.loadData(source, {standardize: prepared.kind === 'csv' ? (choices.standardize ?? true) : undefined,
        seed: Number(seed.value), valFraction: Number(valShare.value), name: prepared.name});
      dialog.close();
    } catch (error) {
      say(String(error.message || error), 'error');
      train.disabled = false;
    } finally {
      busy = false;
    }
  }

  open.addEventListener('click', () => { if (!dialog.open) dialog.showModal(); });
  cancel.addEventListener('click', () => dialog.close());
  train.addEventListener('click', start);
  pickFiles.addEventListener('change', () => {
    const files = [...pickFiles.files];
    pickFiles.value = '';
    if (files.length) read(files);
  });
  pickFolder.addEventListener('change', () => {
    const files = [...pickFolder.files];
    pickFolder.value = '';
    if (files.length) read(files, {folderContainer: true});
  });
  document.addEventListener('glassbox:data-drop', async (event) => {
    const {files, entries} = event.detail;
    const folders = entries.some((entry) => entry.isDirectory);
    const source = folders ? await filesOfEntries(entries) : files;
    await read(source, folders ? {folderContainer: entries.length === 1} : {});
  });

  let everLoaded = false;  // the 'user' dataset can be chosen again once this tab's worker holds it
  function show(state) {
    if (state.dataFile.status === 'loaded') everLoaded = true;
    const loading = state.status === 'loading' || state.status === 'error' || state.dataFile.status === 'loading';
    open.disabled = state.status === 'loading';
    if (userOption) userOption.disabled = !everLoaded;
    if (busy || loading) train.disabled = true;
    const file = state.dataFile;
    const user = state.info?.user;
    let text = '';
    if (file.status === 'loading') text = `Reading ${file.name}…`;
    else if (file.status === 'error') text = `Could not use ${file.name || 'the files'}: ${file.message}`;
    else if (user && state.info.dataset === limits.dataset) {
      text = `Training on ${user.name}: ${fmt(user.rows)} rows, ${fmt(user.features)} features, ${user.classes} classes` +
        (user.standardized ? ', standardised' : '') + '.';
    }
    status.textContent = text;
    status.dataset.kind = file.status === 'error' ? 'error' : 'info';
    status.setAttribute('role', file.status === 'error' ? 'alert' : 'status');
  }
  app.store.subscribe((state, changed) => {
    if (changed.some((key) => ['dataFile', 'status', 'settings', 'info'].includes(key))) show(state);
  });
  show(app.store.get());
  return {open, dialog, read};
}
