"""glassbox.projection: PCA against scikit-learn, t-SNE through scikit-learn, layer numbering."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.nn import trace
from glassbox.analyses.projection import pca_2d
from glassbox.protocol import Session, handle_request


@pytest.fixture(scope='module')
def trained():
    s = Session()
    s.configure({'dataset': 'digits', 'hidden': [20, 12], 'seed': 2})
    s.train(200)
    return s


def assert_same_pca(A, coords, explained):
    from sklearn.decomposition import PCA
    reference = PCA(2).fit(A.astype(np.float64))
    assert np.allclose(explained, reference.explained_variance_ratio_, rtol=1e-3, atol=1e-6)
    expected = reference.transform(A.astype(np.float64))
    for k in range(2):  # components are defined up to sign
        sign = np.sign(np.dot(coords[:, k], expected[:, k]))
        assert np.allclose(coords[:, k], sign * expected[:, k], atol=1e-3 * np.abs(expected).max())


@pytest.mark.parametrize('layer', [0, 1, 2, 3])
def test_pca_of_each_layer_matches_scikit_learn(trained, layer):
    result = handle_request(trained, {'op': 'project', 'layer': layer, 'n': 300})
    X = trained.data['X_val'][:300]
    A = X if layer == 0 else trace(trained.trainer.model, X)['act'][layer - 1]
    assert result['coords'].shape == (300, 2) and result['layer_size'] == A.shape[1]
    assert np.array_equal(result['labels'], trained.data['y_val'][:300])
    assert_same_pca(A, result['coords'], result['explained'])


def test_pca_by_subspace_iteration_and_by_the_gram_matrix_match_scikit_learn():
    rng = np.random.default_rng(0)
    scales = np.r_[6.0, 4.0, 2.5, np.linspace(1.5, 0.1, 297)]  # PCs well separated, as they must be to be defined
    wide = rng.normal(size=(400, 300)) * scales  # both sides > 256: subspace iteration
    coords, explained, _ = pca_2d(wide)
    assert_same_pca(wide, coords, explained)
    short = rng.normal(size=(40, 90)) * scales[:90]  # d > N: Gram matrix
    coords, explained, _ = pca_2d(short)
    assert_same_pca(short, coords, explained)


def test_tsne_embeds_the_layer_and_keeps_classes_apart(trained):
    result = handle_request(trained, {'op': 'project', 'layer': 2, 'method': 'tsne', 'n': 150, 'with_inputs': True})
    coords, labels = result['coords'].astype(np.float64), result['labels']
    assert coords.shape == (150, 2) and np.all(np.isfinite(coords))
    assert result['inputs'].shape == (150, 64) and result['inputs'].dtype == np.uint8
    # Nearest neighbour in the embedding shares the class far more often than chance (10 %).
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1) + np.eye(150) * 1e9
    assert np.mean(labels[np.argmin(d, axis=1)] == labels) > 0.5


@pytest.mark.parametrize('request_, word', [({'layer': 4}, 'layer'), ({'method': 'umap'}, 'method'), ({'n': 1}, 'n')])
def test_bad_projection_requests_are_named(trained, request_, word):
    with pytest.raises(ValueError, match=word):
        handle_request(trained, dict({'op': 'project'}, **request_))
