"""Functional modules of a model, found and described: what the engine's module ops answer
(``find_modules``, ``compare_modules``; built on ``analyses.modules`` and ``analyses.module_metrics``).

Requests (``layer`` indexes the layer sizes, 0 = input; modules exist for hidden layers
1..L-1; omitted or 'all' = every hidden layer)::

    {'op': 'modules', 'layer'?, 'method'?: 'kmeans' | 'agglomerative' | 'nmf',
     'k'?: 'auto' | 1..32, 'similarity'?: 'coactivation' | 'dependence',
     'split'?: 'val' | 'train', 'n'?: probe samples (10..2000, default 1000),
     'metrics'?: bool (ablation + read-out, default true), 'heatmaps'?: bool (default true)}
    -> {'step', 'method', 'k', 'similarity', 'probe': {'split', 'n', 'y' (N,) int32},
        'layer_sizes', 'class_names', 'image_shape', 'input_mean' (n_0,),
        'layers': [{'layer', 'n_neurons', 'k', 'silhouette', 'k_scores', 'neuron_module' (n_c,)
                    int32 module id per neuron, 'class_means' (C, n_c), 'modules': [...]}],
        'modules': every module, ranked by |gradient_significance| (rank 1 first),
        'edges': [{'from', 'to', 'weight', 'mean_abs_weight', 'flow'}] (keys 'm<id>' / 'out<j>'),
        'baseline': {'accuracy', 'precision', 'recall'} | None (intact network, held-out data),
        'chance' (majority-class share), 'held_out_n' (validation samples the metrics use), 'alerts',
        'timing_ms': {'probe', 'cluster', 'describe', 'metrics' (of which 'ablation', 'readout'),
                      'total'}: milliseconds; 'total' is how long the request holds the worker}
    {'op': 'modules_compare', 'layer', 'a': {'method', 'k', 'similarity'}, 'b': {...}, 'split'?, 'n'?}
    -> {'layer', 'ari' (adjusted Rand index of the two labellings), 'contingency' (k_a, k_b) int32,
        'a': {'method', 'k', 'similarity', 'ids', 'neuron_module', 'modules'}, 'b': {...}}

A module: {'id', 'layer', 'members', 'size', 'rank', 'gradient_significance',
'gradient_magnitude', 'within_variance', 'separation', 'silhouette', 'dead_fraction',
'pattern' (N,), 'class_profile' (C,), 'top_classes', 'label', 'top_features',
'input_weighted' (n_0,), 'input_gradient' (n_0,), 'metrics': {'ablation', 'readout'} | None}.
Ids are stable across recomputations (``modules.match_ids``), kept per run (``memory``), layer,
method, similarity and requested k, and start afresh when the model is rebuilt.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List

import numpy as np

from ..checks import choice, integer
from . import module_metrics as mm
from .modules import METHODS, SIMILARITIES, decompose, fill_ids, match_ids, module_stats, probe_pass

MAX_PROBE = 2000
MAX_K = 32
READOUT_TRAIN = 1000


def new_memory() -> Dict[str, Any]:
    """The per-run record that keeps module ids stable across recomputations."""
    return {'by_key': {}, 'k_by_key': {}}


def _choice(request: Dict[str, Any], key: str, options, default):
    return choice(request.get(key, default), key, options)


def _int(request: Dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    return integer(request.get(key, default), key, low, high)


def _k(value):
    if value in (None, 'auto'):
        return 'auto'
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise ValueError("k must be 'auto' or an integer from 1 to 32, got %r" % (value,))
    return value


def _layers(request: Dict[str, Any], n_columns: int) -> List[int]:
    hidden = list(range(1, n_columns - 1))
    layer = request.get('layer')
    if layer in (None, 'all'):
        if not hidden:
            raise ValueError('this network has no hidden layer to find modules in')
        return hidden
    if isinstance(layer, bool) or not isinstance(layer, int) or layer not in hidden:
        raise ValueError('layer must be a hidden layer index (%s; 0 is the input, %d the output) or '
                         "'all', got %r" % (', '.join(map(str, hidden)) or 'none', n_columns - 1, layer))
    return [layer]


def _probe(data: Dict[str, Any], split: str, n: int):
    X, y = data['X_' + split], data['y_' + split]
    n = min(n, len(X))
    return X[:n], y[:n]


def _require_finite(probe, columns) -> None:
    for c in list(columns) + [len(probe['acts']) - 1]:
        if not np.all(np.isfinite(probe['acts'][c])):
            raise ValueError('layer %d has non-finite activations (did training diverge?): reset the '
                             'network or lower the learning rate before looking for modules' % c)


def _identify(memory, probe, y, columns, method, k, similarity, seed, key_extra=()) -> List[Dict[str, Any]]:
    """Decompose each column and give its modules stable ids: matched to the previous modules of
    that column first, then the newcomers of all columns numbered together with the smallest free
    ids (unique across layers)."""
    k_memory = memory.setdefault('k_by_key', {})
    found_all, stats_all, keys, matched = [], [], [], []
    for column in columns:
        A = probe['acts'][column]
        key = (column, method, similarity, str(k)) + tuple(key_extra)
        found = decompose(A, method=method, k=k, similarity=similarity, seed=seed, prefer_k=k_memory.get(key))
        k_memory[key] = found['k']
        stats = module_stats(A, probe['grad_act'][column], found['F'], found['labels'])
        matched.append(match_ids(memory['by_key'].get(key, []), [m['members'] for m in stats], fill=False))
        found_all.append(found)
        stats_all.append(stats)
        keys.append(key)
    entries = []
    for column, key, found, stats, ids in zip(columns, keys, found_all, stats_all, fill_ids(matched)):
        memory['by_key'][key] = [{'id': i, 'members': m['members']} for i, m in zip(ids, stats)]
        for module_id, module in zip(ids, stats):
            module['id'] = module_id
            module['layer'] = column
        A = probe['acts'][column]
        neuron_module = np.zeros(A.shape[1], dtype=np.int32)
        for module in stats:
            neuron_module[module['members']] = module['id']
        entries.append({'layer': column, 'n_neurons': int(A.shape[1]), 'k': found['k'], 'silhouette': found['silhouette'],
                        'k_scores': found['k_scores'], 'neuron_module': neuron_module, 'modules': stats,
                        'labels': found['labels']})
    return entries


def find_modules(model: Any, data: Dict[str, Any], request: Dict[str, Any], memory: Dict[str, Any],
                 step: int = 0) -> Dict[str, Any]:
    """The 'modules' answer (module docstring) for ``model`` on ``data``; ``memory`` (``new_memory``)
    carries module ids from one call to the next."""
    started = time.perf_counter()
    method = _choice(request, 'method', METHODS, 'kmeans')
    similarity = _choice(request, 'similarity', SIMILARITIES, 'coactivation')
    split = _choice(request, 'split', ('val', 'train'), 'val')
    k = _k(request.get('k', 'auto'))
    n = _int(request, 'n', 1000, 10, MAX_PROBE)
    seed = _int(request, 'seed', 0, 0, 2 ** 31 - 1)
    want_metrics = bool(request.get('metrics', True))
    want_heatmaps = bool(request.get('heatmaps', True))
    columns = _layers(request, len(model.layer_sizes))
    class_names = list(data.get('class_names') or [str(c) for c in range(model.layer_sizes[-1])])
    timing = {}

    X, y = _probe(data, split, n)
    probe = probe_pass(model, X, y)
    _require_finite(probe, columns)
    timing['probe'] = time.perf_counter() - started

    t = time.perf_counter()
    layers = _identify(memory, probe, y, columns, method, k, similarity, seed)
    timing['cluster'] = time.perf_counter() - t

    t = time.perf_counter()
    for entry in layers:
        c = entry['layer']
        entry['class_means'] = np.stack([probe['acts'][c][y == j].mean(axis=0) if np.any(y == j)
                                         else np.zeros(entry['n_neurons']) for j in range(len(class_names))]
                                        ).astype(np.float32)
        maps = mm.heatmaps(model, probe, c, [m['members'] for m in entry['modules']]) if want_heatmaps else None
        for i, module in enumerate(entry['modules']):
            module.update(mm.describe(module['pattern'], y, X, class_names, data.get('feature_names'),
                                      module['dead_fraction']))
            module['input_weighted'] = maps['input_weighted'][i] if maps else None
            module['input_gradient'] = maps['input_gradient'][i] if maps else None
            module['metrics'] = None
    edges = mm.module_edges(model, probe, {e['layer']: [{'key': 'm%d' % m['id'], 'members': m['members']}
                                                        for m in e['modules']] for e in layers})
    timing['describe'] = time.perf_counter() - t

    t = time.perf_counter()
    X_val, y_val = data['X_val'][:n], data['y_val'][:n]
    chance = float(np.max(np.bincount(y_val.astype(np.intp), minlength=len(class_names)))) / max(len(y_val), 1)
    baseline = None
    if want_metrics:
        held = probe if split == 'val' else probe_pass(model, X_val, y_val)
        train_probe = probe if split == 'train' and n >= READOUT_TRAIN else \
            probe_pass(model, data['X_train'][:READOUT_TRAIN], data['y_train'][:READOUT_TRAIN])
        y_train = data['y_train'][:train_probe['acts'][0].shape[0]]
        baseline = mm.classification_report(y_val, np.argmax(held['acts'][-1], axis=1), len(class_names))
        timing['ablation'] = timing['readout'] = 0.0
        for entry in layers:
            c = entry['layer']
            for module in entry['modules']:
                members = module['members']
                t_ablation = time.perf_counter()
                ablation = mm.ablation(model, c, held['acts'][c], y_val, members, baseline)
                t_readout = time.perf_counter()
                readout = mm.readout(train_probe['acts'][c][:, members], y_train,
                                     held['acts'][c][:, members], y_val, len(class_names), seed)
                timing['ablation'] += t_readout - t_ablation
                timing['readout'] += time.perf_counter() - t_readout
                module['metrics'] = {'ablation': ablation, 'readout': readout}
    timing['metrics'] = time.perf_counter() - t

    ranked = sorted((m for e in layers for m in e['modules']),
                    key=lambda m: (-abs(m['gradient_significance']), m['layer'], m['id']))
    for rank, module in enumerate(ranked, 1):
        module['rank'] = rank
    for entry in layers:
        entry['modules'].sort(key=lambda m: m['rank'])
        del entry['labels']
    timing['total'] = time.perf_counter() - started
    return {
        'step': int(step), 'method': method, 'k': k, 'similarity': similarity,
        'probe': {'split': split, 'n': int(len(y)), 'y': np.asarray(y, dtype=np.int32)},
        'layer_sizes': [int(s) for s in model.layer_sizes], 'class_names': class_names,
        'image_shape': list(data['image_shape']) if data.get('image_shape') else None,
        'input_mean': X.mean(axis=0).astype(np.float32),
        'layers': layers, 'modules': ranked, 'edges': edges, 'baseline': baseline, 'chance': chance,
        'held_out_n': int(len(y_val)),
        'alerts': mm.alerts(ranked, chance if want_metrics else None),
        'timing_ms': {key: round(1000 * value, 2) for key, value in timing.items()},
    }


def compare_modules(model: Any, data: Dict[str, Any], request: Dict[str, Any], memory: Dict[str, Any]) -> Dict[str, Any]:
    """The 'modules_compare' answer (module docstring): two decompositions of one layer."""
    if request.get('layer') in (None, 'all'):
        raise ValueError('modules_compare needs one hidden layer index in "layer"')
    column = _layers(request, len(model.layer_sizes))
    split = _choice(request, 'split', ('val', 'train'), 'val')
    n = _int(request, 'n', 1000, 10, MAX_PROBE)
    X, y = _probe(data, split, n)
    probe = probe_pass(model, X, y)
    _require_finite(probe, column)
    sides = {}
    for name in ('a', 'b'):
        spec = request.get(name)
        if not isinstance(spec, dict):
            raise ValueError('%s must be an object like {"method": "kmeans", "k": 4}, got %r' % (name, spec))
        method = _choice(spec, 'method', METHODS, 'kmeans')
        similarity = _choice(spec, 'similarity', SIMILARITIES, 'coactivation')
        k = _k(spec.get('k', 'auto'))
        entry = _identify(memory, probe, y, column, method, k, similarity, 0)[0]
        modules = [{key: m[key] for key in ('id', 'members', 'size', 'gradient_significance', 'dead_fraction')}
                   for m in entry['modules']]
        for module, full in zip(modules, entry['modules']):
            module.update(mm.describe(full['pattern'], y, None, data.get('class_names') or [],
                                      None, full['dead_fraction']))
        sides[name] = {'method': method, 'k': k, 'similarity': similarity, 'k_found': entry['k'],
                       'silhouette': entry['silhouette'], 'neuron_module': entry['neuron_module'],
                       'modules': modules, '_labels': entry['labels']}
    from sklearn.metrics import adjusted_rand_score
    la, lb = sides['a'].pop('_labels'), sides['b'].pop('_labels')
    contingency = np.zeros((int(la.max()) + 1, int(lb.max()) + 1), dtype=np.int32)
    np.add.at(contingency, (la, lb), 1)
    return {'layer': column[0], 'ari': float(adjusted_rand_score(la, lb)), 'contingency': contingency,
            'a': sides['a'], 'b': sides['b'], 'probe': {'split': split, 'n': int(len(y))}}
