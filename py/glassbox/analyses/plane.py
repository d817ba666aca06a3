"""The input plane of a 2-D dataset: the network's decision and each neuron's output over (x1, x2).

The plane is the data's bounding box padded by 10 % and made square: [x_lo, x_hi] x [y_lo, y_hi]
(``extent``). Grids are row-major images with row 0 at the TOP (y = y_hi) and column 0 at the
left (x = x_lo); cell (r, c) is evaluated at its centre
    x = x_lo + (c + 0.5) (x_hi - x_lo) / G,   y = y_hi - (r + 0.5) (y_hi - y_lo) / G.

    'prob'    (G, G)          probability of class 1 (two classes) -- else of the predicted class
    'pred'    int32 (G, G)    predicted class
    'neurons' [(n_l, g, g)]   activation of every neuron of every hidden layer l on a coarser g x g
                              grid (the TensorFlow-Playground node pictures), plus 'inputs' (2, g, g)
                              (x1 and x2 themselves) and 'output' (n_L, g, g) logits
    'points'  (P, 2), 'labels' int32 (P,), 'split' uint8 (P,) 0 = training, 1 = validation
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from ..checks import whole_number
from ..nn.trace import trace

MAX_GRID = 128
MAX_POINTS = 1000


def plane_extent(X: "np.ndarray") -> "list":
    lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    centre, half = (lo + hi) / 2, float(np.max(hi - lo)) / 2 * 1.1 + 1e-6
    return [centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half]


def grid_points(extent, G: int) -> "np.ndarray":
    """(G * G, 2) cell centres, row-major, row 0 at the top (module docstring)."""
    x_lo, x_hi, y_lo, y_hi = extent
    xs = x_lo + (np.arange(G) + 0.5) * (x_hi - x_lo) / G
    ys = y_hi - (np.arange(G) + 0.5) * (y_hi - y_lo) / G
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def input_plane(model, data: dict, grid: int = 64, neuron_grid: int = 24, points: int = 400) -> "Dict[str, Any]":
    """See the module docstring."""
    if data['X_val'].shape[1] != 2:
        raise ValueError('the input plane needs a dataset with 2 input features; %s has %d'
                         % (data['name'], data['X_val'].shape[1]))
    G = whole_number(grid, 'grid', 4, MAX_GRID)
    g = whole_number(neuron_grid, 'neuron_grid', 4, MAX_GRID)
    P = whole_number(points, 'points', 0, MAX_POINTS)
    X_all = np.concatenate([data['X_train'], data['X_val']])
    extent = plane_extent(X_all)
    with np.errstate(all='ignore'):
        logits = trace(model, grid_points(extent, G))['act'][-1]
        probs = model.loss_fn.probabilities(logits)
        pred = np.argmax(logits, axis=1)
        prob = probs[:, 1] if probs.shape[1] == 2 else probs[np.arange(len(pred)), pred]
        small = grid_points(extent, g)
        acts = trace(model, small)['act']
    n_val = min(P // 4, data['X_val'].shape[0])
    n_train = min(P - n_val, data['X_train'].shape[0])
    pts = np.concatenate([data['X_train'][:n_train], data['X_val'][:n_val]]).astype(np.float32)
    return {'extent': extent, 'grid': G, 'neuron_grid': g,
            'prob': prob.reshape(G, G).astype(np.float32), 'pred': pred.reshape(G, G).astype(np.int32),
            'inputs': small.T.reshape(2, g, g).copy(),
            'neurons': [a.T.reshape(a.shape[1], g, g).astype(np.float32) for a in acts[:-1]],
            'output': acts[-1].T.reshape(acts[-1].shape[1], g, g).astype(np.float32),
            'points': pts, 'labels': np.concatenate([data['y_train'][:n_train], data['y_val'][:n_val]]).astype(np.int32),
            'split': np.concatenate([np.zeros(n_train), np.ones(n_val)]).astype(np.uint8)}
