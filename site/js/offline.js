// Offline use: registers the service worker that build.py writes (dist/sw.js, workbox-build's
// generateSW: it precaches every file of the built site -- pages, scripts, the Python runtime, the
// data, the lessons) and says "Available offline" in the page once all of it is stored.
//
// Updates: each precached file carries the hash of its content, so a rebuilt site has a new sw.js.
// The browser fetches sw.js on every navigation (updateViaCache 'none'), installs the new worker,
// which takes over at once (skipWaiting + clientsClaim) -- but the page being loaded was already
// served by the old one, from its cache. So when a new worker takes over a page an older one
// served, the page reloads itself while nobody has touched it yet (that is `python build.py serve`
// after a rebuild: reload, and the fresh files follow within a second); once someone has clicked
// or typed, it offers the reload instead of throwing away their run.
//
// Where service workers cannot be used (a sandboxed iframe, whose opaque origin even throws on
// reading navigator.serviceWorker; file://; plain http off localhost; a browser that blocks them)
// it does nothing and shows nothing: the page works online as before.

const SCRIPT = new URL('../sw.js', import.meta.url);  // dist/sw.js: its scope is the whole site
const PRECACHE_PREFIX = 'workbox-precache';

/** The page's service worker container, or null where none can be used (never throws). */
function serviceWorkers() {
  try {
    if (!window.isSecureContext || !/^https?:$/.test(location.protocol)) return null;
    return navigator.serviceWorker || null;
  } catch {
    return null;  // SecurityError in an opaque origin
  }
}

/** A small status line, added to the page's header (or the top of the body). */
function statusElement(place) {
  const element = document.createElement('div');
  element.className = 'runtime offline-status';
  element.id = 'offline-status';
  element.setAttribute('role', 'status');
  (place || document.querySelector('header') || document.body).append(element);
  return element;
}

/** Resolves once ``worker`` is activated (true) or was dropped (false: its install failed). */
function settled(worker) {
  return new Promise((resolve) => {
    const check = () => {
      if (worker.state === 'activated' || worker.state === 'redundant') {
        worker.removeEventListener('statechange', check);
        resolve(worker.state === 'activated');
      }
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

/** Resolves true once the registration's newest worker is active (everything it precaches is
 * stored), false when none is left. A worker that turns redundant was either replaced by a newer
 * one or failed to install (then an older active one, if any, still has its complete copy). */
async function stored(registration) {
  for (let tries = 0; tries < 8; tries += 1) {
    const worker = registration.installing || registration.waiting || registration.active;
    if (!worker) return false;
    if (await settled(worker)) return true;
  }
  return false;
}

/** How many responses the precache holds (0 when it does not exist). */
async function precachedFiles() {
  const name = (await caches.keys()).find((key) => key.startsWith(PRECACHE_PREFIX));
  return name ? (await (await caches.open(name)).keys()).length : 0;
}

/**
 * Register dist/sw.js and keep a status line up to date.
 * options.after: a promise to wait for first (the app's `ready`), so that the precache (about 100 MB,
 *   most of it the runtime the page is itself loading) does not compete with the first start;
 * options.place: the element to put the status line in (default: the page's header);
 * options.reload: how to reload the page (tests replace it).
 * Resolves with {state, files?, message?}; state is 'unavailable' (nothing shown), 'ready' (all
 * precached: "Available offline") or 'failed' (the line says why). Never rejects.
 */
export async function registerOffline({after = null, place = null, reload = () => location.reload()} = {}) {
  const container = serviceWorkers();
  if (!container) return {state: 'unavailable'};
  let touched = false;
  const touch = () => { touched = true; };
  window.addEventListener('pointerdown', touch, {capture: true, once: true});
  window.addEventListener('keydown', touch, {capture: true, once: true});
  // Listen before waiting for `after`: an update is found while the page is still loading.
  let controller = container.controller;
  let element = null;
  container.addEventListener('controllerchange', () => {
    const previous = controller;
    controller = container.controller;
    if (!previous) return;  // the first install taking control of the page: the files are the same
    if (!touched) { reload(); return; }
    element = element || statusElement(place);
    const button = Object.assign(document.createElement('button'),
      {type: 'button', className: 'link', textContent: 'A new version is ready: reload'});
    button.addEventListener('click', () => reload());
    element.replaceChildren(button);
    element.dataset.state = 'updated';
  });

  try {
    await after;
  } catch {
    // The engine failed to start: the rest of the page may still be worth keeping offline.
  }
  let registration;
  try {
    registration = await container.register(SCRIPT, {updateViaCache: 'none'});
  } catch (error) {
    element = element || statusElement(place);
    const message = 'Not available offline: the service worker was refused (' + (error && error.message || error) + ')';
    element.textContent = message;
    element.dataset.state = 'failed';
    return {state: 'failed', message};
  }
  if (!registration) return {state: 'unavailable'};  // a browser (or test) that blocks service workers
  element = element || statusElement(place);
  element.textContent = 'Saving for offline use…';
  element.dataset.state = 'saving';
  if (!(await stored(registration))) {
    const message = 'Not available offline: storing the site failed (the network dropped, or the disk is full)';
    element.textContent = message;
    element.dataset.state = 'failed';
    return {state: 'failed', message};
  }
  const files = await precachedFiles();
  if (element.dataset.state !== 'updated') {
    element.textContent = 'Available offline';
    element.title = files + ' files of this site are stored in this browser; it works with no network.';
    element.dataset.state = 'ready';
  }
  element.dataset.files = String(files);
  return {state: 'ready', files};
}
