"""Fully connected layer.

Dense layer with n_in inputs and n_out units, batch of N samples:

    forward:   z = x @ W + b            x: (N, n_in)  W: (n_in, n_out)  b: (n_out,)
               a = f(z)                 z, a: (N, n_out)
    backward:  grad_z = grad_a * f'(z)  grad_a = dL/da: (N, n_out)
               dW = x.T @ grad_z        (n_in, n_out)
               db = sum_n grad_z        (n_out,)
               grad_x = grad_z @ W.T    (N, n_in), handed to the layer below

Gradients are of whatever scalar the incoming ``grad_a`` is the gradient of
(the model feeds the gradient of the MEAN batch loss).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ..checks import size
from .activations import get_activation
from .backend import matmul
from .initializers import get_initializer


class Dense:
    """z = x @ W + b, a = activation(z).

    ``rng`` is the Generator the weights are drawn from (an int is used as a
    seed; None means seed 0), so the caller controls every random number.

    Attributes after ``forward``: ``x`` (input), ``z``, ``a``.  After
    ``backward``: ``grad_a``, ``grad_z`` and ``grads`` = {'W': dW, 'b': db}.
    These caches are live references; treat them as read-only.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "relu",
        init: str = "he",
        rng: "Optional[np.random.Generator]" = None,
        bias_init: float = 0.0,
    ) -> None:
        self.n_in = size(n_in, "n_in")
        self.n_out = size(n_out, "n_out")
        self.activation_name = activation
        self.activation = get_activation(activation)
        self.init_name = init
        self.bias_init = float(bias_init)
        if rng is None or isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(0 if rng is None else int(rng))
        self.W = get_initializer(init)(rng, self.n_in, self.n_out)
        self.b = np.full(self.n_out, self.bias_init, dtype=np.float32)
        self.x = None  # type: Optional[np.ndarray]
        self.z = None  # type: Optional[np.ndarray]
        self.a = None  # type: Optional[np.ndarray]
        self.grad_a = None  # type: Optional[np.ndarray]
        self.grad_z = None  # type: Optional[np.ndarray]
        self.grads = {}  # type: Dict[str, np.ndarray]

    def __repr__(self) -> str:
        return "Dense(%d -> %d, %s)" % (self.n_in, self.n_out, self.activation_name)

    def params(self) -> "Dict[str, np.ndarray]":
        """The live parameter arrays; optimisers update them in place."""
        return {"W": self.W, "b": self.b}

    def forward(self, x: "np.ndarray") -> "np.ndarray":
        """x: (N, n_in) -> a: (N, n_out); caches x, z, a for backward."""
        z = matmul(x, self.W)
        z += self.b
        self.x = x
        self.z = z
        self.a = self.activation.forward(z)
        return self.a

    def backward(self, grad_a: "np.ndarray", need_input_grad: bool = True) -> "Optional[np.ndarray]":
        """grad_a: (N, n_out) -> grad_x: (N, n_in), or None if not needed.

        The first layer passes ``need_input_grad=False``: nobody uses the
        gradient with respect to the data, and it is the largest product.
        """
        if self.z is None:
            raise RuntimeError("backward called before forward")
        grad_z = self.activation.backward(self.z, self.a, grad_a)
        self.grad_a = grad_a
        self.grad_z = grad_z
        self.grads = {"W": matmul(self.x.T, grad_z), "b": grad_z.sum(axis=0)}
        if not need_input_grad:
            return None
        return matmul(grad_z, self.W.T)

    def astype(self, dtype: "Any") -> "Dense":
        """Copy with parameters cast to ``dtype`` (float64 for gradient checks)."""
        layer = Dense.from_dict(self.to_dict())
        layer.W = layer.W.astype(dtype)
        layer.b = layer.b.astype(dtype)
        return layer

    def to_dict(self, as_lists: bool = False) -> "Dict[str, Any]":
        """Plain description; ``as_lists`` gives nested Python lists (JSON-ready).

        float32 -> Python float -> float32 is exact, so both forms round-trip
        bit for bit through ``from_dict``.
        """
        W, b = self.W.copy(), self.b.copy()
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation_name,
            "init": self.init_name,
            "bias_init": self.bias_init,
            "W": W.tolist() if as_lists else W,
            "b": b.tolist() if as_lists else b,
        }

    @classmethod
    def from_dict(cls, d: "Dict[str, Any]") -> "Dense":
        layer = cls(d["n_in"], d["n_out"], d["activation"], "zeros", None, d.get("bias_init", 0.0))
        layer.init_name = d.get("init", "he")
        W = np.array(d["W"], dtype=np.float32)
        b = np.array(d["b"], dtype=np.float32)
        if W.shape != (layer.n_in, layer.n_out) or b.shape != (layer.n_out,):
            raise ValueError(
                "W/b shapes %s/%s do not match %d -> %d" % (W.shape, b.shape, layer.n_in, layer.n_out)
            )
        layer.W, layer.b = W, b
        return layer
