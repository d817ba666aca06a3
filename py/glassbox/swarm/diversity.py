"""How alike two members are, the penalty for near-duplicates, and the population's diversity.

Similarities are in [0, 1] (1 = the same), from two members' configs and measurements::

    architecture     per hidden depth d up to the deeper of the two: min(w_a, w_b) / max(w_a, w_b)
                     (0 where only one has a layer), averaged; halved when the activations differ
    hyperparameters  1 - mean of: |ln lr_a - ln lr_b| / ln(1e5), |log2 batch_a - log2 batch_b| / 8,
                     |ln(1 + 1e4 l2_a) - ln(1 + 1e4 l2_b)| / ln(1e4), [optimisers differ],
                     [initialisers differ]   (each clipped to [0, 1])
    function         agreement of the predicted classes on the shared probe set (the fraction of
                     probe inputs both networks put in the same class)
    combined         the mean of the three

Fitness sharing: a member whose combined similarity to a FITTER member is >= ``threshold`` has
its fitness multiplied by (1 - ``penalty``), so a near-duplicate of a better network gets less
compute and is the first to be replaced. Diversity = 1 - the mean combined similarity over all
pairs (1.0 for fewer than two members).
"""
from __future__ import annotations

import math
from typing import Dict, List, Tuple

import numpy as np

SIMILARITIES = ('architecture', 'hyperparameters', 'function', 'combined')


def architecture_similarity(a: dict, b: dict) -> float:
    ha, hb = list(a['hidden']), list(b['hidden'])
    depth = max(len(ha), len(hb), 1)
    total = 0.0
    for d in range(depth):
        if d < len(ha) and d < len(hb):
            total += min(ha[d], hb[d]) / float(max(ha[d], hb[d]))
    sim = total / depth
    return sim if a['activation'] == b['activation'] else sim / 2.0


def hyperparameter_similarity(a: dict, b: dict) -> float:
    def clip(x):
        return min(max(x, 0.0), 1.0)
    parts = [clip(abs(math.log(a['lr']) - math.log(b['lr'])) / math.log(1e5)),
             clip(abs(math.log2(a['batch_size']) - math.log2(b['batch_size'])) / 8.0),
             clip(abs(math.log1p(1e4 * a['l2']) - math.log1p(1e4 * b['l2'])) / math.log(1e4)),
             float(a['optimizer'] != b['optimizer']),
             float(a['init'] != b['init'])]
    return 1.0 - sum(parts) / len(parts)


def function_similarity(pred_a: "List[int]", pred_b: "List[int]") -> float:
    n = min(len(pred_a), len(pred_b))
    if n == 0:
        return 0.0
    return sum(1 for i in range(n) if pred_a[i] == pred_b[i]) / float(n)


def agreement_matrix(predictions: "List[List[int]]") -> "np.ndarray":
    """(N, N) fraction of shared probe rows where members i and j predict the same class (over the
    shortest list; 0 where one has none)."""
    n = min((len(p) for p in predictions), default=0)
    if n == 0:
        return np.zeros((len(predictions), len(predictions)))
    P = np.array([list(p[:n]) for p in predictions])
    return (P[:, None, :] == P[None, :, :]).mean(axis=2)


def similarities(configs: "Dict[str, dict]", predictions: "Dict[str, List[int]]") -> "Dict[str, Dict[Tuple[str, str], float]]":
    """{metric: {(a, b): similarity}} for every unordered pair (a before b in ``configs`` order)."""
    ids = list(configs)
    agree = agreement_matrix([predictions.get(m, []) for m in ids])
    out = {name: {} for name in SIMILARITIES}  # type: Dict[str, Dict[Tuple[str, str], float]]
    for i, a in enumerate(ids):
        for j in range(i + 1, len(ids)):
            b = ids[j]
            arch = architecture_similarity(configs[a], configs[b])
            hyper = hyperparameter_similarity(configs[a], configs[b])
            func = float(agree[i, j])
            out['architecture'][(a, b)] = arch
            out['hyperparameters'][(a, b)] = hyper
            out['function'][(a, b)] = func
            out['combined'][(a, b)] = (arch + hyper + func) / 3.0
    return out


def pair(table: "Dict[Tuple[str, str], float]", a: str, b: str) -> float:
    return table[(a, b)] if (a, b) in table else table[(b, a)]


def share_fitness(raw: "Dict[str, float]", combined: "Dict[Tuple[str, str], float]", threshold: float = 0.9,
                  penalty: float = 0.5) -> "Dict[str, float]":
    """Fitness after the near-duplicate penalty (module docstring); ``raw`` unchanged."""
    out = {}
    for a, fa in raw.items():
        crowded = any(fb > fa and pair(combined, a, b) >= threshold for b, fb in raw.items() if b != a)
        out[a] = fa * (1.0 - penalty) if crowded else fa
    return out


def population_diversity(combined: "Dict[Tuple[str, str], float]") -> float:
    if not combined:
        return 1.0
    return 1.0 - sum(combined.values()) / len(combined)
