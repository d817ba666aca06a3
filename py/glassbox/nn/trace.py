"""The one cache-free forward/backward pass every snapshot and analysis uses.

Notation: L Dense layers, layer l maps n_l -> n_{l+1}; a_{-1} = X (N, n_0).

    forward:   z_l = a_{l-1} @ W_l + b_l,   a_l = f_l(z_l)          z_l, a_l: (N, n_{l+1})
    backward:  given g = dS/da_{L-1} (N, n_L) for some scalar S (by default the MEAN loss
               over the N rows, from the model's loss and labels y):
               dS/dz_l = f_l'(z_l) * dS/da_l,   dS/da_{l-1} = dS/dz_l @ W_l^T
               dS/dW_l = a_{l-1}^T @ dS/dz_l,  dS/db_l = sum over rows of dS/dz_l
               dS/dX = dS/dz_0 @ W_0^T

The products are the same, in the same order, as ``Dense.forward`` / ``Dense.backward``, so a
trace of the probe batch equals the training pass bit for bit. Nothing is cached on the model:
traces of different inputs never disturb training or each other.

``trace`` returns a dict (lists indexed by Dense layer l = 0 .. L-1; layers before ``start``
hold None):

    'x':        (N, n_start) the input, in the model's dtype
    'pre':      [z_l]          'act': [a_l]  (act[-1] = the outputs, logits)
    'grad_pre': [dS/dz_l]      'grad_act': [dS/da_l]          (only when a gradient is asked)
    'grads':    [{'W', 'b'}]   parameter gradients            (param_grads=True)
    'input_grad': dS/dX (N, n_start)                          (input_grad=True)

Multiply ``grad_pre`` / ``grad_act`` by N to get PER-SAMPLE gradients dl_i/dz_i of the mean
loss (row i's loss depends only on row i).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np

from .backend import matmul


def forward_from(model: "Any", start: int, a: "np.ndarray") -> "np.ndarray":
    """Outputs (N, n_L) of layers start .. L-1 applied to a_{start-1} = ``a`` (N, n_start)."""
    return trace(model, a, start=start)["act"][-1]


def outputs_from_pre(model: "Any", l: int, z: "np.ndarray", silence: "Optional[int]" = None) -> "np.ndarray":
    """Outputs (N, n_L) when layer l's pre-activations are ``z`` (N, n_{l+1}), e.g. after an edit,
    with unit ``silence`` (or None) of layer l forced to output 0."""
    with np.errstate(all="ignore"):
        a = model.layers[l].activation.forward(z)
    if silence is not None:
        a = a.copy()
        a[:, silence] = 0
    return a if l == len(model.layers) - 1 else forward_from(model, l + 1, a)


def trace(model: "Any", X: "np.ndarray", y: "Optional[np.ndarray]" = None, *,
          output_grad: "Union[None, np.ndarray, Callable[[np.ndarray], np.ndarray]]" = None,
          start: int = 0, param_grads: bool = False, input_grad: bool = False) -> "Dict[str, Any]":
    """Forward pass of ``X`` through layers start .. L-1, and the backward pass when ``y``
    (mean-loss gradient) or ``output_grad`` (an array dS/da_{L-1}, or a function of the
    outputs returning it) is given. Numpy warnings are silenced: a diverged model gives NaN."""
    L = len(model.layers)
    a = np.asarray(X, dtype=model.dtype)
    out = {"x": a, "pre": [None] * L, "act": [None] * L}  # type: Dict[str, Any]
    with np.errstate(all="ignore"):
        for l in range(start, L):
            layer = model.layers[l]
            z = matmul(a, layer.W)
            z += layer.b
            a = layer.activation.forward(z)
            out["pre"][l], out["act"][l] = z, a
        if output_grad is None and y is None:
            return out
        logits = out["act"][-1]
        if output_grad is None:
            g = model.loss_fn.grad(logits, np.asarray(y).astype(np.intp))
        elif callable(output_grad):
            g = output_grad(logits)
        else:
            g = np.asarray(output_grad, dtype=logits.dtype)
        out.update(backprop(model, out, g, top=L - 1, bottom=start, param_grads=param_grads,
                            input_grad=input_grad))
    return out


def backprop(model: "Any", forward: "Dict[str, Any]", grad_act: "np.ndarray", top: int, bottom: int = 0,
             param_grads: bool = False, input_grad: bool = False) -> "Dict[str, Any]":
    """Backward from dS/da_top (N, n_{top+1}) down to layer ``bottom``, through the arrays of
    ``forward`` ({'x', 'pre', 'act'} as ``trace`` returns them; rows may be tiled copies).
    Returns {'grad_pre', 'grad_act', 'grads'?, 'input_grad'?} (see the module docstring)."""
    L = len(model.layers)
    grad_pre = [None] * L  # type: List[Optional[np.ndarray]]
    grad_acts = [None] * L  # type: List[Optional[np.ndarray]]
    grads = [None] * L  # type: List[Optional[Dict[str, np.ndarray]]]
    g = grad_act
    with np.errstate(all="ignore"):
        for l in range(top, bottom - 1, -1):
            layer = model.layers[l]
            grad_acts[l] = g
            gz = layer.activation.backward(forward["pre"][l], forward["act"][l], g)
            grad_pre[l] = gz
            if param_grads:
                below = forward["x"] if l == bottom else forward["act"][l - 1]
                grads[l] = {"W": matmul(below.T, gz), "b": gz.sum(axis=0)}
            if l > bottom or input_grad:
                g = matmul(gz, layer.W.T)
    out = {"grad_pre": grad_pre, "grad_act": grad_acts}  # type: Dict[str, Any]
    if param_grads:
        out["grads"] = grads
    if input_grad:
        out["input_grad"] = g
    return out


def input_gradient(model: "Any", grad_pre_first: "np.ndarray") -> "np.ndarray":
    """dS/dX = dS/dz_0 @ W_0^T for rows of dS/dz_0 (M, n_1): lets a caller average dS/dz_0
    over samples first (the mean commutes with the product) instead of paying for every row."""
    return matmul(grad_pre_first, model.layers[0].W.T)


PIECEWISE_SLOPES = {"relu": 0.0, "leaky_relu": 0.01, "linear": 1.0}  # activation -> slope for z < 0


def linearize_from(model: "Any", l: int, z: "np.ndarray", dz: "np.ndarray", silence: "Optional[int]" = None):
    """Forward-mode pass of ONE input through a piecewise-linear tail of the network.

    z, dz: (n_{l+1},) pre-activation of layer l and its tangent (derivative along a direction).
    Every layer from l on must have an activation in ``PIECEWISE_SLOPES``; ``silence`` forces
    unit ``silence`` of layer l to output 0. Returns (logits (n_L,), dlogits (n_L,), kink): kink
    is the smallest t > 0 at which some pre-activation z + t dz from layer l on reaches 0 (where
    the tangent stops being valid), inf if none does.
    """
    kink = math.inf
    a = da = None
    for m, layer in enumerate(model.layers[l:]):
        if m > 0:
            z, dz = matmul(a[None, :], layer.W)[0] + layer.b, matmul(da[None, :], layer.W)[0]
        slope = PIECEWISE_SLOPES[layer.activation_name]
        if slope != 1.0:
            hits = ((z > 0) & (dz < 0)) | ((z < 0) & (dz > 0))
            if hits.any():
                kink = min(kink, float(np.min(-z[hits] / dz[hits])))
            active = (z > 0) | ((z == 0) & (dz > 0))
            a, da = np.where(z > 0, z, slope * z), np.where(active, dz, slope * dz)
        else:
            a, da = z, dz
        if m == 0 and silence is not None:
            a, da = a.copy(), da.copy()
            a[silence], da[silence] = 0.0, 0.0
    return a, da, kink
