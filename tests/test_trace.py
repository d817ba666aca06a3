"""glassbox.nn.trace, the one forward/backward pass every analysis uses, against the training
pass (bit for bit), finite differences (float64) and a plain numpy forward pass."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.nn import MLP
from glassbox.nn.trace import backprop, forward_from, input_gradient, linearize_from, outputs_from_pre, trace


def central_differences(f, X, eps=1e-6):
    """dF/dX by central differences, one entry of X at a time (float64)."""
    out = np.zeros_like(X)
    for index in np.ndindex(*X.shape):
        up, down = X.copy(), X.copy()
        up[index] += eps
        down[index] -= eps
        out[index] = (f(up) - f(down)) / (2 * eps)
    return out


def model64(activation='tanh', sizes=(5, 7, 6, 3), seed=0):
    return MLP(list(sizes), activation=activation, seed=seed).astype(np.float64)


def test_the_probe_trace_equals_the_training_pass_bit_for_bit():
    model = MLP([64, 32, 16, 10], activation='relu', seed=1)
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 64), dtype=np.float32), rng.integers(0, 10, 40)
    tr = trace(model, X, y, param_grads=True)
    model.backward(X, y)
    for l, layer in enumerate(model.layers):
        np.testing.assert_array_equal(tr['pre'][l], layer.z)
        np.testing.assert_array_equal(tr['act'][l], layer.a)
        np.testing.assert_array_equal(tr['grad_pre'][l], layer.grad_z)
        np.testing.assert_array_equal(tr['grads'][l]['W'], layer.grads['W'])
        np.testing.assert_array_equal(tr['grads'][l]['b'], layer.grads['b'])


@pytest.mark.parametrize('activation', ['tanh', 'sigmoid', 'leaky_relu'])
def test_input_gradient_matches_finite_differences(activation):
    model = model64(activation)
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(4, 5)), np.array([0, 2, 1, 2])
    grad = trace(model, X, y, input_grad=True)['input_grad']
    numeric = central_differences(lambda Xv: model.loss(Xv, y), X)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9)


def test_backprop_from_a_hidden_layer_matches_finite_differences():
    model = model64('tanh')
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 5))
    tr = trace(model, X)
    select = np.zeros(model.layers[1].n_out)
    select[[1, 4]] = 0.5  # S = mean activation of units 1 and 4 of hidden layer 2, summed over rows
    first = backprop(model, tr, np.tile(select, (3, 1)), top=1)['grad_pre'][0]
    grad = input_gradient(model, first)

    def score(Xv):
        return float((trace(model, Xv)['act'][1] @ select).sum())
    np.testing.assert_allclose(grad, central_differences(score, X), rtol=1e-5, atol=1e-9)


def test_forward_from_a_column_and_from_edited_pre_activations_match_numpy():
    model = model64('relu')
    X = np.random.default_rng(4).normal(size=(6, 5))
    a = X
    acts, pres = [], []
    for layer in model.layers:
        z = a @ layer.W + layer.b
        a = np.maximum(z, 0) if layer.activation_name == 'relu' else z
        pres.append(z)
        acts.append(a)
    np.testing.assert_allclose(forward_from(model, 1, acts[0]), acts[-1], rtol=1e-12)
    z = pres[1].copy()
    z[:, 2] += 0.7
    silenced = np.maximum(z, 0)
    silenced[:, 3] = 0
    np.testing.assert_allclose(outputs_from_pre(model, 1, z, silence=3), silenced @ model.layers[2].W + model.layers[2].b,
                               rtol=1e-12)


def test_linearize_from_gives_the_directional_derivative_and_the_first_kink():
    model = model64('relu', sizes=(4, 6, 5, 3), seed=5)
    x = np.random.default_rng(6).normal(size=4)
    z0 = trace(model, x[None, :])['pre'][0][0]
    dz = np.zeros_like(z0)
    dz[2] = 1.0
    logits, dlogits, kink = linearize_from(model, 0, z0, dz)
    np.testing.assert_allclose(logits, trace(model, x[None, :])['act'][-1][0], rtol=1e-12)
    t = min(kink, 1.0) * 0.5  # inside the linear piece: exactly linear
    z = z0 + t * dz
    moved = outputs_from_pre(model, 0, z[None, :])[0]
    np.testing.assert_allclose(moved, logits + t * dlogits, rtol=1e-9, atol=1e-12)
