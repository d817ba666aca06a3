from __future__ import annotations

import numpy as np
import pytest

from glassbox.train import snapshot as snapshot_module
from glassbox.nn.model import MLP
from glassbox.train.trainer import Trainer

SIZES = [6, 7, 5, 4]
P = 16
STAT_KEYS = {"W_norm", "dW_norm", "b_norm", "act_mean", "act_std", "grad_norm", "update_ratio", "dead_fraction"}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _data(seed=0, n_train=120, n_val=40):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, size=(4, 6))
    y = rng.integers(0, 4, size=n_train + n_val)
    X = (centres[y] + rng.normal(size=(len(y), 6))).astype(np.float32)
    return {"X_train": X[:n_train], "y_train": y[:n_train], "X_val": X[n_train:], "y_val": y[n_train:],
            "name": "toy", "n_classes": 4, "image_shape": None}


def _trainer(activation="relu", **kw):
    model = MLP(SIZES, activation=activation, seed=2, **kw)
    return Trainer(model, _data(), optimizer="momentum", lr=0.05, batch_size=10, seed=3, probe_size=P)


def _norm(a):
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64)))


def test_every_field_has_the_documented_type_shape_and_dtype():
    trainer = _trainer()
    trainer.train(steps=5)
    snap = trainer.snapshot()
    assert set(snap) == {"schema", "step", "epoch", "lr", "layer_sizes", "activation", "loss_name",
                         "train", "val", "probe", "layers"}
    assert snap["schema"] == 1 and type(snap["step"]) is int and snap["step"] == 5
    assert type(snap["epoch"]) is float and type(snap["lr"]) is float
    assert snap["layer_sizes"] == SIZES and all(type(n) is int for n in snap["layer_sizes"])
    assert snap["activation"] == "relu" and snap["loss_name"] == "cross_entropy"
    for split in ("train", "val"):
        assert set(snap[split]) == {"loss", "accuracy"}
        assert all(type(v) is float for v in snap[split].values())

    def check(arr, shape, dtype=np.float32):
        assert isinstance(arr, np.ndarray) and arr.shape == shape and arr.dtype == dtype
        assert arr.flags["C_CONTIGUOUS"]

    probe = snap["probe"]
    assert set(probe) == {"index", "x", "y", "pred", "prob"}
    check(probe["index"], (P,), np.int32)
    check(probe["x"], (P, SIZES[0]))
    check(probe["y"], (P,), np.int32)
    check(probe["pred"], (P,), np.int32)
    check(probe["prob"], (P, SIZES[-1]))
    assert len(snap["layers"]) == len(SIZES) - 1
    for l, layer in enumerate(snap["layers"]):
        n_in, n_out = SIZES[l], SIZES[l + 1]
        assert set(layer) == {"W", "b", "dW", "db", "pre", "act", "grad_pre", "grad_act", "stats"}
        check(layer["W"], (n_in, n_out))
        check(layer["dW"], (n_in, n_out))
        check(layer["b"], (n_out,))
        check(layer["db"], (n_out,))
        for key in ("pre", "act", "grad_pre", "grad_act"):
            check(layer[key], (P, n_out))
        assert set(layer["stats"]) == STAT_KEYS
        assert all(type(v) is float for v in layer["stats"].values())


def test_every_snapshot_key_is_documented_in_the_module_docstring():
    snap = _trainer().snapshot()
    keys = set(snap) | set(snap["probe"]) | set(snap["layers"][0]) | STAT_KEYS
    for key in keys:
        assert "'%s'" % key in snapshot_module.__doc__, key


def test_probe_fields_are_consistent_with_the_model():
    trainer = _trainer()
    trainer.train(steps=8)
    snap = trainer.snapshot()
    probe = snap["probe"]
    np.testing.assert_array_equal(probe["x"], trainer.X_val[probe["index"]])
    np.testing.assert_array_equal(probe["y"], trainer.y_val[probe["index"]])
    np.testing.assert_allclose(probe["prob"], trainer.model.predict_proba(probe["x"]), rtol=1e-6)
    np.testing.assert_array_equal(probe["pred"], trainer.model.predict(probe["x"]))
    np.testing.assert_allclose(probe["prob"].sum(axis=1), 1, rtol=1e-5)


def test_stats_recomputed_from_the_raw_arrays_match():
    trainer = _trainer()
    trainer.train(steps=4)
    trainer.snapshot()
    previous = [layer.W.copy() for layer in trainer.model.layers]
    trainer.train(steps=6)
    snap = trainer.snapshot()
    for l, layer in enumerate(snap["layers"]):
        stats = layer["stats"]
        assert stats["W_norm"] == pytest.approx(_norm(layer["W"]), rel=1e-6)
        assert stats["dW_norm"] == pytest.approx(_norm(layer["dW"]), rel=1e-6)
        assert stats["grad_norm"] == stats["dW_norm"]
        assert stats["b_norm"] == pytest.approx(_norm(layer["b"]), rel=1e-6)
        assert stats["act_mean"] == pytest.approx(float(np.mean(layer["act"], dtype=np.float64)), rel=1e-6)
        assert stats["act_std"] == pytest.approx(float(np.std(layer["act"], dtype=np.float64)), rel=1e-6)
        expected_ratio = _norm(layer["W"] - previous[l]) / _norm(layer["W"])
        assert stats["update_ratio"] == pytest.approx(expected_ratio, rel=1e-5)
        assert stats["update_ratio"] > 0
        is_relu = l < len(snap["layers"]) - 1
        dead = float(np.mean(np.all(layer["act"] <= 0, axis=0))) if is_relu else 0.0
        assert stats["dead_fraction"] == dead


def test_update_ratio_is_zero_at_the_first_snapshot():
    trainer = _trainer()
    trainer.train(steps=3)
    assert all(l["stats"]["update_ratio"] == 0.0 for l in trainer.snapshot()["layers"])


def test_strongly_negative_bias_shows_dead_relus_and_tanh_never_counts_dead():
    dead = _trainer(bias_init=-50.0).snapshot()
    assert [l["stats"]["dead_fraction"] for l in dead["layers"]] == [1.0, 1.0, 0.0]
    alive = _trainer(activation="tanh", bias_init=-50.0).snapshot()
    assert all(l["stats"]["dead_fraction"] == 0.0 for l in alive["layers"])


def test_train_metrics_are_running_means_since_the_previous_snapshot():
    trainer = _trainer()
    first = trainer.snapshot()  # no steps yet: evaluated on the training set instead
    assert first["train"]["loss"] == pytest.approx(trainer.evaluate("train", limit=512)["loss"])
    losses = [trainer.step() for _ in range(4)]  # batch size 10 divides 120: equal weights
    snap = trainer.snapshot()
    assert snap["train"]["loss"] == pytest.approx(np.mean(losses), rel=1e-6)
    more = [trainer.step() for _ in range(3)]
    latest = trainer.snapshot()
    assert latest["train"]["loss"] == pytest.approx(np.mean(more), rel=1e-6)
    assert latest["val"] == trainer.evaluate("val")


def test_snapshot_arrays_are_copies_unaffected_by_further_training():
    trainer = _trainer()
    snap = trainer.snapshot()
    W0 = snap["layers"][0]["W"].copy()
    trainer.train(steps=5)
    np.testing.assert_array_equal(snap["layers"][0]["W"], W0)
    assert snap["layers"][0]["W"] is not trainer.model.layers[0].W


def test_gradients_and_per_sample_values_match_torch(torch):
    trainer = _trainer(activation="tanh")
    trainer.train(steps=5)
    snap = trainer.snapshot()
    a = torch.tensor(snap["probe"]["x"])
    leaves, zs, acts = [], [], []
    for l, layer in enumerate(snap["layers"]):
        W = torch.tensor(layer["W"], requires_grad=True)
        b = torch.tensor(layer["b"], requires_grad=True)
        z = a @ W + b
        a = torch.tanh(z) if l < len(snap["layers"]) - 1 else z * 1.0
        z.retain_grad()
        a.retain_grad()
        leaves.append((W, b))
        zs.append(z)
        acts.append(a)
    per_sample = torch.nn.functional.cross_entropy(a, torch.tensor(snap["probe"]["y"]).long(), reduction="none")
    # Gradient of the SUM of per-sample losses: z.grad is then dl_i/dz_i, row by row.
    per_sample.sum().backward()
    for l, layer in enumerate(snap["layers"]):
        W, b = leaves[l]
        np.testing.assert_allclose(layer["dW"], W.grad.numpy() / P, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer["db"], b.grad.numpy() / P, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer["pre"], zs[l].detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(layer["act"], acts[l].detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(layer["grad_pre"], zs[l].grad.numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer["grad_act"], acts[l].grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(snap["probe"]["prob"], torch.softmax(a, 1).detach().numpy(), rtol=1e-5, atol=1e-7)


def test_snapshot_of_a_diverged_model_reports_nan_without_raising():
    trainer = _trainer()
    for layer in trainer.model.layers:
        layer.W[:] = np.nan
    snap = trainer.snapshot()
    assert np.isnan(snap["val"]["loss"]) and np.isnan(snap["layers"][0]["stats"]["W_norm"])
    assert snap["probe"]["pred"].dtype == np.int32


def test_snapshot_validation_metrics_use_the_first_1000_validation_rows(monkeypatch):
    from glassbox.train import snapshot as snapshot_module
    trainer = _trainer()
    trainer.train(steps=3)
    monkeypatch.setattr(snapshot_module, "SNAPSHOT_VAL_LIMIT", 7)
    assert trainer.snapshot()["val"] == trainer.evaluate("val", limit=7)
    assert trainer.evaluate("val", limit=7) != trainer.evaluate("val")
