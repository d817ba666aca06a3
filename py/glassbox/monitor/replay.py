"""Replay: a run's thinned history of weights, so any recorded step can be drawn again.

An entry is kept at every snapshot (``record``; the protocol's run calls it with each answer's
snapshot)::

    {'step': int, 'n': int (the snapshot's number in the run), 'epoch': float, 'lr': float,
     'train': {'loss', 'accuracy'}, 'val': {'loss', 'accuracy'}   (the snapshot's metrics)
     'W': [float32 (n_l, n_{l+1})] * L, 'b': [float32 (n_{l+1},)] * L}

The W / b arrays are the snapshot's own copies (snapshot.py makes fresh ones), so recording copies
nothing.

Thinning rule: the n-th snapshot of the run (n = 0, 1, 2, ...) is kept when n is a multiple of
the stride s (1 at first); the newest snapshot is always shown too, until the next one replaces it.
When more than K (``limit``, ``MAX_ENTRIES`` = 64) entries are held, s doubles and the kept entries
whose n is not a multiple of the new s are dropped (every other one). So with snapshots every c
steps the history holds steps 0, s*c, 2*s*c, ... and the newest: it covers the whole run at a
cost that never grows past K entries. Memory: at most K x (weights + biases) x 4 bytes (float32):
K = 64 on digits 64-32-10 (2,410 parameters) is 617 kB; on MNIST 784-128-64-10 (109,386
parameters) 28 MB.

A snapshot at a step not after the newest entry (a roll-back, a reloaded state) first forgets the
entries after that step; a change of layer shapes starts the history afresh.

``replay_snapshot(trainer, entry)`` rebuilds a full snapshot (train/snapshot.py schema) of the
network as it was at ``entry``: a copy of the trainer with the entry's weights, on the same probe
batch; 'train', 'val', 'step', 'epoch' and 'lr' are the recorded ones, 'update_ratio' is relative
to the previous kept entry (0.0 for the first).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from ..train.trainer import Trainer, relative_changes

MAX_ENTRIES = 64


def _metrics(d: "Dict[str, Any]") -> "Dict[str, float]":
    return {'loss': float(d['loss']), 'accuracy': float(d['accuracy'])}


class Replay:
    """The thinned weight history of one run (module docstring)."""

    def __init__(self, limit: int = MAX_ENTRIES) -> None:
        if int(limit) < 2:
            raise ValueError('a replay history keeps at least 2 entries, got limit=%r' % (limit,))
        self.limit = int(limit)
        self.stride = 1
        self.count = 0  # snapshots recorded so far: the next one is number ``count``
        self.entries = []  # type: List[Dict[str, Any]]

    def record(self, snapshot: "Dict[str, Any]") -> None:
        """Keep the snapshot's step, metrics and weights (then thin; module docstring)."""
        entry = {'step': int(snapshot['step']), 'n': self.count, 'epoch': float(snapshot['epoch']),
                 'lr': float(snapshot['lr']), 'train': _metrics(snapshot['train']), 'val': _metrics(snapshot['val']),
                 'W': [layer['W'] for layer in snapshot['layers']], 'b': [layer['b'] for layer in snapshot['layers']]}
        self.count += 1
        if self.entries and [w.shape for w in self.entries[-1]['W']] != [w.shape for w in entry['W']]:
            self.entries = []
        if self.entries and entry['step'] <= self.entries[-1]['step']:
            self.entries = [e for e in self.entries if e['step'] < entry['step']]
        if self.entries and self.entries[-1]['n'] % self.stride:
            self.entries.pop()  # the previous newest was only shown, not kept
        self.entries.append(entry)
        if len(self.entries) > self.limit:
            self.stride *= 2
            self.entries = [e for e in self.entries[:-1] if e['n'] % self.stride == 0] + self.entries[-1:]

    def steps(self) -> "List[int]":
        return [e['step'] for e in self.entries]

    def nearest(self, step: "Any") -> "Dict[str, Any]":
        """The newest entry at or before ``step`` (the oldest one when ``step`` is earlier)."""
        if isinstance(step, bool) or not isinstance(step, (int, float)) or not np.isfinite(step):
            raise ValueError('step must be a step number, got %r' % (step,))
        if not self.entries:
            raise ValueError('nothing recorded yet: train (or take a snapshot) first')
        kept = [e for e in self.entries if e['step'] <= step]
        return kept[-1] if kept else self.entries[0]

    def previous(self, entry: "Dict[str, Any]") -> "Optional[Dict[str, Any]]":
        index = next(i for i, e in enumerate(self.entries) if e is entry)
        return self.entries[index - 1] if index > 0 else None

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept weight and bias arrays."""
        return int(sum(a.nbytes for e in self.entries for a in e['W'] + e['b']))

    def state(self) -> "Dict[str, Any]":
        """A plain structure (dicts, lists, arrays) for a run file (train/checkpoint.py's encoder)."""
        return {'limit': self.limit, 'stride': self.stride, 'count': self.count, 'entries': [dict(e, W=list(e['W']), b=list(e['b'])) for e in self.entries]}

    @classmethod
    def from_state(cls, state: "Dict[str, Any]", layer_sizes: "List[int]") -> "Replay":
        """The inverse of ``state``; ValueError when an entry's arrays do not fit ``layer_sizes``."""
        replay = cls(int(state.get('limit', MAX_ENTRIES)))
        replay.stride, replay.count = int(state.get('stride', 1)), int(state.get('count', 0))
        want = [((a, b), (b,)) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
        for k, e in enumerate(state.get('entries', [])):
            got = [(tuple(np.shape(W)), tuple(np.shape(b))) for W, b in zip(e['W'], e['b'])]
            if got != want or len(e['W']) != len(e['b']):
                raise ValueError('replay entry %d (step %s) has arrays %s; the network has layers %s'
                                 % (k, e.get('step'), got, layer_sizes))
            replay.entries.append({'step': int(e['step']), 'n': int(e['n']), 'epoch': float(e['epoch']), 'lr': float(e['lr']),
                                   'train': _metrics(e['train']), 'val': _metrics(e['val']),
                                   'W': [np.ascontiguousarray(W, dtype=np.float32) for W in e['W']],
                                   'b': [np.ascontiguousarray(b, dtype=np.float32) for b in e['b']]})
        steps = replay.steps()
        if steps != sorted(set(steps)):
            raise ValueError('replay steps must increase, got %s' % steps)
        return replay


def replay_snapshot(trainer: Trainer, entry: "Dict[str, Any]",
                    previous: "Optional[Dict[str, Any]]" = None) -> "Dict[str, Any]":
    """A full snapshot of ``trainer``'s network with ``entry``'s weights (module docstring); the
    trainer itself is left untouched."""
    copy = trainer.fork()
    dtype = copy.model.dtype
    for layer, W, b in zip(copy.model.layers, entry['W'], entry['b']):
        if layer.W.shape != W.shape or layer.b.shape != b.shape:
            raise ValueError('the recorded weights (%s) do not fit the network (%s)'
                             % (W.shape, layer.W.shape))
        layer.W = np.array(W, dtype=dtype)
        layer.b = np.array(b, dtype=dtype)
    copy.forget_update_reference()
    snapshot = copy.snapshot(val=entry['val'])
    ratios = relative_changes(entry['W'], previous['W']) if previous is not None else [0.0] * len(entry['W'])
    for layer, ratio in zip(snapshot['layers'], ratios):
        layer['stats']['update_ratio'] = float(ratio)
    snapshot.update(step=entry['step'], epoch=entry['epoch'], lr=entry['lr'], train=dict(entry['train']))
    return snapshot
