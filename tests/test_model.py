from __future__ import annotations

import numpy as np
import pytest

from glassbox.nn.model import MLP

ACTIVATION_NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]
LOSS_NAMES = ["cross_entropy", "mse"]
SIZES = [4, 6, 5, 3]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _batch(n=8, n_in=4, n_classes=3, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in)).astype(np.float32)
    y = rng.integers(0, n_classes, size=n)
    return X, y


def _model(activation="tanh", loss="cross_entropy", **kw):
    # Non-zero biases so their gradients are exercised from a generic point.
    model = MLP(SIZES, activation=activation, init="glorot", seed=11, loss=loss, **kw)
    rng = np.random.default_rng(12)
    for layer in model.layers:
        layer.b[:] = rng.normal(0, 0.3, size=layer.b.shape)
    return model


def _torch_forward(torch, model, X, y):
    """Same network in torch; returns (mean loss, per-sample loss sum, leaves, zs, as)."""
    fns = {
        "relu": torch.relu,
        "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "linear": lambda t: t,
    }
    a = torch.tensor(X)
    leaves, zs, acts = [], [], []
    for layer in model.layers:
        W = torch.tensor(layer.W, requires_grad=True)
        b = torch.tensor(layer.b, requires_grad=True)
        z = a @ W + b
        a = fns[layer.activation_name](z)
        if a is z:
            a = z * 1.0  # a separate node so its gradient can be retained
        z.retain_grad()
        a.retain_grad()
        leaves.append((W, b))
        zs.append(z)
        acts.append(a)
    ty = torch.tensor(y)
    if model.loss_name == "cross_entropy":
        per_sample = torch.nn.functional.cross_entropy(a, ty, reduction="none")
    else:
        target = torch.nn.functional.one_hot(ty, a.shape[1]).float()
        per_sample = 0.5 * ((a - target) ** 2).sum(dim=1)
    return per_sample, leaves, zs, acts


def test_layer_structure_follows_sizes_and_activations():
    model = MLP([64, 32, 16, 10], activation="tanh", seed=0)
    assert model.layer_sizes == [64, 32, 16, 10]
    assert [(l.n_in, l.n_out) for l in model.layers] == [(64, 32), (32, 16), (16, 10)]
    assert [l.activation_name for l in model.layers] == ["tanh", "tanh", "linear"]
    assert len(model.params()) == 3 and set(model.params()[0]) == {"W", "b"}


def test_bias_init_applies_to_hidden_layers_only():
    model = MLP([3, 4, 4, 2], bias_init=-3.0)
    assert np.all(model.layers[0].b == -3.0) and np.all(model.layers[1].b == -3.0)
    assert np.all(model.layers[2].b == 0.0)


def test_invalid_sizes_raise():
    with pytest.raises(ValueError):
        MLP([5])
    with pytest.raises(ValueError):
        MLP([5, 0, 2])


def test_forward_casts_any_float_input_to_float32():
    model = MLP([4, 5, 3])
    X, _ = _batch()
    out = model.forward(X.astype(np.float64))
    assert out.dtype == np.float32 and out.shape == (8, 3)
    np.testing.assert_array_equal(out, model.forward(X))


def test_wrong_input_width_raises_clear_message():
    model = MLP([64, 32, 10])
    with pytest.raises(ValueError, match="X must have 64 features .* got 63"):
        model.forward(np.zeros((2, 63)))


def test_bad_labels_raise():
    model = MLP([4, 3])
    X, _ = _batch()
    with pytest.raises(ValueError, match="labels"):
        model.loss(X, np.full(8, 3))
    with pytest.raises(ValueError):
        model.loss(X, np.zeros(7, dtype=int))


def test_predict_and_predict_proba_agree():
    model = _model()
    X, _ = _batch()
    proba = model.predict_proba(X)
    assert proba.shape == (8, 3) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), np.argmax(proba, axis=1))


def test_same_seed_same_weights_different_seed_different():
    a, b, c = MLP([6, 5, 2], seed=3), MLP([6, 5, 2], seed=3), MLP([6, 5, 2], seed=4)
    for la, lb, lc in zip(a.layers, b.layers, c.layers):
        np.testing.assert_array_equal(la.W, lb.W)
        assert not np.array_equal(la.W, lc.W)


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_gradients_of_every_parameter_match_finite_differences_float64(activation, loss):
    model = _model(activation, loss).astype(np.float64)
    X, y = _batch()
    X = X.astype(np.float64)
    grads = model.gradients(X, y)
    eps = 1e-6
    for l, (params, layer_grads) in enumerate(zip(model.params(), grads)):
        for name, arr in params.items():
            assert arr.dtype == np.float64
            numeric = np.zeros_like(arr)
            for idx in np.ndindex(*arr.shape):
                old = arr[idx]
                arr[idx] = old + eps
                plus = model.loss(X, y)
                arr[idx] = old - eps
                minus = model.loss(X, y)
                arr[idx] = old
                numeric[idx] = (plus - minus) / (2 * eps)
            np.testing.assert_allclose(
                layer_grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg="layer %d %s" % (l, name)
            )


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_gradients_and_per_sample_caches_match_torch(torch, activation, loss):
    model = _model(activation, loss)
    X, y = _batch()
    per_sample, leaves, zs, acts = _torch_forward(torch, model, X, y)
    # Summing per-sample losses makes torch's z.grad the per-sample gradient dl_i/dz_i.
    per_sample.sum().backward()
    value = model.backward(X, y)
    assert value == pytest.approx(per_sample.mean().item(), rel=1e-5)
    n = len(X)
    for l, layer in enumerate(model.layers):
        W, b = leaves[l]
        np.testing.assert_allclose(layer.grads["W"], W.grad.numpy() / n, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer.grads["b"], b.grad.numpy() / n, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer.z, zs[l].detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.a, acts[l].detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.grad_z * n, zs[l].grad.numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer.grad_a * n, acts[l].grad.numpy(), rtol=1e-4, atol=1e-6)


def test_gradients_returns_float32_copies_shaped_like_params():
    model = _model("relu")
    X, y = _batch()
    grads = model.gradients(X, y)
    for params, g, layer in zip(model.params(), grads, model.layers):
        assert g["W"].shape == params["W"].shape and g["W"].dtype == np.float32
        assert g["b"].shape == params["b"].shape and g["b"].dtype == np.float32
        assert g["W"] is not layer.grads["W"]
    before = grads[0]["W"].copy()
    model.gradients(X[:3], y[:3])
    np.testing.assert_array_equal(grads[0]["W"], before)


def test_backward_returns_same_loss_as_loss():
    model = _model("relu")
    X, y = _batch()
    assert model.backward(X, y) == model.loss(X, y)


@pytest.mark.parametrize("as_lists", [False, True])
def test_to_dict_from_dict_and_copy_are_bit_exact_and_independent(as_lists):
    model = _model("sigmoid", "mse", output_activation="sigmoid", bias_init=0.5)
    X, _ = _batch()
    clone = MLP.from_dict(model.to_dict(as_lists=as_lists))
    copy = model.copy()
    for other in (clone, copy):
        assert other.layer_sizes == model.layer_sizes
        assert (other.activation, other.output_activation, other.loss_name, other.init, other.bias_init) == (
            "sigmoid", "sigmoid", "mse", "glorot", 0.5)
        for a, b in zip(model.layers, other.layers):
            assert a.W.tobytes() == b.W.tobytes() and a.b.tobytes() == b.b.tobytes()
        assert model.forward(X).tobytes() == other.forward(X).tobytes()
    copy.layers[0].W[0, 0] += 1.0
    assert copy.layers[0].W[0, 0] != model.layers[0].W[0, 0]


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_every_intermediate_array_stays_float32(activation, loss):
    # A silent float64 upcast would double the cost of every step in the browser.
    model = _model(activation, loss)
    X, y = _batch()
    model.backward(X.astype(np.float64), y)
    for layer in model.layers:
        for arr in (layer.W, layer.b, layer.z, layer.a, layer.grad_a, layer.grad_z,
                    layer.grads["W"], layer.grads["b"]):
            assert arr.dtype == np.float32


@pytest.mark.parametrize("sizes, message", [
    ([], r"sizes needs at least 2 entries \(inputs and outputs, e.g. \[64, 32, 10\]\), got \[\]"),
    ([0], r"sizes needs at least 2 entries"),
    ([5], r"sizes needs at least 2 entries .* got \[5\]"),
    ([5, 0, 2], r"sizes\[1\] must be >= 1, got 0"),
    ([5, -3, 2], r"sizes\[1\] must be >= 1, got -3"),
    ([5, 2.9, 2], r"sizes\[1\] must be a whole number >= 1, got 2.9"),
    ([5, 4.0, 2], r"sizes\[1\] must be a whole number >= 1, got 4.0"),
    ([5, True, 2], r"sizes\[1\] must be a whole number >= 1, got True"),
    ([5, "8", 2], r"sizes\[1\] must be a whole number >= 1, got '8'"),
    ("64,10", r"sizes must be a list of layer widths"),
    (64, r"sizes must be a list of layer widths"),
], ids=["empty", "zero-only", "one-size", "zero", "negative", "fraction", "float", "bool", "string-entry",
        "string", "int"])
def test_bad_sizes_are_refused_naming_the_entry(sizes, message):
    with pytest.raises(ValueError, match=message):
        MLP(sizes)


def test_numpy_integer_sizes_are_accepted():
    assert MLP(list(np.array([4, 3, 2]))).layer_sizes == [4, 3, 2]


@pytest.mark.parametrize("kw, message", [
    ({"activation": "relu6"}, r"unknown activation 'relu6'; valid names: .*relu"),
    ({"output_activation": "softmax"}, r"unknown activation 'softmax'"),
    ({"init": "xavier"}, r"unknown initializer 'xavier'; valid names: glorot, he"),
    ({"loss": "hinge"}, r"unknown loss 'hinge'"),
    ({"bias_init": float("nan")}, r"bias_init must be a number"),
    ({"seed": -1}, r"seed must be a whole number >= 0, got -1"),
    ({"seed": 1.5}, r"seed must be a whole number >= 0, got 1.5"),
])
def test_bad_model_options_are_refused_by_name(kw, message):
    with pytest.raises(ValueError, match=message):
        MLP([4, 3, 2], **kw)


def test_labels_out_of_range_fractional_or_not_1d_are_named():
    model = MLP([4, 3])
    X, _ = _batch()
    with pytest.raises(ValueError, match=r"y\[0\] is 3: labels must be below n_classes = 3"):
        model.loss(X, np.full(8, 3))
    with pytest.raises(ValueError, match=r"y\[2\] is 0.5: labels must be whole numbers"):
        model.loss(X, [0, 1, 0.5, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"y\[1\] is -1: labels must be >= 0"):
        model.backward(X, [0, -1, 0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"y must be 1-D \(one label per sample\), got shape \(8, 1\)"):
        model.loss(X, np.zeros((8, 1), int))
    with pytest.raises(ValueError, match=r"y holds 7 labels but there are 8 samples"):
        model.loss(X, np.zeros(7, int))
    assert np.isfinite(model.loss(X, np.zeros(8)))  # 0.0 is a whole number: accepted


def test_input_that_is_not_numbers_or_not_2d_is_named():
    model = MLP([4, 3])
    with pytest.raises(ValueError, match=r"X must be an array of numbers of shape \(N, 4\)"):
        model.forward([["a", "b", "c", "d"]])
    with pytest.raises(ValueError, match=r"X must have shape \(N, 4\), got shape \(2, 2, 4\)"):
        model.forward(np.zeros((2, 2, 4)))
