"""Morph paths: from one input to another, and what the network does along the way.

Shapes: ``D = n_0`` input features, ``C = n_L`` classes, ``S`` path steps. Inputs are input specs
(analyses/inputs.py).

Morph (``morph``): a path of S inputs from x_a to x_b, parametrised by t in [0, 1] (strictly
increasing, t_0 = 0, t_{S-1} = 1; rows 0 and S-1 are x_a and x_b exactly):
    'pixel'  x(t) = (1 - t) x_a + t x_b                               (a blend of the two images)
    'real'   a chain of real validation digits: the shortest path from x_a to x_b through the
             8-nearest-neighbour graph of the validation samples of the two end classes (at most
             300 each), an edge costing its SQUARED Euclidean length, so the path hops between
             near neighbours; t runs along the chain by Euclidean arc length, and between two
             chain samples the images are blended.
Endpoint rows of every output come from classifying x_a and x_b alone (N = 1), so they equal
``classify`` of those inputs bit for bit.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from ..checks import whole_number
from ..nn.backend import matmul
from .inputs import outputs, public, resolve_input

MAX_STEPS = 200
REAL_POOL_PER_CLASS = 300


def shortest_chain(nodes: "np.ndarray", k: int = 8) -> "np.ndarray":
    """Shortest path from node 0 to node n-1 through a k-nearest-neighbour graph.

    nodes: (n, D). Edges join each node to its k nearest neighbours (both directions) and cost
    their SQUARED Euclidean length; k doubles until node n-1 is reachable. Dijkstra, O(n^2).
    Returns the node indices along the path, 0 first and n-1 last.
    """
    X = nodes.astype(np.float64)
    sq = np.sum(X * X, axis=1)
    cost = np.maximum(sq[:, None] + sq[None, :] - 2.0 * matmul(X, X.T), 0.0)
    n = X.shape[0]
    while True:
        k = min(k, n - 1)
        near = np.argpartition(cost, k, axis=1)[:, :k + 1]
        linked = np.zeros((n, n), dtype=bool)
        linked[np.repeat(np.arange(n), near.shape[1]), near.ravel()] = True
        linked |= linked.T
        graph = np.where(linked, cost, np.inf)
        dist = np.full(n, np.inf)
        prev = np.full(n, -1, dtype=np.int64)
        done = np.zeros(n, dtype=bool)
        dist[0] = 0.0
        for _ in range(n):
            u = int(np.argmin(np.where(done, np.inf, dist)))
            if u == n - 1 or not np.isfinite(dist[u]):
                break
            done[u] = True
            through = dist[u] + graph[u]
            better = (~done) & (through < dist)
            dist[better] = through[better]
            prev[better] = u
        if np.isfinite(dist[n - 1]) or k >= n - 1:
            break
        k *= 2
    chain = [n - 1]
    while chain[-1] != 0:
        chain.append(int(prev[chain[-1]]))
    return np.array(chain[::-1], dtype=np.int64)


def morph_path(data: dict, x_a: "np.ndarray", x_b: "np.ndarray", steps: int, path: str,
               classes=()) -> "Dict[str, Any]":
    """The S inputs of a morph path (module docstring): {'t' (S,), 'x' (S, D), 'chain', 'chain_t'}."""
    t = np.linspace(0.0, 1.0, steps)
    if path == 'pixel':
        x = (1.0 - t[:, None]) * x_a[None, :].astype(np.float64) + t[:, None] * x_b[None, :]
        chain, chain_t = np.zeros(0, dtype=np.int32), np.array([0.0, 1.0])
    elif path == 'real':
        pool = [m[:REAL_POOL_PER_CLASS] for m in (np.flatnonzero(data['y_val'] == c) for c in sorted(set(classes)))]
        pool = np.concatenate(pool) if pool else np.zeros(0, dtype=np.int64)
        # The end inputs themselves (or exact copies) would be zero-length hops.
        P = data['X_val'][pool]
        pool = pool[(np.any(P != x_a, axis=1)) & (np.any(P != x_b, axis=1))]
        nodes = np.concatenate([x_a[None, :], data['X_val'][pool], x_b[None, :]])
        order = shortest_chain(nodes)
        points = nodes[order].astype(np.float64)
        hops = np.sqrt(np.sum(np.diff(points, axis=0) ** 2, axis=1))
        total = hops.sum()
        chain_t = np.concatenate([[0.0], np.cumsum(hops) / total]) if total > 0 else np.linspace(0, 1, len(points))
        chain_t[-1] = 1.0
        seg = np.clip(np.searchsorted(chain_t, t, side='right') - 1, 0, len(points) - 2)
        width = chain_t[seg + 1] - chain_t[seg]
        u = np.where(width > 0, (t - chain_t[seg]) / np.where(width > 0, width, 1.0), 1.0)
        x = (1.0 - u[:, None]) * points[seg] + u[:, None] * points[seg + 1]
        chain = np.array([-1 if k in (0, len(nodes) - 1) else int(pool[k - 1]) for k in order], dtype=np.int32)
    else:
        raise ValueError('path must be "pixel" or "real", got %r' % (path,))
    x = x.astype(np.float32)
    x[0], x[-1] = x_a, x_b
    return {'t': t, 'x': x, 'chain': chain, 'chain_t': chain_t}


def morph(model, data: dict, spec_a, spec_b, steps: int = 50, path: str = 'pixel') -> "Dict[str, Any]":
    """Predictions and activations along a morph path (module docstring).

    Returns {'t' (S,), 'x' (S, D), 'logits' (S, C), 'probs' (S, C), 'pred' int32 (S,),
    'acts': [(S, n_1), ..., (S, n_L)], 'flips': [{'step', 'from', 'to', 't'}] (where the
    predicted class changes between step-1 and step), 'from'/'to': the resolved endpoints,
    'chain' int32 (validation indices of the chain's real samples, -1 for the endpoints; 'real'
    only), 'chain_t' (their path positions), 'path'}.
    """
    steps = whole_number(steps, 'steps', 2, MAX_STEPS)
    a = resolve_input(data, spec_a, 'from')
    b = resolve_input(data, spec_b, 'to')
    ends = outputs(model, np.stack([a['x'], b['x']]))  # only for the end classes of a drawn input
    classes = [a['label'] if a['label'] is not None else int(ends['pred'][0]),
               b['label'] if b['label'] is not None else int(ends['pred'][1])]
    route = morph_path(data, a['x'], b['x'], steps, path, classes)
    out = outputs(model, route['x'])
    for row, x in ((0, a['x']), (steps - 1, b['x'])):
        alone = outputs(model, x[None, :])  # exactly what classifying the endpoint alone gives
        for key in ('logits', 'probs', 'pred'):
            out[key][row] = alone[key][0]
        for layer_acts, alone_acts in zip(out['acts'], alone['acts']):
            layer_acts[row] = alone_acts[0]
    pred = out['pred']
    flips = [{'step': int(s), 'from': int(pred[s - 1]), 'to': int(pred[s]), 't': float(route['t'][s])}
             for s in range(1, steps) if pred[s] != pred[s - 1]]
    return dict(out, t=route['t'].astype(np.float32), x=route['x'], flips=flips, path=path,
                chain=route['chain'], chain_t=route['chain_t'].astype(np.float32),
                **{'from': public(a), 'to': public(b)})

