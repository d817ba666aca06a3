"""What each module does and whether it matters: labels, input heatmaps, map edges, metrics, alerts.

Shapes: N probe samples, n_c neurons in column c (c = 0 input, c = L output), C classes,
``members`` a list of neuron indices of one module in column c, ``acts``/``pres`` as returned by
``glassbox.modules.probe_pass``.

- ``describe``: class_profile (C,) = mean over the probe samples of each class of the module's
  pattern (members' mean activation). With share_c = (profile_c - min) / sum(profile - min),
  the function label names the classes whose share is at least half the largest share ("mostly
  0 and 6"); "broad, most for a and b" (the two largest shares) when that is more than three
  classes or they hold under 35% of the mass;
  top_features: the inputs whose correlation with the pattern is largest in size.
- ``heatmaps``: input_weighted (n_0,) = sum_s w_s x_s / sum_s w_s with w_s = p_s - min_s p_s
  (the probe inputs weighted by how strongly the module responds; p the pattern), and
  input_gradient (n_0,) = mean over samples s of d p(x_s) / d x: the gradient of the module's
  mean activation with respect to the input, averaged over the first ``HEATMAP_SAMPLES`` probe
  samples (all samples for the first hidden layer, where the mean can be taken exactly
  before the one matrix product).
- ``module_edges``: between modules A (column c) and B (column c+1, a module or an output
  neuron): weight = sum_{i in A, j in B} W_ij, and flow = sum_{i in A, j in B} |W_ij dW_ij|
  with dW = a_c^T g_{c+1} / N the mean-loss gradient over the probe: the first-order size of
  the loss change if those connections were removed (Taylor importance).
- ``ablation``: the members' activations are set to 0 ("silenced") and the rest of the network
  runs unchanged on held-out data; reports accuracy, its drop from the intact network, and
  per-class precision and recall.
- ``readout``: scikit-learn logistic regression (one-vs-rest, liblinear) trained on the module's
  activations alone (training samples, standardised with the training mean/std), scored on
  held-out data.
- ``alerts``: dead, redundant, gradient-starved and underperforming modules, with advice.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..nn.backend import matmul
from ..nn.trace import backprop, forward_from, input_gradient

HEATMAP_SAMPLES = 256
LABEL_RELATIVE = 0.5
LABEL_MIN_SHARE = 0.35
READOUT_MAX_ITER = 300
REDUNDANT_CORR = 0.95
STARVED_RATIO = 0.05
UNDERPERFORM_DROP = 0.005   # silencing costs under half a point of accuracy ...
UNDERPERFORM_GAIN = 0.1     # ... and the read-out gets under 10% of the way from chance to 100%
DEAD_SHARE = 0.8


def describe(pattern: np.ndarray, y: np.ndarray, X: np.ndarray, class_names: Sequence[str],
             feature_names: Optional[Sequence[str]], dead_fraction: float = 0.0) -> Dict[str, Any]:
    """{'class_profile' (C,), 'top_classes' [int], 'label' str, 'top_features' [{index, name, corr}]}."""
    C = len(class_names)
    y = np.asarray(y).astype(np.intp)
    p = np.asarray(pattern, dtype=np.float64)
    counts = np.bincount(y, minlength=C)[:C].astype(np.float64)
    sums = np.bincount(y, weights=p, minlength=C)[:C]
    profile = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    mass = profile - profile.min() if C else profile
    top = []
    if dead_fraction >= 1.0 or not np.any(mass > 0):
        label = 'silent (dead)' if dead_fraction >= 1.0 else 'no class preference'
    else:
        share = mass / mass.sum()
        order = np.argsort(-share, kind='stable')
        named = [int(c) for c in order if share[c] >= LABEL_RELATIVE * share[order[0]]]
        if len(named) > 3 or share[named].sum() < LABEL_MIN_SHARE:
            leaning = [str(class_names[c]) for c in order[:2]]
            label = 'broad, most for %s and %s' % tuple(leaning) if len(leaning) == 2 else 'broad'
        else:
            top = named
            names = [str(class_names[c]) for c in top]
            label = 'mostly ' + (names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1])
    features = []
    if X is not None and X.shape[1] and np.std(p) > 0:
        Xc = np.asarray(X, dtype=np.float64)
        Xc = Xc - Xc.mean(axis=0)
        pc = p - p.mean()
        denom = np.sqrt(np.sum(Xc ** 2, axis=0) * np.sum(pc ** 2))
        corr = np.where(denom > 0, matmul(pc[None, :], Xc)[0] / np.where(denom > 0, denom, 1), 0.0)
        for i in np.argsort(-np.abs(corr), kind='stable')[:3]:
            name = feature_names[i] if feature_names is not None and i < len(feature_names) else 'x%d' % (i + 1)
            features.append({'index': int(i), 'name': str(name), 'corr': float(corr[i])})
    return {'class_profile': profile.astype(np.float32), 'top_classes': top, 'label': label,
            'top_features': features}


def heatmaps(model: Any, probe: Dict[str, list], column: int, modules: List[List[int]]) -> Dict[str, np.ndarray]:
    """{'input_weighted': (k, n_0), 'input_gradient': (k, n_0)} for the k member lists of a column."""
    X = probe['acts'][0]
    A = probe['acts'][column]
    N, n_c, k = X.shape[0], A.shape[1], len(modules)
    select = np.zeros((k, n_c), dtype=np.float32)
    for m, members in enumerate(modules):
        select[m, members] = 1.0 / max(len(members), 1)
    patterns = matmul(A, select.T)                      # (N, k)
    w = patterns - patterns.min(axis=0)
    total = w.sum(axis=0)
    weighted = matmul(w.T, X) / np.where(total > 0, total, 1.0)[:, None]
    weighted[total <= 0] = X.mean(axis=0) if N else 0.0
    S = N if column == 1 else min(N, HEATMAP_SAMPLES)
    # All k modules in one backward pass: the first S probe rows tiled k times, row block m
    # starting from d(mean activation of module m)/da.
    below = range(1, column + 1)
    tiled = {'x': None, 'pre': [np.tile(probe['pres'][c][:S], (k, 1)) for c in below],
             'act': [np.tile(probe['acts'][c][:S], (k, 1)) for c in below]}
    grad = np.broadcast_to(select[:, None, :], (k, S, n_c)).reshape(k * S, n_c)
    first = backprop(model, tiled, grad, top=column - 1, bottom=0)['grad_pre'][0]
    gradient = input_gradient(model, first.reshape(k, S, -1).mean(axis=1))  # mean commutes with @ W.T
    return {'input_weighted': np.ascontiguousarray(weighted, dtype=np.float32),
            'input_gradient': np.ascontiguousarray(np.nan_to_num(gradient), dtype=np.float32)}


def module_edges(model: Any, probe: Dict[str, list], groups: Dict[int, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Edges between consecutive analysed columns, and from the last hidden column to the outputs.

    ``groups`` maps column c -> [{'key', 'members'}]; output neurons are keyed 'out<k>'."""
    L = len(model.layers)
    edges = []
    for c in sorted(groups):
        if c + 1 in groups:
            targets = groups[c + 1]
        elif c == L - 1:
            targets = [{'key': 'out%d' % j, 'members': [j]} for j in range(model.layers[-1].n_out)]
        else:
            continue
        W = model.layers[c].W.astype(np.float64)
        flow = np.abs(W * probe['dW'][c + 1].astype(np.float64))
        for source in groups[c]:
            rows = source['members']
            for target in targets:
                block = np.ix_(rows, target['members'])
                edges.append({'from': source['key'], 'to': target['key'], 'weight': float(W[block].sum()),
                              'mean_abs_weight': float(np.abs(W[block]).mean()), 'flow': float(flow[block].sum())})
    return edges


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> Dict[str, Any]:
    """{'accuracy', 'precision' [C], 'recall' [C]} (scikit-learn; 0 where a class is never predicted)."""
    from sklearn.metrics import precision_recall_fscore_support
    precision, recall, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(n_classes)), zero_division=0)
    return {'accuracy': float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else 0.0,
            'precision': [float(v) for v in precision], 'recall': [float(v) for v in recall]}


def ablation(model: Any, column: int, A_val: np.ndarray, y_val: np.ndarray, members: List[int],
             baseline: Dict[str, Any]) -> Dict[str, Any]:
    """Silence ``members`` (activations := 0) in column c on held-out data; report vs ``baseline``."""
    silenced = np.array(A_val, dtype=np.float32, copy=True)
    silenced[:, members] = 0.0
    n_classes = model.layers[-1].n_out
    report = classification_report(y_val, np.argmax(forward_from(model, column, silenced), axis=1), n_classes)
    report['accuracy_drop'] = baseline['accuracy'] - report['accuracy']
    report['recall_drop'] = [b - a for b, a in zip(baseline['recall'], report['recall'])]
    return report


def readout_classifier(seed: int = 0) -> Any:
    """One-vs-rest logistic regressions (liblinear, C = 1). Not the default 'lbfgs' solver: its
    Fortran L-BFGS-B crashes Pyodide 0.17 (offline runtime); liblinear is C++ and works in both."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    return OneVsRestClassifier(LogisticRegression(C=1.0, solver='liblinear', max_iter=READOUT_MAX_ITER,
                                                  random_state=seed))


def readout(A_train: np.ndarray, y_train: np.ndarray, A_val: np.ndarray, y_val: np.ndarray,
            n_classes: int, seed: int = 0) -> Dict[str, Any]:
    """Logistic regression on one module's activations: fit on train, score on held-out data."""
    mean = A_train.mean(axis=0)
    std = A_train.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    Xt, Xv = (A_train - mean) / std, (A_val - mean) / std
    classes = np.unique(y_train)
    if len(classes) < 2:
        pred = np.full(len(y_val), classes[0] if len(classes) else 0)
    else:
        import warnings
        clf = readout_classifier(seed)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # ConvergenceWarning: the score is still what it is
            clf.fit(Xt, y_train)
        pred = clf.predict(Xv)
    return classification_report(y_val, pred, n_classes)


def alerts(modules: List[Dict[str, Any]], chance: Optional[float] = None) -> List[Dict[str, Any]]:
    """Dead, redundant, gradient-starved and underperforming modules, each with advice."""
    out = []
    by_layer = {}
    for m in modules:
        by_layer.setdefault(m['layer'], []).append(m)
    for layer, group in sorted(by_layer.items()):
        top_grad = max([m['gradient_magnitude'] for m in group] + [0.0])
        for m in group:
            name = 'M%d (layer %d, %d neuron%s)' % (m['id'], layer, m['size'], '' if m['size'] == 1 else 's')
            if m['dead_fraction'] >= DEAD_SHARE:
                out.append({'kind': 'dead', 'modules': [m['id']], 'layer': layer,
                            'message': '%s is dead: %d%% of its neurons never change on the probe set.'
                                       % (name, round(100 * m['dead_fraction'])),
                            'advice': 'Lower the learning rate, or try leaky_relu or He initialisation, '
                                      'so fewer units die; or make the layer narrower.'})
                continue
            if top_grad > 0 and m['gradient_magnitude'] < STARVED_RATIO * top_grad:
                out.append({'kind': 'gradient-starved', 'modules': [m['id']], 'layer': layer,
                            'message': '%s is gradient-starved: its mean |gradient| is %.1f%% of the '
                                       'busiest module in this layer.' % (name, 100 * m['gradient_magnitude'] / top_grad),
                            'advice': 'Its units are saturated or cut off from the loss: try relu, He '
                                      'initialisation or a larger learning rate.'})
            metrics = m.get('metrics')
            if metrics and chance is not None:
                drop, acc = metrics['ablation']['accuracy_drop'], metrics['readout']['accuracy']
                if drop < UNDERPERFORM_DROP and acc < chance + UNDERPERFORM_GAIN * (1 - chance):
                    out.append({'kind': 'underperforming', 'modules': [m['id']], 'layer': layer,
                                'message': '%s is underperforming: silencing it costs %.1f points of accuracy '
                                           'and its read-out reaches only %.0f%% (chance %.0f%%).'
                                           % (name, 100 * drop, 100 * acc, 100 * chance),
                                'advice': 'It carries little class information: a pruning candidate, '
                                          'or a sign that the layer is wider than the task needs.'})
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pa, pb = np.asarray(a['pattern'], np.float64), np.asarray(b['pattern'], np.float64)
                if pa.std() <= 0 or pb.std() <= 0:
                    continue
                r = float(np.corrcoef(pa, pb)[0, 1])
                if r >= REDUNDANT_CORR:
                    out.append({'kind': 'redundant', 'modules': [a['id'], b['id']], 'layer': layer,
                                'message': 'M%d and M%d (layer %d) respond almost identically (r = %.2f).'
                                           % (a['id'], b['id'], layer, r),
                                'advice': 'They duplicate each other: try a smaller k (they may be one '
                                          'module), or a narrower layer.'})
    return out
