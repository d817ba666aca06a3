"""Minibatch training loop, evaluation, probe batch and forking.

``data`` is a dict with 'X_train' (N_train, n_0) float32, 'y_train' (N_train,)
int, 'X_val', 'y_val' likewise, plus descriptive 'name', 'n_classes',
'image_shape' (tuple or None) and optionally 'feature_names'.

Minibatches: each epoch visits the training set in a fresh permutation drawn
from a Generator seeded with ``seed``; the last batch of an epoch may be
smaller.  ``epoch`` = samples seen / N_train (a float).

Probe batch: ``probe_size`` validation samples fixed for the whole run,
chosen by a seeded permutation and interleaved by class (stratified: the first
k probe samples cover the classes as evenly as the validation set allows).

Training metrics reported in snapshots are running means over the minibatches
since the previous snapshot, so a snapshot costs no pass over the training set.

Note the counter is ``step_count`` because ``step()`` is the method.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from ..checks import features, labels, number, positive, size
from ..nn.model import MLP
from ..nn.optimizers import Optimizer, make_optimizer
from .limits import check_trainer
from .snapshot import make_snapshot

EVAL_CHUNK = 2048  # rows per forward pass in evaluate(): bounds peak memory
DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")


def check_data(data: "Any") -> None:
    """ValueError naming every missing key of a dataset dict (see the module docstring)."""
    if not isinstance(data, dict):
        raise ValueError("data must be a dict with X_train, y_train, X_val, y_val and n_classes "
                         "(e.g. glassbox.load_dataset('digits')), got %s" % type(data).__name__)
    missing = [key for key in DATA_KEYS if key not in data]
    if missing:
        raise ValueError("data is missing %s: a dataset dict needs X_train, y_train, X_val, y_val and "
                         "n_classes (e.g. glassbox.load_dataset('digits'))" % ", ".join(missing))


def relative_changes(now: "List[np.ndarray]", then: "List[np.ndarray]") -> "List[float]":
    """Per array ||now - then|| / ||now|| (Frobenius; 0.0 when neither moved nor has size, inf when
    ||now|| = 0 but it moved). The one definition of the update ratio and the drift."""
    out = []
    with np.errstate(all="ignore"):
        for a, b in zip(now, then):
            norm = float(np.linalg.norm(a))
            change = float(np.linalg.norm(a - b))
            out.append(change / norm if norm > 0 else (0.0 if change == 0 else float("inf")))
    return out


def stratified_probe_indices(y: "np.ndarray", size: int, rng: "np.random.Generator") -> "np.ndarray":
    """(min(size, N),) int32 indices into y: a shuffled round-robin over classes."""
    perm = rng.permutation(len(y))
    labels = np.asarray(y)[perm]
    by_label = np.argsort(labels, kind="stable")
    sorted_labels = labels[by_label]
    class_start = np.searchsorted(sorted_labels, sorted_labels, side="left")
    rank_in_class = np.empty(len(y), dtype=np.int64)
    rank_in_class[by_label] = np.arange(len(y)) - class_start
    # Order by rank within class, then label: class 0, 1, 2, ..., 0, 1, 2, ...
    order = np.lexsort((labels, rank_in_class))
    return perm[order[:size]].astype(np.int32)


class Trainer:
    """Trains ``model`` on ``data``.

    ``optimizer`` is a name from ``OPTIMIZERS`` (built with ``lr``,
    ``weight_decay`` and, for 'momentum', ``momentum``) or an ``Optimizer``
    instance, used as it is.  ``probe_size`` is capped at the validation size.

    Checked once, here (ValueError naming the argument, what it must be and what it got): the
    data dict's keys; X_train / X_val 2-D with the model's input width and finite -- ints, bools
    and float64 are accepted and converted to float32, NaN/Inf are refused naming the first row
    and column; labels 1-D, one per row, whole numbers in [0, n_classes) (3.0 is accepted as 3);
    lr finite > 0; batch_size a whole number >= 1 (capped at the training set); momentum in
    [0, 1); weight_decay finite >= 0; the optimiser's name. Then the run's memory is estimated
    (train/limits.py) and refused, naming the limit and what to reduce, if it would not fit in
    the browser engine -- also when ``batch_size`` or ``optimizer`` is changed later.
    """

    def __init__(
        self,
        model: MLP,
        data: "Dict[str, Any]",
        optimizer: "Union[str, Optimizer]" = "sgd",
        lr: float = 0.1,
        batch_size: int = 32,
        seed: int = 0,
        weight_decay: float = 0.0,
        probe_size: int = 64,
        momentum: float = 0.9,
    ) -> None:
        if not isinstance(model, MLP):
            raise ValueError("model must be a glassbox MLP, got %s" % type(model).__name__)
        check_data(data)
        self.model = model
        self.data = data
        n_in, n_out = model.layer_sizes[0], model.layer_sizes[-1]
        n_classes = data.get("n_classes")
        if n_classes is not None and (isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer))
                                      or n_classes != n_out):
            raise ValueError("data['n_classes'] is %r but the model has %d outputs: they must match"
                             % (n_classes, n_out))
        self.X_train = features(data["X_train"], "X_train", n_in)
        self.y_train = labels(data["y_train"], "y_train", n_out, len(self.X_train))
        self.X_val = features(data["X_val"], "X_val", n_in)
        self.y_val = labels(data["y_val"], "y_val", n_out, len(self.X_val))
        if len(self.X_train) == 0 or len(self.X_val) == 0:
            raise ValueError("training and validation sets must not be empty (X_train has %d rows, X_val %d)"
                             % (len(self.X_train), len(self.X_val)))
        probe_size = size(probe_size, "probe_size", 0)
        seed = size(seed, "seed", 0)
        momentum = number(momentum, "momentum", 0.0, 1.0, hi_open=True)

        if isinstance(optimizer, Optimizer):
            # A ready-made optimiser keeps its own lr / weight_decay / momentum.
            self._optimizer = optimizer
        else:
            kw = {"weight_decay": weight_decay}  # type: Dict[str, Any]
            if optimizer == "momentum":
                kw["momentum"] = momentum
            self._optimizer = make_optimizer(optimizer, lr, **kw)

        self._batch_size = min(size(batch_size, "batch_size"), len(self.X_train))
        # Before the big allocations (optimiser buffers, kept states): refuse what cannot fit.
        check_trainer(self)
        self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)
        self._order = self._rng.permutation(len(self.X_train))
        self._cursor = 0
        self.step_count = 0
        self.samples_seen = 0
        self._reset_running()
        self._snapshot_weights = None  # type: Optional[List[np.ndarray]]

        # Separate stream so probe_size never changes the minibatch order.
        probe_rng = np.random.default_rng([self.seed, 1])
        self.probe_index = stratified_probe_indices(self.y_val, int(probe_size), probe_rng)
        self.probe_x = np.ascontiguousarray(self.X_val[self.probe_index])
        self.probe_y = self.y_val[self.probe_index].astype(np.int32)

    # -- properties -------------------------------------------------------
    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = positive(value, "lr")

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        """A whole number >= 1, capped at the training set; refused when the run would not fit."""
        self._set_if_it_fits("_batch_size", min(size(value, "batch_size"), len(self.X_train)))

    @property
    def optimizer(self) -> Optimizer:
        return self._optimizer

    @optimizer.setter
    def optimizer(self, value: Optimizer) -> None:
        """An ``Optimizer``; refused when its buffers would not fit (the old one stays)."""
        if not isinstance(value, Optimizer):
            raise ValueError("optimizer must be an Optimizer (see make_optimizer), got %r" % (value,))
        self._set_if_it_fits("_optimizer", value)

    def _set_if_it_fits(self, attribute: str, value: "Any") -> None:
        """Set ``attribute``; when the run then would not fit (check_trainer), put the old value back."""
        old = getattr(self, attribute)
        setattr(self, attribute, value)
        try:
            check_trainer(self)
        except ValueError:
            setattr(self, attribute, old)
            raise

    @property
    def epoch(self) -> float:
        return self.samples_seen / float(len(self.X_train))

    # -- training ---------------------------------------------------------
    def _next_batch(self) -> "np.ndarray":
        if self._cursor >= len(self._order):
            self._order = self._rng.permutation(len(self.X_train))
            self._cursor = 0
        idx = self._order[self._cursor:self._cursor + self.batch_size]
        self._cursor += len(idx)
        return idx

    def plan_batches(self, steps: int) -> "List[np.ndarray]":
        """The index arrays (into X_train) of the next ``steps`` minibatches, advancing the epoch
        order exactly as ``step`` does; for an engine that trains elsewhere (then ``record_steps``).
        The last batch of an epoch may be shorter than ``batch_size``."""
        return [self._next_batch() for _ in range(int(steps))]

    def batch_position(self) -> "Dict[str, Any]":
        """Where the minibatch sequence stands (epoch order, cursor, generator state): with
        ``restore_batch_position``, planned batches can be handed back and drawn again."""
        return {"order": self._order.copy(), "cursor": self._cursor,
                "rng": copy.deepcopy(self._rng.bit_generator.state)}

    def restore_batch_position(self, position: "Dict[str, Any]") -> None:
        self._order = position["order"].copy()
        self._cursor = int(position["cursor"])
        self._rng.bit_generator.state = copy.deepcopy(position["rng"])

    def record_steps(self, losses: "Sequence[float]", corrects: "Sequence[float]",
                     batch_sizes: "Sequence[int]") -> None:
        """Count steps taken elsewhere: per step its mean minibatch loss (before the update), its
        number of correct argmax predictions and its batch size -- the counters ``step`` keeps."""
        for loss, correct, n in zip(losses, corrects, batch_sizes):
            n = int(n)
            self.step_count += 1
            self.samples_seen += n
            self._run_loss_sum += float(loss) * n
            self._run_correct += int(round(float(correct)))
            self._run_samples += n

    def step(self) -> float:
        """One optimiser step on the next minibatch; returns its mean loss."""
        idx = self.plan_batches(1)[0]
        X, y = self.X_train[idx], self.y_train[idx]
        with np.errstate(all="ignore"):  # a diverging run yields nan, not warnings
            loss = self.model.backward(X, y)
            self.optimizer.step(self.model.params(), self.model.grads())
            correct = int(np.count_nonzero(np.argmax(self.model.layers[-1].a, axis=1) == y))
        self.record_steps([loss], [correct], [len(idx)])
        return loss

    def train(self, steps: int = 1) -> float:
        """Run ``steps`` optimiser steps; mean of their minibatch losses (nan if 0)."""
        losses = [self.step() for _ in range(int(steps))]
        return float(np.mean(losses)) if losses else float("nan")

    # -- metrics ----------------------------------------------------------
    def evaluate(self, split: str = "val", limit: "Optional[int]" = None,
                 predictions: bool = False) -> "Dict[str, Any]":
        """{'loss', 'accuracy'} over the split ('val' or 'train'), first ``limit`` rows; with
        ``predictions``, also 'predictions': (N,) int64 predicted classes (the same pass)."""
        if split not in ("val", "train"):
            raise ValueError("split must be 'val' or 'train', got %r" % (split,))
        X, y = (self.X_val, self.y_val) if split == "val" else (self.X_train, self.y_train)
        if limit is not None:
            X, y = X[:limit], y[:limit]
        loss_sum, correct, predicted = 0.0, 0, []
        with np.errstate(all="ignore"):
            for start in range(0, len(X), EVAL_CHUNK):
                Xc, yc = X[start:start + EVAL_CHUNK], y[start:start + EVAL_CHUNK]
                logits = self.model.forward(Xc)
                loss_sum += float(np.sum(self.model.loss_fn.per_sample(logits, yc), dtype=np.float64))
                pred = np.argmax(logits, axis=1)
                correct += int(np.count_nonzero(pred == yc))
                predicted.append(pred)
        result = {"loss": loss_sum / len(X), "accuracy": correct / float(len(X))}  # type: Dict[str, Any]
        if predictions:
            result["predictions"] = np.concatenate(predicted)
        return result

    def _reset_running(self) -> None:
        self._run_loss_sum = 0.0
        self._run_correct = 0
        self._run_samples = 0

    def consume_train_metrics(self) -> "Dict[str, float]":
        """Running train {'loss', 'accuracy'} since the last call, then reset.

        Before any step: evaluated on up to 512 training samples instead.
        """
        if self._run_samples == 0:
            metrics = self.evaluate("train", limit=512)
        else:
            metrics = {
                "loss": float(self._run_loss_sum / self._run_samples),
                "accuracy": self._run_correct / float(self._run_samples),
            }
        self._reset_running()
        return metrics

    def take_update_ratios(self) -> "List[float]":
        """Per layer ||W_now - W_then|| / ||W_now|| since the last call (0.0 at first)."""
        weights = [layer.W for layer in self.model.layers]
        if self._snapshot_weights is None:
            ratios = [0.0] * len(weights)
        else:
            ratios = relative_changes(weights, self._snapshot_weights)
        self._snapshot_weights = [W.copy() for W in weights]
        return ratios

    def forget_update_reference(self) -> None:
        """Start the next snapshot's update ratio afresh (0.0), e.g. after the model changed shape."""
        self._snapshot_weights = None

    def snapshot(self, val: "Optional[Dict[str, float]]" = None) -> "Dict[str, Any]":
        """The full state for the visualisation; see snapshot.py for the schema (and ``val``)."""
        return make_snapshot(self, val)

    # -- forking ----------------------------------------------------------
    def state_dict(self) -> "Dict[str, Any]":
        """Everything needed to continue this run exactly (data excluded)."""
        return {
            "model": self.model.to_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": copy.deepcopy(self._rng.bit_generator.state),
            "order": self._order.copy(),
            "cursor": self._cursor,
            "step_count": self.step_count,
            "samples_seen": self.samples_seen,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "running": (self._run_loss_sum, self._run_correct, self._run_samples),
            "snapshot_weights": copy.deepcopy(self._snapshot_weights),
            "probe_index": self.probe_index.copy(),
        }

    def load_state_dict(self, d: "Dict[str, Any]") -> None:
        self.model = MLP.from_dict(d["model"])
        self._optimizer = make_optimizer(d["optimizer"]["name"], d["optimizer"]["lr"])
        self._optimizer.load_state_dict(d["optimizer"])
        self._rng = np.random.default_rng(0)
        self._rng.bit_generator.state = copy.deepcopy(d["rng"])
        self._order = np.array(d["order"])
        self._cursor = int(d["cursor"])
        self.step_count = int(d["step_count"])
        self.samples_seen = int(d["samples_seen"])
        self._batch_size = int(d["batch_size"])
        self.seed = int(d["seed"])
        self._run_loss_sum, self._run_correct, self._run_samples = d["running"]
        self._snapshot_weights = copy.deepcopy(d["snapshot_weights"])
        self.probe_index = np.array(d["probe_index"], dtype=np.int32)
        self.probe_x = np.ascontiguousarray(self.X_val[self.probe_index])
        self.probe_y = self.y_val[self.probe_index].astype(np.int32)

    @classmethod
    def from_state(cls, data: "Dict[str, Any]", state: "Dict[str, Any]") -> "Trainer":
        """A Trainer on ``data`` that continues exactly from ``state`` (a ``state_dict()``)."""
        trainer = cls(MLP.from_dict(state["model"]), data, optimizer="sgd", lr=0.1, probe_size=0)
        trainer.load_state_dict(state)
        return trainer

    def fork(self) -> "Trainer":
        """An independent trainer on the same data that continues exactly as this one would."""
        return Trainer.from_state(self.data, self.state_dict())
