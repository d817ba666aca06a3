"""The packed dataset format (``*.gbd.gz``): written by ``build.py``, read in CPython and in the
browser alike.

Layout: gzip of ``b'GBD1'`` + uint32 little-endian header length + UTF-8 JSON header
``{'name', 'n', 'n_features', 'image_shape', 'n_classes', 'class_names', 'scale'}`` + ``n``
uint8 labels + ``n * D`` uint8 features (value = byte * scale).
"""
from __future__ import annotations

import gzip
import json
import struct

import numpy as np

MAGIC = b'GBD1'


def pack_dataset(X: np.ndarray, y: np.ndarray, name: str, image_shape, class_names, scale: float) -> bytes:
    """Encode uint8-quantised features ``X`` (N, D) and labels ``y`` (N,) in the packed format."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError('pack_dataset needs X of shape (N, D) and y of shape (N,)')
    header = json.dumps({'name': name, 'n': int(X.shape[0]), 'n_features': int(X.shape[1]),
                         'image_shape': list(image_shape) if image_shape else None,
                         'n_classes': len(class_names), 'class_names': list(class_names),
                         'scale': float(scale)}).encode('utf-8')
    body = MAGIC + struct.pack('<I', len(header)) + header
    body += y.astype(np.uint8).tobytes() + X.astype(np.uint8).tobytes()
    # mtime=0 keeps the build byte-for-byte reproducible.
    return gzip.compress(body, compresslevel=9, mtime=0)


def unpack_dataset(blob: bytes):
    """Decode a packed file into ``(X float32 (N, D) in [0, 1], y int32 (N,), header dict)``."""
    try:
        raw = gzip.decompress(blob)
    except OSError as exc:
        raise ValueError('packed dataset is not gzip data: %s' % exc)
    if raw[:4] != MAGIC:
        raise ValueError('packed dataset has the wrong magic bytes %r (expected %r)' % (raw[:4], MAGIC))
    (header_len,) = struct.unpack('<I', raw[4:8])
    header = json.loads(raw[8:8 + header_len].decode('utf-8'))
    n, d = header['n'], header['n_features']
    start = 8 + header_len
    if len(raw) != start + n + n * d:
        raise ValueError('packed dataset %r is truncated: %d bytes, expected %d'
                         % (header.get('name'), len(raw), start + n + n * d))
    y = np.frombuffer(raw, dtype=np.uint8, count=n, offset=start).astype(np.int32)
    X = np.frombuffer(raw, dtype=np.uint8, count=n * d, offset=start + n).reshape(n, d)
    return X.astype(np.float32) * np.float32(header['scale']), y, header

