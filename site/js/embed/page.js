// embed.html: ONE view filling the iframe, with its minimal controls, driven by the URL and by
// postMessage (embed/frame-bridge.js).
//
//   embed.html?view=curves#dataset=xor&hidden=8,8      view in the query...
//   embed.html#view=curves&dataset=xor&allow=https://course.example   ...or in the hash
//
// Query and hash keys: `view`, `allow` (who may drive the frame), `debug` (show the message
// counts) and the URL schema's keys; a bad value or unknown key is named in a note and the
// default used; an unknown view is named with the valid ones. What cannot work in this frame is
// said on the page: in an iframe sandboxed without allow-same-origin (origin null) nothing can be
// stored, so saving runs is not available here.
import '../glassbox-embed.js';
import {createFrameBridge, parseAllow} from './frame-bridge.js';
import {SANDBOXED} from '../state/saved-runs.js';

const MAX_URL_CHARS = 4000;

/** [name, value] pairs from the query, then the hash (the hash wins where a key is in both). */
export function urlPairs(location) {
  const pairs = [];
  const notes = [];
  for (const [part, text] of [['query', location.search], ['hash', location.hash]]) {
    const body = String(text || '').replace(/^[?#]/, '');
    if (body.length > MAX_URL_CHARS) { notes.push(`The address's ${part} was too long (${body.length} characters) and was ignored.`); continue; }
    try { pairs.push(...new URLSearchParams(body)); } catch (_) { notes.push(`The address's ${part} could not be read and was ignored.`); }
  }
  const last = new Map();
  for (const [key, value] of pairs) { last.delete(key); last.set(key, value); }
  return {pairs: [...last], notes};
}

function start() {
  const {pairs, notes} = urlPairs(window.location);
  const get = (key) => (pairs.find(([k]) => k === key) || [])[1];
  const home = new URL(window.location.href).origin;
  const allow = parseAllow(get('allow'), home);
  // A heading and title name the view for screen readers and the browser's tab.
  const shown = String(get('view') || 'view').slice(0, 40);
  document.title = `Glassbox: ${shown}`;
  const heading = Object.assign(document.createElement('h1'), {className: 'sr-only', textContent: `Glassbox: ${shown}`});
  document.getElementById('embed-main').prepend(heading);
  const element = document.createElement('glassbox-view');
  element.pairs = [...pairs.filter(([key]) => key !== 'controls'), ['controls', '']];
  element.id = 'view';
  document.getElementById('embed-main').append(element);

  const footer = document.getElementById('embed-info');
  const lines = [...notes, ...allow.notes];
  if (window.origin === 'null') lines.push(`Saving runs is not available here (${SANDBOXED}).`);
  if (lines.length) {
    const info = Object.assign(document.createElement('span'), {id: 'embed-notes', textContent: lines.join(' ')});
    footer.append(info);
  }

  const getApp = () => element.ready.then(({app}) => app);
  // What trains says why it runs on one thread (engine/accel.js): said here, not hidden in a tooltip.
  getApp().then((app) => {
    const threads = Object.assign(document.createElement('span'), {id: 'embed-threads', hidden: true});
    footer.prepend(threads);
    const show = () => {
      const note = app.store.get().backend?.note || '';
      threads.hidden = !/one thread/.test(note);
      threads.textContent = threads.hidden ? '' : 'Training uses one thread here (no cross-origin isolation).';
      footer.hidden = !footer.textContent;
    };
    app.store.subscribe((state, changed) => { if (changed.includes('backend')) show(); });
    show();
  });
  const view = get('view') || null;
  const bridge = createFrameBridge({allow, getApp, view});
  const debug = document.createElement('span');
  debug.id = 'embed-debug';
  const showStats = (s) => {
    debug.textContent = `messages: ${s.obeyed} obeyed, ignored ${s.ignored.origin} from other origins, ` +
      `${s.ignored.malformed} malformed, ${s.ignored.unknown} of unknown type`;
  };
  if (['', '1', 'true', 'on'].includes(get('debug'))) {
    footer.append(debug);
    showStats(bridge.stats());
    bridge.onChange(showStats);
  }
  footer.hidden = !footer.textContent;
  // Same-origin tests and tools read the bridge here; a cross-origin parent uses {type: 'stats'}.
  window.glassboxFrame = {element, stats: bridge.stats};
}

start();
