"""Element-wise activation functions and their derivatives.

Every activation maps a pre-activation array ``z`` of any shape (in practice
``(N, n_units)``) to an activation ``a`` of the same shape and dtype:

    forward(z)                -> a = f(z)
    backward(z, a, grad_a)    -> grad_z = grad_a * f'(z)

``backward`` receives both ``z`` and ``a`` so each function can use whichever
makes its derivative cheapest (tanh and sigmoid reuse ``a``).  All functions
keep the dtype of their input, so a float32 network stays float32 and a
float64 copy (used for gradient checking) stays float64.

Registered names (``ACTIVATIONS``): 'relu', 'leaky_relu' (slope 0.01 for
z <= 0), 'tanh', 'sigmoid', 'linear'.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from ..checks import lookup


class Activation:
    """Base class; subclasses implement ``forward`` and ``backward``."""

    name = "base"

    def forward(self, z: "np.ndarray") -> "np.ndarray":
        raise NotImplementedError

    def backward(self, z: "np.ndarray", a: "np.ndarray", grad_a: "np.ndarray") -> "np.ndarray":
        raise NotImplementedError

    def __repr__(self) -> str:
        return "<activation %s>" % self.name


class ReLU(Activation):
    """a = max(z, 0);  da/dz = 1 if z > 0 else 0 (0 at z == 0, as in PyTorch)."""

    name = "relu"

    def forward(self, z):
        return np.maximum(z, z.dtype.type(0))

    def backward(self, z, a, grad_a):
        # Multiplying by a boolean mask keeps grad_a's float dtype.
        return grad_a * (z > 0)


class LeakyReLU(Activation):
    """a = z if z > 0 else slope * z;  da/dz = 1 if z > 0 else slope."""

    name = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = float(slope)

    def forward(self, z):
        return np.where(z > 0, z, z * self.slope)

    def backward(self, z, a, grad_a):
        return np.where(z > 0, grad_a, grad_a * self.slope)


class Tanh(Activation):
    """a = tanh(z);  da/dz = 1 - a**2."""

    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, z, a, grad_a):
        return grad_a * (1 - a * a)


class Sigmoid(Activation):
    """a = 1 / (1 + exp(-z));  da/dz = a * (1 - a).

    Computed from e = exp(-|z|), which never overflows:
    z >= 0: a = 1 / (1 + e);   z < 0: a = e / (1 + e).
    """

    name = "sigmoid"

    def forward(self, z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, z, a, grad_a):
        return grad_a * a * (1 - a)


class Linear(Activation):
    """a = z;  da/dz = 1.  Used for the output layer (logits)."""

    name = "linear"

    def forward(self, z):
        return z

    def backward(self, z, a, grad_a):
        # Returned as-is (not copied): callers treat cached arrays as read-only.
        return grad_a


ACTIVATIONS = {
    "relu": ReLU(),
    "leaky_relu": LeakyReLU(0.01),
    "tanh": Tanh(),
    "sigmoid": Sigmoid(),
    "linear": Linear(),
}  # type: Dict[str, Activation]


def get_activation(name: str) -> Activation:
    """Look up an activation by name; ValueError lists the valid names."""
    return lookup(ACTIVATIONS, name, 'activation')
