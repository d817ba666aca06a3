"""Multi-layer perceptron: a stack of Dense layers and a loss.

``sizes = [n_0, n_1, ..., n_L]`` gives L Dense layers; layer l maps n_l -> n_{l+1}.
Hidden layers (all but the last) use ``activation``; the last layer uses
``output_activation`` (normally 'linear', so it outputs logits).

    forward(X):  a_0 = X (N, n_0);  a_{l+1} = f_l(a_l @ W_l + b_l);  logits = a_L (N, n_L)
    loss:        L = mean_i loss(logits_i, y_i)            (see losses.py)
    backward:    dL/dlogits from the loss, then each layer's backward, last to first.

``bias_init`` sets the starting bias of the hidden layers only (the output
bias starts at 0: a constant shift of all logits changes nothing under
softmax, and the dead-ReLU demo is about hidden units).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import numpy as np

from ..checks import labels, number, size
from .activations import get_activation
from .initializers import get_initializer
from .layers import Dense
from .losses import get_loss


def check_sizes(sizes: "Any") -> "List[int]":
    """[n_0, ..., n_L] as ints: at least an input and an output size, each a whole number >= 1
    (ValueError names the position and what it got)."""
    if isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__len__"):
        raise ValueError("sizes must be a list of layer widths [inputs, ..., outputs], got %r" % (sizes,))
    if len(sizes) < 2:
        raise ValueError("sizes needs at least 2 entries (inputs and outputs, e.g. [64, 32, 10]), got %r"
                         % (list(sizes),))
    return [size(s, "sizes[%d]" % i) for i, s in enumerate(sizes)]


class MLP:
    def __init__(
        self,
        sizes: "Sequence[int]",
        activation: str = "relu",
        init: str = "he",
        seed: int = 0,
        loss: str = "cross_entropy",
        output_activation: str = "linear",
        bias_init: float = 0.0,
    ) -> None:
        sizes = check_sizes(sizes)
        get_activation(activation), get_activation(output_activation), get_initializer(init)
        bias_init = number(bias_init, "bias_init", -1e6, 1e6)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError("seed must be a whole number >= 0, got %r" % (seed,))
        self.activation = activation
        self.output_activation = output_activation
        self.init = init
        self.seed = int(seed)
        self.bias_init = float(bias_init)
        self.loss_name = loss
        self.loss_fn = get_loss(loss)
        # One generator for the whole network, layers drawn in order: the seed
        # alone fixes every weight.
        rng = np.random.default_rng(self.seed)
        self.layers = []  # type: List[Dense]
        n_layers = len(sizes) - 1
        for l in range(n_layers):
            is_output = l == n_layers - 1
            self.layers.append(
                Dense(
                    sizes[l],
                    sizes[l + 1],
                    activation=output_activation if is_output else activation,
                    init=init,
                    rng=rng,
                    bias_init=0.0 if is_output else self.bias_init,
                )
            )

    def __repr__(self) -> str:
        return "MLP(%s, activation=%r, loss=%r)" % (self.layer_sizes, self.activation, self.loss_name)

    @property
    def layer_sizes(self) -> "List[int]":
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def dtype(self) -> "np.dtype":
        return self.layers[0].W.dtype

    # -- input checking -------------------------------------------------
    def _check_X(self, X: "Any") -> "np.ndarray":
        """(N, n_0) in the model's dtype; a single sample (n_0,) becomes (1, n_0). Any real dtype
        is accepted (cast); the values are not checked here (the Trainer checks its data once)."""
        n_in = self.layers[0].n_in
        try:
            X = np.asarray(X, dtype=self.dtype)
        except (TypeError, ValueError):
            raise ValueError("X must be an array of numbers of shape (N, %d)" % n_in) from None
        if X.ndim == 1 and X.shape[0] == n_in:
            X = X.reshape(1, n_in)
        if X.ndim != 2:
            raise ValueError("X must have shape (N, %d), got shape %s" % (n_in, X.shape))
        if X.shape[1] != n_in:
            raise ValueError("X must have %d features (columns) to match the model, got %d" % (n_in, X.shape[1]))
        return X

    def _check_y(self, y: "Any", n: int) -> "np.ndarray":
        """(n,) intp labels in [0, n_L) (checks.labels: whole numbers, named position if not)."""
        return labels(y, "y", self.layers[-1].n_out, n).astype(np.intp, copy=False)

    # -- computation ------------------------------------------------------
    def forward(self, X: "Any") -> "np.ndarray":
        """X: (N, n_0), any float dtype -> logits (N, n_L) in the model's dtype."""
        a = self._check_X(X)
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def predict(self, X: "Any") -> "np.ndarray":
        """(N,) int predicted class = argmax of the outputs."""
        return np.argmax(self.forward(X), axis=1)

    def predict_proba(self, X: "Any") -> "np.ndarray":
        """(N, n_L) class probabilities (softmax of the outputs, see losses.py)."""
        return self.loss_fn.probabilities(self.forward(X))

    def loss(self, X: "Any", y: "Any") -> float:
        """Mean loss over the batch, as a Python float."""
        logits = self.forward(X)
        return self.loss_fn.value(logits, self._check_y(y, logits.shape[0]))

    def backward(self, X: "Any", y: "Any") -> float:
        """One forward and backward pass; returns the mean loss.

        Leaves the caches (z, a, grad_z, grad_a, grads) of the mean-loss
        gradient in every ``self.layers[i]``.
        """
        logits = self.forward(X)
        y = self._check_y(y, logits.shape[0])
        grad = self.loss_fn.grad(logits, y)
        for i in range(len(self.layers) - 1, -1, -1):
            grad = self.layers[i].backward(grad, need_input_grad=i > 0)
        return self.loss_fn.value(logits, y)

    def params(self) -> "List[Dict[str, np.ndarray]]":
        """[{'W', 'b'}, ...] one dict of live arrays per Dense layer."""
        return [layer.params() for layer in self.layers]

    def grads(self) -> "List[Dict[str, np.ndarray]]":
        """The gradients left by the last ``backward`` (live arrays)."""
        return [layer.grads for layer in self.layers]

    def gradients(self, X: "Any", y: "Any") -> "List[Dict[str, np.ndarray]]":
        """Gradients of the mean batch loss, same structure as params() (copies)."""
        self.backward(X, y)
        return [{"W": layer.grads["W"].copy(), "b": layer.grads["b"].copy()} for layer in self.layers]

    # -- serialisation ----------------------------------------------------
    def to_dict(self, as_lists: bool = False) -> "Dict[str, Any]":
        return {
            "sizes": self.layer_sizes,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self.init,
            "seed": self.seed,
            "loss": self.loss_name,
            "bias_init": self.bias_init,
            "layers": [layer.to_dict(as_lists) for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, d: "Dict[str, Any]") -> "MLP":
        # Build with 'zeros' so no random numbers are wasted, then load weights.
        model = cls(
            d["sizes"],
            activation=d["activation"],
            init="zeros",
            seed=d.get("seed", 0),
            loss=d.get("loss", "cross_entropy"),
            output_activation=d.get("output_activation", "linear"),
            bias_init=d.get("bias_init", 0.0),
        )
        model.init = d.get("init", "he")
        model.layers = [Dense.from_dict(ld) for ld in d["layers"]]
        if model.layer_sizes != [int(s) for s in d["sizes"]]:
            raise ValueError("layer shapes %s do not match sizes %s" % (model.layer_sizes, d["sizes"]))
        return model

    def copy(self) -> "MLP":
        """Deep, bit-exact copy (caches are not copied)."""
        return MLP.from_dict(self.to_dict())

    def astype(self, dtype: "Any") -> "MLP":
        """Copy with parameters cast to ``dtype``; float64 is for gradient checks."""
        model = self.copy()
        model.layers = [layer.astype(dtype) for layer in model.layers]
        return model
