// Decoder for the engine's wire format (py/glassbox/wire.py documents the layout).
// Arrays become {dtype, shape, data} with `data` a typed-array view on the received buffer.

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
