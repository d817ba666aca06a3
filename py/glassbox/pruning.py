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

from .layers import matmul
from .model import MLP
from .optimizers import make_optimizer
from .session import register_op
from .runs import MAX_RUNS, MONITOR, trainer_from_state


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
        with np.errstate(all='ignore'):
            act = layer.forward(a)
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
        a = layer.forward(a)
    for layer in pruned.layers:  # drop caches that still have the old shapes
        layer.x = layer.z = layer.a = layer.grad_a = layer.grad_z = None
        layer.grads = {}
    return pruned, removed


def _evaluate(model: MLP, X: "np.ndarray", y: "np.ndarray") -> "Dict[str, float]":
    with np.errstate(all='ignore'):
        logits = model.forward(X)
        loss = float(np.mean(model.loss_fn.per_sample(logits, y)))
    return {'loss': loss, 'accuracy': float(np.mean(np.argmax(logits, axis=1) == y))}


@register_op('prune')
def _prune(session, request):
    run = request.get('run', 'main')
    parent = session.get_trainer(run)
    tolerance = request.get('tolerance', 0.01)
    samples = request.get('samples', 1000)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise ValueError('tolerance must be a number in [0, 1), got %r' % (tolerance,))
    if not isinstance(samples, int) or not 1 <= samples <= 20000:
        raise ValueError('samples must be an integer from 1 to 20000, got %r' % (samples,))
    if len(parent.model.layers) < 2:
        raise ValueError('the network has no hidden layer to prune')
    if len(session.runs) >= MAX_RUNS:
        raise ValueError('at most %d runs at once: drop a fork first' % MAX_RUNS)
    X = parent.X_train[:samples]
    model, removed = prune_model(parent.model, X, float(tolerance))
    before = _evaluate(parent.model, parent.X_val, parent.y_val)
    after = _evaluate(model, parent.X_val, parent.y_val)

    child = trainer_from_state(session.data, parent.state_dict())
    child.model = model
    opt = parent.optimizer
    child.optimizer = make_optimizer(opt.name, opt.lr, weight_decay=opt.weight_decay)
    child._snapshot_weights = None
    n = 1
    while 'pruned-%d' % n in session.runs:
        n += 1
    new_id = 'pruned-%d' % n
    config = dict(session.run_configs[run], hidden=model.layer_sizes[1:-1])
    session.runs[new_id] = child
    session.run_configs[new_id] = config
    MONITOR.state(session, new_id, child)
    snapshot = child.snapshot()
    result = {'run': new_id, 'parent': run, 'config': config, 'start': 'now', 'changes': {'hidden': config['hidden']},
              'step': child.step_count, 'sizes_before': parent.model.layer_sizes, 'sizes_after': model.layer_sizes,
              'removed': removed, 'accuracy_before': before['accuracy'], 'accuracy_after': after['accuracy'],
              'loss_before': before['loss'], 'loss_after': after['loss'], 'tolerance': float(tolerance),
              'samples': int(len(X)), 'snapshot': snapshot}
    return session.watch_snapshot(new_id, child, snapshot, result)
