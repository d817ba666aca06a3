"""Perturbing one parameter: its effect on one input and on validation accuracy, and how far it
can move before the prediction changes.

Target (JSON): {'layer': l, 'kind': 'weight', 'i': i, 'j': j}  -> W_l[i, j]
               {'layer': l, 'kind': 'bias', 'j': j}             -> b_l[j] (neuron j of layer l)
An edit sets that parameter to ``value`` (default: its trained value) and, for a hidden
neuron, may also ``silence`` it (its activation a_l[:, j] forced to 0).

The live model is never written to: the edited forward pass adds the change to one column,
    weight:  z_l[:, j] += (value - W_l[i, j]) * a_{l-1}[:, i]        bias:  z_l[:, j] += value - b_l[j]
so training is never disturbed and "reset" (value = trained value, no silence) gives the
trained network's outputs bit for bit. Validation activations are cached per model state.

Robustness of the current prediction (one input x): with every other parameter fixed, the
logits are a function of the parameter value p alone. The answer is the interval (lo, hi)
around the current value in which argmax stays the same, and the class taken at each end.
    * relu / leaky_relu / linear layers: the logits are piecewise linear in p, so the engine
      walks the path exactly: at p it computes every pre-activation z and its derivative dz/dp
      (forward-mode), steps to the nearer of (a) the next ReLU kink (a z reaching 0) and (b) the
      first zero of a margin logit_pred - logit_c, and repeats; (b) ends the walk. 'exact walk'.
    * tanh / sigmoid: a scan of 600 geometrically spaced offsets each way on the true forward
      pass, then bisection of the first bracket to 1e-9 relative width. 'scan + bisection'.
Searches stop at |p - current| = SEARCH_LIMIT (an infinite bound means no change within it).
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from ..checks import whole_number
from ..nn.trace import PIECEWISE_SLOPES, linearize_from, outputs_from_pre, trace
from .inputs import public, resolve_input

SEARCH_LIMIT = 1000.0
MAX_WALK = 20000
CURVE_POINTS = 161


def check_target(model, target) -> "Dict[str, Any]":
    """Validated target dict plus 'original' (the trained value, a float)."""
    if not isinstance(target, dict):
        raise ValueError('target must be {"layer", "kind", "i"?, "j"}, got %r' % (target,))
    L = len(model.layers)
    l = whole_number(target.get('layer'), 'target.layer', 0, L - 1)
    layer = model.layers[l]
    kind = target.get('kind', 'weight')
    j = whole_number(target.get('j'), 'target.j', 0, layer.n_out - 1)
    if kind == 'weight':
        i = whole_number(target.get('i'), 'target.i', 0, layer.n_in - 1)
        return {'layer': l, 'kind': kind, 'i': i, 'j': j, 'original': float(layer.W[i, j])}
    if kind == 'bias':
        return {'layer': l, 'kind': kind, 'i': None, 'j': j, 'original': float(layer.b[j])}
    raise ValueError('target.kind must be "weight" or "bias", got %r' % (kind,))


def edited_forward(model, target: dict, value: float, silence: bool, X=None, cache=None):
    """Logits (N, C) of the edited network, from X or from a clean ``nn.trace`` of X (``cache``)."""
    l, j = target['layer'], target['j']
    tr = cache if cache is not None else trace(model, X)
    delta = np.float32(value) - np.float32(target['original'])
    if delta == 0 and not silence:
        return tr['act'][-1]
    a_prev = tr['x'] if l == 0 else tr['act'][l - 1]
    z = tr['pre'][l].copy()
    if target['kind'] == 'weight':
        z[:, j] += delta * a_prev[:, target['i']]
    else:
        z[:, j] += delta
    return outputs_from_pre(model, l, z, j if silence else None)


class _Tail:
    """The logits as a function of the target value p, for one input, in float64."""

    def __init__(self, model, target: dict, x: "np.ndarray", silence: bool):
        l, j = target['layer'], target['j']
        self.l, self.j, self.silence = l, j, silence
        self.model = model.astype(np.float64)
        tr = trace(self.model, x[None, :])
        a = tr['x'][0] if l == 0 else tr['act'][l - 1][0]
        self.z0 = tr['pre'][l][0]
        self.w0 = target['original']
        self.coef = 0.0 if silence else (float(a[target['i']]) if target['kind'] == 'weight' else 1.0)
        self.piecewise = all(layer.activation_name in PIECEWISE_SLOPES for layer in self.model.layers[l:])

    def logits(self, p: "np.ndarray") -> "np.ndarray":
        """p (K,) -> logits (K, C)."""
        z = np.repeat(self.z0[None, :], len(p), axis=0)
        z[:, self.j] += (np.asarray(p, np.float64) - self.w0) * self.coef
        return outputs_from_pre(self.model, self.l, z, self.j if self.silence else None)

    def walk(self, p: float, direction: float, pred: int):
        """Exact boundary from p along direction (+1/-1): (boundary value, new class) or (inf, None)."""
        start = p
        for _ in range(MAX_WALK):
            z = self.z0.copy()
            z[self.j] += (p - self.w0) * self.coef
            dz = np.zeros_like(z)
            dz[self.j] = direction * self.coef
            a, da, kink = linearize_from(self.model, self.l, z, dz, self.j if self.silence else None)
            margin, dmargin = a[pred] - a, da[pred] - da
            falling = dmargin < 0
            falling[pred] = False
            cross = math.inf
            if falling.any():
                steps = np.maximum(margin[falling], 0.0) / -dmargin[falling]
                k = int(np.argmin(steps))
                cross, winner = float(steps[k]), int(np.flatnonzero(falling)[k])
            if cross <= kink:
                boundary = p + direction * cross
                if abs(boundary - start) > SEARCH_LIMIT:
                    return math.inf * direction, None
                return boundary, winner
            if not math.isfinite(kink) or abs(p + direction * kink - start) > SEARCH_LIMIT:
                return math.inf * direction, None
            p = p + direction * (kink * (1 + 1e-12) + 1e-12 * max(1.0, abs(p)))
        return math.inf * direction, None

    def scan(self, p: float, direction: float, pred: int):
        """Scan + bisection boundary from p along direction: (value, new class) or (inf, None)."""
        offsets = np.concatenate([[0.0], np.geomspace(1e-6, SEARCH_LIMIT, 600)])
        preds = np.argmax(self.logits(p + direction * offsets), axis=1)
        changed = np.flatnonzero(preds != pred)
        if changed.size == 0:
            return math.inf * direction, None
        lo, hi = offsets[changed[0] - 1], offsets[changed[0]]
        while hi - lo > 1e-9 * max(1.0, abs(hi)):
            mid = 0.5 * (lo + hi)
            if np.argmax(self.logits(np.array([p + direction * mid]))[0]) == pred:
                lo = mid
            else:
                hi = mid
        return p + direction * hi, int(np.argmax(self.logits(np.array([p + direction * hi]))[0]))

    def robustness(self, p: float) -> "Dict[str, Any]":
        pred = int(np.argmax(self.logits(np.array([p]))[0]))
        if self.coef == 0.0:
            return {'lo': -math.inf, 'hi': math.inf, 'lo_class': None, 'hi_class': None, 'pred': pred,
                    'method': 'no effect', 'distance': math.inf}
        method = 'exact walk' if self.piecewise else 'scan + bisection'
        find = self.walk if self.piecewise else self.scan
        lo, lo_class = find(p, -1.0, pred)
        hi, hi_class = find(p, 1.0, pred)
        return {'lo': lo, 'hi': hi, 'lo_class': lo_class, 'hi_class': hi_class, 'pred': pred,
                'method': method, 'distance': min(p - lo, hi - p)}


def perturb(model, data: dict, target, value=None, silence: bool = False, input_spec=None,
            cache=None) -> "Dict[str, Any]":
    """Outputs for one input and validation accuracy with the edit, robustness and a logit curve.

    Returns {'target' (with 'original', 'value', 'silence', 'range' [lo, hi] of the curve),
    'input', 'x' (D,), 'original'/'perturbed': {'logits' (C,), 'probs' (C,), 'pred'},
    'val_accuracy': {'original', 'perturbed'}, 'robustness' (module docstring; lo/hi may be
    +-inf), 'curve': {'values' (K,), 'logits' (K, C)} over 'range' (the trained value +- max(4 max|W_l|,
    2, 1.5 |trained|), widened to include the current value and robustness ends within 4 times that)}.
    """
    target = check_target(model, target)
    if value is None:
        value = target['original']
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > SEARCH_LIMIT:
        raise ValueError('value must be a finite number within +-%g, got %r' % (SEARCH_LIMIT, value))
    value = float(np.float32(value))
    silence = bool(silence)
    if silence and (target['kind'] != 'bias' or target['layer'] == len(model.layers) - 1):
        raise ValueError('only a hidden neuron (a bias target outside the output layer) can be silenced')
    resolved = resolve_input(data, input_spec if input_spec is not None else {'index': 0})
    x = resolved['x'][None, :]
    with np.errstate(all='ignore'):
        clean = edited_forward(model, target, target['original'], False, X=x)
        edited = edited_forward(model, target, value, silence, X=x)
        if cache is None:
            cache = trace(model, data['X_val'])
        y = data['y_val']
        acc0 = float(np.mean(np.argmax(cache['act'][-1], axis=1) == y))
        acc1 = float(np.mean(np.argmax(edited_forward(model, target, value, silence, X=data['X_val'],
                                                      cache=cache), axis=1) == y))
        tail = _Tail(model, target, resolved['x'], silence)
        robust = tail.robustness(value)
        W = model.layers[target['layer']].W
        spread = max(4.0 * float(np.max(np.abs(W))), 2.0, 1.5 * abs(target['original']))
        # The curve spans the trained value +- spread, widened to show the current value and
        # any nearby boundary of the robustness interval.
        span = [min(target['original'] - spread, value - 0.15 * spread), max(target['original'] + spread, value + 0.15 * spread)]
        for end in (robust['lo'], robust['hi']):
            if math.isfinite(end) and abs(end - target['original']) < 4 * spread:
                span = [min(span[0], end - 0.15 * spread), max(span[1], end + 0.15 * spread)]
        values = np.linspace(span[0], span[1], CURVE_POINTS)
        curve = tail.logits(values).astype(np.float32)

    def pack(logits):
        probs = model.loss_fn.probabilities(logits).astype(np.float32)
        return {'logits': logits[0].astype(np.float32), 'probs': probs[0], 'pred': int(np.argmax(logits[0]))}
    target.update(value=value, silence=silence, range=span)
    return {'target': target, 'input': public(resolved), 'x': resolved['x'], 'original': pack(clean),
            'perturbed': pack(edited), 'val_accuracy': {'original': acc0, 'perturbed': acc1},
            'robustness': robust, 'curve': {'values': values.astype(np.float32), 'logits': curve}}
