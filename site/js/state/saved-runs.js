// Saved runs in the browser's IndexedDB, through npm idb-keyval (vendored: dist/vendor). No DOM and
// no engine here: records in, records out. When to save, resume and locks: app/sources/autosave.js.
//
// One database 'glassbox', one object store 'runs' (idb-keyval makes one store per database), two
// records per saved run:
//   'meta:<id>'  {id, name, dataset, layers, step, runs, savedAt (ms since 1970), bytes,
//                 settingsHash, settings, version}       small: the list reads only these
//   'blob:<id>'  {id, savedAt, step, file: Uint8Array}   the run file (engine op 'save_run')
//
// Atomic writes: both records of a save are put in ONE readwrite transaction (idb-keyval's
// setMany does the same). An IndexedDB transaction commits all of its requests or none: a quota
// error, a tab closed or a crash before the commit leaves the previous pair as it was. So the blob
// can be overwritten in place and there is no pointer to switch or old blob to delete (the
// new-key-then-switch scheme is for stores without transactions). read() takes both records in one
// readonly transaction and checks they belong together (same savedAt).
//
// idb-keyval is imported when the store opens, not statically: api.js's module graph stays free of
// the vendored files (node reads API_MEMBERS from it) and the page starts without waiting for it.
let createStore = null;
let promisifyRequest = null;

export const DB_NAME = 'glassbox';
export const STORE_NAME = 'runs';
const META = 'meta:';
const BLOB = 'blob:';
const OPEN_TIMEOUT_MS = 5000;  // some private modes never answer indexedDB.open
const VERSION = 1;
/** Why nothing is saved in a page whose origin is opaque (an iframe sandboxed without
 *  allow-same-origin): it has no storage at all, so the probe does not wait for IndexedDB. */
export const SANDBOXED = 'sandboxed page: no storage';
/** A run id: what autosave.js makes (and what `#resume=` accepts, site/js/state/url-state.js). */
export const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The error a full disk or quota gives (browsers name it QuotaExceededError; a transaction
 *  aborted by it may surface as AbortError whose transaction error is the quota one). */
export function isQuotaError(error) {
  return Boolean(error) && (error.name === 'QuotaExceededError' || error.code === 22
    || (error.name === 'AbortError' && /quota/i.test(String(error.message))));
}

/** Bytes as the page says them: 812 B, 14.2 kB, 3.2 MB (powers of 1000). */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A short, stable hash (FNV-1a, 32 bits, hex) of a JSON-able value: the settings a save was made with. */
export function hashOf(value) {
  const text = JSON.stringify(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, '0');
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  })]).finally(() => clearTimeout(timer));
}

/**
 * Open the saved-runs store. Never throws: `ready` resolves {ok: true} or {ok: false, reason}
 * (indexedDB missing, opening refused in a sandboxed frame or a private mode, no answer); every
 * other method then rejects with that reason.
 * @param {{name?: string}} options  name: the database (idb-keyval opens it on the page's indexedDB)
 */
export function openSavedRuns({name = DB_NAME} = {}) {
  let store = null;
  let fault = null;   // test hook: the DOMException name the next writes throw (see failWrites)

  async function probe() {
    try {
      // Read here, inside the try: where storage is forbidden even reading `indexedDB` may throw.
      if (globalThis.origin === 'null') return {ok: false, reason: SANDBOXED};
      const factory = globalThis.indexedDB;
      if (!factory || typeof factory.open !== 'function') throw new Error('indexedDB is not available in this page');
      ({createStore, promisifyRequest} = await import('../../vendor/idb-keyval.mjs'));
      store = createStore(name, STORE_NAME);
      // Opening throws at once where the origin may not store (SecurityError), or fails later.
      await withTimeout(store('readonly', (s) => promisifyRequest(s.count())), OPEN_TIMEOUT_MS, 'IndexedDB');
      return {ok: true, reason: null};
    } catch (error) {
      store = null;
      return {ok: false, reason: `${error && error.name && error.name !== 'Error' ? error.name + ': ' : ''}${error && error.message || error}`};
    }
  }
  const ready = probe();

  async function use(mode, body) {
    const status = await ready;
    if (!status.ok) throw new Error(`saved runs are unavailable (${status.reason})`);
    return store(mode, body);
  }

  const checkId = (id) => {
    if (typeof id !== 'string' || !RUN_ID.test(id)) throw new Error(`"${String(id).slice(0, 40)}" is not a saved run id`);
    return id;
  };

  /** Every saved run's metadata, newest first. */
  async function list() {
    const metas = await use('readonly', (s) => promisifyRequest(s.getAll(IDBKeyRange.bound(META, META + '\uffff'))));
    return metas.sort((a, b) => b.savedAt - a.savedAt);
  }

  /** One run's metadata, or null. */
  async function meta(id) {
    checkId(id);
    return (await use('readonly', (s) => promisifyRequest(s.get(META + id)))) || null;
  }

  /** Both records of run `id` from one transaction: {meta, file}. Throws naming a missing or
   *  inconsistent save. */
  async function read(id) {
    checkId(id);
    const [m, blob] = await use('readonly', (s) => Promise.all([promisifyRequest(s.get(META + id)), promisifyRequest(s.get(BLOB + id))]));
    if (!m) throw new Error(`there is no saved run "${id}" in this browser (deleted, or saved in another browser or profile)`);
    if (!blob || blob.savedAt !== m.savedAt || !(blob.file instanceof Uint8Array)) {
      throw new Error(`the saved run "${m.name}" is incomplete (its file is missing or from another save)`);
    }
    return {meta: m, file: blob.file};
  }

  /**
   * Save run `m.id`: metadata `m` (savedAt and bytes are filled in) and its file, in one
   * transaction (see the top of this file). Rejects with the browser's error (QuotaExceededError
   * when storage is full); the previous save of that id is then unchanged. Resolves the metadata.
   */
  async function write(m, file) {
    checkId(m.id);
    if (!(file instanceof Uint8Array)) throw new TypeError('a saved run needs its file as a Uint8Array');
    const record = {...m, bytes: file.byteLength, savedAt: m.savedAt || Date.now(), version: VERSION};
    await use('readwrite', (s) => {
      const done = promisifyRequest(s.transaction);
      try {
        s.put({id: m.id, savedAt: record.savedAt, step: record.step, file}, BLOB + m.id);
        if (fault) throw new DOMException(`test hook: writes fail with ${fault}`, fault);
        s.put(record, META + m.id);
      } catch (error) {
        // Whatever was put in this transaction is undone with it.
        try { s.transaction.abort(); } catch (_) { /* already finished */ }
        done.catch(() => {});
        throw error;
      }
      return done;
    });
    return record;
  }

  /** Give run `id` a new name (any text; the page shows it as text). Resolves the metadata. */
  async function rename(id, newName) {
    checkId(id);
    const text = String(newName == null ? '' : newName).trim().slice(0, 200);
    if (!text) throw new Error('a saved run needs a name');
    let updated = null;
    await use('readwrite', (s) => new Promise((resolve, reject) => {
      const request = s.get(META + id);
      request.onsuccess = () => {
        if (!request.result) { reject(new Error(`there is no saved run "${id}"`)); s.transaction.abort(); return; }
        updated = {...request.result, name: text};
        s.put(updated, META + id);
        resolve(promisifyRequest(s.transaction));
      };
      request.onerror = () => reject(request.error);
    }));
    return updated;
  }

  /** Delete run `id`; resolves its records ({meta, blob}: what restore() puts back) or null. */
  async function remove(id) {
    checkId(id);
    return use('readwrite', (s) => new Promise((resolve, reject) => {
      const metaRequest = s.get(META + id);
      const blobRequest = s.get(BLOB + id);
      s.delete(META + id);
      s.delete(BLOB + id);
      promisifyRequest(s.transaction).then(
        () => resolve(metaRequest.result ? {meta: metaRequest.result, blob: blobRequest.result} : null), reject);
    }));
  }

  /** Put back what remove() answered (undo), in one transaction. */
  async function restore(records) {
    if (!records || !records.meta) throw new Error('nothing to put back');
    checkId(records.meta.id);
    await use('readwrite', (s) => {
      if (records.blob) s.put(records.blob, BLOB + records.meta.id);
      s.put(records.meta, META + records.meta.id);
      return promisifyRequest(s.transaction);
    });
    return records.meta;
  }

  /** What the browser says this origin uses and may use ({usage, quota} bytes), or null. */
  async function estimate() {
    try {
      const storage = globalThis.navigator && navigator.storage;
      return storage && storage.estimate ? await storage.estimate() : null;
    } catch (_) {
      return null;
    }
  }

  return {
    ready, list, meta, read, write, rename, remove, restore, estimate,
    /** Test hook: from now on every write throws a DOMException named `errorName` (e.g.
     *  'QuotaExceededError') after its blob was put (the transaction is aborted); null: stop. */
    failWrites(errorName) { fault = errorName ? String(errorName) : null; },
  };
}
