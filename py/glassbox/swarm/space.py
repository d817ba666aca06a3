"""Search spaces: the settings a swarm's members may take, and how members are drawn from them.

A space is a plain dict (JSON both ways)::

    {'dataset': name (data.registry.DATASETS),
     'depth': [min, max]             hidden layers, drawn uniformly,
     'widths': [w, ...]              choices for every hidden layer's width,
     'activation': [...], 'init': [...], 'optimizer': [...]      categorical choices,
     'lr': [lo, hi]                  log-uniform: lr = exp(U(log lo, log hi)),
     'batch_size': [b, ...]          choices,
     'l2': [lo, hi]                  log-uniform when lo > 0; with lo = 0: 0 half the time, else
                                     log-uniform in [hi / 1000, hi]; [0, 0] means no L2}

A member's config is a full run config (train.config.CONFIG_FIELDS), so every member is an
ordinary run that the single-network views can open.

Explore (PBT): each continuous hyperparameter (lr, l2) is multiplied by 0.8 or 1.2 (fair coin),
the batch size moves to a neighbouring choice; with probability ``resample`` a hyperparameter is
drawn afresh from the space instead. Results are clipped into the space. Architecture,
activation, initialiser and optimiser are never explored: an exploiting member keeps the
weights and optimiser state it copied, and those only fit the network they came from.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Dict, List

import numpy as np

from ..checks import choice
from ..data.registry import DATASETS
from ..nn.activations import ACTIVATIONS
from ..nn.initializers import INITIALIZERS
from ..nn.optimizers import OPTIMIZERS
from ..train.config import FIELDS, MAX_HIDDEN_LAYERS, MAX_WIDTH, validate_config

CATEGORICAL = {'activation': tuple(ACTIVATIONS), 'init': tuple(INITIALIZERS), 'optimizer': tuple(OPTIMIZERS)}
EXPLORED = ('lr', 'l2', 'batch_size')

SPACES = {
    'digits': {'dataset': 'digits', 'depth': [1, 2], 'widths': [8, 16, 32, 64], 'activation': ['relu', 'tanh'],
               'init': ['he', 'glorot'], 'optimizer': ['sgd', 'momentum', 'adam'], 'lr': [0.001, 1.0],
               'batch_size': [16, 32, 64], 'l2': [0.0, 0.001]},
    'learning-rates': {'dataset': 'digits', 'depth': [1, 1], 'widths': [32], 'activation': ['relu'], 'init': ['he'],
                       'optimizer': ['sgd'], 'lr': [0.0001, 10.0], 'batch_size': [32], 'l2': [0.0, 0.0]},
    'architectures': {'dataset': 'digits', 'depth': [1, 3], 'widths': [4, 8, 16, 32, 64, 128],
                      'activation': ['relu', 'leaky_relu', 'tanh', 'sigmoid'], 'init': ['he', 'glorot'],
                      'optimizer': ['momentum'], 'lr': [0.01, 0.3], 'batch_size': [32], 'l2': [0.0, 0.0]},
    'mnist': {'dataset': 'mnist', 'depth': [1, 2], 'widths': [32, 64, 128], 'activation': ['relu', 'tanh'],
              'init': ['he', 'glorot'], 'optimizer': ['sgd', 'adam'], 'lr': [0.0003, 0.5], 'batch_size': [32, 64],
              'l2': [0.0, 0.0001]},
    'two-d': {'dataset': 'circle', 'depth': [1, 3], 'widths': [2, 4, 8, 16], 'activation': ['relu', 'tanh'],
              'init': ['he', 'glorot'], 'optimizer': ['sgd', 'adam'], 'lr': [0.003, 1.0], 'batch_size': [16, 32],
              'l2': [0.0, 0.001]},
}
DEFAULT_SPACE = 'digits'


def _range(space: dict, key: str, lo_min: float, hi_max: float) -> "List[float]":
    value = space[key]
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and
            all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            and lo_min <= value[0] <= value[1] <= hi_max):
        raise ValueError('space %s must be [low, high] with %g <= low <= high <= %g, got %r'
                         % (key, lo_min, hi_max, value))
    return [float(value[0]), float(value[1])]


def _choices(space: dict, key: str, check) -> list:
    value = space[key]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError('space %s must be a non-empty list of choices, got %r' % (key, value))
    return [check(v) for v in value]


def check_space(space: "Any") -> dict:
    """A complete, checked space: a preset name, or a dict whose missing keys take the default
    preset's values. ValueError names the key and what it must be."""
    if isinstance(space, str) or space is None:
        name = DEFAULT_SPACE if space is None else space
        if name not in SPACES:
            raise ValueError('unknown search space %r; presets: %s' % (name, ', '.join(SPACES)))
        space = SPACES[name]
    if not isinstance(space, dict):
        raise ValueError('space must be a preset name or an object, got %r' % (space,))
    unknown = sorted(set(space) - set(SPACES[DEFAULT_SPACE]))
    if unknown:
        raise ValueError('unknown search space key(s): %s' % ', '.join(unknown))
    merged = dict(SPACES[DEFAULT_SPACE], **space)
    depth = _range(merged, 'depth', 1, MAX_HIDDEN_LAYERS)
    out = {'dataset': choice(merged['dataset'], 'space dataset', DATASETS),
           'depth': [int(depth[0]), int(depth[1])],
           'widths': _choices(merged, 'widths', _width),
           'lr': _range(merged, 'lr', FIELDS['lr']['min'], FIELDS['lr']['max']),
           'batch_size': _choices(merged, 'batch_size', lambda b: _whole(b, 'batch_size', 1, 4096)),
           'l2': _range(merged, 'l2', 0.0, FIELDS['l2']['max'])}
    for key, options in CATEGORICAL.items():
        out[key] = _choices(merged, key, lambda v, k=key, o=options: choice(v, 'space ' + k, o))
    if depth[0] != int(depth[0]) or depth[1] != int(depth[1]):
        raise ValueError('space depth must be whole numbers, got %r' % (merged['depth'],))
    return out


def _whole(value: "Any", what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError('space %s choices must be integers from %d to %d, got %r' % (what, lo, hi, value))
    return value


def _width(value: "Any") -> int:
    return _whole(value, 'widths', 1, MAX_WIDTH)


def _log_uniform(rng: "np.random.Generator", lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if lo < hi else float(lo)


def _draw(space: dict, key: str, rng: "np.random.Generator") -> "Any":
    """One hyperparameter drawn from the space (the module docstring's rules)."""
    if key == 'lr':
        return _log_uniform(rng, *space['lr'])
    if key == 'l2':
        lo, hi = space['l2']
        if hi == 0:
            return 0.0
        if lo == 0:
            return 0.0 if rng.random() < 0.5 else _log_uniform(rng, hi / 1000.0, hi)
        return _log_uniform(rng, lo, hi)
    options = space[key]
    return options[int(rng.integers(len(options)))]


def sample(space: dict, rng: "np.random.Generator", seed: int) -> dict:
    """One random member config (seed = the member's weight/batch seed)."""
    depth = int(rng.integers(space['depth'][0], space['depth'][1] + 1))
    config = {'dataset': space['dataset'],
              'hidden': [int(space['widths'][int(rng.integers(len(space['widths'])))]) for _ in range(depth)],
              'seed': int(seed)}
    for key in tuple(CATEGORICAL) + EXPLORED:
        config[key] = _draw(space, key, rng)
    return validate_config(config)


def grid(space: dict, n: int, seed: int = 0) -> "List[dict]":
    """``n`` configs spread over the space: the product of its categorical choices, depths and
    widths (equal widths per network), crossed with ``n`` learning rates evenly spaced in log;
    the first ``n`` in an order that cycles through the learning rates first."""
    lo, hi = space['lr']
    rates = [float(lo)] if lo == hi else [float(math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / max(1, n - 1)))
                                          for i in range(n)]
    shapes = [[w] * d for d in range(space['depth'][0], space['depth'][1] + 1) for w in space['widths']]
    combos = list(itertools.product(shapes, space['activation'], space['init'], space['optimizer'],
                                    space['batch_size']))
    configs = []
    for i in range(n):
        hidden, activation, init, optimizer, batch = combos[i % len(combos)]
        configs.append(validate_config({'dataset': space['dataset'], 'hidden': list(hidden), 'activation': activation,
                                        'init': init, 'optimizer': optimizer, 'batch_size': batch,
                                        'lr': rates[i % len(rates)], 'l2': 0.0, 'seed': seed + i}))
    return configs


def _clip(value: float, lo: float, hi: float) -> float:
    return float(min(max(value, lo), hi))


def explore(config: dict, space: dict, rng: "np.random.Generator", resample: float = 0.25) -> "Dict[str, Any]":
    """A copy of ``config`` with lr, l2 and batch size perturbed or resampled (docstring)."""
    out = dict(config)
    for key in EXPLORED:
        if rng.random() < resample:
            out[key] = _draw(space, key, rng)
        elif key == 'batch_size':
            options = sorted(space['batch_size'])
            here = min(range(len(options)), key=lambda i: abs(options[i] - config[key]))
            out[key] = options[int(_clip(here + (1 if rng.random() < 0.5 else -1), 0, len(options) - 1))]
        else:
            factor = 1.2 if rng.random() < 0.5 else 0.8
            lo, hi = space[key]
            out[key] = _clip(config[key] * factor, lo, hi)
    return validate_config(out)


def contains(config: dict, space: dict) -> bool:
    """Whether a member config lies inside the space (ranges inclusive, with float slack)."""
    def within(value, lo, hi):
        return lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9)
    l2_lo = space['l2'][0]
    return (config['dataset'] == space['dataset']
            and space['depth'][0] <= len(config['hidden']) <= space['depth'][1]
            and all(w in space['widths'] for w in config['hidden'])
            and all(config[k] in space[k] for k in CATEGORICAL)
            and config['batch_size'] in space['batch_size']
            and within(config['lr'], *space['lr'])
            and (config['l2'] == 0 or within(config['l2'], l2_lo if l2_lo > 0 else space['l2'][1] / 1000.0,
                                             space['l2'][1])))
