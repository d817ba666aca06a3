// IDX files (the MNIST distribution format: an image file and a label file, gzip or not) in the
// page: unpacked with a bounded gunzip, their headers read to tell images from labels and to
// check that the pair matches, then handed to the engine as bytes ('load_data' {idx_images,
// idx_labels}), which reads them with glassbox.data.idx.read_idx. Pure (no DOM): node tests it.
import {Gunzip} from '../../vendor/fflate.mjs';

const fmt = (n) => Number(n).toLocaleString('en');
/** File names that look like IDX files (MNIST's, Fashion-MNIST's: train-images-idx3-ubyte.gz). */
export const IDX_FILE = /(idx\d-ubyte|\.idx\d?)(\.gz)?$/i;
const TYPES = {0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8};

/** gzip -> bytes, refusing beyond `limit` bytes: the declared size (the last 4 bytes) is checked
 *  first, and inflation in 16 kB steps stops as soon as the output passes the limit. */
export function gunzipBounded(bytes, fileName, limit) {
  const declared = bytes.length >= 18 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
  if (declared > limit) {
    throw new Error(`${fileName} would unpack to ${fmt(declared)} bytes; an IDX file may be at most ${fmt(limit)} bytes`);
  }
  const chunks = [];
  let size = 0;
  let over = false;
  const gunzip = new Gunzip((chunk) => {
    size += chunk.length;
    if (size > limit) over = true; else chunks.push(chunk);
  });
  const STEP = 16 * 1024;
  try {
    for (let at = 0; at < bytes.length && !over; at += STEP) gunzip.push(bytes.subarray(at, at + STEP), at + STEP >= bytes.length);
  } catch (error) {
    throw new Error(`${fileName} is not a readable gzip file (${error.message || error})`);
  }
  if (over) throw new Error(`${fileName} unpacks to more than ${fmt(limit)} bytes; an IDX file may be at most ${fmt(limit)} bytes`);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** The header of an IDX file: {dims: [N, ...], itemBytes}; throws naming the file when the bytes
 *  are not IDX or their length does not match the header. */
export function idxHeader(bytes, fileName) {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const html = /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
    throw new Error(`${fileName} is not an IDX file (it must start with two zero bytes)${html ? '; it looks like a web page' : ''}`);
  }
  const itemBytes = TYPES[bytes[2]];
  if (!itemBytes) throw new Error(`${fileName}: IDX type code 0x${bytes[2].toString(16)} is not one of the defined types`);
  const ndim = bytes[3];
  if (bytes.length < 4 + 4 * ndim) throw new Error(`${fileName} is cut short: its header promises ${ndim} dimensions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const dims = Array.from({length: ndim}, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = 4 + 4 * ndim + dims.reduce((a, b) => a * b, 1) * itemBytes;
  if (bytes.length !== expected) {
    throw new Error(`${fileName} holds ${fmt(bytes.length)} bytes but its header (${dims.join(' × ')}) promises ${fmt(expected)}`);
  }
  return {dims, itemBytes};
}

/**
 * Two IDX files -> the 'load_data' arguments {idx_images, idx_labels, idx_files, name}.
 * files: [{name, bytes}] (gzip or not, in any order: the one with 3 dimensions holds the images).
 */
export function readIdxPair(files, limits) {
  if (files.length !== 2) {
    throw new Error(`IDX data needs two files, the images and the labels (e.g. train-images-idx3-ubyte.gz and ` +
      `train-labels-idx1-ubyte.gz); got ${files.length}`);
  }
  const read = files.map(({name, bytes}) => {
    if (bytes.length > limits.max_idx_bytes) throw new Error(`${name} is ${fmt(bytes.length)} bytes; an IDX file may be at most ${fmt(limits.max_idx_bytes)} bytes`);
    const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipBounded(bytes, name, limits.max_idx_bytes) : bytes;
    return {name, bytes: raw, header: idxHeader(raw, name)};
  });
  const images = read.find((f) => f.header.dims.length === 3);
  const labels = read.find((f) => f.header.dims.length === 1);
  if (!images || !labels) {
    throw new Error(`IDX data needs an image file (3 dimensions: N × height × width) and a label file (1 dimension); ` +
      read.map((f) => `${f.name} has ${f.header.dims.length}`).join(', '));
  }
  const [n, h, w] = images.header.dims;
  if (labels.header.dims[0] !== n) {
    throw new Error(`${images.name} holds ${fmt(n)} images but ${labels.name} holds ${fmt(labels.header.dims[0])} labels: ` +
      'they must be a matching pair');
  }
  if (n > limits.max_rows) throw new Error(`${images.name} holds ${fmt(n)} images; at most ${fmt(limits.max_rows)} fit`);
  if (n * h * w > limits.max_cells) throw new Error(`${images.name} holds ${fmt(n * h * w)} pixels; at most ${fmt(limits.max_cells)} fit`);
  return {idx_images: images.bytes, idx_labels: labels.bytes, idx_files: [images.name, labels.name],
    name: images.name.replace(/\.gz$/i, ''), summary: {n, height: h, width: w}};
}
