"""Prune inactive hidden neurons: a smaller network that computes (almost) the same thing.

A hidden unit j of Dense layer l is *inactive* when its activation is constant on the pruning
samples (the first ``samples`` training rows) up to a tolerance::

    range_j = max_i a_ij - min_i a_ij   <=   tolerance * max_k range_k   (k over the layer's units)

A dead ReLU (a = 0 everywhere) has range 0; a saturated tanh unit sits near +-1.  Removing unit
j deletes column j of W_l and entry j of b_l, and folds its mean output c_j into the next layer:
b_{l+1} += c_j * W_{l+1}[j, :], then deletes row j of W_{l+1}.  For an exactly constant unit
this is exact on those samples; otherwise the error is at most range_j * |W_{l+1}[j, :]|.
Layers are pruned first to last, each on the activations of the already-pruned network, and
every layer keeps at least one unit (the one with the largest range).

Op ``{'op': 'prune', 'run'?: 'main', 'tolerance'?: 0.01, 'samples'?: 1000}`` adds a run
'pruned-N' (same lr / optimiser kind with fresh optimiser state, same data order) and answers
{'run', 'sizes_before', 'sizes_after', 'removed': [[unit, ...] per hidden layer],
 'accuracy_before', 'accuracy_after', 'loss_before', 'loss_after' (validation set),
 'tolerance', 'samples', 'snapshot', 'summary', 'alerts', ...}.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from ..nn.backend import matmul
from ..nn.model import MLP
from ..nn.trace import trace


def inactive_units(a: "np.ndarray", tolerance: float) -> "np.ndarray":
    """(n,) bool: units whose activation range over the rows of ``a`` (N, n) is within tolerance."""
    spread = a.max(axis=0) - a.min(axis=0)
    top = float(spread.max()) if spread.size else 0.0
    inactive = spread <= tolerance * top
    if inactive.all():
        inactive[int(np.argmax(spread))] = False
    return inactive


def prune_model(model: MLP, X: "np.ndarray", tolerance: float = 0.01) -> "Tuple[MLP, List[List[int]]]":
    """A pruned copy of ``model`` and, per hidden layer, the indices removed (see the docstring)."""
    if not 0 <= tolerance < 1:
        raise ValueError('tolerance must be in [0, 1), got %r' % (tolerance,))
    pruned = model.copy()
    removed = []
    a = np.asarray(X, dtype=np.float32)
    for l in range(len(pruned.layers) - 1):
        layer, nxt = pruned.layers[l], pruned.layers[l + 1]
        act = trace(pruned, a, start=l)['act'][l]
        drop = inactive_units(act, tolerance)
        keep = ~drop
        means = act.mean(axis=0)
        nxt.b = (nxt.b + matmul(means[drop][None, :], nxt.W[drop, :])[0]).astype(np.float32)
        layer.W = np.ascontiguousarray(layer.W[:, keep])
        layer.b = np.ascontiguousarray(layer.b[keep])
        layer.n_out = int(keep.sum())
        nxt.W = np.ascontiguousarray(nxt.W[keep, :])
        nxt.n_in = layer.n_out
        removed.append([int(k) for k in np.flatnonzero(drop)])
        a = np.ascontiguousarray(act[:, keep])  # the pruned layer's output: the kept columns
    return pruned, removed


def evaluate(model: MLP, X: "np.ndarray", y: "np.ndarray") -> "Dict[str, float]":
    """{'loss', 'accuracy'} of ``model`` on (X, y)."""
    logits = trace(model, X)['act'][-1]
    with np.errstate(all='ignore'):
        loss = float(np.mean(model.loss_fn.per_sample(logits, y)))
    return {'loss': loss, 'accuracy': float(np.mean(np.argmax(logits, axis=1) == y))}
