"""A run's settings: every field declared once (``CONFIG_FIELDS``), checked, and turned into a
Trainer.

The page builds the engine rows of its URL schema from these rows (``protocol/tables.py``
hands them over), so a new setting is one row here plus its use in ``build_trainer``.
Row: {'key', 'type': 'enum' | 'intlist' | 'number' | 'int', 'default', 'label', 'options'
(enum), 'min' / 'max' (numbers; for intlist, each entry), 'maxLength' (intlist)}.
"""
from __future__ import annotations

import math
from typing import Any, Dict

from ..data.registry import DATASETS, USER_DATASET
from ..nn.activations import ACTIVATIONS
from ..nn.initializers import INITIALIZERS
from ..nn.model import MLP
from ..nn.optimizers import OPTIMIZERS
from .limits import check_fits
from .trainer import Trainer

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 1024
CONFIG_FIELDS = (
    {'key': 'dataset', 'type': 'enum', 'default': 'digits', 'options': list(DATASETS) + [USER_DATASET],
     'label': 'Dataset'},
    {'key': 'hidden', 'type': 'intlist', 'default': [32], 'min': 1, 'max': MAX_WIDTH,
     'maxLength': MAX_HIDDEN_LAYERS, 'label': 'Hidden layers'},
    {'key': 'activation', 'type': 'enum', 'default': 'relu', 'options': list(ACTIVATIONS), 'label': 'Activation'},
    {'key': 'init', 'type': 'enum', 'default': 'he', 'options': list(INITIALIZERS), 'label': 'Initialiser'},
    {'key': 'optimizer', 'type': 'enum', 'default': 'sgd', 'options': list(OPTIMIZERS), 'label': 'Optimiser'},
    {'key': 'lr', 'type': 'number', 'default': 0.1, 'min': 1e-6, 'max': 10, 'label': 'Learning rate'},
    {'key': 'batch_size', 'type': 'int', 'default': 32, 'min': 1, 'max': 4096, 'label': 'Batch size'},
    {'key': 'seed', 'type': 'int', 'default': 0, 'min': 0, 'max': 2 ** 31 - 1, 'label': 'Seed'},
    {'key': 'l2', 'type': 'number', 'default': 0.0, 'min': 0, 'max': 1, 'label': 'L2'},
    {'key': 'bias_init', 'type': 'number', 'default': 0.0, 'min': -10, 'max': 10, 'label': 'Bias initialisation'},
)
FIELDS = {row['key']: row for row in CONFIG_FIELDS}
DEFAULT_CONFIG = {row['key']: row['default'] for row in CONFIG_FIELDS}
CHOICES = {row['key']: tuple(row['options']) for row in CONFIG_FIELDS if row['type'] == 'enum'}


def _is_number(value: "Any") -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_field(key: str, value: "Any") -> "Any":
    """``value`` checked against row ``key`` (ValueError names the key and the allowed values)."""
    row = FIELDS[key]
    kind = row['type']
    if kind == 'enum':
        if value not in row['options']:
            raise ValueError('%s must be one of %s, got %r' % (key, ', '.join(row['options']), value))
        return value
    if kind == 'intlist':
        ok = isinstance(value, (list, tuple)) and len(value) <= row['maxLength'] and all(
            isinstance(v, int) and not isinstance(v, bool) and row['min'] <= v <= row['max'] for v in value)
        if not ok:
            raise ValueError('%s must be a list of at most %d layer widths between %d and %d, got %r'
                             % (key, row['maxLength'], row['min'], row['max'], value))
        return [int(v) for v in value]
    whole = kind == 'int'
    if not _is_number(value) or (whole and not isinstance(value, int)) or not row['min'] <= value <= row['max']:
        raise ValueError('%s must be %s from %g to %g, got %r'
                         % (key, 'an integer' if whole else 'a number', row['min'], row['max'], value))
    return int(value) if whole else float(value)


def validate_config(config: "Dict[str, Any]") -> "Dict[str, Any]":
    """A complete, checked config: missing keys take defaults, bad values raise ValueError."""
    if not isinstance(config, dict):
        raise ValueError('config must be an object of settings, got %r' % (config,))
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ValueError('unknown config key(s): %s' % ', '.join(unknown))
    merged = dict(DEFAULT_CONFIG, **config)
    return {key: check_field(key, merged[key]) for key in DEFAULT_CONFIG}


def build_trainer(config: "Dict[str, Any]", data: "Dict[str, Any]") -> Trainer:
    """A fresh Trainer for a validated ``config`` on ``data`` (same seed -> same run). A run that
    would not fit in the browser engine's memory is refused before anything is allocated
    (ValueError naming the limit and what to reduce, train/limits.py)."""
    sizes = [int(data['X_train'].shape[1])] + list(config['hidden']) + [int(data['n_classes'])]
    check_fits(sizes, config['optimizer'], config['batch_size'], len(data['X_train']), len(data['X_val']))
    model = MLP(sizes, activation=config['activation'], init=config['init'], seed=config['seed'],
                bias_init=config['bias_init'])
    return Trainer(model, data, optimizer=config['optimizer'], lr=config['lr'], batch_size=config['batch_size'],
                   seed=config['seed'], weight_decay=config['l2'])
