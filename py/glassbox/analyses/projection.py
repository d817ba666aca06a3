"""Projecting one layer's activations over validation samples to 2-D: PCA and t-SNE.

Layer numbering is the page's column numbering: 0 = the inputs themselves, l = 1 .. L-1 the
hidden layers (activations a_{l-1}), L = the output logits.

    PCA:   A (N, d) centred, A_c = A - mean; the two leading eigenvectors V (d, 2) of the
           covariance A_c^T A_c / (N - 1) (or, when d > N, of the Gram matrix A_c A_c^T; when
           both exceed 256, by 30 rounds of subspace iteration with an 8-column block);
           coords = A_c V (N, 2); 'explained' = their share of the total variance. Each axis
           is signed so that its largest-magnitude loading is positive.
    t-SNE: scikit-learn's TSNE (0.22 API: n_iter) on the first <= 50 principal components,
           perplexity min(30, (N - 1) / 3), init='pca', random_state=0.

Input-space PCA never changes while training, so it is cached per dataset.
"""
from __future__ import annotations

import inspect
from typing import Any, Dict

import numpy as np

from ..checks import whole_number
from ..nn.backend import matmul
from ..nn.trace import trace

MAX_POINTS = 2000
DIRECT_LIMIT = 256
SUBSPACE_ITERATIONS = 30
TSNE_ITERATIONS = 500


def pca_2d(A: "np.ndarray"):
    """A (N, d) -> (coords (N, 2) float64, explained (2,) variance shares, components (d, 2))."""
    A = np.asarray(A, dtype=np.float64)
    N, d = A.shape
    Ac = A - A.mean(axis=0)
    total = float(np.sum(Ac * Ac))
    if N < 2 or total <= 0:
        return np.zeros((N, 2)), np.zeros(2), np.zeros((d, 2))
    if min(d, N) > DIRECT_LIMIT:
        # Subspace iteration with an 8-column block, then Rayleigh-Ritz: the full eigh of a
        # 784 x 784 matrix costs seconds in the browser, this a few products.
        Q = np.random.default_rng(0).standard_normal((d, 8))
        for _ in range(SUBSPACE_ITERATIONS):
            Q, _ = np.linalg.qr(matmul(Ac.T, matmul(Ac, Q)))
        B = matmul(Ac, Q)
        values, small = np.linalg.eigh(matmul(B.T, B))
        V = matmul(Q, small[:, ::-1][:, :2])
        values = values[::-1][:2]
    elif d <= N:
        values, vectors = np.linalg.eigh(matmul(Ac.T, Ac))
        V = vectors[:, ::-1][:, :2]
        values = values[::-1][:2]
    else:
        values, U = np.linalg.eigh(matmul(Ac, Ac.T))
        values, U = values[::-1][:2], U[:, ::-1][:, :2]
        V = matmul(Ac.T, U) / np.sqrt(np.maximum(values, 1e-300))
    if V.shape[1] < 2:
        V = np.concatenate([V, np.zeros((d, 2 - V.shape[1]))], axis=1)
        values = np.concatenate([values, np.zeros(2 - len(values))])
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), [0, 1]])
    V = V * np.where(signs == 0, 1.0, signs)
    coords = matmul(Ac, V)
    return coords, np.maximum(values, 0) / total, V


def tsne_2d(A: "np.ndarray") -> "np.ndarray":
    """A (N, d) -> (N, 2) t-SNE embedding (module docstring); needs scikit-learn."""
    from sklearn.manifold import TSNE
    A = np.asarray(A, dtype=np.float64)
    N = A.shape[0]
    if N < 5:
        raise ValueError('t-SNE needs at least 5 points, got %d' % N)
    k = min(50, A.shape[1], N)
    Ac = A - A.mean(axis=0)
    if A.shape[1] > k:
        _, _, Vt = np.linalg.svd(Ac, full_matrices=False)
        Ac = matmul(Ac, Vt[:k].T)
    kwargs = {'n_components': 2, 'perplexity': min(30.0, (N - 1) / 3.0), 'init': 'pca', 'random_state': 0}
    params = inspect.signature(TSNE.__init__).parameters
    kwargs['max_iter' if 'max_iter' in params else 'n_iter'] = TSNE_ITERATIONS
    if 'learning_rate' in params:
        kwargs['learning_rate'] = 200.0
    return TSNE(**kwargs).fit_transform(Ac)


def project(model, data: dict, layer: int = 1, method: str = 'pca', n: int = 1000,
            with_inputs: bool = False, cache=None) -> "Dict[str, Any]":
    """2-D projection of column ``layer`` over the first n validation samples.

    Returns {'coords' float32 (n, 2), 'labels' int32 (n,), 'pred' int32 (n,), 'index' int32 (n,)
    (validation rows), 'explained' (2,) (PCA only, else NaN), 'layer', 'method', 'layer_size',
    'inputs' uint8 (n, D) = round(255 * clip(x, 0, 1)) when with_inputs}.
    """
    L = len(model.layers)
    layer = whole_number(layer, 'layer', 0, L)
    if method not in ('pca', 'tsne'):
        raise ValueError('method must be "pca" or "tsne", got %r' % (method,))
    n = min(whole_number(n, 'n', 2, MAX_POINTS), data['X_val'].shape[0])
    X = data['X_val'][:n]
    with np.errstate(all='ignore'):
        acts = trace(model, X)['act']
        A = np.asarray(X, dtype=np.float32) if layer == 0 else acts[layer - 1]
        if not np.all(np.isfinite(A)):
            raise ValueError('the activations of this layer are not finite numbers (the run diverged)')
        explained = np.full(2, np.nan)
        if method == 'pca':
            key = (data['name'], n, id(data['X_val']))
            if layer == 0 and cache is not None and cache.get('key') == key:
                coords, explained = cache['value']
            else:
                coords, explained, _ = pca_2d(A)
                if layer == 0 and cache is not None:
                    cache.update(key=key, value=(coords, explained))
        else:
            coords = tsne_2d(A)
        pred = np.argmax(acts[-1], axis=1)
    out = {'coords': np.asarray(coords, dtype=np.float32), 'labels': data['y_val'][:n].astype(np.int32),
           'pred': pred.astype(np.int32), 'index': np.arange(n, dtype=np.int32),
           'explained': np.asarray(explained, dtype=np.float32), 'layer': layer, 'method': method,
           'layer_size': int(A.shape[1])}
    if with_inputs:
        out['inputs'] = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8)
    return out
