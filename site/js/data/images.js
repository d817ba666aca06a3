// Images -> rows of N x N grayscale pixels for the engine's 'load_data' ({X, y, classNames,
// imageShape}). A zip (fflate, inflated in bounded steps) or a folder of PNG/JPEG files, one
// sub-folder per class. Conversion, as MNIST draws digits: grayscale (luma 0.299 R + 0.587 G +
// 0.114 B, transparent pixels count as white paper), inverted when the image's border is light
// (dark ink on white paper becomes white ink on black), padded to a square with the background,
// area-averaged down to N x N, then stretched so the brightest pixel is 1. Images of any size
// are accepted; each is resized on its own (the sizes found are reported).
// Everything but decodeImage (createImageBitmap + a canvas) is pure, so node tests it.
import {Unzip, UnzipInflate} from '../../vendor/fflate.mjs';

const fmt = (n) => Number(n).toLocaleString('en');
export const IMAGE_FILE = /\.(png|jpe?g)$/i;
const IGNORED = (path) => path.split('/').some((part) => part.startsWith('.') || part === '__MACOSX') || /(^|\/)(Thumbs\.db|desktop\.ini)$/i.test(path);

/**
 * The members of a zip archive, inflated in small steps so nothing can grow past the limits:
 * a member whose declared size exceeds limits.max_image_bytes is refused before it is inflated,
 * and inflation stops as soon as one member or the running total passes its limit (a member
 * that lies about its size, a zip bomb). `accept(path)` chooses the members to inflate.
 * Returns [{path, bytes}].
 */
export function unzipBounded(bytes, fileName, limits, accept = (path) => IMAGE_FILE.test(path) && !IGNORED(path)) {
  if (bytes.length > limits.max_zip_bytes) {
    throw new Error(`${fileName} is ${fmt(bytes.length)} bytes; a zip may be at most ${fmt(limits.max_zip_bytes)} bytes`);
  }
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) throw new Error(`${fileName} is not a zip archive (it does not start with "PK")`);
  const out = [];
  let total = 0;
  let failure = null;
  const fail = (message) => { if (!failure) failure = new Error(message); };
  const unzip = new Unzip((file) => {
    if (failure || !accept(file.name)) return;
    if (file.originalSize > limits.max_image_bytes) {
      fail(`${fileName}: ${file.name} would unpack to ${fmt(file.originalSize)} bytes; one image may be at most ` +
        `${fmt(limits.max_image_bytes)} bytes (a zip bomb?)`);
      return;
    }
    if (out.length >= limits.max_images) { fail(`${fileName} holds more than ${fmt(limits.max_images)} images; at most ${fmt(limits.max_images)} fit`); return; }
    const chunks = [];
    let size = 0;
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) { fail(`${fileName}: ${file.name} cannot be unpacked (${error.message || error})`); return; }
      size += chunk.length;
      total += chunk.length;
      if (size > limits.max_image_bytes) {
        fail(`${fileName}: ${file.name} unpacks to more than ${fmt(limits.max_image_bytes)} bytes; stopped there (a zip bomb?)`);
        file.terminate();
        return;
      }
      if (total > limits.max_unzipped_bytes) {
        fail(`${fileName} unpacks to more than ${fmt(limits.max_unzipped_bytes)} bytes; stopped there (a zip bomb?)`);
        file.terminate();
        return;
      }
      chunks.push(chunk);
      if (final) {
        const whole = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) { whole.set(c, at); at += c.length; }
        out.push({path: file.name, bytes: whole});
      }
    };
    try { file.start(); } catch (error) { fail(`${fileName}: ${file.name} uses a compression this page cannot read (${error.message})`); }
  });
  unzip.register(UnzipInflate);
  // Small steps: deflate expands at most ~1,032:1, so one step yields at most ~17 MB before the checks run.
  const STEP = 16 * 1024;
  try {
    for (let at = 0; at < bytes.length && !failure; at += STEP) {
      unzip.push(bytes.subarray(at, Math.min(bytes.length, at + STEP)), at + STEP >= bytes.length);
    }
  } catch (error) {
    fail(`${fileName} is not a readable zip archive (${error.message || error})`);
  }
  if (failure) throw failure;
  return out;
}

/**
 * Group image files by class: the folder holding each image is its class (one sub-folder per
 * class, at any depth). `files`: [{path, ...}] with '/'-separated paths; `folderContainer`: the
 * paths start with a dropped or picked folder's own name (images directly in it have no class). Returns {classNames (sorted), items: [{...file, label}]}; throws when there are no
 * class folders, only one, or more than limits.max_classes.
 */
export function groupByFolder(files, sourceName, limits, folderContainer = false) {
  const images = files.filter((f) => IMAGE_FILE.test(f.path) && !IGNORED(f.path));
  if (!images.length) {
    throw new Error(`${sourceName} holds no PNG or JPEG images (${files.length} file${files.length === 1 ? '' : 's'} looked at)`);
  }
  if (images.length > limits.max_images) throw new Error(`${sourceName} holds ${fmt(images.length)} images; at most ${fmt(limits.max_images)} fit`);
  const folderOf = (path) => { const parts = path.split('/'); return parts.length > 1 ? parts[parts.length - 2] : null; };
  const loose = images.filter((f) => folderOf(f.path) === null);
  const classes = new Set(images.map((f) => folderOf(f.path)).filter((name) => name !== null));
  // A dropped or picked folder is the top segment of every path: images right inside it have no class.
  const inTop = (f) => folderContainer && f.path.split('/').length === 2;
  if (loose.length || images.some(inTop)) {
    const example = (loose[0] || images.find(inTop)).path;
    throw new Error(`${sourceName} has no class sub-folders: images such as ${example} are not in a folder named after ` +
      'their class. Put the images of each class in their own sub-folder (e.g. cats/1.png, dogs/7.png)');
  }
  if (classes.size < limits.min_classes) {
    throw new Error(`${sourceName} has only one class folder ("${[...classes][0]}"): make one sub-folder per class, ` +
      'at least 2 classes (e.g. cats/…, dogs/…)');
  }
  if (classes.size > limits.max_classes) throw new Error(`${sourceName} has ${classes.size} class folders; at most ${limits.max_classes} fit`);
  const classNames = [...classes].sort();
  const index = new Map(classNames.map((name, i) => [name, i]));
  const items = images.map((f) => ({...f, label: index.get(folderOf(f.path))}));
  const counts = classNames.map((_, c) => items.filter((f) => f.label === c).length);
  const lonely = classNames.find((_, c) => counts[c] < 2);
  if (lonely !== undefined) {
    throw new Error(`${sourceName}: class folder "${lonely}" holds only 1 image; a stratified split needs at least 2 of each class`);
  }
  return {classNames, items, counts};
}

/** RGBA bytes (w*h*4) -> luma in [0, 1] (Float32Array w*h); transparency is composited on white. */
export function toGray(rgba, w, h) {
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i += 1) {
    const a = rgba[4 * i + 3] / 255;
    const luma = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    out[i] = a * luma + (1 - a);
  }
  return out;
}

/** White ink on black: inverted when the mean of the border pixels is above 0.5 (light paper). */
export function whiteOnBlack(gray, w, h) {
  let sum = 0, count = 0;
  for (let x = 0; x < w; x += 1) { sum += gray[x] + gray[(h - 1) * w + x]; count += 2; }
  for (let y = 1; y < h - 1; y += 1) { sum += gray[y * w] + gray[y * w + w - 1]; count += 2; }
  if (sum / count <= 0.5) return {pixels: gray, inverted: false};
  return {pixels: gray.map((v) => 1 - v), inverted: true};
}

/** Pad to a square (centred, background 0) and area-average down to n x n: each output pixel is
 *  the mean of the source area it covers, fractional edge pixels weighted by their overlap. */
export function squareAndShrink(gray, w, h, n) {
  const side = Math.max(w, h);
  const ox = (side - w) / 2, oy = (side - h) / 2;   // where the image sits in the square
  const scale = side / n;                           // source pixels per output pixel
  const out = new Float32Array(n * n);
  for (let oyi = 0; oyi < n; oyi += 1) {
    const y0 = oyi * scale - oy, y1 = y0 + scale;
    for (let oxi = 0; oxi < n; oxi += 1) {
      const x0 = oxi * scale - ox, x1 = x0 + scale;
      let sum = 0;
      for (let y = Math.max(0, Math.floor(y0)); y < Math.min(h, Math.ceil(y1)); y += 1) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.max(0, Math.floor(x0)); x < Math.min(w, Math.ceil(x1)); x += 1) {
          sum += wy * (Math.min(x + 1, x1) - Math.max(x, x0)) * gray[y * w + x];
        }
      }
      out[oyi * n + oxi] = sum / (scale * scale);
    }
  }
  return out;
}

/** Scale so the brightest pixel is 1 (an all-black image stays black). */
export function stretch(pixels) {
  let max = 0;
  for (const v of pixels) if (v > max) max = v;
  return max > 0 ? pixels.map((v) => Math.min(1, v / max)) : pixels;
}

/** RGBA (w x h) -> n x n pixels in [0, 1], white on black (the module's rule). */
export function convert(rgba, w, h, n) {
  const {pixels, inverted} = whiteOnBlack(toGray(rgba, w, h), w, h);
  return {pixels: stretch(squareAndShrink(pixels, w, h, n)), inverted};
}

/** Decode one PNG/JPEG (browser: createImageBitmap + a canvas) -> {pixels n*n, width, height}.
 *  A big image is first drawn at most 8n pixels wide by the browser (smoothing on), then averaged. */
export async function decodeImage(bytes, path, n, limits) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]));
  } catch (error) {
    throw new Error(`${path} is not a PNG or JPEG image this browser can read (corrupt or another format)`);
  }
  const {width, height} = bitmap;
  if (!width || !height) throw new Error(`${path} is an empty image (0 pixels)`);
  if (width * height > limits.max_image_pixels) {
    bitmap.close();
    throw new Error(`${path} is ${fmt(width)} × ${fmt(height)} pixels; one image may have at most ${fmt(limits.max_image_pixels)} pixels`);
  }
  const shrink = Math.min(1, (8 * n) / Math.max(width, height));
  const w = Math.max(1, Math.round(width * shrink)), h = Math.max(1, Math.round(height * shrink));
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), {width: w, height: h});
  const context = canvas.getContext('2d', {willReadFrequently: true});
  context.fillStyle = '#fff';
  context.fillRect(0, 0, w, h);
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const rgba = context.getImageData(0, 0, w, h).data;
  return {...convert(rgba, w, h, n), width, height};
}

/**
 * Every image decoded to n x n: files [{path, bytes | blob}], grouped by folder. Returns
 * {X: Float32Array (count * n * n), y: Int32Array, classNames, counts, imageShape: [n, n],
 * sizes: {'W×H': count}, inverted: count, paths}. onProgress(done, total) every 25 images.
 */
export async function readImages(files, sourceName, n, limits, {folderContainer = false, onProgress = () => {}} = {}) {
  if (!limits.image_sizes.includes(n)) throw new Error(`image size must be one of ${limits.image_sizes.join(', ')}, got ${n}`);
  const {classNames, items, counts} = groupByFolder(files, sourceName, limits, folderContainer);
  const X = new Float32Array(items.length * n * n);
  const y = new Int32Array(items.length);
  const sizes = {};
  let inverted = 0;
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    const bytes = item.bytes || new Uint8Array(await item.blob.arrayBuffer());
    if (bytes.length > limits.max_image_bytes) throw new Error(`${item.path} is ${fmt(bytes.length)} bytes; one image may be at most ${fmt(limits.max_image_bytes)} bytes`);
    const image = await decodeImage(bytes, item.path, n, limits);
    X.set(image.pixels, i * n * n);
    y[i] = item.label;
    const key = `${image.width}×${image.height}`;
    sizes[key] = (sizes[key] || 0) + 1;
    if (image.inverted) inverted += 1;
    if (i % 25 === 24 || i === items.length - 1) onProgress(i + 1, items.length);
  }
  return {X, y, classNames, counts, imageShape: [n, n], sizes, inverted, paths: items.map((f) => f.path)};
}
