"""2-D toy sets for the smallest networks: circle, xor, gaussians, spiral."""
from __future__ import annotations

import numpy as np

from ..checks import number, size

TOY_SETS = ('circle', 'xor', 'gaussians', 'spiral')


def toy_points(name: str, n: int, rng: np.random.Generator, noise: float = 0.1):
    """2-D toy set: ``X`` float32 (n, 2) in roughly [-1, 1]^2, ``y`` int32 (n,) in {0, 1}.

    circle: label 1 inside radius 0.5; xor: sign(x1 * x2); gaussians: two blobs at
    (+-0.5, +-0.5); spiral: two interleaved arms r = t, angle = 1.75 t * 2 pi (+ pi).
    """
    n = size(n, 'n_samples', 2)
    noise = number(noise, 'noise', 0.0, 10.0)
    half = n // 2
    if name == 'circle':
        radius = np.concatenate([rng.uniform(0.0, 0.4, half), rng.uniform(0.6, 1.0, n - half)])
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        y = np.concatenate([np.ones(half), np.zeros(n - half)])
    elif name == 'xor':
        X = rng.uniform(-1, 1, (n, 2))
        # Keep a margin around the axes so the task is learnable at low noise.
        X += np.sign(X) * 0.05
        y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    elif name == 'gaussians':
        y = np.concatenate([np.zeros(half), np.ones(n - half)])
        centres = np.where(y[:, None] > 0, 0.5, -0.5)
        X = centres + rng.normal(0, 0.25, (n, 2))
    elif name == 'spiral':
        t = np.concatenate([rng.uniform(0.05, 1.0, half), rng.uniform(0.05, 1.0, n - half)])
        y = np.concatenate([np.zeros(half), np.ones(n - half)])
        angle = 1.75 * t * 2 * np.pi + np.pi * y
        X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    else:
        raise ValueError('unknown toy set %r; choose one of %s' % (name, ', '.join(TOY_SETS)))
    X = X + rng.normal(0, noise, X.shape)
    return X.astype(np.float32), y.astype(np.int32)

