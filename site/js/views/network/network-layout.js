// Geometry of the network drawing: where each layer's column and each neuron sits.
// Pure (no DOM), so the view recomputes it only when the architecture or size changes.
import d3 from '../common/d3.js';

// Caption text is wrapped by character count; 6.9px is a 12.5px system-ui average.
export const captionCharsPerLine = (width) => Math.max(30, Math.floor((width - 28) / 6.9));

/** Paragraphs wrapped into lines of at most maxChars characters (a long word gets its own line). */
export function wrapWords(paragraphs, maxChars) {
  return paragraphs.flatMap((paragraph) => paragraph.split(' ').reduce((acc, word) => {
    const joined = `${acc[acc.length - 1]} ${word}`.trim();
    if (joined.length > maxChars && acc[acc.length - 1]) acc.push(word); else acc[acc.length - 1] = joined;
    return acc;
  }, ['']));
}

// fixedHeight (options.height) is the whole drawing; by default the plot scales with the width
// and the legend/caption below it get whatever room their wrapping needs.
export function computeLayout(sizes, width, fixedHeight, imageShape) {
  const legendRows = width >= 830 ? 1 : width >= 560 ? 2 : 3;
  const legendHeight = legendRows * 38 + 14 + 17 * 2 * Math.ceil(140 / captionCharsPerLine(width));
  const plotTop = 56, image = imageShape && imageShape[0] * imageShape[1] === sizes[0] ? imageShape : null;
  const tallest = Math.max(...sizes.map((n, c) => (c === 0 && image ? 0 : n))); // small nets need less height
  const plotWanted = Math.min(Math.max(width * 0.48, 280), 560, Math.max(280, tallest * 38 + 24));
  const height = fixedHeight ?? plotTop + Math.round(plotWanted) + 10 + legendHeight;
  const plotBottom = height - legendHeight - 10, plotH = plotBottom - plotTop, centerY = (plotTop + plotBottom) / 2;
  const featureLabels = !image && sizes[0] <= 16; // x1, x2, ... left of a few input circles (with values when <= 4)
  const left = featureLabels ? (sizes[0] <= 4 ? 96 : 44) : 22, right = width - (width < 640 ? 104 : 140);
  const columns = sizes.map((n, c) => {
    if (c === 0 && image) {
      const cell = Math.min(plotH - 26, Math.max(90, width * 0.2), 280) / Math.max(image[0], image[1]);
      return { n, kind: 'image', width: cell * image[1], cell, rowsCount: image[0], colsCount: image[1], reach: 0 };
    }
    // Wide layers wrap into side-by-side sub-columns so no cell gets smaller than ~6px.
    const sub = Math.ceil(n / Math.max(4, Math.floor(plotH / 8))), rowsCount = Math.ceil(n / sub);
    const spacing = Math.min(plotH / rowsCount, 38), circle = spacing >= 13;
    const size = circle ? Math.min(spacing * 0.36, 13) : Math.max(spacing * 0.78, 3);
    return { n, kind: circle ? 'circle' : 'square', sub, rowsCount, spacing, size,
      width: sub * spacing, reach: circle ? size : size / 2 };
  });
  const gap = columns.length > 1 ? (right - left - d3.sum(columns, (c) => c.width)) / (columns.length - 1) : 0;
  let x = left;
  for (const col of columns) {
    col.cx = x + col.width / 2;
    x += col.width + gap;
    col.xs = new Float32Array(col.n);
    col.ys = new Float32Array(col.n);
    if (col.kind === 'image') {
      col.x0 = col.cx - col.width / 2;
      col.y0 = centerY - (col.cell * col.rowsCount) / 2;
    }
    for (let k = 0; k < col.n; k++) {
      if (col.kind === 'image') { // edges start at the pixel itself
        col.xs[k] = col.x0 + ((k % col.colsCount) + 0.5) * col.cell;
        col.ys[k] = col.y0 + (Math.floor(k / col.colsCount) + 0.5) * col.cell;
      } else {
        col.xs[k] = col.cx + (Math.floor(k / col.rowsCount) - (col.sub - 1) / 2) * col.spacing;
        col.ys[k] = centerY + ((k % col.rowsCount) - (col.rowsCount - 1) / 2) * col.spacing;
      }
    }
  }
  return { width, height, legendY: height - legendHeight, columns, image, featureLabels };
}
