// Turn a view (its <svg> plus any <canvas> layers) into a standalone SVG file
// or a PNG. The page's CSS does not travel with an exported file, so the
// computed styles that matter for drawing are copied onto each element, and
// canvas layers (edges, pixel grids) become <image> elements with data URLs.
//
// A canvas takes part when it carries the attribute data-export-layer; its
// value "above" puts it over the SVG content, anything else under it.

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAINT_PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray',
  'stroke-linecap', 'stroke-linejoin', 'opacity', 'visibility', 'paint-order', 'shape-rendering'];
const TEXT_PROPS = ['font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor',
  'dominant-baseline', 'letter-spacing'];
const TEXT_TAGS = new Set(['text', 'tspan', 'textPath', 'svg', 'g']);

function findSvg(target) {
  if (!target) throw new Error('export: nothing to export');
  if (target.tagName && target.tagName.toLowerCase() === 'svg') return target;
  const svg = target.querySelector('svg');
  if (!svg) throw new Error('export: no <svg> inside the given element');
  return svg;
}

function inlineStyles(source, clone) {
  const style = getComputedStyle(source);
  if (style.display === 'none') { clone.remove(); return; }
  const props = TEXT_TAGS.has(source.tagName) ? PAINT_PROPS.concat(TEXT_PROPS) : PAINT_PROPS;
  const declarations = [];
  for (const prop of props) {
    const value = style.getPropertyValue(prop);
    if (value !== '') declarations.push(`${prop}:${value}`);
  }
  clone.setAttribute('style', declarations.join(';'));
  clone.removeAttribute('class');
  // Walk both trees together; collect children first because removal mutates the clone.
  const sourceChildren = [...source.children];
  const cloneChildren = [...clone.children];
  for (let i = 0; i < sourceChildren.length; i++) inlineStyles(sourceChildren[i], cloneChildren[i]);
}

function canvasAsImage(canvas, svgRect) {
  const rect = canvas.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return null;
  const image = document.createElementNS(SVG_NS, 'image');
  image.setAttribute('x', rect.left - svgRect.left);
  image.setAttribute('y', rect.top - svgRect.top);
  image.setAttribute('width', rect.width);
  image.setAttribute('height', rect.height);
  image.setAttribute('preserveAspectRatio', 'none');
  image.setAttribute('href', canvas.toDataURL('image/png'));
  return image;
}

/** Standalone SVG markup for an <svg> or for a view root holding one. */
export function svgToString(target, { background = '#ffffff' } = {}) {
  const svg = findSvg(target);
  const svgRect = svg.getBoundingClientRect();
  const width = Math.round(svgRect.width), height = Math.round(svgRect.height);
  const clone = svg.cloneNode(true);
  inlineStyles(svg, clone);
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', width);
  clone.setAttribute('height', height);
  if (!clone.hasAttribute('viewBox')) clone.setAttribute('viewBox', `0 0 ${width} ${height}`);

  const firstContent = clone.firstChild;
  if (background) {
    const backdrop = document.createElementNS(SVG_NS, 'rect');
    const attrs = { x: 0, y: 0, width, height, fill: background };
    for (const [name, value] of Object.entries(attrs)) backdrop.setAttribute(name, value);
    clone.insertBefore(backdrop, firstContent);
  }
  const layerRoot = target === svg ? svg.parentElement : target;
  const canvases = layerRoot ? [...layerRoot.querySelectorAll('canvas[data-export-layer]')] : [];
  for (const canvas of canvases) {
    const image = canvasAsImage(canvas, svgRect);
    if (!image) continue;
    if (canvas.dataset.exportLayer === 'above') clone.appendChild(image);
    else clone.insertBefore(image, firstContent);
  }
  return new XMLSerializer().serializeToString(clone);
}

/** Save a Blob as a file named `filename` (the browser's download). */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoking immediately can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 2000);
}

/** Rasterise a view to a PNG Blob at `scale` times its on-screen size. */
export async function renderPNG(target, scale = 2) {
  const markup = svgToString(target);
  const svg = findSvg(target);
  const { width, height } = svg.getBoundingClientRect();
  const image = new Image();
  image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(markup);
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('export: PNG encoding failed'))), 'image/png');
  });
}

/** Download an SVG file; returns the markup so callers can reuse it. */
export function exportSVG(target, filename = 'glassbox.svg') {
  const markup = svgToString(target);
  download(new Blob([markup], { type: 'image/svg+xml' }), filename);
  return markup;
}

/** Download a PNG; resolves to the Blob once the download has started. */
export async function exportPNG(target, filename = 'glassbox.png', scale = 2) {
  const blob = await renderPNG(target, scale);
  download(blob, filename);
  return blob;
}
