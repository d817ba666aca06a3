"""Where swarm members live and train: a ``MemberHost`` keeps some members' trainers and measures
them. Every executor uses it -- one per page worker, one per Ray actor, one in-process.

All members of a swarm train on the same split of the same dataset (``data_seed``), so their
validation figures compare and their predictions on the shared probe (the first ``probe``
validation rows) can be matched for the functional similarity (diversity.py).

``train(member, steps)`` answers one measurement::

    {'member', 'step': optimiser steps so far, 'allocated': steps, 'loss': {'last', 'mean', 'min',
     'max', 'count'} of this call's minibatch losses, 'metrics': {'val_accuracy', 'val_loss',
     'macro_f1', 'train_accuracy' (running, over this call's minibatches), 'gap'},
     'layers': stream.py's layer summaries, 'architecture', 'hyperparameters',
     'resources': {'ms_per_step', 'samples_per_s', 'params', 'bytes', 'cpu_s', 'rss_bytes'},
     'flags': anomalies (below) + the health detectors' alert kinds, 'predictions': [class per
     probe row], 'alerts': the health monitor's alerts}

Anomaly flags: 'diverged' (a non-finite loss or weights), 'loss_spike' (validation loss above
1.5 x the member's best so far and at least 0.1 above it), 'slow' (ms/step above 3 x the
member's median of earlier calls, once it has 3).
"""
from __future__ import annotations

import math
import time
from typing import Any, Dict, List, Optional

import numpy as np

from ..data.registry import load_dataset
from ..monitor.watch import RunHealth
from ..train.checkpoint import state_from_bytes, state_to_bytes
from ..train.config import build_trainer, validate_config
from ..train.trainer import Trainer
from .breeding import inherit

VALUES_MAX = 64
PROBE = 256


def macro_f1(pred: "np.ndarray", y: "np.ndarray", n_classes: int) -> float:
    """Mean over classes of 2 TP / (2 TP + FP + FN) (a class absent from both counts as 1)."""
    scores = []
    for c in range(n_classes):
        tp = int(np.count_nonzero((pred == c) & (y == c)))
        fp = int(np.count_nonzero((pred == c) & (y != c)))
        fn = int(np.count_nonzero((pred != c) & (y == c)))
        scores.append(1.0 if tp + fp + fn == 0 else 2.0 * tp / (2.0 * tp + fp + fn))
    return float(np.mean(scores))


def layer_summaries(trainer: Trainer, layers: "Optional[List[int]]" = None, values_max: int = VALUES_MAX) -> list:
    out = []
    for l, layer in enumerate(trainer.model.layers):
        if layers is not None and l not in layers:
            continue
        W = layer.W.astype(np.float64)
        entry = {'layer': l, 'shape': list(layer.W.shape), 'w_norm': float(np.linalg.norm(W)),
                 'w_mean': float(W.mean()), 'w_std': float(W.std()), 'w_absmax': float(np.abs(W).max()),
                 'b_norm': float(np.linalg.norm(layer.b.astype(np.float64)))}
        if W.size <= values_max:
            entry['values'] = [round(float(v), 6) for v in W.ravel()]
        out.append(entry)
    return out


def _optimizer_bytes(trainer: Trainer) -> int:
    total = 0

    def walk(value):
        nonlocal total
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
    walk(trainer.optimizer.state_dict())
    return total


def _rss_bytes() -> "Optional[int]":
    try:
        import resource  # absent in Pyodide: the page reports null
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
    except Exception:
        return None


class Member:
    def __init__(self, trainer: Trainer, config: dict) -> None:
        self.trainer = trainer
        self.config = config
        self.health = RunHealth()
        self.best_val_loss = math.inf
        self.ms_history = []  # type: List[float]


class MemberHost:
    """Members by id, their data (loaded once per dataset) and their measurements."""

    def __init__(self, data_seed: int = 0, layers: "Optional[List[int]]" = None, values_max: int = VALUES_MAX,
                 probe: int = PROBE) -> None:
        self.data_seed = int(data_seed)
        self.layers = layers
        self.values_max = int(values_max)
        self.probe = int(probe)
        self.members = {}  # type: Dict[str, Member]
        self._data = {}  # type: Dict[str, dict]

    def data(self, name: str) -> dict:
        if name not in self._data:
            self._data[name] = load_dataset(name, seed=self.data_seed)
        return self._data[name]

    def member(self, member_id: str) -> Member:
        if member_id not in self.members:
            raise ValueError('no swarm member %r here; members: %s' % (member_id, ', '.join(sorted(self.members)) or 'none'))
        return self.members[member_id]

    def create(self, member_id: str, config: dict) -> dict:
        config = validate_config(config)
        self.members[str(member_id)] = Member(build_trainer(config, self.data(config['dataset'])), config)
        return {'member': member_id}

    def drop(self, member_id: str) -> dict:
        self.members.pop(member_id, None)
        return {}

    def state(self, member_id: str) -> bytes:
        """The member's exact state (train/checkpoint.py bytes)."""
        return state_to_bytes(self.member(member_id).trainer.state_dict())

    def load(self, member_id: str, blob: bytes, config: dict) -> dict:
        """``member_id`` continues from another member's exact state (weights, optimiser state,
        data order) with ``config``'s lr, l2 and batch size (PBT exploit + explore)."""
        config = validate_config(config)
        trainer = Trainer.from_state(self.data(config['dataset']), state_from_bytes(blob))
        trainer.lr = config['lr']
        trainer.optimizer.weight_decay = float(config['l2'])
        trainer.batch_size = max(1, min(int(config['batch_size']), len(trainer.X_train)))
        self.members[member_id] = Member(trainer, config)
        return {'member': member_id}

    def breed(self, member_id: str, config: dict, parent_blobs: "List[bytes]") -> dict:
        """A child built from ``config`` that inherits its parents' weights (breeding.py)."""
        config = validate_config(config)
        data = self.data(config['dataset'])
        child = build_trainer(config, data)
        parents = [Trainer.from_state(data, state_from_bytes(b)).model for b in parent_blobs]
        inherit(child.model, parents)
        self.members[member_id] = Member(child, config)
        return {'member': member_id}

    def train(self, member_id: str, steps: int) -> dict:
        """Train ``steps`` steps and measure (module docstring)."""
        m = self.member(member_id)
        trainer = m.trainer
        steps = int(steps)
        losses = []
        cpu0, t0 = time.process_time(), time.perf_counter()
        m.health.before_chunk(trainer)
        for i in range(steps):
            if i == steps - 1:
                m.health.before_last_step(trainer)
            losses.append(trainer.step())
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        snapshot = trainer.snapshot()
        health = m.health.after_snapshot(trainer, snapshot, m.config, member_id)
        return self._measure(member_id, m, steps, losses, seconds, cpu, health['alerts'])

    def _measure(self, member_id, m, steps, losses, seconds, cpu, alerts) -> dict:
        trainer = m.trainer
        data = trainer.data
        val = trainer.evaluate('val', predictions=True)
        pred = val['predictions']
        train = trainer.consume_train_metrics()
        finite = [x for x in losses if math.isfinite(x)]
        diverged = len(finite) < len(losses) or not all(np.isfinite(l.W).all() for l in trainer.model.layers)
        ms = 1000.0 * seconds / max(1, steps)
        flags = []
        if diverged or not math.isfinite(val['loss']):
            flags.append('diverged')
        elif val['loss'] > 1.5 * m.best_val_loss and val['loss'] - m.best_val_loss >= 0.1:
            flags.append('loss_spike')
        if len(m.ms_history) >= 3 and ms > 3.0 * float(np.median(m.ms_history)):
            flags.append('slow')
        m.ms_history.append(ms)
        if math.isfinite(val['loss']):
            m.best_val_loss = min(m.best_val_loss, val['loss'])
        flags += sorted({a['kind'] for a in alerts} - set(flags))
        params = sum(int(p.size) for layer in trainer.model.params() for p in layer.values())
        param_bytes = sum(int(p.nbytes) for layer in trainer.model.params() for p in layer.values())
        config = m.config
        return {
            'member': member_id, 'step': trainer.step_count, 'allocated': steps,
            'loss': ({'last': losses[-1], 'mean': float(np.mean(losses)), 'min': float(np.min(losses)),
                      'max': float(np.max(losses)), 'count': len(losses)} if losses else None),
            'metrics': {'val_accuracy': val['accuracy'], 'val_loss': val['loss'],
                        'macro_f1': macro_f1(pred, trainer.y_val, int(data['n_classes'])),
                        'train_accuracy': train['accuracy'], 'gap': train['accuracy'] - val['accuracy']},
            'layers': layer_summaries(trainer, self.layers, self.values_max),
            'architecture': {'sizes': trainer.model.layer_sizes, 'activation': config['activation'],
                             'init': config['init'], 'params': params},
            'hyperparameters': {'optimizer': config['optimizer'], 'lr': trainer.lr,
                                'batch_size': trainer.batch_size, 'l2': float(trainer.optimizer.weight_decay)},
            'resources': {'ms_per_step': ms, 'samples_per_s': 1000.0 * trainer.batch_size / ms if ms > 0 else None,
                          'params': params, 'bytes': param_bytes + _optimizer_bytes(trainer),
                          'cpu_s': cpu, 'rss_bytes': _rss_bytes()},
            'flags': flags,
            'predictions': [int(p) for p in pred[:self.probe]],
            'alerts': [{'kind': a['kind'], 'title': a['title'], 'severity': a['severity']} for a in alerts],
        }
