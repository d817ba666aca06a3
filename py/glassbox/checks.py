"""Argument checks shared by every layer of the engine: each returns the clean value or raises
ValueError naming the argument, what it must be and what it got (the page shows that text)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np


def whole_number(value: "Any", what: str, lo: int, hi: int) -> int:
    """An int (or a float holding a whole number) in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not math.isfinite(value)) or value != int(value):
        raise ValueError('%s must be a whole number, got %r' % (what, value))
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError('%s must be from %d to %d, got %d' % (what, lo, hi, value))
    return value


def integer(value: "Any", what: str, lo: int, hi: int) -> int:
    """A true int (not a float, not a bool) in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError('%s must be an integer from %d to %d, got %r' % (what, lo, hi, value))
    return value


def number(value: "Any", what: str, lo: float, hi: float, hi_open: bool = False) -> float:
    """A finite int or float in [lo, hi] (or [lo, hi) with hi_open)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and lo <= value and (value < hi if hi_open else value <= hi)
    if not ok:
        raise ValueError('%s must be a number in [%g, %g%s, got %r' % (what, lo, hi, ')' if hi_open else ']', value))
    return float(value)


def choice(value: "Any", what: str, options: "Sequence[Any]") -> "Any":
    if value not in options:
        raise ValueError('%s must be one of %s, got %r' % (what, ', '.join(map(str, options)), value))
    return value


def vector(x: "Any", n: int, what: str = 'x', limit: float = 1000.0) -> "np.ndarray":
    """A finite float32 vector of length n with |x| <= limit."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError('%s must be a list of %d numbers' % (what, n))
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError('%s must hold %d numbers (one per input feature), got shape %s' % (what, n, arr.shape))
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError('%s[%d] is not a finite number' % (what, bad[0]))
    if np.abs(arr).max(initial=0) > limit:
        raise ValueError('%s has values beyond +-%g' % (what, limit))
    return arr.astype(np.float32)


def lookup(table: "dict", name: "Any", what: str) -> "Any":
    """``table[name]``; ValueError 'unknown <what> ...; valid names: ...' otherwise."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError('unknown %s %r; valid names: %s' % (what, name, ', '.join(sorted(table)))) from None


def size(value: "Any", what: str, lo: int = 1) -> int:
    """A true int (numpy ints too; not a bool, not a float) >= lo: a count or a layer width."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError('%s must be a whole number >= %d, got %r' % (what, lo, value))
    if value < lo:
        raise ValueError('%s must be >= %d, got %d' % (what, lo, value))
    return int(value)


def positive(value: "Any", what: str) -> float:
    """A finite number > 0 (not a bool)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError('%s must be a finite number > 0, got %r' % (what, value))
    return float(value)


def _first_bad(mask: "np.ndarray") -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def features(X: "Any", what: str, n_features: "Any" = None) -> "np.ndarray":
    """A finite 2-D float32 array (N, D); ints, bools and float64 are converted to float32.

    Raises ValueError naming ``what``: not numeric, not 2-D, D != n_features, or the first
    row and column holding NaN/Inf (after the float32 cast, so 1e39 counts as Inf too).
    """
    try:
        arr = np.asarray(X)
        if arr.dtype.kind not in 'biuf':
            raise TypeError
        with np.errstate(over='ignore'):
            arr = np.ascontiguousarray(arr, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError('%s must be an array of numbers, got %s' % (what, type(X).__name__)) from None
    if arr.ndim != 2:
        raise ValueError('%s must be 2-D (samples, features), got shape %s' % (what, arr.shape))
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError('%s must have %d features (columns) to match the model, got %d'
                         % (what, n_features, arr.shape[1]))
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = _first_bad(bad)
        raise ValueError('%s holds %s at row %d, column %d: inputs must be finite numbers'
                         % (what, arr[row, col], row, col))
    return arr


def labels(y: "Any", what: str, n_classes: "Any" = None, n: "Any" = None) -> "np.ndarray":
    """A 1-D int64 array of whole-number class labels in [0, n_classes) (length n when given).

    Floats holding whole numbers are accepted (3.0 -> 3); fractions, NaN, negatives and labels
    >= n_classes raise ValueError naming ``what`` and the first bad position.
    """
    try:
        arr = np.asarray(y)
        if arr.dtype.kind not in 'biuf':
            raise TypeError
    except (TypeError, ValueError):
        raise ValueError('%s must be an array of integer class labels, got %s' % (what, type(y).__name__)) from None
    if arr.ndim != 1:
        raise ValueError('%s must be 1-D (one label per sample), got shape %s' % (what, arr.shape))
    if n is not None and arr.shape[0] != n:
        raise ValueError('%s holds %d labels but there are %d samples' % (what, arr.shape[0], n))
    if arr.dtype.kind == 'f':
        with np.errstate(invalid='ignore'):
            bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError('%s[%d] is %r: labels must be whole numbers (class indices)' % (what, i, float(arr[i])))
    arr = arr.astype(np.int64)
    if arr.size:
        if arr.min() < 0:
            i = int(np.flatnonzero(arr < 0)[0])
            raise ValueError('%s[%d] is %d: labels must be >= 0' % (what, i, arr[i]))
        if n_classes is not None and arr.max() >= n_classes:
            i = int(np.flatnonzero(arr >= n_classes)[0])
            raise ValueError('%s[%d] is %d: labels must be below n_classes = %d' % (what, i, arr[i], n_classes))
    return arr
