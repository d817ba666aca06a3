// Run files in the page: the bytes of a source (Uint8Array, ArrayBuffer, File/Blob or a same-origin
// URL), a first look inside with fflate (bounded: a member that declares more than the limits is
// refused before anything is inflated, and only manifest.json is inflated here), then the engine's
// 'load_run' checks everything again and replaces the session only if the whole file is good
// (py/glassbox/protocol/runfile.py; README "Run files"). The store's `runFile` slice says what the
// last export or load did: {status: 'idle' | 'loading' | 'loaded' | 'saved' | 'error', name, message}.
import {emptyRun, withHistory} from '../../state/health-runs.js';

// The engine's limits (runfile.py MAX_MEMBER_BYTES, MAX_TOTAL_BYTES, MAX_MANIFEST_BYTES, MAX_MEMBERS).
export const LIMITS = {memberBytes: 256 * 2 ** 20, totalBytes: 768 * 2 ** 20, manifestBytes: 2 ** 20, members: 64,
  fileBytes: 768 * 2 ** 20};
const FORMAT = 'glassbox-run';
const VERSION = 1;

/** The bytes of `source`; an Error names what it is when it cannot be read. */
export async function readRunBytes(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    if (source.size > LIMITS.fileBytes) throw new Error(`the file is ${Math.round(source.size / 2 ** 20)} MiB; a run file may be at most ${LIMITS.fileBytes / 2 ** 20} MiB`);
    return new Uint8Array(await source.arrayBuffer());
  }
  if (typeof source === 'string') {
    const url = new URL(source, location.href);
    if (url.origin !== location.origin) throw new Error(`run files load from this site only, not ${url.origin}`);
    const response = await fetch(url.href);
    if (!response.ok) throw new Error(`could not fetch ${url.pathname}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new Error(`a run file is a Uint8Array, ArrayBuffer, File/Blob or a URL on this site, got ${source === null ? 'null' : typeof source}`);
}

/** The run file's manifest, read with bounded inflation; an Error names the problem (the engine
 *  repeats every check, these only answer early and keep a zip bomb out of the worker). */
export async function inspectRunFile(bytes) {
  if (!bytes.length) throw new Error('the file is empty: a run file is a zip (.glassbox-run.zip)');
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  if (head.startsWith('<')) throw new Error('this is an HTML or XML page, not a run file (a zip); was a web page saved instead?');
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) throw new Error('not a run file: not a zip');
  // The zip's own directory ends the file: its offset + size is where its end record starts. A cut
  // file may still end in an inner .npz's directory (checkpoints are stored), which fails this.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22;
  while (end >= 0 && bytes.length - end <= 65557 && view.getUint32(end, true) !== 0x06054b50) end -= 1;
  if (end < 0 || bytes.length - end > 65557 || view.getUint32(end + 16, true) + view.getUint32(end + 12, true) !== end) {
    throw new Error(`the run file is truncated or damaged (${bytes.length} bytes; its zip directory is missing)`);
  }
  // Loaded on first use (and only in the built site, where the vendored module is).
  const {unzipSync} = await import('../../../vendor/fflate.mjs');
  let members = 0;
  let total = 0;
  let files;
  try {
    files = unzipSync(bytes, {filter(file) {
      members += 1;
      total += file.originalSize;
      if (members > LIMITS.members) throw new Error(`the zip has more than ${LIMITS.members} members`);
      if (file.originalSize > LIMITS.memberBytes) {
        throw new Error(`member ${file.name} declares ${file.originalSize} bytes uncompressed, over the limit of ${LIMITS.memberBytes / 2 ** 20} MiB per member (a zip bomb?)`);
      }
      if (total > LIMITS.totalBytes) throw new Error(`the members declare more than ${LIMITS.totalBytes / 2 ** 20} MiB uncompressed together`);
      if (file.name === 'manifest.json' && file.originalSize > LIMITS.manifestBytes) throw new Error('manifest.json is over 1 MiB');
      return file.name === 'manifest.json';  // inflated into a buffer of its declared size, no more
    }});
  } catch (error) {
    const text = String(error.message || error);
    if (/member|zip has|declare|manifest/.test(text)) throw new Error(text);
    throw new Error(`the run file is truncated or damaged (${bytes.length} bytes: ${text})`);
  }
  if (!files['manifest.json']) throw new Error('the run file has no manifest.json');
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(files['manifest.json']));
  } catch (error) {
    throw new Error(`manifest.json is not valid UTF-8 JSON: ${error.message}`);
  }
  if (!manifest || manifest.format !== FORMAT) throw new Error(`manifest.json does not describe a Glassbox run (format ${JSON.stringify(manifest && manifest.format)})`);
  if (manifest.version !== VERSION) throw new Error(`run file version ${JSON.stringify(manifest.version)} is not supported: this Glassbox reads version ${VERSION}`);
  return manifest;
}

/** The file name a download gets, e.g. glassbox-digits-64-32-10-step120.glassbox-run.zip. */
export function runFileName(state) {
  const safe = (text) => String(text).replace(/[^A-Za-z0-9_-]+/g, '_');
  return `glassbox-${safe(state.dataset)}-${state.layers.join('-')}-step${state.step}.glassbox-run.zip`;
}

/**
 * The run file actions of one app.
 * @param {{store, scheduler, training, ready: () => Promise}} deps  training: the training source
 *   (its loadRunFile replaces the main run as loadSpec does)
 */
export function createRunFiles({store, scheduler, training, ready}) {
  const set = (runFile) => store.set({runFile});

  async function exportRun() {
    await ready();
    const {file} = await scheduler.request('save_run', {});
    return file instanceof Uint8Array ? file : file.data;  // the wire gives arrays as {dtype, shape, data}
  }

  /** Refill the health records of the loaded runs with their saved summaries. */
  async function restoreHealth(ids) {
    for (const id of ids) {
      const {summaries} = await scheduler.request('health_history', {run: id});
      const health = store.get().health;
      if (!health) return;  // no health source on this page
      const run = health.runs[id] || emptyRun(id);
      store.set({health: {...health, runs: {...health.runs, [id]: withHistory(run, summaries)}}});
    }
  }

  async function loadRun(source) {
    await ready();
    const name = typeof source === 'string' ? source : (source && source.name) || 'the run file';
    set({status: 'loading', name, message: null});
    let answer;
    try {
      const bytes = await readRunBytes(source);
      await inspectRunFile(bytes);
      answer = await training.loadRunFile(bytes);
    } catch (error) {
      set({status: 'error', name, message: String(error.message || error)});
      throw error;
    }
    await restoreHealth(answer.runs).catch((error) => console.warn('run file: health history not restored:', error));
    set({status: 'loaded', name, message: `${answer.runs.length} run${answer.runs.length === 1 ? '' : 's'} (${answer.runs.join(', ')}) at step ${answer.snapshot.step}`});
    return answer;
  }

  return {exportRun, loadRun};
}
