// Keyboard shortcuts of the app page: Space play/pause, S one step, R reset.
// They work wherever focus is, except where the keys mean something else:
//  - text fields, number fields, textareas, contenteditable, and widgets with keys of their own
//    (role="application" such as the draw pad, canvases): the keys are typed there, untouched;
//  - a select: S and R would pick an option by its first letter (typeahead) and so change a
//    setting and rebuild the run; they are swallowed there, and the select keeps its value;
//  - buttons, tabs, summaries, checkboxes: Space is theirs (it clicks them; a second toggle from
//    here would undo the first), but S and R still work, e.g. right after clicking Pause.
// An open modal dialog takes every key.

const TEXT_INPUT = /^(text|search|url|tel|email|password|number|date|datetime-local|month|week|time|color)$/;
const BUTTON_INPUT = /^(button|submit|reset|checkbox|radio|file|image)$/;
const BUTTON_ROLES = '[role="button"], [role="tab"], [role="checkbox"], [role="switch"], [role="menuitem"], [role="option"]';

/** How the focused element treats keys: 'text' (types them), 'select', 'button' (Space is its own) or 'page'. */
export function focusKind(target) {
  if (!target || target.nodeType !== 1) return 'page';
  if (target.isContentEditable || target.closest('[role="application"], canvas, [contenteditable="true"], [contenteditable=""]')) return 'text';
  const tag = target.tagName;
  if (tag === 'TEXTAREA') return 'text';
  if (tag === 'SELECT') return 'select';
  if (tag === 'INPUT') {
    const type = (target.type || 'text').toLowerCase();
    if (BUTTON_INPUT.test(type)) return 'button';
    return TEXT_INPUT.test(type) ? 'text' : 'page';  // a range slider ignores letters and Space
  }
  if (tag === 'BUTTON' || tag === 'SUMMARY' || target.matches(BUTTON_ROLES)) return 'button';
  return 'page';
}

/**
 * Listen on `root` (the document) for the shortcuts.
 * @param {{togglePlay(): void, step(): void, reset(): void}} actions
 * @returns {() => void} removes the listener
 */
export function installKeyboard(actions, root = document) {
  function onKey(event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key === ' ' ? 'space' : String(event.key).toLowerCase();
    if (key !== 'space' && key !== 's' && key !== 'r') return;
    if (root.querySelector && root.querySelector('dialog[open]')) return;
    const kind = focusKind(event.target);
    if (kind === 'text') return;
    if (kind === 'select') {
      if (key !== 'space') event.preventDefault();  // no typeahead: the select keeps its value
      return;
    }
    if (kind === 'button' && key === 'space') return;  // the button's own click
    if (key === 'space') { event.preventDefault(); actions.togglePlay(); }  // not a page scroll
    else if (key === 's') actions.step();
    else actions.reset();
  }
  root.addEventListener('keydown', onKey);
  return () => root.removeEventListener('keydown', onKey);
}
