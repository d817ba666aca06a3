"""IDX files (the MNIST distribution format), e.g. full MNIST supplied by the user."""
from __future__ import annotations

import gzip
import struct
from typing import Optional

import numpy as np

from .registry import bundle, split


def read_idx(blob: bytes) -> np.ndarray:
    """Parse one IDX file (the MNIST distribution format; gzip accepted) into a numpy array.

    Layout: 2 zero bytes, a type code (0x08 = uint8 ... 0x0E = float64), the number of
    dimensions, one big-endian uint32 per dimension, then the data in big-endian order.
    """
    if blob[:2] == b'\x1f\x8b':
        blob = gzip.decompress(blob)
    if len(blob) < 4 or blob[0] != 0 or blob[1] != 0:
        raise ValueError('not an IDX file: it must start with two zero bytes')
    types = {0x08: '>u1', 0x09: '>i1', 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}
    code, ndim = blob[2], blob[3]
    if code not in types:
        raise ValueError('IDX type code 0x%02X is not one of the defined types' % code)
    shape = struct.unpack('>' + 'I' * ndim, blob[4:4 + 4 * ndim])
    dtype = np.dtype(types[code])
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(blob) != expected:
        raise ValueError('IDX file holds %d bytes but its header %s promises %d' % (len(blob), shape, expected))
    return np.frombuffer(blob, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)


def load_idx(images_blob: bytes, labels_blob: bytes, seed: int = 0, val_fraction: float = 0.2,
             name: str = 'mnist-idx', limit: Optional[int] = None) -> dict:
    """Dataset from a user's IDX image file (N, H, W) and label file (N,), e.g. full MNIST."""
    images = read_idx(images_blob)
    labels = read_idx(labels_blob)
    if images.ndim != 3:
        raise ValueError('IDX images must have 3 dimensions (N, H, W), got shape %s' % (images.shape,))
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError('IDX labels of shape %s do not match %d images' % (labels.shape, images.shape[0]))
    if limit:
        images, labels = images[:limit], labels[:limit]
    n, h, w = images.shape
    X = images.reshape(n, h * w).astype(np.float32)
    if X.max() > 1.0:
        X /= 255.0
    n_classes = int(labels.max()) + 1
    return bundle(name, *split(X, labels.astype(np.int32), seed, val_fraction),
                   class_names=[str(i) for i in range(n_classes)], image_shape=(h, w))

