// The page's start-up files, read before the engine is up (both sit at the built site's root):
//   runtime.json  which Pyodide runtime this build ships (written by build.py)
//   tables.json   the tables the engine declares once for both sides: config fields (the URL
//                 schema's engine rows), datasets (with their packed file names), presets,
//                 module choices, limits, ops (py/glassbox/protocol/tables.py, via build.py)
// Resolved against this module, not the page, so pages in other folders (embeds) work.

export const SITE_ROOT = new URL('../../', import.meta.url).href;

const cache = {};

async function readJson(name, what) {
  const response = await fetch(new URL(name, SITE_ROOT).href);
  if (!response.ok) throw new Error(`${name} (${what}) is missing from this build (HTTP ${response.status}); run "python build.py build"`);
  return response.json();
}

/** dist/runtime.json (read once per page). */
export function loadRuntime() {
  cache.runtime = cache.runtime || readJson('runtime.json', 'the runtime choice');
  return cache.runtime;
}

/** dist/tables.json (read once per page). */
export function loadTables() {
  cache.tables = cache.tables || readJson('tables.json', 'the engine tables');
  return cache.tables;
}

/** What the worker's 'init' message needs besides the runtime: dataset -> packed file name. */
export function dataFiles(tables) {
  return Object.fromEntries(Object.entries(tables.datasets).filter(([, d]) => d.file).map(([name, d]) => [name, d.file]));
}
