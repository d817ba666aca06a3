"""Functional modules: groups of hidden neurons found from their activation patterns.

Shapes: N probe samples, n neurons in the analysed layer, k modules, C classes.

Probe pass (``probe_pass``): the model's one forward and backward pass (``nn.trace``) over the
probe set X (N, n_0), y (N,), arranged by network column::

    acts[c]      (N, n_c)  activations of column c (c = 0 is the input X, c = L the outputs)
    pres[c]      (N, n_c)  pre-activations z (c >= 1)
    grad_act[c]  (N, n_c)  PER-SAMPLE gradient dl_i/da_i (c >= 1), as in the snapshot
    grad_pre[c]  (N, n_c)  PER-SAMPLE gradient dl_i/dz_i (c >= 1)
    dW[c]        (n_{c-1}, n_c)  mean-loss gradient of the weights into column c (c >= 1)

Neuron features (``neuron_features``), one row per neuron, chosen by ``similarity``:

- 'coactivation' (default; neurons that fire together): F_i = z_i / sqrt(N), z_i the neuron's
  activation pattern over the probe standardised to mean 0, std 1, so that
  ||F_i - F_j||^2 = 2 (1 - corr(a_i, a_j)). A constant (dead) neuron gets F_i = 0. When N > n
  the rows are re-expressed in at most n dimensions with the same pairwise distances
  (``_gram_rows``), which leaves every result unchanged and makes clustering ~N/n times cheaper.
  NMF factorises V = |A| / max_s |A| per neuron (N, n) -- NMF needs non-negative input, so it
  sees |a| (equal to a for ReLU), each neuron scaled to max 1.
- 'dependence' (sign-free: neurons tied to the same inputs, even if one fires when the other
  is silent): F_i = |corr(a_i, a_j)| over j (n,); NMF factorises V = F (n, n).

Clustering (``cluster``): k-means (scikit-learn, n_init=4, fixed seed), agglomerative (Ward) on
F, or NMF (init='nndsvda'): V ~= W H, neuron i joins the factor with the largest loading
H[m, i] * ||W[:, m]||. k='auto' picks k in 2..min(8, n-1) with the best silhouette on F.

Gradient significance of module m (``gradient_significance``)::

    G_m = sum_{s, i in m} a_si g_si / sum_{s, i in m} |a_si|      (0 when the denominator is 0)

with g_si = dl_s/da_si the per-sample loss gradient. sum a.g / N is the first-order change of
the mean loss if the module's activations were all scaled by (1 + eps), per unit eps; dividing
by sum |a| makes it a per-unit-of-activity rate. Modules are ranked by |G_m|, largest first.

Stable identities (``match_ids``): a new module takes the id of the previous module (same
layer, method, similarity and requested k) whose member set overlaps it most, when their
Jaccard overlap |A & B| / |A | B| is at least ``MATCH_JACCARD``; pairs are taken greedily in
order of decreasing overlap. An unmatched module gets the smallest id no other module holds
(matched ones here, those of the other layers), so ids stay small: M0..M4, never M0 -> M13.

Stable counts (``decompose(prefer_k=...)``): with k = 'auto' the previous k is kept while its
silhouette is within ``AUTO_K_MARGIN`` of the best one, so noise in the scores does not make
the module count jump 2 -> 3 -> 5 -> 4 between recomputations.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..nn.backend import matmul
from ..nn.trace import trace

METHODS = ('kmeans', 'agglomerative', 'nmf')
SIMILARITIES = ('coactivation', 'dependence')
MAX_AUTO_K = 8
MATCH_JACCARD = 0.3
AUTO_K_MARGIN = 0.05
DEAD_STD = 1e-6


def probe_pass(model: Any, X: np.ndarray, y: np.ndarray) -> Dict[str, list]:
    """``nn.trace`` of X (N, n_0), y (N,) by network column; see the module docstring. Also
    'dW' [c]: the mean-loss gradient of the weights into column c (c >= 1)."""
    tr = trace(model, X, y, param_grads=True)
    N = np.float32(tr['x'].shape[0])
    return {'acts': [tr['x']] + tr['act'], 'pres': [None] + tr['pre'],
            'grad_act': [None] + [g * N for g in tr['grad_act']],
            'grad_pre': [None] + [g * N for g in tr['grad_pre']],
            'dW': [None] + [g['W'] for g in tr['grads']]}


def _standardise(A: np.ndarray) -> np.ndarray:
    """(N, n) -> (N, n) columns with mean 0, std 1; constant columns become 0."""
    A = np.asarray(A, dtype=np.float64)
    std = A.std(axis=0)
    live = std > DEAD_STD
    Z = np.zeros_like(A)
    Z[:, live] = (A[:, live] - A[:, live].mean(axis=0)) / std[live]
    return Z


def correlation(A: np.ndarray) -> np.ndarray:
    """(N, n) -> (n, n) Pearson correlation between columns; 0 for constant columns."""
    Z = _standardise(A)
    return matmul(Z.T, Z) / max(A.shape[0], 1)


def neuron_features(A: np.ndarray, similarity: str = 'coactivation'):
    """(N, n) activations -> (F, V): F (n, d) rows to cluster, V non-negative matrix for NMF
    whose COLUMNS are the neurons ((N, n) or (n, n)); see the module docstring."""
    if similarity not in SIMILARITIES:
        raise ValueError('similarity must be one of %s, got %r' % (', '.join(SIMILARITIES), similarity))
    A = np.asarray(A, dtype=np.float64)
    if similarity == 'coactivation':
        F = _standardise(A).T / np.sqrt(max(A.shape[0], 1))
        if F.shape[1] > F.shape[0]:
            F = _gram_rows(F)
        V = np.abs(A)
        peak = V.max(axis=0) if V.shape[0] else np.zeros(V.shape[1])
        V = V / np.where(peak > 0, peak, 1.0)
        return F, V
    F = np.abs(correlation(A))
    return F, F.copy()


def _gram_rows(F: np.ndarray) -> np.ndarray:
    """(n, d) with d > n -> (n, r <= n) rows with the same pairwise distances (and norms):
    G = U sqrt(L) from the eigendecomposition F F^T = U L U^T. Clustering, silhouettes and
    centroid distances only depend on those, so they are unchanged, at a fraction of the cost."""
    gram = matmul(F, F.T)
    eigenvalues, U = np.linalg.eigh((gram + gram.T) / 2)
    keep = eigenvalues > 1e-10 * max(float(eigenvalues.max()), 1e-300)
    return U[:, keep] * np.sqrt(eigenvalues[keep])


def _compact(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0..k'-1 in order of each label's smallest member (empty labels vanish)."""
    labels = np.asarray(labels)
    _, first = np.unique(labels, return_index=True)
    order = labels[np.sort(first)]
    out = np.empty(len(labels), dtype=np.int32)
    for new, old in enumerate(order):
        out[labels == old] = new
    return out


def cluster(F: np.ndarray, V: np.ndarray, method: str, k: int, seed: int = 0) -> np.ndarray:
    """(n,) int32 module index per neuron (0..k'-1, k' <= k) from features F (n, d) / V."""
    import warnings
    n = F.shape[0]
    k = int(max(1, min(k, n)))
    if k == 1 or (not np.any(F) and method != 'nmf'):
        return np.zeros(n, dtype=np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # duplicate points, NMF "did not converge": fine for grouping
        return _compact(_cluster(F, V, method, k, seed))


def _cluster(F: np.ndarray, V: np.ndarray, method: str, k: int, seed: int) -> np.ndarray:
    n = F.shape[0]
    if method == 'kmeans':
        from sklearn.cluster import KMeans
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(F)
    elif method == 'agglomerative':
        from sklearn.cluster import AgglomerativeClustering
        labels = AgglomerativeClustering(n_clusters=k, linkage='ward').fit_predict(F)
    elif method == 'nmf':
        if not np.any(V):
            return np.zeros(n, dtype=np.int32)
        from sklearn.decomposition import NMF
        nmf = NMF(n_components=k, init='nndsvda', tol=1e-3, max_iter=300, random_state=seed)
        W = nmf.fit_transform(V)
        loadings = nmf.components_ * np.linalg.norm(W, axis=0)[:, None]  # (k, n)
        labels = np.argmax(loadings, axis=0)
    else:
        raise ValueError('method must be one of %s, got %r' % (', '.join(METHODS), method))
    return labels


def silhouette(F: np.ndarray, labels: np.ndarray) -> Optional[float]:
    """Mean silhouette of the labelling on F, or None when it is undefined (1 or n groups)."""
    n_groups = len(np.unique(labels))
    if n_groups < 2 or n_groups >= F.shape[0]:
        return None
    from sklearn.metrics import silhouette_score
    return float(silhouette_score(F, labels))


def decompose(A: np.ndarray, method: str = 'kmeans', k: Any = 'auto', similarity: str = 'coactivation',
              seed: int = 0, prefer_k: Optional[int] = None) -> Dict[str, Any]:
    """Group the n neurons of activations A (N, n). Returns {'labels' (n,) int32, 'k',
    'silhouette', 'k_scores': [{'k', 'silhouette'}] (tried k's when k='auto'), 'F'}.
    k='auto' takes the k of best silhouette, or ``prefer_k`` (the previous answer) while its
    silhouette is within AUTO_K_MARGIN of the best."""
    if method not in METHODS:
        raise ValueError('method must be one of %s, got %r' % (', '.join(METHODS), method))
    F, V = neuron_features(A, similarity)
    n = F.shape[0]
    scores = []
    if k == 'auto':
        best, preferred = None, None
        for kk in range(2, min(MAX_AUTO_K, n - 1) + 1):
            labels = cluster(F, V, method, kk, seed)
            score = silhouette(F, labels)
            scores.append({'k': kk, 'silhouette': score})
            if score is not None and (best is None or score > best[0] + 1e-12):
                best = (score, labels)
            if score is not None and kk == prefer_k:
                preferred = (score, labels)
        if best and preferred and preferred[0] >= best[0] - AUTO_K_MARGIN:
            best = preferred
        labels = best[1] if best else np.zeros(n, dtype=np.int32)
    else:
        labels = cluster(F, V, method, int(k), seed)
    return {'labels': labels, 'k': int(labels.max()) + 1 if n else 0,
            'silhouette': silhouette(F, labels), 'k_scores': scores, 'F': F}


def gradient_significance(a: np.ndarray, g: np.ndarray) -> float:
    """sum(a * g) / sum(|a|) over all entries (0.0 when sum |a| = 0); a, g same shape."""
    a = np.asarray(a, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if a.shape != g.shape:
        raise ValueError('activations %s and gradients %s differ in shape' % (a.shape, g.shape))
    denominator = float(np.sum(np.abs(a)))
    if denominator == 0.0 or not np.isfinite(denominator):
        return 0.0
    value = float(np.sum(a * g)) / denominator
    return value if np.isfinite(value) else 0.0


def module_stats(A: np.ndarray, Gr: np.ndarray, F: np.ndarray, labels: np.ndarray) -> List[Dict[str, Any]]:
    """Per module (index m = label): members, size, within_variance (mean squared distance of
    the members' rows of F to their centroid), separation (distance from this centroid to the
    nearest other centroid; None for a single module), silhouette (members' mean; None when
    undefined), gradient_significance G_m, gradient_magnitude (mean |g| over the module's
    entries), dead_fraction (members whose activation is constant on the probe) and pattern
    (N,): the members' mean activation per probe sample."""
    k = int(labels.max()) + 1 if len(labels) else 0
    centroids = np.stack([F[labels == m].mean(axis=0) for m in range(k)]) if k else np.zeros((0, F.shape[1]))
    per_neuron_sil = None
    if 2 <= k < F.shape[0]:
        from sklearn.metrics import silhouette_samples
        per_neuron_sil = silhouette_samples(F, labels)
    dead = np.asarray(A, dtype=np.float64).std(axis=0) <= DEAD_STD
    out = []
    for m in range(k):
        members = np.flatnonzero(labels == m)
        a, g = A[:, members], Gr[:, members]
        spread = F[members] - centroids[m]
        others = np.delete(centroids, m, axis=0)
        out.append({
            'members': [int(i) for i in members],
            'size': int(len(members)),
            'within_variance': float(np.mean(np.sum(spread ** 2, axis=1))),
            'separation': float(np.min(np.linalg.norm(others - centroids[m], axis=1))) if len(others) else None,
            'silhouette': float(np.mean(per_neuron_sil[members])) if per_neuron_sil is not None else None,
            'gradient_significance': gradient_significance(a, g),
            'gradient_magnitude': float(np.mean(np.abs(g))) if g.size else 0.0,
            'dead_fraction': float(np.mean(dead[members])),
            'pattern': np.ascontiguousarray(a.mean(axis=1), dtype=np.float32),
        })
    return out


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / float(len(a | b)) if a or b else 1.0


def smallest_free(taken) -> int:
    """The smallest non-negative integer not in ``taken``."""
    i = 0
    while i in taken:
        i += 1
    return i


def match_ids(previous: List[Dict[str, Any]], members: List[List[int]], reserved=(),
              threshold: float = MATCH_JACCARD, fill: bool = True) -> List[Optional[int]]:
    """Ids for the new modules (``members`` lists) given ``previous`` [{'id', 'members'}].

    Greedy matching by decreasing Jaccard overlap >= threshold (ties: new then old order);
    each unmatched new module gets the smallest id neither matched here nor in ``reserved``
    (ids other layers hold) -- or None when ``fill`` is False (``fill_ids`` numbers several
    layers' newcomers together)."""
    pairs = sorted(((jaccard(new, old['members']), i, j) for i, new in enumerate(members)
                    for j, old in enumerate(previous)), key=lambda t: (-t[0], t[1], t[2]))
    ids = [None] * len(members)
    used = set()
    for overlap, i, j in pairs:
        if overlap < threshold:
            break
        if ids[i] is None and j not in used:
            ids[i] = int(previous[j]['id'])
            used.add(j)
    return fill_ids([ids], reserved)[0] if fill else ids


def fill_ids(id_lists: List[List[Optional[int]]], reserved=()) -> List[List[int]]:
    """Replace each None in ``id_lists`` (in order) by the smallest id not held by any other entry or ``reserved``."""
    taken = set(reserved) | {i for ids in id_lists for i in ids if i is not None}
    out = []
    for ids in id_lists:
        filled = []
        for i in ids:
            if i is None:
                i = smallest_free(taken)
                taken.add(i)
            filled.append(int(i))
        out.append(filled)
    return out
