// Saved runs on the app page: the resume offer (a banner), a message when a run cannot be saved
// (storage full, unavailable, opened in another tab) and the list of saved runs (a dialog: open,
// rename, delete with undo). Everything goes through window.glassbox.savedRuns; what it says
// comes from the store's `saved` slice. Names are the user's text: set as textContent, never HTML.
import {download} from '../views/common/export-image.js';
import {runFileName} from '../app/sources/run-file.js';
import {formatBytes, SANDBOXED} from '../state/saved-runs.js';

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const button = (text, props = {}) => el('button', {type: 'button', textContent: text, ...props});
const steps = (n) => Number(n).toLocaleString('en');

/** "just now", "40 s ago", "2 min ago", "3 h ago", else the date. */
export function ago(time, now = Date.now()) {
  const s = Math.max(0, Math.round((now - time) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(time).toLocaleString();
}

const shape = (meta) => `${meta.dataset} ${(meta.layers || []).join('-')}`;

/** The offer's question, e.g. Resume your run from step 1,510 (digits 64-32-10, saved 2 min ago)? */
export function offerText(meta, now = Date.now()) {
  const who = meta.name && meta.name !== shape(meta) ? `“${meta.name}”` : 'your run';
  return `Resume ${who} from step ${steps(meta.step)} (${shape(meta)}, saved ${ago(meta.savedAt, now)})?`;
}

const downloadBytes = (bytes, name) => download(new Blob([bytes], {type: 'application/zip'}), name);

/**
 * @param app window.glassbox
 * @param {{button: HTMLElement, banner: HTMLElement}} where  the header's "Saved runs" button and
 *   the place under the header for the offer and the messages
 */
export function installSavedRuns(app, {button: openButton, banner}) {
  const saved = app.savedRuns;
  banner.classList.add('saved-runs-banner');

  // --- the offer and the messages ---------------------------------------------------------------
  const offer = el('div', {className: 'saved-offer', id: 'saved-offer', hidden: true});
  offer.setAttribute('role', 'status');
  const offerTextNode = el('span', {id: 'saved-offer-text'});
  const resume = button('Resume', {className: 'primary', id: 'saved-offer-resume'});
  const fresh = button('Start fresh', {id: 'saved-offer-fresh', title: 'Keep training the new run; the save stays in Saved runs'});
  offer.append(offerTextNode, resume, fresh);

  const problem = el('div', {className: 'saved-problem', id: 'saved-problem', hidden: true});
  const problemText = el('span', {id: 'saved-problem-text'});
  const showList = button('Saved runs…', {id: 'saved-problem-list'});
  const getFile = button('Download run file', {id: 'saved-problem-download'});
  const dismiss = button('Dismiss', {className: 'link', id: 'saved-problem-dismiss'});
  problem.append(problemText, showList, getFile, dismiss);
  banner.append(offer, problem);
  let dismissed = null;  // the problem object the user dismissed
  let unavailableShown = false;

  resume.addEventListener('click', async () => {
    const meta = app.store.get().saved.offer;
    if (!meta) return;
    resume.disabled = true;
    offerTextNode.textContent = `Opening the save at step ${steps(meta.step)}…`;
    try {
      await saved.open(meta.id);
    } catch (error) {
      app.store.set({saved: {...app.store.get().saved, problem: {kind: 'resume', message: error.message}}});
    }
    saved.dismissOffer();
    resume.disabled = false;
  });
  fresh.addEventListener('click', () => saved.dismissOffer());
  showList.addEventListener('click', () => openDialog());
  getFile.addEventListener('click', async () => {
    getFile.disabled = true;
    try {
      downloadBytes(await saved.runFile(), runFileName(app.state()));
    } catch (error) {
      problemText.textContent = `The run file could not be made: ${error.message}`;
    }
    getFile.disabled = false;
  });

  function render(state) {
    const s = state.saved;
    if (!s) return;
    offer.hidden = !s.offer;
    if (s.offer && !resume.disabled) offerTextNode.textContent = offerText(s.offer);
    let message = null;
    let kind = null;
    if (s.available === false && !unavailableShown) {
      message = s.reason === SANDBOXED
        ? `Saving runs is not available here (${SANDBOXED}). Everything else works; download a run file to keep one.`
        : `Runs are not saved in this browser (storage unavailable: ${String(s.reason).replace(/\.$/, "")}). Everything else works; download a run file to keep one.`;
      kind = 'unavailable';
    } else if (s.problem && s.problem !== dismissed) {
      message = s.problem.message;
      kind = s.problem.kind;
    }
    problem.hidden = !message;
    problemText.textContent = message || '';
    problem.dataset.kind = kind || '';
    problem.setAttribute('role', kind === 'quota' || kind === 'write' ? 'alert' : 'status');
    showList.hidden = kind !== 'quota';
    getFile.hidden = !['quota', 'unavailable', 'write'].includes(kind);
    openButton.disabled = s.available === false;
    openButton.title = s.available === false ? 'Storage is unavailable in this browser'
      : s.lastSave ? `This run was last saved at step ${steps(s.lastSave.step)}, ${ago(s.lastSave.savedAt)}` : 'Runs saved in this browser';
  }
  dismiss.addEventListener('click', () => {
    const s = app.store.get().saved;
    if (s.available === false) unavailableShown = true;  // said once
    dismissed = s.problem;
    render(app.store.get());
  });

  // --- the list ---------------------------------------------------------------------------------
  const dialog = el('dialog', {className: 'saved-dialog', id: 'saved-runs-dialog'});
  dialog.setAttribute('aria-labelledby', 'saved-runs-title');
  const title = el('h2', {id: 'saved-runs-title', textContent: 'Saved runs'});
  const intro = el('p', {className: 'hint', textContent: 'Runs are saved in this browser while they train (every 10 s or 20 snapshots, and on pause). Open one to continue it where it stopped.'});
  const usage = el('p', {className: 'hint', id: 'saved-runs-usage'});
  const table = el('table', {className: 'saved-table', id: 'saved-runs-table'});
  const empty = el('p', {id: 'saved-runs-empty', textContent: 'No saved runs yet.', hidden: true});
  const undoBox = el('div', {className: 'saved-undo', id: 'saved-runs-undo', hidden: true});
  undoBox.setAttribute('role', 'status');
  const undoText = el('span');
  const undo = button('Undo', {id: 'saved-runs-undo-button'});
  undoBox.append(undoText, undo);
  const listMessage = el('p', {className: 'saved-list-message', id: 'saved-runs-message', hidden: true});
  listMessage.setAttribute('role', 'alert');
  const close = button('Close', {id: 'saved-runs-close'});
  dialog.append(title, intro, usage, undoBox, listMessage, table, empty, el('div', {className: 'saved-dialog-foot'}, close));
  document.body.append(dialog);

  const say = (text) => { listMessage.textContent = text || ''; listMessage.hidden = !text; };

  async function fill() {
    let runs = [];
    try { runs = await saved.list(); } catch (error) { say(error.message); }
    const head = el('tr', {}, ...['Name', 'Dataset', 'Layers', 'Step', 'Size', 'Saved', ''].map((t) => el('th', {scope: 'col', textContent: t})));
    const rows = runs.map((meta) => row(meta));
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
    table.hidden = runs.length === 0;
    empty.hidden = runs.length > 0;
    const estimate = await saved.estimate();
    const total = runs.reduce((sum, meta) => sum + (meta.bytes || 0), 0);
    usage.textContent = `${runs.length} saved run${runs.length === 1 ? '' : 's'}, ${formatBytes(total)}` +
      (estimate ? ` · this site stores ${formatBytes(estimate.usage)} of the ${formatBytes(estimate.quota)} this browser allows it` : '');
  }

  function row(meta) {
    const name = el('td', {className: 'saved-name'});
    const label = el('span', {textContent: meta.name});
    name.append(label);
    if (meta.current) name.append(el('span', {className: 'saved-tag', textContent: ' (this tab)'}));
    const open = button('Open', {disabled: meta.current, title: meta.current ? 'This tab is training it' : `Continue “${meta.name}” from step ${steps(meta.step)}`});
    const rename = button('Rename');
    const remove = button('Delete');
    for (const b of [open, rename, remove]) b.setAttribute('aria-label', `${b.textContent} ${meta.name}`);
    const tr = el('tr', {}, name, el('td', {textContent: meta.dataset}), el('td', {textContent: (meta.layers || []).join('-')}),
      el('td', {className: 'num', textContent: steps(meta.step)}), el('td', {className: 'num', textContent: formatBytes(meta.bytes)}),
      el('td', {textContent: ago(meta.savedAt), title: new Date(meta.savedAt).toLocaleString()}), el('td', {className: 'saved-actions'}, open, rename, remove));
    tr.dataset.id = meta.id;
    open.addEventListener('click', async () => {
      open.disabled = true;
      say(`Opening “${meta.name}”…`);
      try {
        await saved.open(meta.id);
        saved.dismissOffer();
        dialog.close();
        say('');
      } catch (error) {
        say(error.message);
        open.disabled = false;
      }
    });
    rename.addEventListener('click', () => {
      const input = el('input', {type: 'text', value: meta.name, maxLength: 200});
      input.setAttribute('aria-label', `New name for ${meta.name}`);
      label.replaceWith(input);
      input.focus();
      input.select();
      let done = false;
      const finish = async (keep) => {
        if (done) return;
        done = true;
        if (keep && input.value.trim() && input.value.trim() !== meta.name) {
          try { await saved.rename(meta.id, input.value); } catch (error) { say(error.message); }
        }
        await fill();
        table.querySelector(`tr[data-id="${CSS.escape(meta.id)}"] button:nth-of-type(2)`)?.focus();
      };
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') { event.preventDefault(); finish(true); }
        if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); finish(false); }
      });
      input.addEventListener('blur', () => finish(true));
    });
    remove.addEventListener('click', async () => {
      try {
        const deleted = await saved.delete(meta.id);
        undoText.textContent = `Deleted “${deleted.name}” (step ${steps(deleted.step)}). `;
        undoBox.hidden = false;
        await fill();
        undo.focus();
      } catch (error) {
        say(error.message);
      }
    });
    return tr;
  }

  undo.addEventListener('click', async () => {
    try { await saved.undoDelete(); } catch (error) { say(error.message); }
    undoBox.hidden = true;
    await fill();
    close.focus();
  });

  async function openDialog() {
    undoBox.hidden = true;
    say('');
    if (!dialog.open) dialog.showModal();
    await fill();
    (table.querySelector('tbody button:not([disabled])') || close).focus();
  }
  close.addEventListener('click', () => dialog.close());
  // The page's keys (Space, S, R) must not train or reset the run behind the open list.
  dialog.addEventListener('keydown', (event) => { if (event.key !== 'Escape') event.stopPropagation(); });
  openButton.addEventListener('click', () => openDialog());

  app.store.subscribe((state, changed) => { if (changed.includes('saved')) render(state); });
  render(app.store.get());
  // The offer's "saved 2 min ago" and the button's title age while the page stays open.
  setInterval(() => render(app.store.get()), 30000);
  return {openDialog, dialog};
}
