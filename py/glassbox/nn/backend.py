"""The engine seam: how matrix products are computed.

Every matrix product in the engine goes through ``matmul``. Today the choice is between
``np.matmul`` (BLAS in CPython) and ``np.einsum`` (Pyodide's numpy has no BLAS, and there
einsum was measured ~1.8x faster for our shapes). Another engine (e.g. an onnxruntime-web
training graph) plugs in beside this: it trains, and hands weights back to numpy, which stays
the reference for every snapshot and analysis.

einsum's index limit: ``np.einsum('ij,jk->ik')`` (optimize=False) iterates over every (i, j, k),
and numpy's iterator counts them in ``npy_intp``, which is 32 bits in Pyodide's wasm32: a
product with n * k * m > 2**31 - 1 fails with "ValueError: iterator is too large" (e.g. an MNIST
batch of 2700 through a 784 -> 1024 layer). ``matmul`` therefore splits any einsum product
bigger than ``EINSUM_MAX_ELEMENTS`` into pieces below it -- by rows of ``a`` (exact: each output
row is computed as before), else by the inner dimension (partial products summed) -- so no
forward, backward, evaluation, snapshot or analysis can hit the limit. The same limit applies
in CPython when einsum is chosen, so both engines compute the same pieces
(``train.limits.set_limits(einsum_elements=None)`` lifts it).
"""
from __future__ import annotations

import sys

import numpy as np

BACKENDS = ("einsum", "matmul")
EINSUM_MAX_ELEMENTS = 2 ** 31 - 1  # npy_intp on 32-bit wasm: the most (i, j, k) one einsum may visit
_state = {"backend": "einsum" if sys.platform == "emscripten" else "matmul",
          "einsum_elements": EINSUM_MAX_ELEMENTS}


def _einsum(a: "np.ndarray", b: "np.ndarray", limit: int) -> "np.ndarray":
    """a (n, k) x b (k, m) with every einsum call visiting at most ``limit`` (i, j, k)."""
    n, k = a.shape
    m = b.shape[1]
    if n * k * m <= limit:
        return np.einsum("ij,jk->ik", a, b, optimize=False)
    out = np.empty((n, m), dtype=np.result_type(a, b))
    if k * m <= limit:  # whole rows fit: split the rows of a
        rows = limit // (k * m)
        for start in range(0, n, rows):
            out[start:start + rows] = np.einsum("ij,jk->ik", a[start:start + rows], b, optimize=False)
    elif n * m <= limit:  # e.g. dW = x.T @ grad_z over a huge batch: split the inner dimension
        inner = max(1, limit // (n * m))
        out[...] = 0
        for start in range(0, k, inner):
            out += np.einsum("ij,jk->ik", a[:, start:start + inner], b[start:start + inner], optimize=False)
    else:  # both: rows first, each piece then splits its inner dimension
        rows = max(1, limit // m)
        for start in range(0, n, rows):
            out[start:start + rows] = _einsum(a[start:start + rows], b, limit)
    return out


def matmul(a: "np.ndarray", b: "np.ndarray") -> "np.ndarray":
    """(n, k) x (k, m) -> (n, m)."""
    if _state["backend"] == "einsum":
        limit = _state["einsum_elements"]
        if limit is None:
            return np.einsum("ij,jk->ik", a, b, optimize=False)
        return _einsum(a, b, limit)
    return np.matmul(a, b)


def set_matmul_backend(name: str) -> None:
    """Choose 'einsum' or 'matmul' for ``matmul`` (for benchmarking)."""
    if name not in BACKENDS:
        raise ValueError("matmul backend must be 'einsum' or 'matmul', got %r" % (name,))
    _state["backend"] = name


def get_matmul_backend() -> str:
    return _state["backend"]


def set_einsum_limit(elements: "object") -> None:
    """The most (i, j, k) one einsum call may visit (None: no limit); see the module docstring."""
    if elements is not None and (isinstance(elements, bool) or not isinstance(elements, int) or elements < 1):
        raise ValueError("einsum_elements must be a whole number >= 1 or None, got %r" % (elements,))
    _state["einsum_elements"] = elements


def get_einsum_limit() -> "object":
    return _state["einsum_elements"]
