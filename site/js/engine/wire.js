// The engine's wire format (py/glassbox/protocol/wire.py documents the layout), both ways.
// unpack: engine -> page; arrays become {dtype, shape, data} with `data` a typed-array view on the
// received buffer. pack: page -> engine, for requests that carry arrays (an ONNX model's weights);
// Python's wire.unpack reads it (protocol/entry.py's handle(request_json, blob)).

const TYPED = {float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array};
const SPECIAL = {NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity};

/** Decode one packed ArrayBuffer into plain objects, numbers and arrays. */
export function unpack(buffer) {
  const headerLength = new DataView(buffer).getUint32(0, true);
  const dataStart = Math.ceil((4 + headerLength) / 8) * 8;
  const text = new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength));
  return JSON.parse(text, (key, value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if ('$a' in value) {
        const [dtype, shape, offset] = value.$a;
        const Typed = TYPED[dtype];
        const size = shape.reduce((a, b) => a * b, 1);
        return {dtype, shape, data: new Typed(buffer, dataStart + offset, size)};
      }
      if ('$f' in value) return SPECIAL[value.$f];
    }
    return value;
  });
}

/** A typed array, or {dtype, shape, data} with a typed-array `data` (the form unpack gives). */
export function isArray(value) {
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
    || Boolean(value && typeof value === 'object' && typeof value.dtype === 'string' && Array.isArray(value.shape)
      && ArrayBuffer.isView(value.data));
}

/** True when `value` holds an array anywhere (such a request must be packed: JSON cannot carry it). */
export function hasArrays(value) {
  if (isArray(value)) return true;
  if (value && typeof value === 'object') return Object.values(value).some(hasArrays);
  return false;
}

// Wire dtype of a typed array, as wire.py's _wire_array converts: other integers -> int32.
function wireData(data) {
  for (const [dtype, Typed] of Object.entries(TYPED)) if (data instanceof Typed) return {dtype, data};
  if (data instanceof Uint8ClampedArray) return {dtype: 'uint8', data: new Uint8Array(data.buffer, data.byteOffset, data.length)};
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return {dtype: 'int32', data: Int32Array.from(data, Number)};
  return {dtype: 'int32', data: Int32Array.from(data)};  // Int8/16, Uint16/32
}

/** Encode `obj` in the wire layout (the inverse of unpack): one ArrayBuffer to transfer. */
export function pack(obj) {
  const chunks = [];
  let offset = 0;
  const encode = (value) => {
    if (isArray(value)) {
      const typed = ArrayBuffer.isView(value);
      const {dtype, data} = wireData(typed ? value : value.data);
      const shape = typed ? [value.length] : value.shape.slice();
      const size = shape.reduce((a, b) => a * b, 1);
      if (size !== data.length) throw new TypeError(`an array of shape [${shape}] needs ${size} values, got ${data.length}`);
      chunks.push([offset, data]);
      const start = offset;
      offset += Math.ceil(data.byteLength / 8) * 8;
      return {$a: [dtype, shape, start]};
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return {$f: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'};
    }
    if (Array.isArray(value)) return value.map(encode);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encode(v)]));
    }
    if (typeof value === 'bigint') return Number(value);
    return value;
  };
  const header = new TextEncoder().encode(JSON.stringify(encode(obj)));
  const dataStart = Math.ceil((4 + header.length) / 8) * 8;
  const out = new Uint8Array(dataStart + offset);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  // Typed arrays use the machine's byte order; the wire is little-endian (as is every browser's).
  if (chunks.length && new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('wire.pack needs a little-endian machine');
  for (const [start, data] of chunks) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataStart + start);
  }
  return out.buffer;
}
