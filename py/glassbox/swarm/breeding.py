"""Breeding: a child network from two parents.

Config (each choice a fair coin between the parents, a and b)::

    depth            one parent's number of hidden layers
    width of layer d one of the parents' widths at depth d (the parent that has one, if only one does)
    activation, init, optimizer, batch_size    one parent's
    lr               the geometric mean of the parents' lr;   l2   their arithmetic mean
    seed             a fresh seed (the child's fresh weights and minibatch order)

Weights (neuron-wise from the wider parent, fresh elsewhere): the child starts from its own
fresh initialisation; then for every weight layer -- hidden layer d matched with the parents'
hidden layer d, output layer with output layer -- the donor is the parent whose matching layer
has the most units (ties: parent a), and the child takes the donor's block
W[:r, :c], b[:c] with r, c the smaller of the two layers' fan-in and fan-out. Units and inputs
the donor lacks keep their fresh values. The optimiser starts afresh.
"""
from __future__ import annotations

import math
from typing import List

import numpy as np

from ..nn.model import MLP
from ..train.config import validate_config


def crossover(a: dict, b: dict, rng: "np.random.Generator", seed: int) -> dict:
    """The child's config (module docstring)."""
    def pick(key):
        return (a if rng.random() < 0.5 else b)[key]
    depth = len(pick('hidden'))
    hidden = []
    for d in range(depth):
        options = [p['hidden'][d] for p in (a, b) if d < len(p['hidden'])]
        hidden.append(int(options[int(rng.integers(len(options)))]))
    child = {'dataset': a['dataset'], 'hidden': hidden, 'seed': int(seed),
             'lr': float(math.sqrt(a['lr'] * b['lr'])), 'l2': (a['l2'] + b['l2']) / 2.0,
             'bias_init': a['bias_init']}
    for key in ('activation', 'init', 'optimizer', 'batch_size'):
        child[key] = pick(key)
    return validate_config(child)


def _matching(parent: MLP, child_layer: int, child_layers: int):
    """The parent's layer that plays the role of the child's layer ``child_layer`` (or None)."""
    n = len(parent.layers)
    if child_layer == child_layers - 1:
        return parent.layers[n - 1]
    return parent.layers[child_layer] if child_layer < n - 1 else None


def inherit(child: MLP, parents: "List[MLP]") -> MLP:
    """Copy the donors' blocks into ``child`` in place (module docstring); returns it."""
    count = len(child.layers)
    for l, layer in enumerate(child.layers):
        candidates = [m for m in (_matching(p, l, count) for p in parents) if m is not None]
        if not candidates:
            continue
        donor = max(candidates, key=lambda m: m.W.shape[1])  # max() keeps the first on ties
        r = min(layer.W.shape[0], donor.W.shape[0])
        c = min(layer.W.shape[1], donor.W.shape[1])
        layer.W[:r, :c] = donor.W[:r, :c]
        layer.b[:c] = donor.b[:c]
    return child
