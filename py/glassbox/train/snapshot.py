"""The snapshot: everything the visualisation draws, at one training step.

Schema (version 1).  L = number of Dense layers, n_l = layer_sizes[l],
P = probe size.  Arrays are C-contiguous numpy float32 unless marked int32;
scalars are plain Python int / float / str (never numpy scalars).  Non-finite
values (a diverged run) appear as float('nan') / float('inf'); nothing raises.

{
 'schema':      1,
 'step':        int     optimiser steps taken so far
 'epoch':       float   training samples seen / training set size
 'lr':          float   current learning rate
 'layer_sizes': [n_0, ..., n_L]  (list of int)
 'activation':  str     hidden-layer activation name
 'loss_name':   str     'cross_entropy' or 'mse'
 'train': {'loss': float, 'accuracy': float}
                running mean over the minibatches since the previous snapshot;
                before any step: evaluated on the first <= 512 training samples
 'val':   {'loss': float, 'accuracy': float}   on the first SNAPSHOT_VAL_LIMIT (1000)
                validation samples (all of them for digits and the toy sets); the split
                is shuffled, so this is a fixed random subset. Trainer.evaluate() gives
                the full set. (For MNIST-10k the full 2000 cost more than 100 training
                steps' worth of time per snapshot in Pyodide.)
 'probe': {
    'index': int32 (P,)      rows of the validation set in the probe batch
    'x':     (P, n_0)        probe inputs
    'y':     int32 (P,)      true labels
    'pred':  int32 (P,)      predicted labels (argmax of the outputs)
    'prob':  (P, n_L)        class probabilities (softmax of the outputs)
 }
 'layers': [ one dict per Dense layer l = 0 .. L-1, mapping n_l -> n_{l+1}:
    'W':        (n_l, n_{l+1})   weights
    'b':        (n_{l+1},)       biases
    'dW':       (n_l, n_{l+1})   gradient of the MEAN probe loss w.r.t. W
    'db':       (n_{l+1},)       gradient of the MEAN probe loss w.r.t. b
    'pre':      (P, n_{l+1})     pre-activations z = a_l @ W + b on the probe
    'act':      (P, n_{l+1})     activations f(z) on the probe (last layer: outputs)
    'grad_pre': (P, n_{l+1})     PER-SAMPLE gradient dl_i/dz_i
    'grad_act': (P, n_{l+1})     PER-SAMPLE gradient dl_i/da_i
                                 (both = P * the mean-loss gradient, so they do
                                 not shrink as P grows)
    'stats': {                   Python floats
        'W_norm':        ||W|| (Frobenius)
        'dW_norm':       ||dW||
        'b_norm':        ||b||
        'act_mean':      mean of 'act' over all P x n_{l+1} entries
        'act_std':       standard deviation of 'act' over the same entries
        'grad_norm':     ||dW|| (same as dW_norm; kept for the chart's naming)
        'update_ratio':  ||W - W_prev|| / ||W|| where W_prev is W at the
                         previous snapshot; 0.0 at the first snapshot
        'dead_fraction': share of units whose act <= 0 for every probe sample,
                         when this layer's activation is 'relu'; else 0.0
    }
 ]
}

Taking a snapshot has side effects on the trainer: it resets the running
train metrics and remembers W for the next 'update_ratio'.  The probe pass is
``nn.trace`` (the same products as a training step), so the layers' caches are
left alone.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ..nn.trace import trace

SCHEMA_VERSION = 1
SNAPSHOT_VAL_LIMIT = 1000  # validation rows evaluated per snapshot (see 'val' above)


def _f32(a: "np.ndarray") -> "np.ndarray":
    """Fresh C-contiguous float32 copy (callers may keep it while training goes on)."""
    return np.array(a, dtype=np.float32, order="C", copy=True)


def _norm(a: "np.ndarray") -> float:
    # Accumulate in float64: a float32 sum of squares of ~10^5 entries loses digits.
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def layer_stats(layer_snapshot: "Dict[str, Any]", activation: str, update_ratio: float) -> "Dict[str, float]":
    """The 'stats' dict of one layer, computed from that layer's snapshot arrays."""
    act = layer_snapshot["act"]
    dW_norm = _norm(layer_snapshot["dW"])
    if activation == "relu" and act.shape[0] > 0:
        dead = float(np.mean(np.all(act <= 0, axis=0)))
    else:
        dead = 0.0
    return {
        "W_norm": _norm(layer_snapshot["W"]),
        "dW_norm": dW_norm,
        "b_norm": _norm(layer_snapshot["b"]),
        "act_mean": float(np.mean(act, dtype=np.float64)) if act.size else 0.0,
        "act_std": float(np.std(act, dtype=np.float64)) if act.size else 0.0,
        "grad_norm": dW_norm,
        "update_ratio": float(update_ratio),
        "dead_fraction": dead,
    }


def make_snapshot(trainer: "Any", val: "Optional[Dict[str, float]]" = None) -> "Dict[str, Any]":
    """Build the schema-1 snapshot dict for ``trainer`` (see module docstring). ``val``: the
    'val' metrics when another engine already computed them on the same rows, else evaluated."""
    model = trainer.model
    with np.errstate(all="ignore"):
        train_metrics = trainer.consume_train_metrics()
        val_metrics = dict(val) if val is not None else trainer.evaluate("val", limit=SNAPSHOT_VAL_LIMIT)
        update_ratios = trainer.take_update_ratios()

        P = len(trainer.probe_index)
        probe = {
            "index": np.ascontiguousarray(trainer.probe_index, dtype=np.int32),
            "x": _f32(trainer.probe_x),
            "y": np.ascontiguousarray(trainer.probe_y, dtype=np.int32),
        }
        layers = []
        if P > 0:
            tr = trace(model, trainer.probe_x, trainer.probe_y, param_grads=True)
            logits = tr["act"][-1]
            probe["pred"] = np.argmax(logits, axis=1).astype(np.int32)
            probe["prob"] = _f32(model.loss_fn.probabilities(logits))
        else:
            n_out = model.layer_sizes[-1]
            probe["pred"] = np.zeros(0, dtype=np.int32)
            probe["prob"] = np.zeros((0, n_out), dtype=np.float32)

        for l, layer in enumerate(model.layers):
            if P > 0:
                entry = {
                    "W": _f32(layer.W),
                    "b": _f32(layer.b),
                    "dW": _f32(tr["grads"][l]["W"]),
                    "db": _f32(tr["grads"][l]["b"]),
                    "pre": _f32(tr["pre"][l]),
                    "act": _f32(tr["act"][l]),
                    # mean-loss gradient * P = per-sample gradient (see losses.py)
                    "grad_pre": _f32(tr["grad_pre"][l] * np.float32(P)),
                    "grad_act": _f32(tr["grad_act"][l] * np.float32(P)),
                }
            else:
                empty = np.zeros((0, layer.n_out), dtype=np.float32)
                entry = {
                    "W": _f32(layer.W), "b": _f32(layer.b),
                    "dW": np.zeros_like(layer.W, dtype=np.float32),
                    "db": np.zeros_like(layer.b, dtype=np.float32),
                    "pre": empty, "act": empty.copy(), "grad_pre": empty.copy(), "grad_act": empty.copy(),
                }
            entry["stats"] = layer_stats(entry, layer.activation_name, update_ratios[l])
            layers.append(entry)

    return {
        "schema": SCHEMA_VERSION,
        "step": int(trainer.step_count),
        "epoch": float(trainer.epoch),
        "lr": float(trainer.lr),
        "layer_sizes": [int(n) for n in model.layer_sizes],
        "activation": str(model.activation),
        "loss_name": str(model.loss_name),
        "train": {"loss": float(train_metrics["loss"]), "accuracy": float(train_metrics["accuracy"])},
        "val": {"loss": float(val_metrics["loss"]), "accuracy": float(val_metrics["accuracy"])},
        "probe": probe,
        "layers": layers,
    }
