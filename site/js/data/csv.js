// CSV files -> a table the engine's 'load_data' takes ({X, y, classNames, featureNames}).
// Pure (no DOM): node runs it in tests. Parsing is papaparse's; every check here names the file,
// the row (data rows counted from 1, the header is line 1) and the column. The limits are the
// engine's (tables.json 'limits.user_data', declared in py/glassbox/data/user.py).
import Papa from '../../vendor/papaparse.mjs';

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const NOT_FINITE = /^[-+]?(nan|inf|infinity)$/i;
const fmt = (n) => Number(n).toLocaleString('en');

/** Throws when the bytes are not CSV text: empty, too big, gzip, zip, UTF-16 (a BOM), binary. */
export function sniffText(bytes, fileName, limits) {
  if (!bytes.length) throw new Error(`${fileName} is empty (0 bytes): there is nothing to read`);
  if (bytes.length > limits.max_csv_bytes) {
    throw new Error(`${fileName} is ${fmt(bytes.length)} bytes; a CSV file may be at most ${fmt(limits.max_csv_bytes)} bytes`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new Error(`${fileName} is a gzip-compressed file, not CSV text: unpack it first (e.g. with gunzip) and load the .csv inside`);
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    throw new Error(`${fileName} is a zip archive, not CSV text: load a zip of images with one folder per class, or unpack it`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new Error(`${fileName} is UTF-16 text (it starts with a UTF-16 byte-order mark): save it as "CSV UTF-8" and load it again`);
  }
  const head = bytes.subarray(0, 4096);
  const zero = head.indexOf(0);
  if (zero >= 0) {
    throw new Error(`${fileName} is not UTF-8 text: it holds a zero byte at byte ${fmt(zero + 1)} (UTF-16 text without a ` +
      'byte-order mark, or a binary file?): save it as "CSV UTF-8"');
  }
}

/** bytes -> text: UTF-8 (a BOM is dropped); other bytes are read as Windows-1252 with a note. */
export function decodeText(bytes) {
  try {
    return {text: new TextDecoder('utf-8', {fatal: true}).decode(bytes).replace(/^\uFEFF/, ''), notes: []};
  } catch (error) {
    return {text: new TextDecoder('windows-1252').decode(bytes),
      notes: ['The file is not UTF-8 text; it was read as Windows-1252 (Western European).']};
  }
}

/** The header row only, checked against the column limit before anything else is parsed
 *  (a file of a million columns is refused from its first line). */
export function readHeader(text, fileName, limits) {
  const end = text.search(/\r?\n/);
  const first = end < 0 ? text : text.slice(0, end);
  // Counting separators is enough to refuse; papaparse then reads the (quoted) names properly.
  const roughCount = first.split(',').length;
  const maxColumns = limits.max_features + 1;
  if (roughCount > maxColumns * 4) {
    throw new Error(`${fileName} has about ${fmt(roughCount)} columns in its header; at most ${fmt(maxColumns)} fit ` +
      `(${fmt(limits.max_features)} features and a label)`);
  }
  const parsed = Papa.parse(first, {preview: 1});
  const names = (parsed.data[0] || []).map((name, i) => String(name).trim() || `column ${i + 1}`);
  if (names.length > maxColumns) {
    throw new Error(`${fileName} has ${fmt(names.length)} columns; at most ${fmt(maxColumns)} fit ` +
      `(${fmt(limits.max_features)} features and a label)`);
  }
  if (names.length < 2) {
    throw new Error(`${fileName} has ${names.length} column in its header row; it needs at least 2 (features and a label), separated by commas`);
  }
  const seen = new Map();
  return names.map((name) => {
    const k = (seen.get(name) || 0) + 1;
    seen.set(name, k);
    return k > 1 ? `${name} (${k})` : name;
  });
}

/** Parse a whole CSV text: {header, rows (arrays of strings), notes}. Ragged rows are named. */
export function parseCsv(text, fileName, limits) {
  const header = readHeader(text, fileName, limits);
  const parsed = Papa.parse(text, {skipEmptyLines: false});
  const rows = [];
  const lines = [];   // the line each kept row came from (1 = header)
  for (let i = 1; i < parsed.data.length; i += 1) {
    const row = parsed.data[i];
    if (row.length === 1 && row[0].trim() === '') continue;  // blank line
    if (row.length !== header.length) {
      throw new Error(`${fileName}, line ${i + 1}: ${row.length} value${row.length === 1 ? '' : 's'} but the header has ` +
        `${header.length} columns (rows must all have the same number of columns)`);
    }
    rows.push(row);
    lines.push(i + 1);
    if (rows.length > limits.max_rows) {
      throw new Error(`${fileName} has more than ${fmt(limits.max_rows)} data rows; at most ${fmt(limits.max_rows)} fit`);
    }
  }
  if (!rows.length) throw new Error(`${fileName} has a header row but no data rows`);
  return {fileName, header, rows, lines, notes: []};
}

/** Is this cell a number? 'number' | 'missing' | 'notFinite' | 'text'. */
function cellKind(value) {
  const text = value.trim();
  if (text === '') return 'missing';
  if (NUMBER.test(text)) return Number.isFinite(Number(text)) ? 'number' : 'notFinite';
  if (NOT_FINITE.test(text)) return 'notFinite';
  return 'text';
}

/** Per column: {name, index, numeric (its first value is a number), distinct (up to cap + 1 values)}. */
export function describeColumns(table, limits) {
  return table.header.map((name, index) => {
    const numeric = cellKind(table.rows[0][index]) !== 'text' && cellKind(table.rows[0][index]) !== 'missing';
    const distinct = new Set();
    for (const row of table.rows) {
      if (distinct.size > Math.max(limits.max_categories, limits.max_classes)) break;
      distinct.add(row[index].trim());
    }
    return {name, index, numeric, distinct: distinct.size};
  });
}

function sortedLabels(values) {
  const all = [...values];
  const numeric = all.every((v) => NUMBER.test(v));
  return all.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The arrays for 'load_data'. options: {label: column name or index (default: the last column),
 * oneHot: encode non-numeric columns (at most limits.max_categories values each) instead of
 * skipping them}. Returns {X: Float32Array (n*d), y: Int32Array, n, d, featureNames,
 * classNames, skipped: [column names], encoded: [column names]}.
 */
export function buildTable(table, {label, oneHot = false} = {}, limits) {
  const {fileName, header, rows, lines} = table;
  const labelIndex = label == null ? header.length - 1 : typeof label === 'number' ? label : header.indexOf(label);
  if (!(labelIndex >= 0 && labelIndex < header.length)) {
    throw new Error(`${fileName} has no column ${JSON.stringify(String(label))}; columns: ${header.join(', ')}`);
  }
  const columns = describeColumns(table, limits);
  const numeric = columns.filter((c) => c.index !== labelIndex && c.numeric);
  const text = columns.filter((c) => c.index !== labelIndex && !c.numeric);
  const encoded = [];
  const features = numeric.map((c) => ({name: c.name, index: c.index}));
  if (oneHot) {
    for (const c of text) {
      const values = new Set(rows.map((row) => row[c.index].trim()));
      if (values.size > limits.max_categories) {
        throw new Error(`${fileName}, column "${c.name}" has ${values.size > limits.max_categories + 1 ? 'more than ' + limits.max_categories : values.size} ` +
          `different values; one-hot encoding takes at most ${limits.max_categories}: skip the column instead`);
      }
      for (const value of sortedLabels(values)) features.push({name: `${c.name}=${value}`, index: c.index, equals: value});
      encoded.push(c.name);
    }
  }
  if (!features.length) {
    throw new Error(`${fileName} has no numeric feature column besides the label "${header[labelIndex]}"` +
      (text.length ? ` (not numbers: ${text.map((c) => `"${c.name}"`).join(', ')}; tick one-hot encoding to use them)` : ''));
  }
  if (features.length > limits.max_features) {
    throw new Error(`${fileName} gives ${fmt(features.length)} features; at most ${fmt(limits.max_features)} fit`);
  }
  const n = rows.length, d = features.length;
  if (n * d > limits.max_cells) throw new Error(`${fileName} has ${fmt(n)} × ${fmt(d)} values; at most ${fmt(limits.max_cells)} fit: use fewer rows`);
  // Labels: every distinct value of the label column is a class (numbers sorted as numbers).
  const labelValues = rows.map((row) => row[labelIndex].trim());
  const emptyAt = labelValues.indexOf('');
  if (emptyAt >= 0) throw new Error(`${fileName}, line ${lines[emptyAt]}, column "${header[labelIndex]}": the label is empty`);
  const classNames = sortedLabels(new Set(labelValues));
  if (classNames.length > limits.max_classes) {
    throw new Error(`${fileName}, column "${header[labelIndex]}" has ${fmt(classNames.length)} different labels; at most ` +
      `${limits.max_classes} classes fit (is it the label column?)`);
  }
  if (classNames.length < limits.min_classes) {
    throw new Error(`${fileName}: the label column "${header[labelIndex]}" has only one class ("${classNames[0]}"): ` +
      'a classifier needs at least 2 different labels');
  }
  const classOf = new Map(classNames.map((name, i) => [name, i]));
  const y = Int32Array.from(labelValues, (v) => classOf.get(v));
  const counts = new Array(classNames.length).fill(0);
  y.forEach((c) => { counts[c] += 1; });
  const lonely = classNames.filter((_, c) => counts[c] === 1);
  if (lonely.length) {
    throw new Error(`${fileName}: label "${lonely[0]}" has only 1 row; a stratified split needs at least 2 of each label ` +
      '(one for training, one for validation): add rows or remove it');
  }
  const X = new Float32Array(n * d);
  for (let r = 0; r < n; r += 1) {
    const row = rows[r];
    for (let j = 0; j < d; j += 1) {
      const f = features[j];
      const cell = row[f.index];
      if (f.equals !== undefined) { X[r * d + j] = cell.trim() === f.equals ? 1 : 0; continue; }
      const kind = cellKind(cell);
      if (kind !== 'number') {
        const where = `${fileName}, line ${lines[r]}, column "${f.name}"`;
        if (kind === 'missing') throw new Error(`${where} is empty: every feature value must be a number`);
        if (kind === 'notFinite') throw new Error(`${where} holds ${cell.trim()}: every value must be a finite number`);
        throw new Error(`${where} holds "${cell.trim().slice(0, 40)}", which is not a number (skip the column, or fix the value)`);
      }
      X[r * d + j] = Number(cell);
      if (!Number.isFinite(X[r * d + j])) throw new Error(`${fileName}, line ${lines[r]}, column "${f.name}" holds ${cell.trim()}, too large for float32`);
    }
  }
  return {X, y, n, d, featureNames: features.map((f) => f.name), classNames,
    skipped: oneHot ? [] : text.map((c) => c.name), encoded, counts};
}

/** Read a CSV file's bytes into a parsed table (checks: sniffText, readHeader, parseCsv). */
export function readCsv(bytes, fileName, limits) {
  sniffText(bytes, fileName, limits);
  const {text, notes} = decodeText(bytes);
  const table = parseCsv(text, fileName, limits);
  table.notes.push(...notes);
  return table;
}
