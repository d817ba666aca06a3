"""The engine seam: how matrix products are computed.

Every matrix product in the engine goes through ``matmul``. Today the choice is between
``np.matmul`` (BLAS in CPython) and ``np.einsum`` (Pyodide's numpy has no BLAS, and there
einsum was measured ~1.8x faster for our shapes). Another engine (e.g. an onnxruntime-web
training graph) plugs in beside this: it trains, and hands weights back to numpy, which stays
the reference for every snapshot and analysis.
"""
from __future__ import annotations

import sys

import numpy as np

BACKENDS = ("einsum", "matmul")
_state = {"backend": "einsum" if sys.platform == "emscripten" else "matmul"}


def matmul(a: "np.ndarray", b: "np.ndarray") -> "np.ndarray":
    """(n, k) x (k, m) -> (n, m)."""
    if _state["backend"] == "einsum":
        return np.einsum("ij,jk->ik", a, b, optimize=False)
    return np.matmul(a, b)


def set_matmul_backend(name: str) -> None:
    """Choose 'einsum' or 'matmul' for ``matmul`` (for benchmarking)."""
    if name not in BACKENDS:
        raise ValueError("matmul backend must be 'einsum' or 'matmul', got %r" % (name,))
    _state["backend"] = name


def get_matmul_backend() -> str:
    return _state["backend"]
