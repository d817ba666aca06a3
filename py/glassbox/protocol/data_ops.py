"""The user's data op (a row merged into ops.py's table): the page's CSV, images or IDX files
become the main run's data.

``load_data`` {X: float32 (N, D), y: int32 (N,), class_names?, feature_names?, image_shape?,
name?, seed?, val_fraction?, standardize?, config?} or {idx_images: uint8 (bytes of an IDX
file, gzip or not), idx_labels: uint8, idx_files?: [images file name, labels file name], name?,
seed?, val_fraction?, config?} -> what ``configure`` answers ({'config', 'info', 'run',
'snapshot', health}) with info['user'] describing the data (data/user.py: rows, features,
classes and their counts, split seed, standardisation mean/std, bytes held) and info['memory']
{dataset_bytes, wasm_heap_bytes: Pyodide's heap after loading, None in CPython}. The main run is
rebuilt on the data with the current settings (``config`` overrides some), its dataset 'user';
every other run is dropped. ``seed`` splits the data (stratified, data/user.py); the settings'
own seed still seeds the network. Every check runs before anything changes: on any error the
session and its runs are as they were.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from ..data.user import user_dataset, user_idx
from ..train.config import DEFAULT_CONFIG
from .runs import Session

_TABLE_ARGS = ('X', 'y', 'class_names', 'feature_names', 'image_shape', 'standardize')
_IDX_ARGS = ('idx_images', 'idx_labels', 'idx_files')


def _blob(value: "Any", what: str) -> bytes:
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 1:
        return value.tobytes()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise ValueError('%s must be the bytes of an IDX file (a Uint8Array), got %s' % (what, type(value).__name__))


def wasm_heap_bytes() -> "Any":
    """Bytes of Pyodide's wasm memory (it never shrinks, so this is the session's high-water mark);
    None outside Pyodide 0.17 (CPython has no such heap)."""
    try:
        import js  # Pyodide's bridge to the worker's globals; absent in CPython
        return int(js.pyodide._module.HEAP8.length)
    except Exception:  # CPython, or a runtime that does not expose it
        return None


def load_data(session: Session, run: str, r: dict) -> dict:
    if run != 'main':
        raise ValueError("load_data rebuilds the main run (and drops the others); run must be 'main'")
    common = {'seed': r.get('seed', 0), 'val_fraction': r.get('val_fraction', 0.2)}
    if 'idx_images' in r or 'idx_labels' in r:
        mixed = [k for k in _TABLE_ARGS if k in r]
        if mixed:
            raise ValueError('load_data takes either X and y or idx_images and idx_labels, not both (%s)' % ', '.join(mixed))
        files = r.get('idx_files') or ('images file', 'labels file')
        if not isinstance(files, (list, tuple)) or len(files) != 2 or not all(isinstance(f, str) for f in files):
            raise ValueError('idx_files must name the two files: [images file, labels file]')
        data = user_idx(_blob(r.get('idx_images'), 'idx_images'), _blob(r.get('idx_labels'), 'idx_labels'),
                        name=r.get('name', 'IDX images'), files=files, **common)
    else:
        if 'X' not in r or 'y' not in r:
            raise ValueError('load_data needs X (rows x features) and y (one label per row), or idx_images and idx_labels')
        standardize = r.get('standardize', False)
        if not isinstance(standardize, bool):
            raise ValueError('standardize must be true or false, got %r' % (standardize,))
        data = user_dataset(r['X'], r['y'], r.get('class_names'), r.get('feature_names'), r.get('image_shape'),
                            r.get('name', 'your data'), standardize=standardize, source=r.get('source', 'arrays')
                            if isinstance(r.get('source'), str) else 'arrays', **common)
    changes = r.get('config') or {}
    if not isinstance(changes, dict):
        raise ValueError('config must be an object of settings, got %r' % (changes,))
    answer = session.load_data(data, dict(session.config or DEFAULT_CONFIG, **changes))
    answer['info']['memory'] = {'dataset_bytes': data['user']['bytes'], 'wasm_heap_bytes': wasm_heap_bytes()}
    return answer


DATA_OPS = {
    'load_data': (load_data, {'X': 'float32 (N, D) rows', 'y': 'int32 (N,) labels 0..C-1', 'class_names': 'C names',
                              'feature_names': 'D names', 'image_shape': '[H, W] when the rows are images',
                              'name': 'what the data is called', 'source': "'csv' | 'images' | 'arrays'",
                              'seed': 'split seed', 'val_fraction': 'share set aside for validation (0.05..0.5)',
                              'standardize': 'standardise features by the training split', 'config': 'settings to change',
                              'idx_images': 'IDX image file bytes', 'idx_labels': 'IDX label file bytes',
                              'idx_files': '[images file name, labels file name]'},
                  "Train the main run on the user's own data (a table, images or IDX files); answers like configure, "
                  "info.user describes the data."),
}  # type: Dict[str, Any]
