"""Datasets: the packed image sets, 2-D toy sets, IDX files and the train/validation split.

Every loader returns the same dict (the trainer's ``data`` argument)::

    {'name': str,
     'X_train': float32 (N_train, D), 'y_train': int32 (N_train,),
     'X_val':   float32 (N_val, D),   'y_val':   int32 (N_val,),
     'n_classes': int, 'class_names': [str] * n_classes,
     'image_shape': (H, W) or None,   # H * W == D for image sets
     'feature_names': [str] * D}

Pixel values are scaled to [0, 1]. The split is a seeded permutation, stratified by class,
so the same seed gives the same split in CPython and in Pyodide.

Packed format (``*.gbd.gz``, written by ``build.py``, read here, in CPython and in the browser
alike): gzip of ``b'GBD1'`` + uint32 little-endian header length + UTF-8 JSON header
``{'name', 'n', 'image_shape', 'n_classes', 'class_names', 'scale'}`` + ``n`` uint8 labels +
``n * D`` uint8 features (value = byte * scale).
"""
from __future__ import annotations

import gzip
import json
import os
import struct
from typing import Dict, Optional

import numpy as np

TOY_SETS = ('circle', 'xor', 'gaussians', 'spiral')
PACKED_SETS = {'digits': 'digits.gbd.gz', 'mnist': 'mnist10k.gbd.gz'}
DATASETS = tuple(PACKED_SETS) + TOY_SETS
# name -> what the page needs to know: the packed file the worker must hand over (None: made
# by the engine), a label and the kind of input ('image' or 2-D 'points').
DATASET_INFO = {
    'digits': {'file': PACKED_SETS['digits'], 'label': 'Digits 8x8 (scikit-learn)', 'kind': 'image'},
    'mnist': {'file': PACKED_SETS['mnist'], 'label': 'MNIST 28x28 (10k)', 'kind': 'image'},
    'circle': {'file': None, 'label': 'Circle (2-D)', 'kind': 'points'},
    'xor': {'file': None, 'label': 'XOR (2-D)', 'kind': 'points'},
    'gaussians': {'file': None, 'label': 'Two Gaussians (2-D)', 'kind': 'points'},
    'spiral': {'file': None, 'label': 'Spiral (2-D)', 'kind': 'points'},
}
MAGIC = b'GBD1'

# Packed blobs handed over at run time (the browser worker fetches them and registers the
# bytes here, because Pyodide has no file system shared with the page).
_registered_blobs = {}  # type: Dict[str, bytes]


def register_packed(file_name: str, blob: bytes) -> None:
    """Make a packed dataset file available without a file system (used by the worker)."""
    _registered_blobs[file_name] = bytes(blob)


def data_dir() -> str:
    """Where packed files are looked for: $GLASSBOX_DATA_DIR, else the build's ``dist/data``."""
    env = os.environ.get('GLASSBOX_DATA_DIR')
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, '..', '..', 'dist', 'data'))


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


def split(X: np.ndarray, y: np.ndarray, seed: int, val_fraction: float = 0.2):
    """Stratified, seeded split: each class contributes ``round(val_fraction * count)`` to validation."""
    rng = np.random.default_rng(seed)
    val_idx = []
    train_idx = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        members = members[rng.permutation(len(members))]
        n_val = int(round(val_fraction * len(members)))
        val_idx.append(members[:n_val])
        train_idx.append(members[n_val:])
    # Shuffle again so classes are interleaved (the probe batch takes the first samples).
    train = np.concatenate(train_idx)
    val = np.concatenate(val_idx)
    train = train[rng.permutation(len(train))]
    val = val[rng.permutation(len(val))]
    return X[train], y[train], X[val], y[val]


def _packed_blob(name: str) -> bytes:
    file_name = PACKED_SETS[name]
    if file_name in _registered_blobs:
        return _registered_blobs[file_name]
    path = os.path.join(data_dir(), file_name)
    if not os.path.exists(path):
        raise FileNotFoundError('dataset %r needs %s; run `python build.py build` to create it '
                                '(or set GLASSBOX_DATA_DIR)' % (name, path))
    with open(path, 'rb') as handle:
        return handle.read()


def _digits_from_sklearn():
    from sklearn.datasets import load_digits  # only when no packed file exists
    bunch = load_digits()
    header = {'name': 'digits', 'image_shape': [8, 8], 'class_names': [str(i) for i in range(10)]}
    return (bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int32), header


def _bundle(name, X_train, y_train, X_val, y_val, class_names, image_shape, feature_names=None):
    d = X_train.shape[1]
    if feature_names is None:
        if image_shape:
            feature_names = ['pixel (%d, %d)' % (i // image_shape[1], i % image_shape[1]) for i in range(d)]
        else:
            feature_names = ['x%d' % (i + 1) for i in range(d)]
    return {'name': name,
            'X_train': np.ascontiguousarray(X_train, dtype=np.float32),
            'y_train': np.ascontiguousarray(y_train, dtype=np.int32),
            'X_val': np.ascontiguousarray(X_val, dtype=np.float32),
            'y_val': np.ascontiguousarray(y_val, dtype=np.int32),
            'n_classes': len(class_names), 'class_names': list(class_names),
            'image_shape': tuple(image_shape) if image_shape else None,
            'feature_names': feature_names}


def toy_points(name: str, n: int, rng: np.random.Generator, noise: float = 0.1):
    """2-D toy set: ``X`` float32 (n, 2) in roughly [-1, 1]^2, ``y`` int32 (n,) in {0, 1}.

    circle: label 1 inside radius 0.5; xor: sign(x1 * x2); gaussians: two blobs at
    (+-0.5, +-0.5); spiral: two interleaved arms r = t, angle = 1.75 t * 2 pi (+ pi).
    """
    half = n // 2
    if name == 'circle':
        radius = np.concatenate([rng.uniform(0.0, 0.4, half), rng.uniform(0.6, 1.0, n - half)])
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        y = np.concatenate([np.ones(half), np.zeros(n - half)])
    elif name == 'xor':
        X = rng.uniform(-1, 1, (n, 2))
        # Keep a margin around the axes so the task is learnable at low noise.
        X += np.sign(X) * 0.05
        y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    elif name == 'gaussians':
        y = np.concatenate([np.zeros(half), np.ones(n - half)])
        centres = np.where(y[:, None] > 0, 0.5, -0.5)
        X = centres + rng.normal(0, 0.25, (n, 2))
    elif name == 'spiral':
        t = np.concatenate([rng.uniform(0.05, 1.0, half), rng.uniform(0.05, 1.0, n - half)])
        y = np.concatenate([np.zeros(half), np.ones(n - half)])
        angle = 1.75 * t * 2 * np.pi + np.pi * y
        X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    else:
        raise ValueError('unknown toy set %r; choose one of %s' % (name, ', '.join(TOY_SETS)))
    X = X + rng.normal(0, noise, X.shape)
    return X.astype(np.float32), y.astype(np.int32)


def load_dataset(name: str = 'digits', seed: int = 0, val_fraction: float = 0.2,
                 n_samples: int = 600, noise: float = 0.1) -> dict:
    """Load dataset ``name`` (one of ``DATASETS``) split into train/validation by ``seed``.

    ``n_samples`` and ``noise`` apply to the 2-D toy sets only.
    """
    if name not in DATASETS:
        raise ValueError('unknown dataset %r; choose one of %s' % (name, ', '.join(DATASETS)))
    if name in TOY_SETS:
        X, y = toy_points(name, int(n_samples), np.random.default_rng(seed), noise)
        return _bundle(name, *split(X, y, seed, val_fraction), class_names=['blue', 'orange'],
                       image_shape=None, feature_names=['x1', 'x2'])
    try:
        X, y, header = unpack_dataset(_packed_blob(name))
    except FileNotFoundError:
        if name != 'digits':
            raise
        X, y, header = _digits_from_sklearn()
    return _bundle(name, *split(X, y, seed, val_fraction), class_names=header['class_names'],
                   image_shape=header['image_shape'])


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
    return _bundle(name, *split(X, labels.astype(np.int32), seed, val_fraction),
                   class_names=[str(i) for i in range(n_classes)], image_shape=(h, w))
