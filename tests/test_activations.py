from __future__ import annotations

import warnings

import numpy as np
import pytest

from glassbox.nn.activations import ACTIVATIONS, get_activation

NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _inputs(dtype):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, size=(7, 5))
    # Keep clear of the ReLU kink so finite differences never straddle it.
    z[np.abs(z) < 1e-3] = 0.5
    grad_a = rng.normal(size=(7, 5))
    return z.astype(dtype), grad_a.astype(dtype)


def test_registry_has_exactly_the_documented_names():
    assert sorted(ACTIVATIONS) == sorted(NAMES)


def test_unknown_name_raises_value_error_listing_valid_names():
    with pytest.raises(ValueError) as err:
        get_activation("swish")
    for name in NAMES:
        assert name in str(err.value)


def test_forward_values_on_known_points():
    z = np.array([[-2.0, 0.0, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(get_activation("relu").forward(z), [[0, 0, 3]])
    np.testing.assert_allclose(get_activation("leaky_relu").forward(z), [[-0.02, 0, 3]], rtol=1e-6)
    np.testing.assert_allclose(get_activation("tanh").forward(z), np.tanh(z), rtol=1e-6)
    np.testing.assert_allclose(
        get_activation("sigmoid").forward(z), 1 / (1 + np.exp(-z.astype(np.float64))), rtol=1e-6
    )
    np.testing.assert_array_equal(get_activation("linear").forward(z), z)


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(name):
    z, grad_a = _inputs(np.float32)
    act = get_activation(name)
    a = act.forward(z)
    assert a.dtype == np.float32 and a.shape == z.shape
    assert act.backward(z, a, grad_a).dtype == np.float32


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_central_finite_differences_float64(name):
    z, grad_a = _inputs(np.float64)
    act = get_activation(name)
    eps = 1e-6
    numeric = (act.forward(z + eps) - act.forward(z - eps)) / (2 * eps) * grad_a
    analytic = act.backward(z, act.forward(z), grad_a)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_backward_match_torch_autograd(torch, name):
    z, grad_a = _inputs(np.float32)
    tz = torch.tensor(z, requires_grad=True)
    torch_fn = {
        "relu": torch.relu,
        "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "linear": lambda t: t * 1.0,
    }[name]
    ta = torch_fn(tz)
    (tgrad,) = torch.autograd.grad(ta, tz, torch.tensor(grad_a))
    act = get_activation(name)
    a = act.forward(z)
    np.testing.assert_allclose(a, ta.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(act.backward(z, a, grad_a), tgrad.numpy(), rtol=1e-5, atol=1e-7)


def test_relu_gradient_is_zero_at_zero_like_torch():
    z = np.zeros((1, 3), dtype=np.float32)
    act = get_activation("relu")
    np.testing.assert_array_equal(act.backward(z, act.forward(z), np.ones_like(z)), 0)


def test_sigmoid_is_stable_for_huge_inputs():
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=np.float32)
    act = get_activation("sigmoid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.forward(z)
        g = act.backward(z, a, np.ones_like(z))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(g))
    assert a[0, 0] == 0.0 and a[0, -1] == 1.0 and a[0, 2] == 0.5
