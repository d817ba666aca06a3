"""Compact per-snapshot summaries of a run, kept in the engine (the page keeps no full snapshots).

``summarize(snapshot, activations, step_update)`` turns one snapshot (schema in snapshot.py)
into a summary of a few kilobytes; ``History`` keeps a run's summaries in order.  The health
detectors (detectors.py), the distributions view and the neuron raster all read these.

Summary (P = probe size, n = layer_sizes[l + 1] for Dense layer l = 0 .. L-1, B = BINS)::

 {'step': int, 'epoch': float, 'lr': float,
  'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy': float (may be nan / inf),
  'finite': bool          every loss and every layer array of the snapshot is finite
  'layers': [ one dict per Dense layer l (its neurons are network column l + 1):
    'activation':  str     this layer's activation ('linear' for the output layer)
    'W_norm', 'b_norm', 'dW_norm', 'db_norm': float   Frobenius norms (dW, db: probe gradient)
    'update_ratio': float  ||W_now - W_prev_snapshot|| / ||W_now|| (snapshot stats)
    'step_update':  float  ||W after - W before|| / ||W after|| of the LAST optimiser step
                           before the snapshot (a per-step rate, whatever the snapshot interval;
                           0.0 when not measured, e.g. at step 0)
    'delta_rms':    float  sqrt(mean(grad_pre ** 2)): RMS per-sample backprop signal dl_i/dz
    'delta_rms_alive': float  the same over units that are not dead (nan if every unit is dead)
    'act_rms':      float  sqrt(mean(act ** 2))
    'dead_fraction':      float  ReLU layers: share of units with act <= 0 on every probe sample
    'saturated_fraction': float  tanh / sigmoid layers: share of units saturated (|tanh| > 0.99,
                          sigmoid outside [0.01, 0.99]) on >= 90 % of the probe samples
    'nonfinite':    int    non-finite entries in W, b, dW, db, pre and act together
    'hist': {'W', 'b', 'act', 'grad'}: each {'lo', 'hi', 'counts': int32 (B,), 'mean', 'std',
                          'nonfinite'}: B equal bins over [lo, hi] = [min, max] of the finite
                          values (lo - 0.5, hi + 0.5 when they are all equal), as np.histogram
                          (see ``histogram``); 'grad' is dW.  mean / std over the finite values.
    'neuron_act':    float32 (n,)  mean activation of each unit over the probe batch
    'neuron_grad':   float32 (n,)  mean |grad_act| (per-sample dl_i/da) over the probe batch
    'neuron_active': float32 (n,)  share of probe samples on which the unit is "active":
                     ReLU act > 0; leaky ReLU pre > 0; tanh / sigmoid not saturated; linear 1
    ('drift', 'drift_step': added by the run monitor, see watch.py)
  ]}

History thinning: at most ``MAX_SUMMARIES`` are kept; when one more arrives, every second
summary of the older half is dropped, so recent steps keep full resolution and old ones
thin out geometrically.  The page applies the same rule to its copy.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

BINS = 24
MAX_SUMMARIES = 600
SATURATION_LEVEL = {'tanh': (-0.99, 0.99), 'sigmoid': (0.01, 0.99)}
SATURATED_SHARE = 0.9  # a unit counts as saturated when saturated on >= 90 % of probe samples


def _rms(a: "np.ndarray") -> float:
    return math.sqrt(float(np.square(a, dtype=np.float64).sum()) / a.size) if a.size else 0.0


def _norm(a: "np.ndarray") -> float:
    return math.sqrt(float(np.square(a, dtype=np.float64).sum()))


def histogram(values: "np.ndarray", bins: int = BINS) -> "Dict[str, Any]":
    """{'lo', 'hi', 'counts', 'mean', 'std', 'nonfinite'} of the finite entries of ``values``.

    Bin of x: floor((x - lo) * bins / (hi - lo)) in float32, the top edge counted in the last
    bin -- np.histogram's bins, except that a value within rounding error of an inner edge may
    land in the neighbouring bin (numpy corrects those; its extra passes cost 10x more in Pyodide).
    """
    flat = np.asarray(values, dtype=np.float32).ravel()
    finite = flat if np.isfinite(flat).all() else flat[np.isfinite(flat)]
    nonfinite = int(flat.size - finite.size)
    if finite.size == 0:
        return {'lo': 0.0, 'hi': 0.0, 'counts': np.zeros(bins, dtype=np.int32), 'mean': float('nan'),
                'std': float('nan'), 'nonfinite': nonfinite}
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    index = ((finite - lo) * (bins / (hi - lo))).astype(np.intp)  # >= 0: lo is the minimum
    np.minimum(index, bins - 1, out=index)
    counts = np.bincount(index, minlength=bins).astype(np.int32)
    total = float(finite.sum(dtype=np.float64))
    squares = float(np.square(finite, dtype=np.float64).sum())
    mean = total / finite.size
    return {'lo': lo, 'hi': hi, 'counts': counts, 'mean': mean,
            'std': math.sqrt(max(0.0, squares / finite.size - mean * mean)), 'nonfinite': nonfinite}


def active_mask(activation: str, pre: "np.ndarray", act: "np.ndarray") -> "np.ndarray":
    """(P, n) bool: where each unit is active (see the module docstring)."""
    if activation == 'relu':
        return act > 0
    if activation == 'leaky_relu':
        return pre > 0
    if activation in SATURATION_LEVEL:
        low, high = SATURATION_LEVEL[activation]
        return (act >= low) & (act <= high)
    return np.ones(act.shape, dtype=bool)


def summarize_layer(layer: "Dict[str, Any]", activation: str, step_update: float = 0.0) -> "Dict[str, Any]":
    """The summary of one snapshot layer dict (see the module docstring)."""
    act, pre = layer['act'], layer['pre']
    P, n = act.shape
    with np.errstate(all='ignore'):
        active = active_mask(activation, pre, act)
        share_active = active.mean(axis=0) if P else np.ones(n)
        dead = (share_active == 0) if (activation == 'relu' and P) else np.zeros(n, dtype=bool)
        saturated = (1.0 - share_active >= SATURATED_SHARE) if (activation in SATURATION_LEVEL and P) \
            else np.zeros(n, dtype=bool)
        grad_pre = layer['grad_pre']
        alive = grad_pre[:, ~dead] if dead.any() else grad_pre
        hist = {'W': histogram(layer['W']), 'b': histogram(layer['b']), 'act': histogram(act), 'grad': histogram(layer['dW'])}
        nonfinite = sum(h['nonfinite'] for h in hist.values()) + sum(
            int(np.size(a) - np.count_nonzero(np.isfinite(a))) for a in (layer['db'], pre))
        return {
            'activation': activation,
            'W_norm': _norm(layer['W']), 'b_norm': _norm(layer['b']),
            'dW_norm': _norm(layer['dW']), 'db_norm': _norm(layer['db']),
            'update_ratio': float(layer['stats']['update_ratio']),
            'step_update': float(step_update),
            'delta_rms': _rms(grad_pre),
            'delta_rms_alive': _rms(alive) if alive.size else float('nan'),
            'act_rms': _rms(act),
            'dead_fraction': float(dead.mean()) if n else 0.0,
            'saturated_fraction': float(saturated.mean()) if n else 0.0,
            'nonfinite': nonfinite,
            'hist': hist,
            'neuron_act': (act.mean(axis=0) if P else np.zeros(n)).astype(np.float32),
            'neuron_grad': (np.abs(layer['grad_act']).mean(axis=0) if P else np.zeros(n)).astype(np.float32),
            'neuron_active': np.asarray(share_active, dtype=np.float32),
        }


def summarize(snapshot: "Dict[str, Any]", activations: "Optional[Sequence[str]]" = None,
              step_updates: "Optional[Sequence[float]]" = None) -> "Dict[str, Any]":
    """Summary of a whole snapshot.  ``activations``: one name per Dense layer (default: the
    snapshot's hidden activation, 'linear' for the output layer); ``step_updates``: the
    per-layer update ratio of the last optimiser step (default 0.0)."""
    n_layers = len(snapshot['layers'])
    if activations is None:
        activations = [snapshot['activation']] * (n_layers - 1) + ['linear']
    if step_updates is None:
        step_updates = [0.0] * n_layers
    layers = [summarize_layer(layer, activations[l], step_updates[l]) for l, layer in enumerate(snapshot['layers'])]
    losses = [snapshot['train']['loss'], snapshot['val']['loss']]
    finite = all(np.isfinite(v) for v in losses) and all(layer['nonfinite'] == 0 for layer in layers)
    return {
        'step': int(snapshot['step']), 'epoch': float(snapshot['epoch']), 'lr': float(snapshot['lr']),
        'train_loss': float(snapshot['train']['loss']), 'train_accuracy': float(snapshot['train']['accuracy']),
        'val_loss': float(snapshot['val']['loss']), 'val_accuracy': float(snapshot['val']['accuracy']),
        'finite': bool(finite), 'layers': layers,
    }


def thin(items: list, limit: int = MAX_SUMMARIES) -> list:
    """Apply the thinning rule (module docstring) once the list is longer than ``limit``."""
    if len(items) <= limit:
        return items
    half = len(items) // 2
    return items[:half][::2] + items[half:]


class History:
    """A run's summaries in step order; ``origin`` is the run's first summary (kept through thinning)."""

    def __init__(self, origin: "Optional[Dict[str, Any]]" = None) -> None:
        self.items = []  # type: List[Dict[str, Any]]
        self.origin = origin

    def append(self, summary: "Dict[str, Any]") -> None:
        if self.items and summary['step'] <= self.items[-1]['step']:
            self.truncate(summary['step'] - 1)
        if self.origin is None:
            self.origin = summary
        self.items.append(summary)
        self.items = thin(self.items)

    def truncate(self, step: int) -> None:
        """Forget summaries after ``step`` (a roll-back)."""
        self.items = [s for s in self.items if s['step'] <= step]

    def __len__(self) -> int:
        return len(self.items)

    def last(self, k: int) -> "List[Dict[str, Any]]":
        return self.items[-k:] if k > 0 else []
