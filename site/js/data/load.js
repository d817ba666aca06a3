// The user's data, from what the student gave to the engine's 'load_data' arguments, in two steps
// so a dialog can show a preview between them: prepareData(source) reads the files (CSV parsed,
// zip unpacked, IDX pair checked) and buildData(prepared, options) makes the arrays (CSV: the
// chosen label and features; images: decoded to N x N). Readers: csv.js, images.js, idx.js.
// The limits are tables.json 'limits.user_data' (py/glassbox/data/user.py declares them).
import {buildTable, describeColumns, readCsv} from './csv.js';
import {IMAGE_FILE, readImages, unzipBounded} from './images.js';
import {IDX_FILE, readIdxPair} from './idx.js';

const fmt = (n) => Number(n).toLocaleString('en');
const isFile = (value) => typeof Blob !== 'undefined' && value instanceof Blob;

/** Any accepted source -> [{path, name, blob? , bytes?}] (or null for arrays / a URL). */
function asFiles(source) {
  const one = (f) => {
    if (isFile(f)) {
      const path = f.webkitRelativePath || f.path || f.name || 'data';
      return {path: String(path).replace(/^\/+/, ''), name: f.name || String(path).split('/').pop(), blob: f};
    }
    if (f && typeof f === 'object' && (f.file || f.blob || f.bytes)) {
      const blob = f.file || f.blob;
      const path = String(f.path || f.name || (blob && blob.name) || 'data').replace(/^\/+/, '');
      return {path, name: path.split('/').pop(), blob, bytes: f.bytes instanceof ArrayBuffer ? new Uint8Array(f.bytes) : f.bytes};
    }
    throw new Error('a data file must be a File, a Blob or {path, file | bytes}; got ' + (f === null ? 'null' : typeof f));
  };
  if (isFile(source)) return [one(source)];
  if (source && typeof source.length === 'number' && typeof source !== 'string') return Array.from(source, one);
  return [one(source)];
}

const bytesOf = async (f) => f.bytes || new Uint8Array(await f.blob.arrayBuffer());

/** An arrays source {X, y, classNames?, featureNames?, imageShape?, name?} -> load_data arguments. */
function fromArrays(source) {
  const {X, y} = source;
  const rows = Array.isArray(X) ? X : null;
  const n = rows ? rows.length : (y ? y.length : 0);
  if (!n) throw new Error('X must hold at least one row (an array of rows, or a Float32Array with y)');
  const d = rows ? (rows[0] || []).length : X.length / n;
  if (!Number.isInteger(d) || d < 1) throw new Error(`X has ${X.length} values, which is not ${n} rows (one per label) of equal length`);
  if (rows && rows.some((r) => !r || r.length !== d)) {
    const bad = rows.findIndex((r) => !r || r.length !== d);
    throw new Error(`X row ${bad + 1} has ${rows[bad] ? rows[bad].length : 0} values but row 1 has ${d}`);
  }
  const flat = rows ? Float32Array.from(rows.flat()) : Float32Array.from(X);
  const args = {X: {dtype: 'float32', shape: [n, d], data: flat}, y: Int32Array.from(y, Number), source: source.source || 'arrays',
    name: source.name || 'your data'};
  if (source.classNames) args.class_names = source.classNames.map(String);
  if (source.featureNames) args.feature_names = source.featureNames.map(String);
  if (source.imageShape) args.image_shape = source.imageShape;
  return args;
}

/**
 * Read what the student gave. source: a File/Blob (a CSV, a zip of class folders), a list of
 * Files (an IDX pair, or the PNG/JPEG files of a folder with their relative paths), [{path,
 * file | bytes}] (a dropped folder), a URL on this site, or arrays {X, y, ...}.
 * Returns {kind: 'csv' | 'images' | 'idx' | 'arrays', name, ...} for buildData.
 */
export async function prepareData(source, limits, {folderContainer} = {}) {
  if (source && typeof source === 'object' && 'X' in source && 'y' in source) {
    return {kind: 'arrays', name: source.name || 'your data', args: fromArrays(source)};
  }
  if (typeof source === 'string') {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`${source} could not be fetched (HTTP ${response.status})`);
    const name = decodeURIComponent(new URL(source, location.href).pathname.split('/').pop() || 'data');
    source = new File([await response.blob()], name);
  }
  const files = asFiles(source);
  if (!files.length) throw new Error('no files were given');
  const idx = files.filter((f) => IDX_FILE.test(f.name));
  const images = files.filter((f) => IMAGE_FILE.test(f.name));
  if (idx.length && idx.length === files.length) {
    const read = await Promise.all(idx.map(async (f) => ({name: f.name, bytes: await bytesOf(f)})));
    const args = readIdxPair(read, limits);
    return {kind: 'idx', name: args.name, args, summary: args.summary};
  }
  if (images.length) {
    // A folder's files share its name as their first path segment (a picked or dropped folder).
    const top = files[0].path.split('/')[0];
    const container = folderContainer ?? files.every((f) => f.path.includes('/') && f.path.split('/')[0] === top);
    return {kind: 'images', name: container ? top : 'the images', files, folderContainer: container};
  }
  if (files.length > 1) {
    throw new Error(`${files.length} files were given (${files.slice(0, 3).map((f) => f.name).join(', ')}…): give one CSV file, ` +
      'one zip of images, a folder of images (one sub-folder per class), or two IDX files');
  }
  const [file] = files;
  const size = file.blob ? file.blob.size : file.bytes.length;
  if (/\.zip$/i.test(file.name)) {
    if (size > limits.max_zip_bytes) throw new Error(`${file.name} is ${fmt(size)} bytes; a zip may be at most ${fmt(limits.max_zip_bytes)} bytes`);
    const members = unzipBounded(await bytesOf(file), file.name, limits);
    return {kind: 'images', name: file.name, files: members, folderContainer: false, fromZip: true};
  }
  if (size > limits.max_csv_bytes) throw new Error(`${file.name} is ${fmt(size)} bytes; a CSV file may be at most ${fmt(limits.max_csv_bytes)} bytes`);
  const table = readCsv(await bytesOf(file), file.name, limits);
  return {kind: 'csv', name: file.name, table, columns: describeColumns(table, limits)};
}

/**
 * The 'load_data' arguments of prepared data, and what to preview. options: {label, oneHot,
 * standardize (CSV; default true), size (images: 8 or 28; default 28), seed, valFraction, name,
 * onProgress}. Returns {args, preview} (preview: CSV {featureNames, skipped, encoded, classNames,
 * counts}; images {classNames, counts, sizes, inverted, X, y, imageShape}).
 */
export async function buildData(prepared, options = {}, limits) {
  const common = {};
  if (options.seed != null) common.seed = options.seed;
  if (options.valFraction != null) common.val_fraction = options.valFraction;
  const name = String(options.name || prepared.name).slice(0, limits.max_name_length);  // a long file name still loads
  if (prepared.kind === 'arrays') {
    const args = {...prepared.args, ...common, ...(options.name ? {name} : {})};
    if (options.standardize != null) args.standardize = Boolean(options.standardize);
    return {args, preview: {}};
  }
  if (prepared.kind === 'idx') {
    const {summary, ...args} = prepared.args;
    return {args: {...args, name, ...common}, preview: summary};
  }
  if (prepared.kind === 'csv') {
    const t = buildTable(prepared.table, {label: options.label, oneHot: Boolean(options.oneHot)}, limits);
    const args = {X: {dtype: 'float32', shape: [t.n, t.d], data: t.X}, y: t.y, class_names: t.classNames,
      feature_names: t.featureNames, name, source: 'csv', standardize: options.standardize ?? true, ...common};
    return {args, preview: t};
  }
  const size = options.size ?? 28;
  const read = await readImages(prepared.files, prepared.name, size, limits,
    {folderContainer: prepared.folderContainer, onProgress: options.onProgress});
  const n = read.y.length;
  const args = {X: {dtype: 'float32', shape: [n, size * size], data: read.X}, y: read.y, class_names: read.classNames,
    image_shape: read.imageShape, name, source: 'images', ...common};
  return {args, preview: read};
}

/** Both steps at once (glassbox.loadData). */
export async function readData(source, options, limits) {
  return buildData(await prepareData(source, limits, options), options, limits);
}
