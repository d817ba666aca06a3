// Panels: the framed boxes views live in. A feature adds its view with addPanel() instead of
// editing index.html; every panel gets a title, SVG/PNG export buttons and a host element.
// Where a panel goes on the app page, and in which modes it shows, is modes.js's PLACEMENT table.
import {slotFor, placePanel} from './modes.js';

/**
 * Add a panel where modes.js's PLACEMENT puts it (else the network column), or to `column`.
 * @param {{id: string, title: string, view?: () => ({exportSVG, exportPNG} | null), exports?: boolean}} spec
 *   `view` returns the panel's view (it may not exist yet) for the export buttons (none when `exports` is false).
 * @returns {{host: HTMLElement, panel: HTMLElement, setTitle: (text: string) => void, isOnScreen: () => boolean}}
 */
export function addPanel({id, title, view = () => null, before = null, column = null, exports = true}) {
  const placed = !column;
  column = column || slotFor(id) || document.querySelector('.views');
  const panel = document.createElement('figure');
  panel.className = 'panel';
  panel.dataset.panel = id;
  const head = document.createElement('figcaption');
  head.className = 'panel-head';
  const heading = Object.assign(document.createElement('span'), {className: 'panel-title', textContent: title});
  const headingBox = Object.assign(document.createElement('span'), {className: 'panel-heading'});
  const actions = Object.assign(document.createElement('span'), {className: 'panel-actions'});
  for (const format of exports ? ['svg', 'png'] : []) {
    const button = Object.assign(document.createElement('button'), {type: 'button', textContent: format.toUpperCase()});
    button.title = `Download this view as ${format.toUpperCase()}`;
    button.dataset.export = id;
    button.dataset.format = format;
    button.addEventListener('click', () => {
      const target = view();
      if (!target) return;
      if (format === 'svg') target.exportSVG(); else target.exportPNG();
    });
    actions.append(button);
  }
  // Collapsing a long page's panels keeps a projector view on what matters; a collapsed panel
  // also counts as off screen, so its view stops asking the engine for work.
  const toggle = Object.assign(document.createElement('button'), {type: 'button', className: 'panel-toggle'});
  toggle.setAttribute('aria-expanded', 'true');
  toggle.title = 'Hide or show this panel';
  toggle.textContent = '▾';
  toggle.addEventListener('click', () => {
    const collapsed = panel.classList.toggle('collapsed');
    toggle.setAttribute('aria-expanded', String(!collapsed));
    toggle.textContent = collapsed ? '▸' : '▾';
  });
  headingBox.append(toggle, heading);
  head.append(headingBox, actions);
  const host = document.createElement('div');
  host.id = id + '-view';
  host.className = 'view ' + id + '-host';
  panel.append(head, host);
  const anchor = before ? column.querySelector(`[data-panel="${before}"]`) : null;
  column.insertBefore(panel, anchor);
  if (placed) placePanel(panel);
  // Views that ask the engine for work on every snapshot check this first: an off-screen panel
  // should not take time from training.
  let onScreen = true;
  if (typeof IntersectionObserver === 'function') {
    new IntersectionObserver((entries) => { onScreen = entries[entries.length - 1].isIntersecting; }).observe(panel);
  }
  return {host, panel, setTitle: (text) => { heading.textContent = text; }, isOnScreen: () => onScreen && !panel.hidden && !panel.classList.contains('collapsed') && !panel.classList.contains('off-mode')};
}
