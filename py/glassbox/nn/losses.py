"""Classification losses on integer labels.

Shapes: ``logits`` is (N, K) (the raw outputs of the last layer), ``y`` is
(N,) integer class labels in [0, K).  Every loss offers

    value(logits, y)       -> float, the MEAN loss over the N samples
    per_sample(logits, y)  -> (N,) the individual losses l_i
    grad(logits, y)        -> (N, K) dL/dlogits of the MEAN loss L = mean_i l_i
    probabilities(logits)  -> (N, K) class scores that sum to 1 per row

Because sample i's loss depends only on row i of the logits, the per-sample
gradient dl_i/dlogits_i equals N * grad(logits, y)[i].

'cross_entropy':  p = softmax(logits),  l_i = logsumexp(logits_i) - logits_i[y_i]
                  dL/dlogits = (p - onehot(y)) / N
                  The log-sum-exp subtracts the row maximum first, so large
                  logits never overflow.

'mse':            t = onehot(y),  l_i = 0.5 * sum_k (logits_ik - t_ik)**2
                  (sum over the K outputs, mean over samples; the 0.5 makes the
                  gradient the same shape of formula as cross-entropy's)
                  dL/dlogits = (logits - t) / N
                  PyTorch equivalent: 0.5 * ((out - t)**2).sum(1).mean(),
                  i.e. 0.5 * K * nn.MSELoss()(out, t).
                  probabilities() returns softmax(outputs): the raw outputs are
                  the scores (argmax is the prediction); softmax only maps
                  them to something that sums to 1 for display.

Results keep the dtype of ``logits`` (float32 in normal use).
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from ..checks import lookup


def softmax(logits: "np.ndarray") -> "np.ndarray":
    """Row-wise softmax of (N, K) logits, shifted by the row max for stability."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def one_hot(y: "np.ndarray", n_classes: int, dtype=np.float32) -> "np.ndarray":
    """(N,) int labels -> (N, n_classes) matrix with a single 1 per row."""
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


class Loss:
    name = "base"

    def per_sample(self, logits, y):
        raise NotImplementedError

    def grad(self, logits, y):
        raise NotImplementedError

    def probabilities(self, logits):
        return softmax(logits)

    def value(self, logits: "np.ndarray", y: "np.ndarray") -> float:
        """Mean loss over the batch as a Python float (nan/inf pass through)."""
        return float(np.mean(self.per_sample(logits, y)))

    def __repr__(self) -> str:
        return "<loss %s>" % self.name


class CrossEntropy(Loss):
    """Softmax followed by negative log-likelihood of the true class."""

    name = "cross_entropy"

    def per_sample(self, logits, y):
        row_max = logits.max(axis=1, keepdims=True)
        log_sum_exp = np.log(np.exp(logits - row_max).sum(axis=1)) + row_max[:, 0]
        return log_sum_exp - logits[np.arange(len(y)), y]

    def grad(self, logits, y):
        g = softmax(logits)
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        return g


class MeanSquaredError(Loss):
    """0.5 * squared distance to the one-hot target, summed over outputs."""

    name = "mse"

    def per_sample(self, logits, y):
        diff = logits - one_hot(y, logits.shape[1], logits.dtype)
        return 0.5 * (diff * diff).sum(axis=1)

    def grad(self, logits, y):
        g = logits - one_hot(y, logits.shape[1], logits.dtype)
        g /= len(y)
        return g


LOSSES = {
    "cross_entropy": CrossEntropy(),
    "mse": MeanSquaredError(),
}  # type: Dict[str, Loss]


def get_loss(name: str) -> Loss:
    """Look up a loss by name; ValueError lists the valid names."""
    return lookup(LOSSES, name, 'loss')
