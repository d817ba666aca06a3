"""Glassbox engine: small MLPs in pure numpy, built to be watched while they learn.

Runs unchanged in CPython and in Pyodide (Python 3.8 + numpy 1.17 and newer). Public API::

    data = glassbox.load_dataset('digits', seed=0)
    model = glassbox.MLP([64, 32, 10], activation='relu', init='he', seed=0)
    trainer = glassbox.Trainer(model, data, optimizer='sgd', lr=0.1, batch_size=32, seed=0)
    trainer.train(steps=500); trainer.evaluate(); trainer.snapshot()

The snapshot schema is written down once, in ``glassbox.snapshot``.
"""
from __future__ import annotations

from .activations import ACTIVATIONS, get_activation
from .datasets import DATASETS, TOY_SETS, load_dataset, load_idx, read_idx
from .initializers import INITIALIZERS
from .layers import Dense
from .losses import LOSSES
from .model import MLP
from .optimizers import OPTIMIZERS, make_optimizer
from .snapshot import make_snapshot
from .trainer import Trainer

__version__ = '0.1.0'

__all__ = ['ACTIVATIONS', 'DATASETS', 'Dense', 'INITIALIZERS', 'LOSSES', 'MLP', 'OPTIMIZERS',
           'TOY_SETS', 'Trainer', 'get_activation', 'load_dataset', 'load_idx', 'make_optimizer',
           'make_snapshot', 'read_idx']
