"""Inputs chosen by the user: input specs, and the network's outputs for given inputs.

Shapes: ``D = n_0`` input features, ``C = n_L`` classes, ``L`` Dense layers.

An *input spec* names one input vector (the page sends these as JSON):
    {'index': i}              validation sample i              ({'index': i, 'split': 'train'} too)
    {'class': c, 'nth': k}    the k-th most typical validation sample of class c: samples ranked by
                              Euclidean distance to their class's mean input (k = 0 is the closest)
    {'x': [D numbers]}        any vector, e.g. a drawing (finite, |x| <= 1000)
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from ..checks import vector, whole_number
from ..nn.trace import trace

MAX_ABS_INPUT = 1000.0


def outputs(model, X: "np.ndarray") -> "Dict[str, Any]":
    """{'logits' (N, C), 'probs' (N, C), 'pred' int32 (N,), 'acts': [(N, n_1), ..., (N, n_L)]}."""
    acts = trace(model, X)['act']
    logits = acts[-1]
    with np.errstate(all='ignore'):
        probs = model.loss_fn.probabilities(logits).astype(np.float32)
    return {'logits': logits, 'probs': probs, 'pred': np.argmax(logits, axis=1).astype(np.int32),
            'acts': acts}


def class_ranking(data: dict, c: int) -> "np.ndarray":
    """Validation indices of class c, most typical first (distance to the class mean input)."""
    members = np.flatnonzero(data['y_val'] == c)
    if members.size == 0:
        return members
    X = data['X_val'][members].astype(np.float64)
    d2 = np.sum((X - X.mean(axis=0)) ** 2, axis=1)
    return members[np.argsort(d2, kind='mergesort')]



def resolve_input(data: dict, spec, what: str = 'input') -> "Dict[str, Any]":
    """Input spec (module docstring) -> {'x' float32 (D,), 'label' int or None, 'index', 'split', 'nth'}."""
    n_in = data['X_val'].shape[1]
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = {'index': spec}
    if not isinstance(spec, dict):
        raise ValueError('%s must be {"index": i}, {"class": c} or {"x": [...]}, got %r' % (what, spec))
    if 'x' in spec:
        return {'x': vector(spec['x'], n_in, what + '.x', MAX_ABS_INPUT), 'label': None, 'index': None,
                'split': None, 'nth': None}
    if 'class' in spec:
        c = whole_number(spec['class'], what + '.class', 0, data['n_classes'] - 1)
        ranked = class_ranking(data, c)
        if ranked.size == 0:
            raise ValueError('the validation set has no sample of class %s' % data['class_names'][c])
        nth = whole_number(spec.get('nth', 0), what + '.nth', 0, 10 ** 9) % ranked.size
        i = int(ranked[nth])
        return {'x': data['X_val'][i].copy(), 'label': c, 'index': i, 'split': 'val', 'nth': nth,
                'class_count': int(ranked.size)}
    if 'index' in spec:
        split = spec.get('split', 'val')
        if split not in ('val', 'train'):
            raise ValueError('%s.split must be "val" or "train", got %r' % (what, split))
        X, y = data['X_' + split], data['y_' + split]
        i = whole_number(spec['index'], what + '.index', 0, X.shape[0] - 1)
        return {'x': X[i].copy(), 'label': int(y[i]), 'index': i, 'split': split, 'nth': None}
    raise ValueError('%s needs one of the keys index, class or x' % what)




def public(resolved: dict) -> dict:
    """A resolved input without its vector (what answers echo back)."""
    return {k: v for k, v in resolved.items() if k != 'x'}


def classify(model, data: dict, spec) -> "Dict[str, Any]":
    """One input spec -> its vector 'x', the resolved 'input', 'logits', 'probs', 'pred', 'acts'."""
    resolved = resolve_input(data, spec)
    out = outputs(model, resolved['x'][None, :])
    return {'x': resolved['x'], 'input': public(resolved), 'logits': out['logits'][0],
            'probs': out['probs'][0], 'pred': int(out['pred'][0]), 'acts': [a[0] for a in out['acts']]}
