from __future__ import annotations

import numpy as np
import pytest

from glassbox.nn import backend as layers_module
from glassbox.nn.initializers import INITIALIZERS, get_initializer
from glassbox.nn import Dense, matmul, set_matmul_backend

ACTIVATION_NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def restore_matmul_backend():
    before = layers_module.get_matmul_backend()
    yield
    set_matmul_backend(before)


def _layer_and_batch(activation, dtype=np.float32):
    layer = Dense(5, 4, activation=activation, init="glorot", rng=np.random.default_rng(3), bias_init=0.1)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 5)).astype(dtype)
    grad_a = rng.normal(size=(6, 4)).astype(dtype)
    return layer, x, grad_a


# -- initialisers ----------------------------------------------------------

def test_initializers_give_float32_of_shape_fan_in_by_fan_out():
    for name, init in INITIALIZERS.items():
        W = init(np.random.default_rng(0), 30, 20)
        assert W.shape == (30, 20) and W.dtype == np.float32, name


def test_he_std_and_glorot_limit_follow_their_formulas():
    W = get_initializer("he")(np.random.default_rng(0), 400, 300)
    assert W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    limit = np.sqrt(6 / (400 + 300))
    G = get_initializer("glorot")(np.random.default_rng(0), 400, 300)
    assert np.abs(G).max() <= limit and np.abs(G).max() > 0.99 * limit


def test_bad_initializers_are_as_bad_as_documented():
    S = get_initializer("small_uniform")(np.random.default_rng(0), 50, 50)
    assert np.abs(S).max() <= 0.01
    assert not get_initializer("zeros")(np.random.default_rng(0), 5, 5).any()


def test_same_generator_state_gives_same_weights():
    a = get_initializer("he")(np.random.default_rng(7), 8, 3)
    b = get_initializer("he")(np.random.default_rng(7), 8, 3)
    c = get_initializer("he")(np.random.default_rng(8), 8, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_unknown_initializer_raises_value_error():
    with pytest.raises(ValueError, match="glorot"):
        get_initializer("orthogonal")


# -- Dense -------------------------------------------------------------------

def test_dense_params_are_float32_with_constant_bias_init():
    layer = Dense(3, 2, rng=np.random.default_rng(0), bias_init=-2.5)
    params = layer.params()
    assert params["W"].shape == (3, 2) and params["W"].dtype == np.float32
    assert params["b"].dtype == np.float32
    np.testing.assert_array_equal(params["b"], [-2.5, -2.5])
    assert params["W"] is layer.W and params["b"] is layer.b


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_forward_computes_activation_of_affine_map_and_caches_it(activation):
    layer, x, _ = _layer_and_batch(activation)
    a = layer.forward(x)
    z = x.astype(np.float64) @ layer.W + layer.b
    np.testing.assert_allclose(layer.z, z, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a, layer.activation.forward(layer.z))
    assert a.dtype == np.float32 and layer.a is a and layer.x is x


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_backward_matches_finite_differences_float64(activation):
    layer32, x, grad_a = _layer_and_batch(activation, np.float64)
    layer = layer32.astype(np.float64)

    def objective():
        # Scalar whose gradient w.r.t. a is grad_a.
        return float(np.sum(layer.forward(x) * grad_a))

    layer.forward(x)
    grad_x = layer.backward(grad_a)
    eps = 1e-6
    for name, arr in (("W", layer.W), ("b", layer.b)):
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(*arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            plus = objective()
            arr[idx] = old - eps
            minus = objective()
            arr[idx] = old
            numeric[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(layer.grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)
    numeric_x = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + eps
        plus = objective()
        x[idx] = old - eps
        minus = objective()
        x[idx] = old
        numeric_x[idx] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(grad_x, numeric_x, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_backward_matches_torch_autograd(torch, activation):
    layer, x, grad_a = _layer_and_batch(activation)
    tx = torch.tensor(x, requires_grad=True)
    tW = torch.tensor(layer.W, requires_grad=True)
    tb = torch.tensor(layer.b, requires_grad=True)
    tz = tx @ tW + tb
    tz.retain_grad()
    ta = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation](tz)
    ta.backward(torch.tensor(grad_a))
    layer.forward(x)
    grad_x = layer.backward(grad_a)
    np.testing.assert_allclose(layer.z, tz.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.grad_z, tz.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.grads["W"], tW.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.grads["b"], tb.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_backward_caches_grad_a_grad_z_and_float32_grads():
    layer, x, grad_a = _layer_and_batch("relu")
    layer.forward(x)
    assert layer.backward(grad_a, need_input_grad=False) is None
    assert layer.grad_a is grad_a
    assert layer.grad_z.shape == (6, 4)
    assert layer.grads["W"].shape == (5, 4) and layer.grads["W"].dtype == np.float32
    assert layer.grads["b"].shape == (4,) and layer.grads["b"].dtype == np.float32


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError):
        Dense(2, 2).backward(np.ones((1, 2), dtype=np.float32))


@pytest.mark.parametrize("as_lists", [False, True])
def test_to_dict_from_dict_round_trips_bit_exactly(as_lists):
    layer, _, _ = _layer_and_batch("tanh")
    d = layer.to_dict(as_lists=as_lists)
    if as_lists:
        assert isinstance(d["W"], list) and isinstance(d["W"][0][0], float)
    clone = Dense.from_dict(d)
    assert clone.W.tobytes() == layer.W.tobytes() and clone.b.tobytes() == layer.b.tobytes()
    assert clone.W.dtype == np.float32
    assert (clone.activation_name, clone.init_name, clone.bias_init) == ("tanh", "glorot", 0.1)
    clone.W[0, 0] += 1  # a copy, not shared
    assert clone.W[0, 0] != layer.W[0, 0]


def test_from_dict_rejects_mismatched_shapes():
    d = Dense(3, 2).to_dict()
    d["n_in"] = 4
    with pytest.raises(ValueError):
        Dense.from_dict(d)


def test_matmul_backends_agree_on_plain_and_transposed_operands(restore_matmul_backend):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 5)).astype(np.float32)
    b = rng.normal(size=(5, 3)).astype(np.float32)
    results = {}
    for backend in ("einsum", "matmul"):
        set_matmul_backend(backend)
        results[backend] = (matmul(a, b), matmul(a.T, a), matmul(b.T, a.T))
        assert all(r.dtype == np.float32 for r in results[backend])
    for r1, r2, expected in zip(results["einsum"], results["matmul"], (a @ b, a.T @ a, b.T @ a.T)):
        np.testing.assert_allclose(r1, expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(r2, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        set_matmul_backend("blas")


@pytest.mark.parametrize("n_in, n_out, message", [
    (0, 3, "n_in must be >= 1, got 0"), (3, -2, "n_out must be >= 1, got -2"),
    (2.5, 3, "n_in must be a whole number >= 1, got 2.5"), (3, False, "n_out must be a whole number >= 1, got False"),
])
def test_bad_layer_sizes_are_refused_by_name(n_in, n_out, message):
    with pytest.raises(ValueError, match=message):
        Dense(n_in, n_out)


def test_unknown_activation_or_initialiser_is_refused_listing_the_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'; valid names:"):
        Dense(3, 2, activation="swish")
    with pytest.raises(ValueError, match="unknown initializer 'orthogonal'; valid names:"):
        Dense(3, 2, init="orthogonal")
