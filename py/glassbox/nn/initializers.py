"""Weight initialisers.

Each initialiser has the signature ``init(rng, fan_in, fan_out)`` and returns
a float32 array of shape (fan_in, fan_out), drawing randomness only from the
``np.random.Generator`` it is given (same generator state => same weights).
Samples are drawn in float64 and then cast, so the stream of random numbers
is the same on every numpy version.

'he'            W ~ Normal(0, std = sqrt(2 / fan_in)); keeps the activation
                variance roughly constant through ReLU layers.
'glorot'        W ~ Uniform(-r, r), r = sqrt(6 / (fan_in + fan_out)); suited
                to tanh / sigmoid.
'small_uniform' W ~ Uniform(-0.01, 0.01).  Deliberately bad: signals and
                gradients shrink layer by layer (vanishing-gradient demo).
'zeros'         W = 0.  Deliberately bad: every unit in a layer computes the
                same thing and receives the same gradient, so the symmetry is
                never broken (and ReLU units get no gradient at all).

Biases are not handled here: layers start them at a constant ``bias_init``.
"""
from __future__ import annotations

from typing import Callable, Dict

import numpy as np

from ..checks import lookup


def he(rng: "np.random.Generator", fan_in: int, fan_out: int) -> "np.ndarray":
    std = np.sqrt(2.0 / fan_in)
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(np.float32)


def glorot(rng: "np.random.Generator", fan_in: int, fan_out: int) -> "np.ndarray":
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def small_uniform(rng: "np.random.Generator", fan_in: int, fan_out: int) -> "np.ndarray":
    return rng.uniform(-0.01, 0.01, (fan_in, fan_out)).astype(np.float32)


def zeros(rng: "np.random.Generator", fan_in: int, fan_out: int) -> "np.ndarray":
    return np.zeros((fan_in, fan_out), dtype=np.float32)


INITIALIZERS = {
    "he": he,
    "glorot": glorot,
    "small_uniform": small_uniform,
    "zeros": zeros,
}  # type: Dict[str, Callable[..., np.ndarray]]


def get_initializer(name: str) -> "Callable[..., np.ndarray]":
    """Look up an initialiser by name; ValueError lists the valid names."""
    return lookup(INITIALIZERS, name, 'initializer')
