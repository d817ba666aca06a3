"""Fitness from the user's goals, and the probabilities compute follows.

Every goal is a term in [0, 1], higher is better, computed from a member's latest measurement
(host.py) and, for the resource terms, relative to the population::

    accuracy = validation accuracy
    loss     = 1 / (1 + validation loss)
    f1       = validation macro-F1
    gap      = 1 - clip(train accuracy - validation accuracy, 0, 1)      (generalisation)
    speed    = samples/s / the population's highest samples/s
    params   = the population's smallest parameter count / this member's
    memory   = the population's smallest bytes (parameters + optimiser state) / this member's

    fitness = sum_k w_k * term_k / sum_k w_k        (weights w_k >= 0, not all 0)
    p_i     = fitness_i / sum_j fitness_j           (uniform when every fitness is 0)

A member whose loss or metrics are not finite (a diverged run) has fitness 0. The brief's
"fitness = accuracy * w_acc + efficiency * w_eff" is this rule with efficiency split into speed,
params and memory.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List

from ..checks import number

GOALS = {'accuracy': 1.0, 'loss': 0.0, 'f1': 0.0, 'gap': 0.0, 'speed': 0.0, 'params': 0.0, 'memory': 0.0}
GOAL_LABELS = {'accuracy': 'validation accuracy', 'loss': 'validation loss (lower is better)',
               'f1': 'macro-F1', 'gap': 'small train - validation gap', 'speed': 'samples per second',
               'params': 'few parameters', 'memory': 'little memory'}


def check_goals(goals: "Any") -> "Dict[str, float]":
    """Goal weights: missing keys take 0 (or the defaults when ``goals`` is None)."""
    if goals is None:
        return dict(GOALS)
    if not isinstance(goals, dict):
        raise ValueError('goals must be an object of weights like {"accuracy": 1}, got %r' % (goals,))
    unknown = sorted(set(goals) - set(GOALS))
    if unknown:
        raise ValueError('unknown goal(s) %s; goals: %s' % (', '.join(unknown), ', '.join(GOALS)))
    out = {key: number(goals.get(key, 0.0), 'goal ' + key, 0.0, 1000.0) for key in GOALS}
    if sum(out.values()) <= 0:
        raise ValueError('at least one goal needs a weight above 0')
    return out


def _finite(x: "Any") -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _num(x: "Any") -> float:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else float('nan')


def terms(measurement: dict, population: "List[dict]") -> "Dict[str, float]":
    """The goal terms of one measurement among ``population`` (all measurements, itself included)."""
    # Measurements that crossed JSON carry null for NaN: read every figure as a float or nan.
    m = {k: _num(v) for k, v in (measurement.get('metrics') or {}).items()}
    res = measurement['resources']
    speeds = [p['resources']['samples_per_s'] for p in population if _finite(p['resources'].get('samples_per_s'))]
    params = [p['resources']['params'] for p in population if p['resources'].get('params')]
    memory = [p['resources']['bytes'] for p in population if p['resources'].get('bytes')]
    gap = m['train_accuracy'] - m['val_accuracy'] if _finite(m.get('train_accuracy')) and _finite(m.get('val_accuracy')) else 0.0
    return {
        'accuracy': m.get('val_accuracy', float('nan')),
        'loss': 1.0 / (1.0 + m['val_loss']) if _finite(m.get('val_loss')) and m['val_loss'] >= 0 else 0.0,
        'f1': m.get('macro_f1', float('nan')),
        'gap': 1.0 - min(max(gap, 0.0), 1.0),
        'speed': res['samples_per_s'] / max(speeds) if speeds and _finite(res.get('samples_per_s')) and max(speeds) > 0 else 0.0,
        'params': min(params) / float(res['params']) if params and res.get('params') else 0.0,
        'memory': min(memory) / float(res['bytes']) if memory and res.get('bytes') else 0.0,
    }


def fitness(measurement: dict, population: "List[dict]", goals: "Dict[str, float]") -> float:
    """The goal-weighted score in [0, 1] (module docstring); 0 for a diverged member."""
    if 'diverged' in measurement.get('flags', ()):
        return 0.0
    values = terms(measurement, population)
    if not all(_finite(v) for v in values.values()):
        return 0.0
    total = sum(goals.values())
    return float(sum(goals[k] * values[k] for k in goals) / total)


def probabilities(scores: "Dict[str, float]") -> "Dict[str, float]":
    """p_i = f_i / sum f (uniform when the sum is 0); keys in the order given."""
    total = sum(max(0.0, s) for s in scores.values())
    if total <= 0:
        return {k: 1.0 / len(scores) for k in scores} if scores else {}
    return {k: max(0.0, s) / total for k, s in scores.items()}
