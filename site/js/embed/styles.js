// The embed's own styles, put in the document once (a course page links nothing but the script).
// Light DOM, not shadow DOM: the views' stylesheets (css/views.css and the ones each area's mount
// adds to <head>) must reach the view's elements.
//
// `glassbox-view { display: block }` also beats the browser's `[hidden] { display: none }`: the
// URL key for the hidden layers is `hidden`, so <glassbox-view hidden="64"> must still show.
// (A page's own `[hidden] { display: none !important }` would hide it: use layers via
// element.app.configure({hidden: [64]}) there.)

const CSS = `
glassbox-view { display: block; position: relative; box-sizing: border-box; min-width: 0; }
glassbox-view > .gb-embed-frame { display: flex; flex-direction: column; width: 100%; height: 100%; min-height: 0; }
glassbox-view .gb-embed-stage { position: relative; flex: 1 1 auto; min-height: 0; overflow: hidden; }
glassbox-view .gb-embed-inner { transform-origin: 0 0; width: 100%; }
glassbox-view .gb-embed-notes { flex: none; max-height: 40%; overflow: auto; margin: 0 0 4px; padding: 4px 8px; border-left: 3px solid #b45309; background: #fffbeb;
  color: #78350f; font: 13px/1.35 system-ui, sans-serif; }
glassbox-view .gb-embed-notes p { margin: 2px 0; }
glassbox-view .gb-embed-error { border-left-color: #b91c1c; background: #fef2f2; color: #7f1d1d; }
glassbox-view .gb-embed-loading { padding: 8px; color: #334155; font: 13px/1.35 system-ui, sans-serif; }
glassbox-view .gb-embed-loading progress { width: min(240px, 60%); vertical-align: middle; margin-left: 6px; }
glassbox-view .gb-embed-controls { flex: none; display: flex; flex-wrap: nowrap; align-items: center; gap: 4px 6px; padding: 3px 0;
  font: 13px/1.3 system-ui, sans-serif; color: #1e293b; }
glassbox-view .gb-embed-controls button { font: inherit; padding: 2px 9px; min-height: 26px; min-width: 24px; border: 1px solid #64748b;
  border-radius: 4px; background: #f8fafc; color: #0f172a; cursor: pointer; }
glassbox-view .gb-embed-controls button:focus-visible { outline: 3px solid #2563eb; outline-offset: 1px; }
glassbox-view .gb-embed-controls button:disabled { color: #64748b; cursor: default; }
glassbox-view .gb-embed-status { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 12px; color: #334155; font-variant-numeric: tabular-nums; }
`;

/** Add the embed's styles and css/views.css to `doc` once. */
export function ensureEmbedStyles(doc = document) {
  if (doc.getElementById('gb-embed-style')) return;
  const style = doc.createElement('style');
  style.id = 'gb-embed-style';
  style.textContent = CSS;
  const views = new URL('../../css/views.css', import.meta.url).href;
  if (![...doc.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === views)) {
    doc.head.append(Object.assign(doc.createElement('link'), {rel: 'stylesheet', href: views}));
  }
  doc.head.append(style);
}
