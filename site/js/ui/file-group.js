// A "file" group of the controls column: a download button, an open button with its hidden file
// picker, a hint, and a message line (status, or alert for errors) with Dismiss. The ONNX model
// group (model-file-ui.js) and the run file group (run-file-ui.js) are both built here.

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);

/**
 * @param {{className: string, legend: string, download: {id, text, title}, open: {id, text, title},
 *   picker: {id, accept, label}, hint: {id, text}, messageId: string, onOpen: (file: File) => void}} spec
 * @returns {{fieldset, download, open, dismiss, say: (text: string, kind?: 'info' | 'error') => void}}
 */
export function fileGroup(spec) {
  const fieldset = el('fieldset', {className: spec.className});
  fieldset.append(el('legend', {textContent: spec.legend}));
  const buttons = el('div', {className: 'model-file-buttons'});
  const download = el('button', {type: 'button', id: spec.download.id, textContent: spec.download.text, title: spec.download.title});
  const open = el('button', {type: 'button', id: spec.open.id, textContent: spec.open.text, title: spec.open.title});
  const picker = el('input', {type: 'file', id: spec.picker.id, accept: spec.picker.accept, hidden: true});
  picker.setAttribute('aria-label', spec.picker.label);
  const hint = el('div', {className: 'hint', id: spec.hint.id, textContent: spec.hint.text});
  open.setAttribute('aria-describedby', hint.id);
  const box = el('div', {className: 'model-file-message'});
  const message = el('span', {id: spec.messageId});
  message.setAttribute('role', 'status');
  message.setAttribute('aria-live', 'polite');
  const dismiss = el('button', {type: 'button', className: 'link', textContent: 'Dismiss'});
  box.append(message, dismiss);
  buttons.append(download, open);
  fieldset.append(buttons, picker, hint, box);
  open.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    const [file] = picker.files;
    picker.value = '';  // choosing the same file again still opens it
    if (file) spec.onOpen(file);
  });

  /** Show `text` (as text, never markup); an empty text hides the line. */
  function say(text, kind = 'info') {
    message.textContent = text;
    box.hidden = !text;
    box.dataset.kind = kind;
    message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }
  return {fieldset, download, open, picker, message, dismiss, say};
}
