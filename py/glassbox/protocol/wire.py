"""Wire format between the engine and the browser worker: one buffer per message.

``pack(obj)`` turns a nested structure of dicts, lists, tuples, str, bool, int, float, None and
numpy arrays into ONE uint8 numpy array, so the worker copies a single buffer out of the
Pyodide heap and transfers it to the page (no Python proxies leave the worker)::

    bytes 0..3   uint32 little-endian: length H of the JSON header
    bytes 4..    UTF-8 JSON of obj, arrays replaced by {"$a": [dtype, shape, byte_offset]}
                 and non-finite floats by {"$f": "NaN" | "Infinity" | "-Infinity"}
    then         zero padding to a multiple of 8, then each array's C-order little-endian bytes,
                 each starting at a multiple of 8 (so typed-array views need no copy)

Array offsets are relative to the start of the data section. Dtypes on the wire: float32,
float64, int32, uint8 (others are converted: bool -> uint8, int64 -> int32, float16 -> float32).
``unpack`` is the inverse, used by tests; the JavaScript twin is ``site/js/wire.js``.
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

_WIRE_DTYPES = {'float32': np.float32, 'float64': np.float64, 'int32': np.int32, 'uint8': np.uint8}


def _wire_array(arr: np.ndarray) -> np.ndarray:
    kind = arr.dtype.kind
    if arr.dtype.name in _WIRE_DTYPES:
        out = arr
    elif kind == 'b':
        out = arr.astype(np.uint8)
    elif kind in 'iu':
        out = arr.astype(np.int32)
    elif kind == 'f':
        out = arr.astype(np.float32)
    else:
        raise TypeError('cannot send an array of dtype %s to the page' % arr.dtype)
    # Not np.ascontiguousarray: it turns a 0-d array (a scalar tensor) into shape (1,).
    out = out if out.flags.c_contiguous else out.copy(order='C')
    return out.astype(out.dtype.newbyteorder('<'), copy=False)


def pack(obj) -> np.ndarray:
    """Encode ``obj`` as described in the module docstring; returns uint8 (n_bytes,)."""
    chunks = []
    offset = [0]

    def encode(value):
        if isinstance(value, np.ndarray):
            arr = _wire_array(value)
            start = offset[0]
            chunks.append((start, arr))
            offset[0] = start + ((arr.nbytes + 7) // 8) * 8
            return {'$a': [arr.dtype.name, list(arr.shape), start]}
        if isinstance(value, dict):
            return {str(k): encode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            number = float(value)
            if math.isfinite(number):
                return number
            return {'$f': 'NaN' if math.isnan(number) else ('Infinity' if number > 0 else '-Infinity')}
        if value is None or isinstance(value, str):
            return value
        raise TypeError('cannot send %s to the page' % type(value).__name__)

    header = json.dumps(encode(obj), separators=(',', ':'), allow_nan=False).encode('utf-8')
    data_start = ((4 + len(header) + 7) // 8) * 8
    out = np.zeros(data_start + offset[0], dtype=np.uint8)
    out[:4] = np.frombuffer(struct.pack('<I', len(header)), dtype=np.uint8)
    out[4:4 + len(header)] = np.frombuffer(header, dtype=np.uint8)
    for start, arr in chunks:
        raw = arr.reshape(-1).view(np.uint8)
        out[data_start + start:data_start + start + raw.size] = raw
    return out


def unpack(buffer) -> object:
    """Decode ``pack``'s output (bytes or uint8 array) back into Python objects and arrays."""
    raw = np.frombuffer(bytes(buffer), dtype=np.uint8)
    (header_len,) = struct.unpack('<I', raw[:4].tobytes())
    data_start = ((4 + header_len + 7) // 8) * 8

    def decode(value):
        if isinstance(value, dict):
            if '$a' in value:
                dtype, shape, start = value['$a']
                count = int(np.prod(shape)) if shape else 1
                arr = np.frombuffer(raw.tobytes(), dtype=np.dtype(dtype).newbyteorder('<'),
                                    count=count, offset=data_start + start)
                return arr.reshape(shape).astype(_WIRE_DTYPES[dtype])
            if '$f' in value:
                return float(value['$f'].lower().replace('infinity', 'inf'))
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    return decode(json.loads(raw[4:4 + header_len].tobytes().decode('utf-8')))
