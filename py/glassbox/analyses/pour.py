"""Pouring two sets of inputs through the network: which neurons answer to which, and saliency.

A *class set* is one class index, a list of them, or a string like "3,5,8". Pouring draws
n samples of each set (validation samples first, then training samples, each in a seeded random
order; set A and set B use different streams, so A = B gives two different draws unless the
pool is smaller than n) and runs them forward.

Per neuron j of every layer, with responses a_A (n_A,) and a_B (n_B,) (hidden layers: the
activations; output layer: the class probabilities):

    selectivity s_j = 2 AUC - 1,  AUC = P(a_A > a_B) + 0.5 P(a_A = a_B)
        (the ROC AUC / Mann-Whitney statistic over all n_A x n_B pairs, ties count half):
        +1 = every A response exceeds every B response, -1 the reverse, 0 = no preference.
    d'  = (mean a_A - mean a_B) / sqrt((var a_A + var a_B) / 2)       (0 when both are constant)
    level_A = mean(a_A - floor) / max over the layer's neurons and both sets of the same mean
        floor = the activation's lower bound (relu, sigmoid: 0; tanh: -1; otherwise the
        neuron's smallest response in the pour). level in [0, 1]: how strongly it answers A.
    category: 'A' (level_A >= 0.25 > level_B), 'B' (the reverse), 'both', 'neither' (codes 1, 2, 3, 0).
    histograms: 20 bins per neuron over its pooled [min, max], counts for A and for B.

Saliency: with score(x) = logsumexp_{c in A} z_c(x) - logsumexp_{c in B} z_c(x) (for single
classes, the logit difference z_a - z_b), the map is the mean over all poured samples of
(d score / d x) * x (gradient times input), shape (D,); positive pixels push towards A.
The plain mean gradient is returned too.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from ..checks import whole_number
from ..nn.trace import trace

BINS = 20
MAX_POUR = 2000
RESPOND_LEVEL = 0.25
CATEGORY_CODES = {'neither': 0, 'A': 1, 'B': 2, 'both': 3}
FLOORS = {'relu': 0.0, 'sigmoid': 0.0, 'tanh': -1.0}


def class_set(spec, n_classes: int, what: str) -> "List[int]":
    """Class set spec -> sorted list of distinct class indices (ValueError names the problem)."""
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.split(',') if p.strip()]
        try:
            spec = [int(p) for p in parts]
        except ValueError:
            raise ValueError('%s must list class numbers like "3,5", got %r' % (what, spec[:40]))
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = [spec]
    if not isinstance(spec, (list, tuple)) or not spec:
        raise ValueError('%s must be a class number or a non-empty list of them' % what)
    return sorted(set(whole_number(c, what, 0, n_classes - 1) for c in spec))


def draw_samples(data: dict, classes: "List[int]", n: int, rng: "np.random.Generator"):
    """Up to n samples whose label is in ``classes``, validation samples first, each split in a
    random order: (X (m, D), y (m,), split codes uint8 (m,) 0 = validation / 1 = training,
    row indices int32 (m,))."""
    parts = []
    for code, split in ((0, 'val'), (1, 'train')):
        rows = np.flatnonzero(np.isin(data['y_' + split], classes))
        rows = rows[rng.permutation(rows.size)]
        parts.append((code, split, rows))
    left, X, y, codes, index = n, [], [], [], []
    for code, split, rows in parts:
        rows = rows[:left]
        left -= rows.size
        X.append(data['X_' + split][rows])
        y.append(data['y_' + split][rows])
        codes.append(np.full(rows.size, code, dtype=np.uint8))
        index.append(rows.astype(np.int32))
    if left == n:
        raise ValueError('no samples of class(es) %s in this dataset' % ', '.join(map(str, classes)))
    return np.concatenate(X), np.concatenate(y).astype(np.int32), np.concatenate(codes), np.concatenate(index)


def auc_selectivity(A: "np.ndarray", B: "np.ndarray") -> "np.ndarray":
    """A (n_A, n), B (n_B, n) -> 2 AUC - 1 per column (ties count half), float64 (n,)."""
    n = A.shape[1]
    out = np.zeros(n)
    for j in range(n):
        b = np.sort(B[:, j])
        less = np.searchsorted(b, A[:, j], side='left')
        less_equal = np.searchsorted(b, A[:, j], side='right')
        u = less.sum() + 0.5 * (less_equal - less).sum()
        out[j] = 2.0 * u / (A.shape[0] * B.shape[0]) - 1.0
    return out


def d_prime(A: "np.ndarray", B: "np.ndarray") -> "np.ndarray":
    diff = A.mean(axis=0) - B.mean(axis=0)
    spread = np.sqrt((A.var(axis=0) + B.var(axis=0)) / 2.0)
    return np.where(spread > 0, diff / np.where(spread > 0, spread, 1.0), 0.0)


def histograms(A: "np.ndarray", B: "np.ndarray", bins: int = BINS):
    """Per-column histograms on shared edges: (edges (n, bins+1), counts_A (n, bins), counts_B)."""
    lo = np.minimum(A.min(axis=0), B.min(axis=0)).astype(np.float64)
    hi = np.maximum(A.max(axis=0), B.max(axis=0)).astype(np.float64)
    hi = np.where(hi > lo, hi, lo + 1e-6)
    edges = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, bins + 1)[None, :]
    n = A.shape[1]

    def count(X):
        k = np.clip(((X - lo) / (hi - lo) * bins).astype(np.intp), 0, bins - 1)
        flat = k + bins * np.arange(n)[None, :]
        return np.bincount(flat.ravel().astype(np.intp), minlength=n * bins).reshape(n, bins).astype(np.int32)
    return edges.astype(np.float32), count(A), count(B)


def score_gradient(model, X: "np.ndarray", classes_a, classes_b) -> "np.ndarray":
    """d score / d x for each row of X (N, D), score as in the module docstring; (N, D)."""
    def score_grad(logits):
        logits = logits.astype(np.float64)

        def lse_grad(classes):
            part = logits[:, classes]
            e = np.exp(part - part.max(axis=1, keepdims=True))
            g = np.zeros_like(logits)
            g[:, classes] = e / e.sum(axis=1, keepdims=True)
            return g
        return (lse_grad(classes_a) - lse_grad(classes_b)).astype(X.dtype)
    return trace(model, X, output_grad=score_grad, input_grad=True)['input_grad']


def layer_floor(activation: str, A: "np.ndarray", B: "np.ndarray") -> "np.ndarray":
    if activation in FLOORS:
        return np.full(A.shape[1], FLOORS[activation])
    return np.minimum(A.min(axis=0), B.min(axis=0)).astype(np.float64)


def pour(model, data: dict, a, b, n: int = 200, seed: int = 0) -> "Dict[str, Any]":
    """Pour n samples of class set a (blue) and b (red); see the module docstring.

    Returns {'a', 'b': class lists, 'n_a', 'n_b', 'layers': [one dict per Dense layer with
    'selectivity', 'dprime', 'level_a', 'level_b' float32 (n,), 'category' int32 (n,),
    'mean_a', 'mean_b' float32 (n,), 'edges' (n, 21), 'hist_a', 'hist_b' int32 (n, 20)],
    'saliency' float32 (D,), 'gradient' float32 (D,), 'mean_x_a', 'mean_x_b' (D,),
    'accuracy_a', 'accuracy_b' (share of each set predicted inside its own classes),
    'category_codes', 'score': 'roc_auc'}.
    """
    n_classes = data['n_classes']
    classes_a = class_set(a, n_classes, 'a')
    classes_b = class_set(b, n_classes, 'b')
    n = whole_number(n, 'n', 1, MAX_POUR)
    X_a, y_a, _, _ = draw_samples(data, classes_a, n, np.random.default_rng([int(seed), 101]))
    X_b, y_b, _, _ = draw_samples(data, classes_b, n, np.random.default_rng([int(seed), 202]))
    with np.errstate(all='ignore'):
        acts = trace(model, np.concatenate([X_a, X_b]))['act']
        logits = acts[-1]
        responses = acts[:-1] + [model.loss_fn.probabilities(logits)]
        layers = []
        for l, layer_acts in enumerate(responses):
            A = layer_acts[:len(X_a)].astype(np.float64)
            B = layer_acts[len(X_a):].astype(np.float64)
            output = l == len(acts) - 1
            floor = np.zeros(A.shape[1]) if output else layer_floor(model.layers[l].activation_name, A, B)
            mean_a, mean_b = (A - floor).mean(axis=0), (B - floor).mean(axis=0)
            top = max(float(np.max(mean_a)), float(np.max(mean_b)), 0.0)
            level_a = np.clip(mean_a / top, 0, 1) if top > 0 else np.zeros_like(mean_a)
            level_b = np.clip(mean_b / top, 0, 1) if top > 0 else np.zeros_like(mean_b)
            on_a, on_b = level_a >= RESPOND_LEVEL, level_b >= RESPOND_LEVEL
            category = np.where(on_a & on_b, 3, np.where(on_a, 1, np.where(on_b, 2, 0))).astype(np.int32)
            edges, hist_a, hist_b = histograms(A, B)
            layers.append({'selectivity': auc_selectivity(A, B).astype(np.float32),
                           'dprime': d_prime(A, B).astype(np.float32),
                           'level_a': level_a.astype(np.float32), 'level_b': level_b.astype(np.float32),
                           'category': category, 'mean_a': A.mean(axis=0).astype(np.float32),
                           'mean_b': B.mean(axis=0).astype(np.float32),
                           'edges': edges, 'hist_a': hist_a, 'hist_b': hist_b})
        X = np.concatenate([X_a, X_b])
        grad = score_gradient(model, X, classes_a, classes_b)
    pred = np.argmax(logits, axis=1)
    return {'a': classes_a, 'b': classes_b, 'n_a': int(len(X_a)), 'n_b': int(len(X_b)), 'layers': layers,
            'saliency': (grad * X).mean(axis=0).astype(np.float32),
            'gradient': grad.mean(axis=0).astype(np.float32),
            'mean_x_a': X_a.mean(axis=0), 'mean_x_b': X_b.mean(axis=0),
            'accuracy_a': float(np.mean(np.isin(pred[:len(X_a)], classes_a))),
            'accuracy_b': float(np.mean(np.isin(pred[len(X_a):], classes_b))),
            'category_codes': dict(CATEGORY_CODES), 'score': 'roc_auc', 'respond_level': RESPOND_LEVEL}
