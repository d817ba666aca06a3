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


# -- bad input: each refused by name, before anything is trained ------------------------------

def test_an_empty_data_dict_names_every_missing_key():
    with pytest.raises(ValueError, match=r"data is missing X_train, y_train, X_val, y_val: a dataset dict needs "
                                         r"X_train, y_train, X_val, y_val and n_classes"):
        Trainer(MLP([2, 3]), {})
    with pytest.raises(ValueError, match=r"data must be a dict with X_train"):
        Trainer(MLP([2, 3]), [1, 2])


def _with(data, **changes):
    return dict(data, **changes)


@pytest.mark.parametrize("changes, message", [
    ({"y_train": "drop-1"}, r"y_train holds 224 labels but there are 225 samples"),
    ({"X_train": "3-D"}, r"X_train must be 2-D \(samples, features\), got shape \(225, 2, 1\)"),
    ({"X_val": "width-3"}, r"X_val must have 2 features \(columns\) to match the model, got 3"),
    ({"X_train": "nan"}, r"X_train holds nan at row 4, column 1: inputs must be finite numbers"),
    ({"X_val": "inf"}, r"X_val holds inf at row 2, column 0"),
    ({"X_train": "text"}, r"X_train must be an array of numbers, got list"),
    ({"y_train": "fraction"}, r"y_train\[5\] is 1.5: labels must be whole numbers"),
    ({"y_train": "negative"}, r"y_train\[5\] is -1: labels must be >= 0"),
    ({"y_train": "too-big"}, r"y_train\[5\] is 3: labels must be below n_classes = 3"),
    ({"y_val": "too-big"}, r"y_val\[5\] is 3: labels must be below n_classes = 3"),
    ({"y_val": "2-D"}, r"y_val must be 1-D \(one label per sample\), got shape \(75, 1\)"),
    ({"n_classes": 4}, r"data\['n_classes'\] is 4 but the model has 3 outputs"),
    ({"X_val": "empty", "y_val": "empty"}, r"training and validation sets must not be empty \(X_train has 225 rows, "
                                            r"X_val 0\)"),
], ids=["length-mismatch", "X-3d", "X-width", "X-nan", "X-inf", "X-text", "label-fraction", "label-negative",
        "label-too-big", "val-label-too-big", "val-labels-2d", "n_classes", "empty-val"])
def test_bad_data_is_refused_naming_the_array_and_position(data, changes, message):
    bad = dict(data)
    for key, how in changes.items():
        value = np.array(data[key]) if key in data and not isinstance(data[key], int) else None
        if how == "drop-1":
            value = value[:-1]
        elif how == "3-D":
            value = value[:, :, None]
        elif how == "width-3":
            value = np.hstack([value, value[:, :1]])
        elif how in ("nan", "inf"):
            value = value.copy()
            value[(4, 1) if how == "nan" else (2, 0)] = np.nan if how == "nan" else np.inf
        elif how == "text":
            value = [["a", "b"]] * len(value)
        elif how in ("fraction", "negative", "too-big"):
            value = value.astype(float if how == "fraction" else int)
            value[5] = {"fraction": 1.5, "negative": -1, "too-big": 3}[how]
        elif how == "2-D":
            value = value[:, None]
        elif how == "empty":
            value = value[:0]
        else:
            value = how
        bad[key] = value
    with pytest.raises(ValueError, match=message):
        Trainer(MLP([2, 8, 3]), bad)


def test_integer_and_float64_inputs_are_converted_to_float32_and_train_the_same(data):
    as_float64 = _with(data, X_train=data["X_train"].astype(np.float64), X_val=data["X_val"].astype(np.float64))
    a, b = _trainer(data), _trainer(as_float64)
    assert b.X_train.dtype == np.float32 and b.X_val.dtype == np.float32
    a.train(5), b.train(5)
    assert _weights(a.model) == _weights(b.model)
    ints = _with(data, X_train=np.round(data["X_train"]).astype(np.int64), X_val=np.round(data["X_val"]).astype(int))
    t = _trainer(ints)
    assert t.X_train.dtype == np.float32 and np.array_equal(t.X_train, np.round(data["X_train"]))
    whole = _with(data, y_train=data["y_train"].astype(float))  # 2.0 is class 2
    assert np.array_equal(_trainer(whole).y_train, data["y_train"])


@pytest.mark.parametrize("kw, message", [
    ({"lr": 0}, r"lr must be a finite number > 0, got 0"),
    ({"lr": -1}, r"lr must be a finite number > 0, got -1"),
    ({"lr": float("nan")}, r"lr must be a finite number > 0, got nan"),
    ({"lr": float("inf")}, r"lr must be a finite number > 0, got inf"),
    ({"lr": True}, r"lr must be a finite number > 0, got True"),
    ({"batch_size": 0}, r"batch_size must be >= 1, got 0"),
    ({"batch_size": -4}, r"batch_size must be >= 1, got -4"),
    ({"batch_size": 2.9}, r"batch_size must be a whole number >= 1, got 2.9"),
    ({"batch_size": True}, r"batch_size must be a whole number >= 1, got True"),
    ({"optimizer": "momentum", "momentum": 5}, r"momentum must be a number in \[0, 1\), got 5"),
    ({"momentum": float("nan")}, r"momentum must be a number in \[0, 1\), got nan"),
    ({"weight_decay": -0.1}, r"weight_decay must be a number in \[0, 1e\+06\], got -0.1"),
    ({"weight_decay": float("nan")}, r"weight_decay must be a number"),
    ({"optimizer": "rmsprop"}, r"unknown optimizer 'rmsprop'; valid names: adam, momentum, sgd"),
    ({"probe_size": -1}, r"probe_size must be >= 0, got -1"),
    ({"seed": -2}, r"seed must be >= 0, got -2"),
], ids=["lr-0", "lr-negative", "lr-nan", "lr-inf", "lr-bool", "batch-0", "batch-negative", "batch-2.9",
        "batch-bool", "momentum-5", "momentum-nan", "wd-negative", "wd-nan", "optimizer", "probe", "seed"])
def test_bad_training_settings_are_refused_by_name(data, kw, message):
    with pytest.raises(ValueError, match=message):
        _trainer(data, **kw)


def test_setting_a_bad_batch_size_is_refused_and_keeps_the_old_one(data):
    trainer = _trainer(data, batch_size=16)
    for bad in (0, -1, 2.9, True, "8"):
        with pytest.raises(ValueError, match="batch_size must be"):
            trainer.batch_size = bad
    assert trainer.batch_size == 16
    trainer.batch_size = 10 ** 6  # capped at the training set, as in the constructor
    assert trainer.batch_size == len(data["X_train"])
