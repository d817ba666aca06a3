from __future__ import annotations

import warnings

import numpy as np
import pytest

from glassbox.nn.losses import LOSSES, get_loss, one_hot, softmax

NAMES = ["cross_entropy", "mse"]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _batch(dtype, n=6, k=4):
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, size=(n, k)).astype(dtype)
    y = rng.integers(0, k, size=n)
    return logits, y


def _torch_loss(torch, name, logits, y):
    if name == "cross_entropy":
        return torch.nn.functional.cross_entropy(logits, y)
    target = torch.nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return 0.5 * ((logits - target) ** 2).sum(dim=1).mean()


def test_registry_and_unknown_name():
    assert sorted(LOSSES) == sorted(NAMES)
    with pytest.raises(ValueError, match="cross_entropy"):
        get_loss("hinge")


@pytest.mark.parametrize("name", NAMES)
def test_value_is_mean_of_per_sample_losses_and_a_python_float(name):
    logits, y = _batch(np.float32)
    loss = get_loss(name)
    value = loss.value(logits, y)
    assert type(value) is float
    assert value == pytest.approx(float(np.mean(loss.per_sample(logits, y))), rel=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_grad_matches_central_finite_differences_float64(name):
    logits, y = _batch(np.float64)
    loss = get_loss(name)
    eps = 1e-6
    numeric = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (loss.value(plus, y) - loss.value(minus, y)) / (2 * eps)
    np.testing.assert_allclose(loss.grad(logits, y), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_value_and_grad_match_torch_autograd(torch, name):
    logits, y = _batch(np.float32)
    tl = torch.tensor(logits, requires_grad=True)
    tloss = _torch_loss(torch, name, tl, torch.tensor(y))
    tloss.backward()
    loss = get_loss(name)
    assert loss.value(logits, y) == pytest.approx(tloss.item(), rel=1e-6)
    grad = loss.grad(logits, y)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, tl.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_mse_is_half_k_times_torch_mse_loss(torch):
    logits, y = _batch(np.float32)
    t = torch.tensor(logits)
    target = torch.nn.functional.one_hot(torch.tensor(y), logits.shape[1]).float()
    expected = 0.5 * logits.shape[1] * torch.nn.functional.mse_loss(t, target).item()
    assert get_loss("mse").value(logits, y) == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], dtype=np.float32)
    y = np.array([0, 2])
    loss = get_loss("cross_entropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = loss.per_sample(logits, y)
        grad = loss.grad(logits, y)
    np.testing.assert_allclose(values, [0.0, 1000.0], atol=1e-3)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", NAMES)
def test_probabilities_are_a_softmax_that_sums_to_one(name):
    logits, _ = _batch(np.float32)
    p = get_loss(name).probabilities(logits)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(np.argmax(p, axis=1), np.argmax(logits, axis=1))
    np.testing.assert_allclose(p, softmax(logits.astype(np.float64)), rtol=1e-5)


def test_one_hot_places_single_ones():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_logits_give_nan_not_an_exception(name):
    logits = np.array([[np.nan, 0.0], [np.inf, 1.0]], dtype=np.float32)
    with np.errstate(all="ignore"):
        value = get_loss(name).value(logits, np.array([0, 1]))
    assert isinstance(value, float) and not np.isfinite(value)
