from __future__ import annotations

import numpy as np
import pytest

from glassbox.nn.model import MLP
from glassbox.train.trainer import Trainer, stratified_probe_indices


def blobs(n_per_class=100, n_classes=2, seed=0, spread=0.6):
    """Gaussian blobs around well-separated centres in 2-D, split 75/25."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 3 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = np.concatenate([c + spread * rng.normal(size=(n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(n_classes), n_per_class)
    perm = rng.permutation(len(X))
    X, y = X[perm].astype(np.float32), y[perm]
    n_train = int(0.75 * len(X))
    return {
        "X_train": X[:n_train], "y_train": y[:n_train], "X_val": X[n_train:], "y_val": y[n_train:],
        "name": "blobs", "n_classes": n_classes, "image_shape": None, "feature_names": ["x1", "x2"],
    }


@pytest.fixture(scope="module")
def data():
    return blobs(n_classes=3)


def _trainer(data, seed=0, model_seed=0, **kw):
    return Trainer(MLP([2, 8, 3], seed=model_seed), data, seed=seed, **kw)


def _weights(model):
    return b"".join(p["W"].tobytes() + p["b"].tobytes() for p in model.params())


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)])
def test_learns_separable_blobs(optimizer, lr):
    data = blobs(n_classes=3, seed=1)
    trainer = Trainer(MLP([2, 16, 3], seed=1), data, optimizer=optimizer, lr=lr, batch_size=16, seed=1)
    before = trainer.evaluate()
    trainer.train(steps=300)
    after = trainer.evaluate()
    assert after["accuracy"] >= 0.97
    assert after["loss"] < before["loss"] / 3


def test_same_seed_identical_run_different_seed_different(data):
    a, b, c = _trainer(data, seed=5), _trainer(data, seed=5), _trainer(data, seed=6)
    losses = [t.train(steps=40) for t in (a, b, c)]
    assert _weights(a.model) == _weights(b.model) and losses[0] == losses[1]
    assert _weights(a.model) != _weights(c.model)


def test_each_epoch_visits_every_training_sample_once(data):
    trainer = _trainer(data, batch_size=32)
    n = len(data["X_train"])
    seen = np.concatenate([trainer._next_batch() for _ in range(int(np.ceil(n / 32)))])
    np.testing.assert_array_equal(np.sort(seen), np.arange(n))
    second = np.concatenate([trainer._next_batch() for _ in range(int(np.ceil(n / 32)))])
    np.testing.assert_array_equal(np.sort(second), np.arange(n))
    assert not np.array_equal(seen, second)


def test_step_and_epoch_counters(data):
    trainer = _trainer(data, batch_size=25)  # 225 training samples = 9 batches
    trainer.train(steps=9)
    assert trainer.step_count == 9 and trainer.epoch == 1.0
    trainer.step()
    assert trainer.step_count == 10 and trainer.epoch == pytest.approx(250 / 225)


def test_train_returns_mean_of_minibatch_losses(data):
    a, b = _trainer(data), _trainer(data)
    mean = a.train(steps=7)
    losses = [b.step() for _ in range(7)]
    assert isinstance(mean, float) and mean == pytest.approx(np.mean(losses))


def test_lr_property_reaches_the_optimizer(data):
    trainer = _trainer(data, optimizer="adam", lr=0.01)
    assert trainer.lr == 0.01 and trainer.optimizer.lr == 0.01
    trainer.lr = 0.002
    assert trainer.optimizer.lr == 0.002


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), True, "0.1"])
def test_setting_a_bad_lr_is_refused_by_name_and_keeps_the_old_one(data, bad):
    trainer = _trainer(data, optimizer="adam", lr=0.01)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got"):
        trainer.lr = bad
    assert trainer.lr == 0.01


def test_evaluate_matches_direct_model_computation(data):
    trainer = _trainer(data)
    trainer.train(steps=20)
    for split, X, y in (("val", data["X_val"], data["y_val"]), ("train", data["X_train"], data["y_train"])):
        result = trainer.evaluate(split)
        assert result["loss"] == pytest.approx(trainer.model.loss(X, y), rel=1e-5)
        assert result["accuracy"] == pytest.approx(np.mean(trainer.model.predict(X) == y))
        assert type(result["loss"]) is float and type(result["accuracy"]) is float
    with pytest.raises(ValueError):
        trainer.evaluate("test")


def test_probe_is_fixed_deterministic_and_stratified(data):
    a, b = _trainer(data, probe_size=30), _trainer(data, probe_size=30)
    np.testing.assert_array_equal(a.probe_index, b.probe_index)
    assert a.probe_index.dtype == np.int32 and len(np.unique(a.probe_index)) == 30
    np.testing.assert_array_equal(np.bincount(a.probe_y, minlength=3), [10, 10, 10])
    np.testing.assert_array_equal(a.probe_x, data["X_val"][a.probe_index])
    index = a.probe_index.copy()
    a.train(steps=10)
    np.testing.assert_array_equal(a.probe_index, index)


def test_probe_larger_than_validation_set_takes_all_of_it():
    y = np.array([0, 0, 0, 1, 2])
    index = stratified_probe_indices(y, 64, np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(index), np.arange(5))
    assert sorted(y[index[:3]]) == [0, 1, 2]


def test_probe_size_does_not_change_the_minibatch_order(data):
    a, b = _trainer(data, probe_size=8), _trainer(data, probe_size=40)
    a.train(steps=15)
    b.train(steps=15)
    assert _weights(a.model) == _weights(b.model)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_fork_continues_exactly_like_the_original_and_independently(data, optimizer):
    original = _trainer(data, optimizer=optimizer, lr=0.05, weight_decay=0.01, batch_size=20)
    original.train(steps=13)  # mid-epoch, with optimiser state built up
    original.snapshot()
    fork = original.fork()
    assert fork.model is not original.model
    assert fork.lr == original.lr and fork.step_count == 13
    loss_a = original.train(steps=17)
    loss_b = fork.train(steps=17)
    assert loss_a == loss_b and _weights(original.model) == _weights(fork.model)
    snap_a, snap_b = original.snapshot(), fork.snapshot()
    assert snap_a["train"] == snap_b["train"] and snap_a["epoch"] == snap_b["epoch"]
    assert [l["stats"]["update_ratio"] for l in snap_a["layers"]] == [
        l["stats"]["update_ratio"] for l in snap_b["layers"]]
    fork.train(steps=5)
    assert _weights(original.model) != _weights(fork.model)


def test_diverging_run_gives_nan_instead_of_crashing(data):
    trainer = _trainer(data, lr=1e6)
    losses = [trainer.step() for _ in range(30)]
    assert not np.isfinite(losses[-1])
    snap = trainer.snapshot()
    assert not np.isfinite(snap["train"]["loss"]) and isinstance(snap["val"]["loss"], float)


def test_mismatched_data_is_rejected(data):
    with pytest.raises(ValueError, match="X_train must have 3 features"):
        Trainer(MLP([3, 4, 3]), data)
    with pytest.raises(ValueError, match="classes"):
        Trainer(MLP([2, 4, 5]), data)  # n_classes 3 vs 5 outputs


def test_batch_size_larger_than_training_set_is_clamped():
    small = blobs(n_per_class=4, n_classes=2)
    trainer = Trainer(MLP([2, 3, 2]), small, batch_size=1000)
    trainer.step()
    assert trainer.batch_size == len(small["X_train"]) and trainer.epoch == 1.0


def test_a_ready_made_optimizer_keeps_its_own_settings(data):
    from glassbox.nn.optimizers import make_optimizer
    opt = make_optimizer("adam", 0.003, weight_decay=0.01)
    trainer = Trainer(MLP([2, 8, 3]), data, optimizer=opt)
    assert trainer.optimizer is opt and trainer.lr == 0.003 and opt.weight_decay == 0.01
