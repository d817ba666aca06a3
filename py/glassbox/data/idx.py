"""IDX files (the MNIST distribution format), e.g. full MNIST supplied by the user.

Every malformed file is refused with a ValueError naming the file ('images' / 'labels' / the
``what`` given), the problem and the numbers involved -- never a struct.error, an IndexError or a
silently wrong array -- and nothing is allocated for a header that promises more than
``MAX_IDX_ELEMENTS`` values (64 Mi: full MNIST's 60000 x 28 x 28 = 47 M fits; as float32 that is
256 MiB of the browser engine's 1.5 GiB, train/limits.py).
"""
from __future__ import annotations

import zlib
from typing import Any, Optional

import numpy as np

from ..checks import size
from .registry import bundle, split

MAX_IDX_ELEMENTS = 64 * 2 ** 20
IDX_TYPES = {0x08: ('>u1', 'uint8'), 0x09: ('>i1', 'int8'), 0x0B: ('>i2', 'int16'), 0x0C: ('>i4', 'int32'),
             0x0D: ('>f4', 'float32'), 0x0E: ('>f8', 'float64')}


def _gunzip(blob: bytes, what: str, max_elements: int) -> bytes:
    """gzip -> bytes. The header is inflated first; the rest only up to what that header promises
    (and never more than ``max_elements`` float64 values), so a zip bomb stops early."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(blob, 4 + 4 * 255)
        limit = 4 + 4 * 255 + 8 * max_elements
        if len(out) >= 4 and out[2] in IDX_TYPES:
            header = 4 + 4 * out[3]
            if len(out) >= header:
                count = 1
                for i in range(out[3]):
                    count *= int.from_bytes(out[4 + 4 * i:8 + 4 * i], 'big')
                limit = header + min(count, max_elements) * np.dtype(IDX_TYPES[out[2]][0]).itemsize
        if len(out) <= limit:  # (max_length 0 would mean "no limit")
            out += inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
        if not inflater.eof and len(out) <= limit:
            out += inflater.flush()
    except zlib.error as exc:
        raise ValueError('%s is gzip-compressed but the gzip data is corrupt (%s)' % (what, exc)) from None
    if len(out) > limit:
        raise ValueError('%s inflates to more than the %d bytes its header allows: refused' % (what, limit))
    if not inflater.eof:
        raise ValueError('%s is gzip-compressed but the gzip data is truncated (it ends before the '
                         'end of the compressed stream)' % what)
    return out


def read_idx(blob: "Any", what: str = 'IDX file', max_elements: int = MAX_IDX_ELEMENTS) -> np.ndarray:
    """Parse one IDX file (the MNIST distribution format; gzip accepted) into a numpy array.

    Layout: 2 zero bytes, a type code (0x08 = uint8 ... 0x0E = float64), the number of
    dimensions d, one big-endian uint32 per dimension, then the data in big-endian order:
    exactly 4 + 4 d + prod(shape) * itemsize bytes. ValueError (naming ``what``) otherwise.
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ValueError('%s must be the bytes of an IDX file, got %s' % (what, type(blob).__name__))
    blob = bytes(blob)
    if not blob:
        raise ValueError('%s is empty (0 bytes)' % what)
    if blob[:2] == b'\x1f\x8b':
        blob = _gunzip(blob, what, max_elements)
    if len(blob) >= 2 and (blob[0] != 0 or blob[1] != 0):
        head = blob[:16].lstrip().lower()
        hint = ' (it looks like a web page: save the file itself, not the page linking to it)' \
            if head.startswith((b'<!doctype', b'<html', b'<')) else ''
        raise ValueError('%s is not an IDX file: it must start with two zero bytes, got %r%s'
                         % (what, blob[:8], hint))
    if len(blob) < 4:
        raise ValueError('%s header is truncated: %d bytes, an IDX header needs at least 4' % (what, len(blob)))
    code, ndim = blob[2], blob[3]
    if code not in IDX_TYPES:
        raise ValueError('%s has type code 0x%02X, not one of the IDX types (%s)'
                         % (what, code, ', '.join('0x%02X %s' % (c, t[1]) for c, t in sorted(IDX_TYPES.items()))))
    if ndim == 0:
        raise ValueError('%s declares 0 dimensions: an IDX file needs at least one' % what)
    header = 4 + 4 * ndim
    if len(blob) < header:
        raise ValueError('%s header is truncated: it declares %d dimensions (a %d-byte header) but the file '
                         'has only %d bytes' % (what, ndim, header, len(blob)))
    shape = tuple(int.from_bytes(blob[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    count = 1
    for n in shape:
        count *= n  # Python ints: no overflow before the check
    if count > max_elements:
        raise ValueError('%s header promises %s = %d values, more than the limit of %d'
                         % (what, ' x '.join(map(str, shape)), count, max_elements))
    dtype = np.dtype(IDX_TYPES[code][0])
    expected = header + count * dtype.itemsize
    if len(blob) != expected:
        raise ValueError('%s holds %d bytes but its header (shape %s, %s) promises %d: the file is %s'
                         % (what, len(blob), 'x'.join(map(str, shape)), IDX_TYPES[code][1], expected,
                            'truncated' if len(blob) < expected else 'longer than its header says'))
    return np.frombuffer(blob, dtype=dtype, offset=header).reshape(shape)


def load_idx(images_blob: bytes, labels_blob: bytes, seed: int = 0, val_fraction: float = 0.2,
             name: str = 'mnist-idx', limit: Optional[int] = None) -> dict:
    """Dataset from a user's IDX image file (N, H, W) and label file (N,), e.g. full MNIST.

    Images: any IDX type, finite; uint8 (and any file whose maximum is above 1) is scaled by
    1/255. Labels: an integer IDX type, values >= 0; n_classes = max label + 1 (at least 2).
    ``limit`` keeps the first ``limit`` images. Split by ``registry.split``.
    """
    images = read_idx(images_blob, 'the images file')
    labels = read_idx(labels_blob, 'the labels file')
    if images.ndim != 3:
        raise ValueError('the images file must have 3 dimensions (images, rows, columns), got shape %s'
                         % (images.shape,))
    if labels.ndim != 1:
        raise ValueError('the labels file must have 1 dimension (one label per image), got shape %s'
                         % (labels.shape,))
    if images.shape[0] == 0:
        raise ValueError('the images file holds 0 images (shape %s)' % (images.shape,))
    if images.shape[1] == 0 or images.shape[2] == 0:
        raise ValueError('the images file holds images of %dx%d pixels: there is nothing to learn from'
                         % images.shape[1:])
    if labels.shape[0] != images.shape[0]:
        raise ValueError('the labels file holds %d labels but the images file holds %d images'
                         % (labels.shape[0], images.shape[0]))
    if labels.dtype.kind == 'f':
        raise ValueError('the labels file holds %s values: labels must be an integer IDX type (0x08 uint8)'
                         % labels.dtype.name)
    if limit is not None:
        limit = size(limit, 'limit')
        images, labels = images[:limit], labels[:limit]
    if labels.min() < 0:
        i = int(np.flatnonzero(labels < 0)[0])
        raise ValueError('the labels file holds %d at label %d: labels must be >= 0' % (labels[i], i))
    n, h, w = images.shape
    X = images.reshape(n, h * w).astype(np.float32)
    bad = ~np.isfinite(X)
    if bad.any():
        i, p = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError('the images file holds %s at image %d, pixel (row %d, column %d): pixels must be '
                         'finite numbers' % (X[i, p], i, p // w, p % w))
    if images.dtype == np.uint8 or X.max() > 1.0:
        X /= 255.0
    n_classes = int(labels.max()) + 1
    if n_classes < 2:
        raise ValueError('the labels file holds only class 0: a classifier needs at least 2 classes')
    return bundle(name, *split(X, labels.astype(np.int32), seed, val_fraction),
                  class_names=[str(i) for i in range(n_classes)], image_shape=(h, w))
