"""The user's own data: arrays from a CSV, a folder of images or IDX files, checked and turned
into the registry's dataset dict (``registry.bundle``), under the dataset name ``'user'``.

``user_dataset(X, y, ...)``: X float (N, D), y int (N,) with labels 0..C-1 naming
``class_names[y]``. Checks (each ValueError names the problem and where: sample row, feature
column, class): shapes, the limits below, finite values, 2..MAX_CLASSES classes, at least 2 samples
per class (a stratified split puts one aside for validation). The split is seeded and stratified:
class c with n_c samples gives ``clip(round(val_fraction * n_c), 1, n_c - 1)`` samples to
validation. Standardisation (tables only), when asked: x' = (x - mu) / sigma with mu and sigma
per feature from the TRAINING split only (sigma = 1 for a constant feature), so no validation
statistics leak into training; mu and sigma are kept in ``data['user']``.

``user_idx(images_blob, labels_blob, ...)``: IDX image (N, H, W) and label (N,) files (read by
``idx.read_idx``, gzip or not) -> the same dict with ``image_shape`` (H, W), pixels / 255.

The limits are declared once here (``USER_LIMITS``); protocol/tables.py hands them to the page,
which refuses files beyond them before reading them whole.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import numpy as np

from .idx import read_idx
from .registry import USER_DATASET, USER_NOT_LOADED, bundle, split_indices

# THE limits on the user's data (the page reads them from tables.json 'limits.user_data').
# 70,000 x 784 is all of MNIST; rows x features is capped at that too (the engine keeps the data
# in float32 in a 32-bit wasm heap: see README "Your own data" for the memory measured there).
USER_LIMITS = {
    'max_rows': 70000,
    'max_features': 4096,
    'max_cells': 70000 * 784,
    'min_classes': 2,
    'max_classes': 100,
    'max_categories': 20,          # one-hot: distinct values of one non-numeric column
    'max_images': 20000,           # files decoded in the page (folder or zip)
    'max_image_pixels': 4096 * 4096,  # one decoded image, width x height
    'max_image_bytes': 20 * 1000 * 1000,  # one image file (unpacked)
    'image_sizes': [8, 28],        # images become N x N grayscale
    'max_csv_bytes': 50 * 1000 * 1000,
    'max_zip_bytes': 100 * 1000 * 1000,
    'max_unzipped_bytes': 300 * 1000 * 1000,  # running total while inflating a zip (bombs stop here)
    'max_idx_bytes': 64 * 1000 * 1000,        # one IDX file, after gunzip (MNIST train images: 47 MB)
    'max_name_length': 100,
}
VAL_FRACTION_RANGE = (0.05, 0.5)


def require_user_data(data: "Optional[dict]") -> dict:
    """The session's user dataset, or ValueError saying it is not loaded (a reload loses it)."""
    if data is None:
        raise ValueError(USER_NOT_LOADED)
    return data


def stratified_split(y: "np.ndarray", seed: int, val_fraction: float):
    """(train_idx, val_idx): ``registry.split_indices`` with every class on both sides: per class,
    clip(round(val_fraction * n_c), 1, n_c - 1) samples go to validation."""
    return split_indices(y, seed, val_fraction, keep_one=True)


def _names(values: "Any", count: int, what: str, default: "Sequence[str]") -> "list":
    if values is None:
        return list(default)
    if not isinstance(values, (list, tuple)) or len(values) != count:
        raise ValueError('%s must be a list of %d names, got %s' % (
            what, count, '%d' % len(values) if isinstance(values, (list, tuple)) else type(values).__name__))
    out = []
    for i, value in enumerate(values):
        if not isinstance(value, str) or not value.strip() or len(value) > USER_LIMITS['max_name_length']:
            raise ValueError('%s[%d] must be a non-empty name of at most %d characters, got %r'
                             % (what, i, USER_LIMITS['max_name_length'], str(value)[:60]))
        out.append(value)
    if len(set(out)) != len(out):
        twice = sorted({v for v in out if out.count(v) > 1})[0]
        raise ValueError('%s must be different from each other; %r appears more than once' % (what, twice))
    return out


def _check_shape(n: int, d: int, where: str) -> None:
    L = USER_LIMITS
    if n > L['max_rows']:
        raise ValueError('%s has %d rows; at most %d fit' % (where, n, L['max_rows']))
    if d > L['max_features']:
        raise ValueError('%s has %d features; at most %d fit' % (where, d, L['max_features']))
    if n * d > L['max_cells']:
        raise ValueError('%s has %d x %d = %d values; at most %d fit (%d rows of 784 pixels): use fewer rows'
                         % (where, n, d, n * d, L['max_cells'], L['max_cells'] // 784))


def user_dataset(X: "Any", y: "Any", class_names: "Optional[Sequence[str]]" = None,
                 feature_names: "Optional[Sequence[str]]" = None, image_shape: "Optional[Sequence[int]]" = None,
                 name: str = 'your data', seed: int = 0, val_fraction: float = 0.2,
                 standardize: bool = False, source: str = 'arrays') -> dict:
    """The dataset dict (registry.bundle) of the user's arrays; see the module docstring."""
    where = repr(name) if isinstance(name, str) else 'the data'
    if not isinstance(name, str) or not name.strip() or len(name) > USER_LIMITS['max_name_length']:
        raise ValueError('name must be a non-empty text of at most %d characters' % USER_LIMITS['max_name_length'])
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError('%s: X must be a table of rows x features, got shape %s' % (where, X.shape))
    n, d = X.shape
    _check_shape(n, d, where)
    if X.dtype.kind not in 'fiub':
        raise ValueError('%s: X must hold numbers, got %s' % (where, X.dtype))
    if y.shape != (n,):
        raise ValueError('%s: y must hold one label per row: %d rows but y has shape %s' % (where, n, y.shape))
    if y.dtype.kind not in 'iu' and not (y.dtype.kind == 'f' and np.all(np.isfinite(y)) and np.all(y == np.round(y))):
        raise ValueError('%s: labels (y) must be whole class numbers 0, 1, 2, ...' % where)
    X = X.astype(np.float32, copy=False)
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        fname = feature_names[col] if isinstance(feature_names, (list, tuple)) and len(feature_names) == d else 'x%d' % (col + 1)
        raise ValueError('%s: row %d, column %r holds %s; every value must be a finite number (%d such values)'
                         % (where, row + 1, str(fname), X[row, col], int(bad.sum())))
    y = y.astype(np.int64)
    if y.min() < 0:
        raise ValueError('%s: labels must be 0 or more; row %d has %d' % (where, int(np.argmin(y)) + 1, int(y.min())))
    top = int(y.max())
    if class_names is None and top >= USER_LIMITS['max_classes']:
        raise ValueError('%s has labels up to %d; at most %d classes fit' % (where, top, USER_LIMITS['max_classes']))
    n_classes = top + 1 if class_names is None else len(class_names)
    if class_names is not None and top >= n_classes:
        raise ValueError('%s: row %d has label %d but there are %d class names'
                         % (where, int(np.argmax(y)) + 1, top, n_classes))
    if n_classes > USER_LIMITS['max_classes']:
        raise ValueError('%s has %d classes; at most %d fit' % (where, n_classes, USER_LIMITS['max_classes']))
    classes = _names(class_names, n_classes, 'class_names', [str(i) for i in range(n_classes)])
    # int32 labels: numpy's bincount casts to intp, which is 32 bits in wasm (int64 would be refused).
    y = y.astype(np.int32)
    counts = np.bincount(y, minlength=n_classes)
    present = int((counts > 0).sum())
    if present < USER_LIMITS['min_classes']:
        raise ValueError('%s has only one class (%r): a classifier needs at least %d different labels'
                         % (where, classes[int(np.argmax(counts))], USER_LIMITS['min_classes']))
    missing = [classes[c] for c in range(n_classes) if counts[c] == 0]
    if missing:
        raise ValueError('%s: class %r has no rows; drop it from class_names' % (where, missing[0]))
    lonely = [classes[c] for c in range(n_classes) if counts[c] == 1]
    if lonely:
        raise ValueError('%s: label %r has only 1 row; a stratified split needs at least 2 of each label '
                         '(one for training, one for validation): add rows or remove it%s'
                         % (where, lonely[0], ' (also: %s)' % ', '.join(map(repr, lonely[1:6])) if len(lonely) > 1 else ''))
    if image_shape is not None:
        ok = isinstance(image_shape, (list, tuple)) and len(image_shape) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape)
        if not ok or image_shape[0] * image_shape[1] != d:
            raise ValueError('%s: image_shape must be [height, width] with height x width = %d features, got %r'
                             % (where, d, image_shape))
        if standardize:
            raise ValueError('%s: images are not standardised (pixels stay in [0, 1], as the drawing pad sends them)' % where)
        if X.min() < 0 or X.max() > 1:
            raise ValueError('%s: image pixels must be in [0, 1]; found %g to %g' % (where, X.min(), X.max()))
    features = _names(feature_names, d, 'feature_names', []) if feature_names is not None else None
    seed = int(seed) if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2 ** 31 else None
    if seed is None:
        raise ValueError('seed must be a whole number from 0 to %d' % (2 ** 31 - 1))
    lo, hi = VAL_FRACTION_RANGE
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or \
            not math.isfinite(val_fraction) or not lo <= val_fraction <= hi:
        raise ValueError('val_fraction must be a number from %g to %g, got %r' % (lo, hi, val_fraction))
    train, val = stratified_split(y, seed, float(val_fraction))
    X_train, X_val = X[train], X[val]
    stats = None
    if standardize:
        mu = X_train.mean(axis=0, dtype=np.float64)
        sigma = X_train.std(axis=0, dtype=np.float64)
        sigma[sigma == 0] = 1.0
        X_train = ((X_train - mu) / sigma).astype(np.float32)
        X_val = ((X_val - mu) / sigma).astype(np.float32)
        stats = {'mean': mu.astype(np.float32), 'std': sigma.astype(np.float32)}
    data = bundle(USER_DATASET, X_train, y[train], X_val, y[val], class_names=classes,
                  image_shape=tuple(image_shape) if image_shape is not None else None, feature_names=features)
    data['user'] = {'name': name, 'source': source, 'rows': n, 'features': d, 'classes': n_classes,
                    'class_counts': [int(c) for c in counts], 'split_seed': seed, 'val_fraction': float(val_fraction),
                    'standardized': stats is not None, 'standardization': stats,
                    'bytes': int(sum(data[k].nbytes for k in ('X_train', 'y_train', 'X_val', 'y_val')))}
    return data


def user_idx(images_blob: bytes, labels_blob: bytes, name: str = 'IDX images', seed: int = 0,
             val_fraction: float = 0.2, files: "Sequence[str]" = ('images file', 'labels file')) -> dict:
    """The dataset dict of an IDX image file (N, H, W) and its label file (N,); ``files`` names them
    in messages."""
    if len(images_blob) > USER_LIMITS['max_idx_bytes'] or len(labels_blob) > USER_LIMITS['max_idx_bytes']:
        raise ValueError('an IDX file may hold at most %d bytes' % USER_LIMITS['max_idx_bytes'])
    arrays = []
    for blob, file in zip((images_blob, labels_blob), files):
        try:
            arrays.append(read_idx(bytes(blob)))
        except Exception as exc:  # read_idx names the problem; say which file it was
            raise ValueError('%s: %s' % (file, exc)) from None
    images, labels = arrays
    if images.ndim != 3:
        raise ValueError('%s must hold images (N, height, width), but its shape is %s' % (files[0], images.shape))
    if labels.ndim != 1:
        raise ValueError('%s must hold one label per image (N,), but its shape is %s' % (files[1], labels.shape))
    if labels.shape[0] != images.shape[0]:
        raise ValueError('%s holds %d images but %s holds %d labels: they must be a matching pair'
                         % (files[0], images.shape[0], files[1], labels.shape[0]))
    if labels.dtype.kind not in 'iu':
        raise ValueError('%s must hold whole class numbers, not %s' % (files[1], labels.dtype))
    n, h, w = images.shape
    _check_shape(n, h * w, files[0])
    X = images.reshape(n, h * w).astype(np.float32)
    if images.dtype == np.uint8:
        X /= np.float32(255.0)
    classes = [str(i) for i in range(int(labels.max()) + 1)] if n else None
    return user_dataset(X, labels, classes, None, (h, w), name, seed, val_fraction, False, source='idx')
