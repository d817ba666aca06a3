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
